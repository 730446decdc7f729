"""The tone check (spec §10): the rules, `lint`'s warnings at the word, the shipped and
starter templates clean, and the live line under a draft in the TUI."""

from __future__ import annotations

import json
import re
import shutil
import tomllib
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from textual.widgets import TextArea

from boundaries.core.tone import placeholder_fills, tone_problems
from boundaries.policy.load import load
from boundaries.policy.tomlpos import Locator
from boundaries.policy.tone_lint import _raw_offsets, later_or_decline_keys

from .cli_helpers import run
from .conftest import EXAMPLE
from .test_tui import app_for, ready, type_text


def rules(text: str, locale: str = "de", key: str = "after-hours", *, defers: bool = True,
          **kw) -> list[tuple[str, tuple[str, ...]]]:
    return [(p.rule, p.words) for p in tone_problems(text, locale, key, later_or_decline=defers,
                                                     **kw)]


# -- the rules -------------------------------------------------------------------------------
BAD = [
    ("de", "Guten Tag, ich bin gerade nicht erreichbar.", "no-way-forward", ()),
    ("en", "Hello, I am not available at the moment.", "no-way-forward", ()),
    ("de", "Kommen Sie morgen wirklich? Ich bin {next} da.", "doubt", ("wirklich",)),
    ("de", "Tatsächlich kommen Sie morgen? Ich melde mich {next}.", "doubt", ("Tatsächlich",)),
    ("de", "Brauchen Sie das überhaupt? Ich melde mich {next}.", "doubt", ("überhaupt",)),
    ("en", "Will you actually come? I am back {next}.", "doubt", ("actually",)),
    ("en", "Do you need it at\nall? I am back {next}.", "doubt", ("at\nall",)),
    ("de", "Wie bereits gesagt, ich bin {next} da.", "reproach", ("Wie bereits gesagt",)),
    ("de", "Sie rufen schon wieder an; ich bin {next} da.", "reproach", ("schon wieder",)),
    ("en", "As I already said, I am back {next}.", "reproach", ("As I already said",)),
    ("en", "Once again: I am back {next}.", "reproach", ("Once again",)),
    ("de", "Ich bin {next} da. DRINGEND bitte nur per Mail.", "shout", ("DRINGEND",)),
    ("de", "Ich bin {next} da!!", "shout", ("!!",)),
    ("en", "Why call now?! I am back {next}.", "shout", ("?!",)),
    ("en", "I am back {next}. Please NEVER call at night.", "shout", ("NEVER",)),
]


@pytest.mark.parametrize(("locale", "text", "rule", "words"), BAD)
def test_each_rule_fires_on_a_bad_reply(locale, text, rule, words):
    assert rules(text, locale) == [(rule, words)]


GOOD = [
    ("de", "Danke für Ihre Nachricht. Ich melde mich {next}. Passt Ihnen das?"),
    ("de", "Wenn es wirklich dringend ist, rufen Sie mich an; sonst melde ich mich {next}."),
    ("de", "Am besten erreichen Sie mich per {channels}. Ist das eine gute Lösung?"),
    ("de", "Ich bin am {next_date} um {next_time} wieder da. Die IBAN folgt."),
    ("en", "Thank you for your message. I will get back to you {next}. Does that suit you?"),
    ("en", "If it is really urgent, please call me; otherwise I am back {next}."),
    ("en", "It is evening here; I am back {next}, even earlier if I can."),
    ("en", "The best way to reach me is by {channels}. Who? What?? Okay."),
]


@pytest.mark.parametrize(("locale", "text"), GOOD)
def test_a_reply_with_a_way_forward_and_a_kind_question_passes(locale, text):
    assert rules(text, locale) == []


def test_the_shipped_templates_pass_and_the_one_question_that_lost_a_client_does_not():
    tpl = tomllib.loads((EXAMPLE / "replies/de.toml").read_text(encoding="utf-8"))
    assert rules(tpl["after-hours"]) == []
    bad = tpl["after-hours"].replace("Viele Grüße", "Kommen Sie morgen wirklich?\n\nViele Grüße")
    assert rules(bad) == [("doubt", ("wirklich",))]


def test_a_reply_that_does_not_defer_needs_no_way_forward():
    assert rules("Bitte bestätigen Sie kurz.", key="confirm", defers=False) == []


def test_a_decline_is_pointed_at_channels():
    (p,) = tone_problems("Das kann ich nicht übernehmen.", "de", "declined-discreet",
                         later_or_decline=True)
    assert p.rule == "no-way-forward" and "declines" in p.message


def test_the_words_carry_their_offsets():
    text = "Guten Tag. Kommen Sie wirklich? Wie schon gesagt: ich bin {next} da!!"
    found = tone_problems(text, "de", "after-hours", later_or_decline=True)
    assert [(p.rule, text[p.offset:p.offset + len(p.words[0])]) for p in found] == [
        ("doubt", "wirklich"), ("reproach", "Wie schon gesagt"), ("shout", "!!")]
    assert "'wirklich' in a question" in found[0].message


def test_a_placeholder_is_no_word():
    assert rules("{my_name}: ich bin {next} da. {{SOFORT}} ist kein Wort.") == []


def test_the_language_chooses_the_lists():
    assert rules("Kommen Sie wirklich? {next}", "de_AT") == [("doubt", ("wirklich",))]
    assert rules("Will you really come? {next}", "en_GB") == [("doubt", ("really",))]
    assert rules("Will you really come? {next}", "de") == []
    assert rules("Kunt u even bellen? Ik ben {next} terug.", "nl") == []  # "even": briefly


def test_avoid_extends_the_reproaches_in_every_language():
    text = "Leider\nnein. Ich bin {next} da."
    assert rules(text) == []
    for locale in ("de", "en", "nl"):
        found = tone_problems(text, locale, "away", later_or_decline=True,
                              avoid=("leider nein",))
        assert [(p.rule, p.offset) for p in found] == [("reproach", 0)]
        assert "me.toml [tone] avoid" in found[0].message


def test_allow_silences_a_word_in_capitals():
    text = "Ich bin {next} da, ASAP."
    assert rules(text) == [("shout", ("ASAP",))]
    assert rules(text, allow=("ASAP",)) == []
    assert rules(text, allow=("asap",)) == []
    assert rules("Ihre IBAN und Ihr WLAN: {next}.") == []  # built in


def test_a_rendered_draft_keeps_its_way_forward_while_the_next_window_is_in_it():
    template = "\nGuten Tag {client_name},\n\nich melde mich {next}.\n\nGrüße\n{my_name}"
    rendered = "Guten Tag,\n\nich melde mich Montag, 17. August ab 08:00 Uhr.\n\nGrüße\nMAX"
    filled = placeholder_fills(template, rendered)
    assert filled == {"client_name": "", "next": "Montag, 17. August ab 08:00 Uhr",
                      "my_name": "MAX"}
    check = {"later_or_decline": True, "filled": filled}
    assert tone_problems(rendered, "de", "after-hours", **check) == []  # MAX: a filled name
    cut = rendered.replace(" Montag, 17. August ab 08:00 Uhr", " bald")
    assert [p.rule for p in tone_problems(cut, "de", "after-hours", **check)] == [
        "no-way-forward"]
    assert placeholder_fills(template, "something else entirely") is None


# -- positions inside a TOML string ------------------------------------------------------------
TEXT = st.text(st.sampled_from('ab Ä"\\\n\t\'{}ü€'), max_size=30)


@given(TEXT)
@example('a"b\\c\nd')
def test_raw_offsets_point_at_each_character_of_a_basic_string(value):
    doc = f"key = {json.dumps(value, ensure_ascii=False)}\n"
    assert tomllib.loads(doc)["key"] == value
    raw = _raw_offsets(Locator(doc, tomllib.loads(doc)), "key", value)
    assert raw is not None and len(raw) == len(value)
    for ch, i in zip(value, raw, strict=True):
        assert doc[i] == ch or doc[i] == "\\"  # an escape starts where its character is


@given(st.lists(st.text(st.sampled_from("ab {}ü"), min_size=1, max_size=8), min_size=1,
                max_size=5))
def test_raw_offsets_follow_line_ending_backslashes(lines):
    doc = 'key = """\n' + " \\\n  ".join(lines) + '"""\n'
    value = tomllib.loads(doc)["key"]
    raw = _raw_offsets(Locator(doc, tomllib.loads(doc)), "key", value)
    assert raw is not None
    assert all(doc[i] == ch for ch, i in zip(value, raw, strict=True))


# -- lint ------------------------------------------------------------------------------------
@pytest.fixture
def example_copy(tmp_path) -> Path:
    root = tmp_path / "policies"
    shutil.copytree(EXAMPLE, root)
    return root


def tone_lines(out: str) -> list[str]:
    return [line for line in out.splitlines() if ": tone: " in line]


def test_lint_warns_at_the_word_inside_the_template(example_copy, capsys):
    path = example_copy / "replies/de.toml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("um Ihr Anliegen kümmere ich mich {next}.",
                        "um Ihr Anliegen kümmere ich mich {next}. Kommen Sie \\\n"
                        "dann wirklich?", 1)
    path.write_text(text, encoding="utf-8")
    code, out, _ = run(capsys, "lint", "--policies", str(example_copy))
    assert code == 0  # warnings never fail lint
    raw = text.splitlines()
    (line,) = tone_lines(out)
    m = re.fullmatch(r"replies/de\.toml:(\d+):(\d+): warning: reply `after-hours`: tone: "
                     r"doubt — 'wirklich' in a question", line)
    assert m, out
    row, col = int(m[1]), int(m[2])
    assert raw[row - 1][col - 1:].startswith("wirklich?")
    assert "hint: ask without doubting them" in out


def test_lint_warns_about_a_reply_without_a_way_forward_at_its_key(example_copy, capsys):
    path = example_copy / "replies/en.toml"
    text = path.read_text(encoding="utf-8")
    old = "I will be available again {next} and get back to you then."
    assert text.count(old) == 1
    path.write_text(text.replace(old, "I will get back to you soon."), encoding="utf-8")
    code, out, _ = run(capsys, "lint", "--policies", str(example_copy))
    assert code == 0
    (line,) = tone_lines(out)
    row = next(i for i, t in enumerate(text.splitlines(), 1)
               if t.startswith("after-hours-discreet ="))
    assert line.startswith(f"replies/en.toml:{row}:1: warning: reply `after-hours-discreet`: "
                           "tone: no-way-forward")
    assert "hint: offer the next window: {next}" in out


def test_me_toml_tone_avoid_extends_and_allow_silences(example_copy, capsys):
    me = example_copy / "me.toml"
    base = me.read_text(encoding="utf-8")
    me.write_text(base + '\n[tone]\navoid = ["Viele Grüße"]\n', encoding="utf-8")
    code, out, _ = run(capsys, "lint", "--policies", str(example_copy))
    assert code == 0 and tone_lines(out)
    assert all(re.search(r"reproach — '[Vv]iele Grüße' \(me\.toml \[tone\] avoid\)", line)
               for line in tone_lines(out))
    assert all(line.startswith("replies/de.toml:") for line in tone_lines(out))
    de = example_copy / "replies/de.toml"
    de.write_text(de.read_text(encoding="utf-8").replace("{next}.", "{next}, ASAP.", 1),
                  encoding="utf-8")
    me.write_text(base, encoding="utf-8")
    _, out, _ = run(capsys, "lint", "--policies", str(example_copy))
    assert [line.split(": tone: ")[1] for line in tone_lines(out)] == [
        "shout — 'ASAP' in capitals"]
    me.write_text(base + '\n[tone]\nallow = ["ASAP"]\n', encoding="utf-8")
    _, out, _ = run(capsys, "lint", "--policies", str(example_copy))
    assert tone_lines(out) == []


def test_the_rules_later_and_decline_keys_must_offer_a_way_forward():
    ps = load(EXAMPLE).policies
    keys = later_or_decline_keys(ps)
    assert {"after-hours", "busy-discreet", "wrong-channel", "complaint-in-writing",
            "urgent-please-call", "partner-late"} <= keys
    assert "confirm" not in keys and "confirm-discreet" not in keys


def test_the_example_set_and_the_init_starter_have_no_tone_warnings(tmp_path, capsys):
    assert [d for d in load(EXAMPLE).diagnostics if "tone:" in d.message] == []
    root = tmp_path / "mine"
    for locale in ("de", "en"):
        shutil.rmtree(root, ignore_errors=True)
        code, _, _ = run(capsys, "init", str(root), "--timezone", "Europe/Vienna",
                         "--locale", locale, "--holidays", "AT-4", "--name", "Martin Huber",
                         "--yes")
        assert code == 0
        assert [d for d in load(root).diagnostics if "tone:" in d.message] == []


# -- the TUI ---------------------------------------------------------------------------------
async def test_the_draft_shows_its_tone_live_as_it_is_edited():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "0732 123456")  # acme after hours: a `later` reply
        area = app.query_one("#reply", TextArea)
        line = app.query_one("#reply-tone")
        assert "morgen ab 08:00 Uhr" in area.text and not line.display
        area.focus()
        area.move_cursor(area.document.end)
        await type_text(pilot, " Kommen Sie wirklich?")
        assert line.display
        assert str(line.render()) == "tone: doubt — 'wirklich' in a question"
        for _ in range(len(" Kommen Sie wirklich?")):
            await pilot.press("backspace")
        await pilot.pause()
        assert not line.display and "wirklich" not in area.text


async def test_a_draft_that_loses_its_next_window_says_so():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "0732 123456")
        area = app.query_one("#reply", TextArea)
        area.text = "Guten Tag, ich melde mich irgendwann."
        await pilot.pause()
        assert str(app.query_one("#reply-tone").render()).startswith("tone: no-way-forward")

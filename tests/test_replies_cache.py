"""Reply templates are parsed and checked once per text, not at every decision: the cache
must never hide a template's problem, never hand one set's reply to another, and render
exactly what parsing at every decision rendered."""

from __future__ import annotations

import re
import string
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boundaries.core.engine import decide
from boundaries.core.replies import (
    TemplateError,
    parse_template,
    render,
    template_problems,
    tidy_gaps,
)
from boundaries.core.vocabulary import PLACEHOLDERS
from boundaries.policy.load import load
from boundaries.service import build_request

VIENNA = ZoneInfo("Europe/Vienna")
NOW = datetime(2026, 1, 8, 12, 0, tzinfo=VIENNA)
TIER = '[hours]\nmon-fri = "08:00-17:00"\n'
CLIENTS = '[clients.acme]\nname = "ACME GmbH"\ntier = "t"\nemails = ["office@acme.example"]\n'
SETTINGS = {"deadline": None, "database": None, "max_examples": 300}


def _evening_reply(root) -> str:
    """The reply text an evening mail from the client gets under the set in `root`."""
    ps = load(root).policies
    req = build_request(ps, {"from": "acme", "at": "2026-01-08T18:20", "channel": "email"},
                        NOW)
    d = decide(ps, req)
    assert d.decision == "later" and d.reply is not None
    return d.reply.text


def test_a_bad_template_is_still_reported_after_it_was_rendered(write_set):
    bad = "Ab {nxt} erreichbar."
    for _ in range(3):  # rendered again and again: left as written, never filled
        assert render(bad, {"nxt": "x", "next": "morgen"}) == bad
        with pytest.raises(TemplateError) as exc:
            parse_template(bad)
        assert str(exc.value) == "unknown placeholder `{nxt}`" and exc.value.offset == 3
    root = write_set({"tiers/t.toml": TIER, "clients.toml": CLIENTS,
                      "replies/de.toml": f'after-hours = "{bad}"\n'})
    for _ in range(2):  # each load (and so `boundaries lint`) reports it at its brace
        result = load(root)
        assert [d.format() for d in result.errors] == [
            "replies/de.toml:1:19: error: reply `after-hours`: unknown placeholder `{nxt}`"
            "\n    hint: did you mean `next`?"]
        assert "after-hours" not in result.policies.replies.get("de", {})
    assert [p.offset for p in template_problems("{a} {next} {b.c}")] == [0, 11]


def test_the_pieces_handed_out_are_each_callers_own():
    pieces = parse_template("Ich melde mich {next}.")
    pieces.clear()
    assert parse_template("Ich melde mich {next}.") == [("Ich melde mich ", "next"),
                                                         (".", None)]


def test_two_sets_with_different_templates_never_share_a_reply(write_set):
    files = {"tiers/t.toml": TIER, "clients.toml": CLIENTS}
    first = write_set({**files, "replies/de.toml": 'after-hours = "Erst {next}."\n'},
                      name="first")
    second = write_set({**files, "replies/de.toml": 'after-hours = "Später: {next}!"\n'},
                       name="second")
    # the same text under two names: the names come from each set, never from a cache
    named = 'after-hours = "{my_name} meldet sich {next}."\n'
    mine = write_set({**files, "replies/de.toml": named}, name="mine")
    hers = write_set({**files, "replies/de.toml": named},
                     me=(mine / "me.toml").read_text(encoding="utf-8").replace(
                         "Martin Huber", "Eva Leitner"), name="hers")
    for _ in range(2):  # in turns, so that each is decided after the other was
        assert _evening_reply(first) == "Erst morgen ab 08:00 Uhr."
        assert _evening_reply(second) == "Später: morgen ab 08:00 Uhr!"
        assert _evening_reply(mine) == "Martin Huber meldet sich morgen ab 08:00 Uhr."
        assert _evening_reply(hers) == "Eva Leitner meldet sich morgen ab 08:00 Uhr."


def _render_uncached(text: str, values: dict[str, str]) -> str:
    """Rendering as it was before the cache: parsed and checked at every call."""
    if template_problems(text):
        return text
    return "".join(lit + (values.get(name, "") if name else "")
                   for lit, name, _s, _c in string.Formatter().parse(text))


NAMES = st.sampled_from([*PLACEHOLDERS, "nxt", "", "client.name", "next:>5", "next!r"])
TEMPLATES = st.lists(st.one_of(
    st.text(alphabet="ab ,.{}\n", max_size=6),
    NAMES.map(lambda n: "{" + n + "}"))).map("".join)


@settings(**SETTINGS)
@given(TEMPLATES, st.dictionaries(st.sampled_from(PLACEHOLDERS), st.text(max_size=5)))
def test_rendering_is_what_parsing_at_every_call_rendered(text, values):
    assert render(text, values) == _render_uncached(text, values)
    assert render(text, values) == _render_uncached(text, values)  # from the cache
    problems = template_problems(text)
    if problems:  # the cache says unsafe: parsing still names the first problem, at its brace
        with pytest.raises(TemplateError) as exc:
            parse_template(text)
        assert (str(exc.value), exc.value.offset) == (str(problems[0]), problems[0].offset)
    else:
        assert parse_template(text) == [(lit, name) for lit, name, _s, _c
                                        in string.Formatter().parse(text)]


_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;:!?])")
_DOUBLE_SPACE = re.compile(r"(?<=\S)[ \t]{2,}")


@settings(**SETTINGS)
@given(st.text(alphabet=" \t\n,.;:!?ab", max_size=40))
def test_closing_gaps_is_both_substitutions_run_always(text):
    assert tidy_gaps(text) == _DOUBLE_SPACE.sub(" ", _SPACE_BEFORE_PUNCT.sub(r"\1", text))

"""The example set's calendar (policies/calendars/, sources.md §6) decides as the README and
checks.toml say: busy in the Jour fixe until 11:00, the afternoon of 13 January cut to
15:30–16:15 by a visit and a call, the all-day vacation away until the Monday after; the
busy replies exist in every language and never name the event."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest

from .cli_helpers import run

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "policies"
SUMMARIES = ("Jour fixe", "Vor-Ort-Termin", "Serverraum", "Telefonat", "Steuerberaterin",
             "Skiurlaub", "Linz")  # every SUMMARY and LOCATION in policies/calendars/


@pytest.fixture(autouse=True)
def _no_journal(monkeypatch, tmp_path):
    monkeypatch.setenv("BOUNDARIES_JOURNAL", str(tmp_path / "journal"))


def check(capsys, *args: str) -> dict:
    code, out, err = run(capsys, "check", "--policies", str(EXAMPLE), "--json", *args)
    assert code == 0, err
    assert err == ""  # the example's calendar reads without a problem
    return json.loads(out)


def test_busy_in_the_jour_fixe_until_11(capsys):
    d = check(capsys, "--from", "acme", "--at", "2027-01-05T10:15")
    assert d["decision"] == "later" and d["within_hours"] is True
    assert d["reasons"][0] == {
        "text": "busy until 11:00: Jour fixe (2027-01-05 10:00–11:00, calendar)",
        "source": "calendars/jour-fixe.ics:22"}
    assert d["busy"] == {"start": "2027-01-05T10:00:00+01:00", "end": "2027-01-05T11:00:00+01:00",
                         "source": "calendars/jour-fixe.ics:22"}
    assert d["next_window"] == {"start": "2027-01-05T11:00:00+01:00",
                                "end": "2027-01-05T12:00:00+01:00"}
    assert d["reply"]["key"] == "busy" and "heute ab 11:00 Uhr" in d["reply"]["text"]


def test_the_jour_fixe_line_is_its_begin_vevent():
    lines = (EXAMPLE / "calendars/jour-fixe.ics").read_text("utf-8").splitlines()
    assert lines[22 - 1] == "BEGIN:VEVENT" and "SUMMARY:Jour fixe" in lines[22:30]


def test_busy_is_gone_when_the_jour_fixe_ends(capsys):
    d = check(capsys, "--from", "acme", "--at", "2027-01-12T11:00")
    assert d["decision"] == "answer" and d["busy"] is None


def test_no_jour_fixe_on_the_excluded_tuesday_but_away_all_the_same(capsys):
    d = check(capsys, "--from", "acme", "--at", "2027-02-16T10:15")
    assert d["decision"] == "later" and d["busy"] is None  # EXDATE: no Jour fixe that day
    assert d["reply"]["key"] == "away"
    assert d["reasons"][0]["source"] == "calendars/vacation.ics:4"


def test_the_vacation_is_away_until_the_monday_after(capsys):
    d = check(capsys, "--from", "office@acme.example", "--channel", "email",
              "--at", "2027-02-17T10:00")
    assert d["decision"] == "later" and d["reply"]["key"] == "away"
    assert d["next_window"]["start"] == "2027-02-22T08:00:00+01:00"
    assert "Montag" in d["reply"]["text"]


def test_the_afternoon_of_the_visit_is_cut_to_15_30_16_15(capsys):
    """sources.md §6: the next window runs from the end of one event to the start of the
    next (13:00–17:00 with a visit until 15:30 and a call at 16:15)."""
    lunch = check(capsys, "--from", "acme", "--at", "2027-01-13T12:15")
    assert lunch["decision"] == "later" and lunch["busy"] is None
    assert lunch["next_window"] == {"start": "2027-01-13T15:30:00+01:00",
                                    "end": "2027-01-13T16:15:00+01:00"}
    between = check(capsys, "--from", "acme", "--at", "2027-01-13T15:45")
    assert between["decision"] == "answer"
    assert between["next_window"]["end"] == "2027-01-13T16:15:00+01:00"
    call = check(capsys, "--from", "acme", "--at", "2027-01-13T16:20")
    assert call["busy"]["source"] == "calendars/tax-advisor-call.ics:22"
    assert call["next_window"] == {"start": "2027-01-13T16:45:00+01:00",
                                   "end": "2027-01-13T17:00:00+01:00"}


@pytest.mark.parametrize(("sender", "channel", "at", "key", "locale"), [
    ("acme", "call", "2027-01-05T10:15", "busy", "de"),
    ("praxis", "sms", "2027-01-05T10:15", "busy-discreet", "de"),
    ("hartley", "email", "2027-01-05T10:15", "busy", "en"),
    ("kanzlei", "email", "2027-01-13T13:30", "busy-discreet", "de"),
    ("acme", "call", "2027-01-13T16:20", "busy", "de"),
    ("hartley", "email", "2027-02-17T10:00", "away", "en"),
    ("praxis", "email", "2027-02-17T10:00", "away-discreet", "de"),
])
def test_replies_never_name_the_event(capsys, sender, channel, at, key, locale):
    d = check(capsys, "--from", sender, "--channel", channel, "--at", at)
    assert d["decision"] == "later"
    assert (d["reply"]["key"], d["reply"]["locale"]) == (key, locale)
    for summary in SUMMARIES:
        assert summary not in d["reply"]["text"]
        assert d["confirm"] is None or summary not in d["confirm"]["text"]
    if key.startswith("busy"):
        assert d["busy"] is not None and any(s in d["reasons"][0]["text"] for s in SUMMARIES)


def test_hartley_hears_when_the_jour_fixe_ends_in_london_time(capsys):
    d = check(capsys, "--from", "hartley", "--channel", "email", "--at", "2027-01-05T10:15")
    assert "today from 10:00" in d["reply"]["text"]  # 11:00 in Vienna


@pytest.mark.parametrize("locale", ["de", "en"])
def test_every_replies_file_has_busy_and_its_discreet_variant(locale):
    replies = tomllib.loads((EXAMPLE / f"replies/{locale}.toml").read_text("utf-8"))
    assert "{next}" in replies["busy"] and "{next}" in replies["busy-discreet"]
    assert "{my_name}" in replies["busy"]
    for name in ("{my_name}", "{client_name}"):  # discreet variants name nobody
        assert name not in replies["busy-discreet"]


def test_every_replies_file_of_the_set_has_busy():
    for file in sorted((EXAMPLE / "replies").glob("*.toml")):
        keys = tomllib.loads(file.read_text("utf-8"))
        assert {"busy", "busy-discreet"} <= set(keys), file.name


def test_lint_is_clean_and_the_checks_pass(capsys):
    code, out, err = run(capsys, "lint", "--policies", str(EXAMPLE))
    assert code == 0 and "no problems" in out and err == ""
    code, out, err = run(capsys, "test", "--policies", str(EXAMPLE))
    last = out.strip().splitlines()[-1]
    assert code == 0 and re.fullmatch(r"\d+ passed, 0 failed", last), out + err


def test_checks_toml_pins_the_calendar():
    checks = tomllib.loads((EXAMPLE / "checks.toml").read_text("utf-8"))["check"]
    calendar = [c for c in checks if c["at"].startswith("2027")]
    assert {c.get("reply_key") for c in calendar} >= {"busy", "away", "after-hours"}
    assert {"from": "acme", "at": "2027-01-05T10:15", "expect": "later", "reply_key": "busy",
            "next": "2027-01-05T11:00"}.items() <= next(
        c for c in calendar if c["at"] == "2027-01-05T10:15" and c["from"] == "acme").items()
    assert any(c.get("next") == "2027-02-22T08:00" and c.get("reply_key") == "away"
               for c in calendar)


def test_readme_calendar_step_is_what_check_prints(capsys):
    readme = (REPO / "README.md").read_text("utf-8")
    command = "$ .venv/bin/boundaries check --from acme --at 2027-01-05T10:15\n"
    block = readme.split("```console\n" + command)[1].split("```")[0]
    shown = [ln for ln in block.splitlines() if ln.strip() != "…"]
    code, out, _ = run(capsys, "check", "--policies", str(EXAMPLE), "--from", "acme",
                       "--at", "2027-01-05T10:15")
    assert code == 0 and out.splitlines()[: len(shown)] == shown
    assert "busy until 11:00" in block


def test_readme_and_me_toml_point_at_docs_calendars():
    assert "docs/calendars.md" in (REPO / "README.md").read_text("utf-8")
    assert "docs/calendars.md" in (EXAMPLE / "me.toml").read_text("utf-8")
    assert (REPO / "docs/calendars.md").is_file()

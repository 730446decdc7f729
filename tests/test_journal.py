"""The journal: safe appends, a tolerant reader, facts for the engine, reply-once, reports."""

from __future__ import annotations

import csv
import io
import json
import multiprocessing
import os
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from boundaries.core.engine import decide
from boundaries.core.request import sender_key
from boundaries.journal.facts import facts_for, month_bounds
from boundaries.journal.report import build, render_csv
from boundaries.journal.store import append, new_id, read
from boundaries.policy.load import load
from boundaries.service import build_request

from .cli_helpers import run
from .test_engine import CLIENTS, DE, EN, MAINT, ME_AWAY, PREMIUM, UNKNOWN

VIENNA = ZoneInfo("Europe/Vienna")


@pytest.fixture
def pset(write_set) -> Path:
    return write_set({"tiers/maint.toml": MAINT, "tiers/premium.toml": PREMIUM,
                      "tiers/unknown.toml": UNKNOWN, "tiers/discreet.toml": MAINT,
                      "tiers/night.toml": MAINT, "clients.toml": CLIENTS,
                      "replies/de.toml": DE, "replies/en.toml": EN}, me=ME_AWAY)


def entry(at: str, **kw) -> dict:
    base = {"id": new_id(), "at": at, "sender": "client:stahl", "client": "stahl",
            "extra_effort": True, "outcome": "answered", "within_hours": False, "minutes": 10}
    return {**base, **kw}


def write_lines(path: Path, lines: list[str], torn: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines) + torn, encoding="utf-8")


# -- storage ---------------------------------------------------------------------------------
def test_append_creates_private_files_and_reads_back(tmp_path):
    folder = tmp_path / "journal"
    path = append(folder, entry("2026-01-08T21:00:00+01:00"), "2026-01")
    assert folder.stat().st_mode & 0o777 == 0o700
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.name.startswith("2026-01.") and path.name.endswith(".jsonl")
    entries, warnings = read(folder)
    assert warnings == [] and [e.client for e in entries] == ["stahl"]


def test_ids_sort_by_time():
    a, b = new_id(1_000_000_000_000_000), new_id(1_000_000_001_000_000)
    assert len(a) == 26 and a < b


def _writer(args) -> None:
    folder, worker, n = args
    for i in range(n):
        append(Path(folder), entry("2026-01-08T21:00:00+01:00", note=f"{worker}-{i}"), "2026-01")


def test_concurrent_appends_keep_every_entry_exactly_once(tmp_path):
    folder = tmp_path / "journal"
    workers, per = 4, 750
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        pool.map(_writer, [(str(folder), w, per) for w in range(workers)])
    lines = b"".join(p.read_bytes() for p in folder.iterdir()).splitlines()
    notes = [json.loads(line)["note"] for line in lines]  # every line is valid JSON
    assert len(notes) == workers * per
    assert sorted(notes) == sorted(f"{w}-{i}" for w in range(workers) for i in range(per))


def test_torn_and_corrupt_lines_are_reported_and_skipped(tmp_path):
    folder = tmp_path / "journal"
    path = folder / "2026-01.laptop.jsonl"
    good = [json.dumps(entry(f"2026-01-0{d}T21:00:00+01:00")) for d in (1, 2, 3)]
    write_lines(path, [good[0], "{not json", good[1], good[2]], torn='{"id": "01ABC", "at": "20')
    entries, warnings = read(folder)
    assert len(entries) == 3
    assert [(w.line, w.message) for w in warnings] == [
        (2, "corrupt entry skipped"), (5, "torn last line skipped (an interrupted write)")]
    assert warnings[0].format() == f"{path}:2: warning: corrupt entry skipped"
    # the next append starts on a fresh line: the torn one does not swallow it
    os.environ["BOUNDARIES_DEVICE"] = "laptop"
    try:
        append(folder, entry("2026-01-04T21:00:00+01:00"), "2026-01")
    finally:
        del os.environ["BOUNDARIES_DEVICE"]
    entries, warnings = read(folder)
    assert len(entries) == 4 and len(warnings) == 2


# -- facts ------------------------------------------------------------------------------------
def _req(ps, at: str, sender: str = "stahl", **kw):
    return build_request(ps, {"from": sender, "at": at, **kw}, datetime(2026, 1, 1, tzinfo=VIENNA))


def _entries(tmp_path, items: list[dict]):
    folder = tmp_path / "j"
    for item in items:
        at = datetime.fromisoformat(item["at"])
        append(folder, item, f"{at.year:04d}-{at.month:02d}")
    return read(folder)[0]


@pytest.mark.parametrize(("request_at", "used"), [
    ("2026-01-31T23:50", 2),   # two January answers (one at 23:30 local, 22:30 UTC)
    ("2026-02-01T00:10", 1),   # February: only the answer at 00:30 local counts
    ("2026-03-31T23:50", 1),   # across DST: March in Vienna ends at 22:00 UTC
    ("2026-04-01T00:10", 1),
])
def test_budget_counts_the_calendar_month_in_my_timezone(pset, tmp_path, request_at, used):
    ps = load(pset).policies
    items = [
        entry("2026-01-10T21:00:00+01:00"),
        entry("2026-01-31T23:30:00+01:00"),
        entry("2026-02-01T00:30:00+01:00"),
        entry("2026-03-31T23:30:00+02:00"),
        entry("2026-04-01T00:30:00+02:00"),
        entry("2026-01-12T21:00:00+01:00", outcome="missed"),        # no time given
        entry("2026-01-13T21:00:00+01:00", extra_effort=False),      # within the contract
        entry("2026-01-14T21:00:00+01:00", client="acme", sender="client:acme"),
    ]
    req = _req(ps, request_at)
    facts = facts_for(_entries(tmp_path, items), req, "stahl", VIENNA)
    assert facts.extra_effort_used == used


def test_month_bounds_across_dst():
    start, end = month_bounds(datetime(2026, 3, 15, tzinfo=VIENNA), VIENNA)
    assert start.isoformat() == "2026-03-01T00:00:00+01:00"
    assert end.isoformat() == "2026-04-01T00:00:00+02:00"


def test_budget_exhaustion_turns_answer_into_later(pset, tmp_path, capsys):
    j = str(tmp_path / "j")
    for day in (5, 6, 7):
        code, _, err = run(capsys, "log", "--policies", str(pset), "--journal", j, "--from",
                           "stahl", "--urgency", "urgent", "--at", f"2026-01-0{day}T21:00",
                           "--outcome", "answered", "--minutes", "20")
        assert code == 0, err
    code, out, _ = run(capsys, "check", "--policies", str(pset), "--journal", j, "--from",
                       "stahl", "--urgency", "urgent", "--at", "2026-01-08T21:00", "--json")
    d = json.loads(out)
    assert d["decision"] == "later" and not d["extra_effort"]
    assert d["reasons"][0]["text"] == "budget used: 3 of 3 in January"
    code, out, _ = run(capsys, "check", "--policies", str(pset), "--journal", j, "--from",
                       "stahl", "--urgency", "urgent", "--at", "2026-02-02T21:00", "--json")
    assert json.loads(out)["decision"] == "answer"   # a new month, a new budget


def test_check_says_how_much_budget_is_used(pset, tmp_path, capsys):
    j = str(tmp_path / "j")
    run(capsys, "log", "--policies", str(pset), "--journal", j, "--from", "stahl",
        "--urgency", "urgent", "--at", "2026-01-05T21:00", "--outcome", "answered")
    _, out, _ = run(capsys, "check", "--policies", str(pset), "--journal", j, "--from",
                    "stahl", "--urgency", "urgent", "--at", "2026-01-08T21:00")
    assert "2 of 3 used in January" in out


def test_check_never_writes_the_journal(pset, tmp_path, capsys):
    j = tmp_path / "j"
    run(capsys, "check", "--policies", str(pset), "--journal", str(j), "--from", "stahl")
    assert not j.exists()


@pytest.mark.parametrize(("minutes_ago", "counted"), [
    (15, False), (14.99, True), (0, True), (-1, False)])
def test_repeat_counts_exactly_the_last_15_minutes(pset, tmp_path, minutes_ago, counted):
    ps = load(pset).policies
    at = datetime(2026, 1, 8, 10, 0, tzinfo=VIENNA)
    then = at - timedelta(minutes=minutes_ago)
    items = [entry(then.isoformat(), extra_effort=False)]
    facts = facts_for(_entries(tmp_path, items), _req(ps, "2026-01-08T10:00"), "stahl", VIENNA)
    assert facts.recent_requests == (2 if counted else 1)


def test_repeat_is_per_sender(pset, tmp_path):
    ps = load(pset).policies
    items = [entry("2026-01-08T09:55:00+01:00", sender="number:+436991112223", client=None)]
    req = _req(ps, "2026-01-08T10:00", sender="+43 699 1112223")
    key = sender_key(None, req.sender.number, req.sender.raw)
    assert key == "number:+436991112223"
    assert facts_for(_entries(tmp_path, items), req, None, VIENNA).recent_requests == 2
    assert facts_for(_entries(tmp_path, items), _req(ps, "2026-01-08T10:00"), "stahl",
                     VIENNA).recent_requests == 1


# -- reply once and robots -----------------------------------------------------------------------
@pytest.mark.parametrize(("days_ago", "withheld"), [(2, True), (4, False)])
def test_reply_once_within_n_days(write_set, tmp_path, capsys, days_ago, withheld):
    root = write_set({"tiers/maint.toml": MAINT, "clients.toml": CLIENTS.split(
        "[clients.stahl]")[0], "replies/de.toml": DE},
        me=ME_AWAY.replace("[[away]]", "reply_once_days = 3\n\n[[away]]"))
    j = str(tmp_path / "j")
    day = 14 - days_ago  # ordinary days (6 January would be a holiday: another reply)
    run(capsys, "log", "--policies", str(root), "--journal", j, "--from", "acme", "--at",
        f"2026-01-{day:02d}T19:00", "--outcome", "missed")
    code, out, err = run(capsys, "check", "--policies", str(root), "--journal", j, "--from",
                         "acme", "--at", "2026-01-14T19:00", "--json")
    assert code == 0, err
    d = json.loads(out)
    assert d["decision"] == "later"   # the decision stands
    assert (d["reply"] is None) is withheld
    if withheld:
        assert any(f"already sent to this sender on 2026-01-{day:02d} 19:00" in r["text"]
                   and r["source"].startswith("me.toml:") for r in d["reasons"])


@pytest.mark.parametrize("sender", ["noreply@bank.example", "no-reply@x.example",
                                    "MAILER-DAEMON@mx.example", "news-bounces@list.example",
                                    "owner-users@list.example", "donotreply+x@shop.example"])
def test_no_automatic_reply_to_robots_and_lists(pset, sender):
    ps = load(pset).policies
    d = decide(ps, _req(ps, "2026-01-08T20:00", sender=sender, channel="email"))
    assert d.decision == "later" and d.reply is None
    assert "robot or a mailing list" in d.reasons[-1].text


def test_people_still_get_replies(pset):
    ps = load(pset).policies
    d = decide(ps, _req(ps, "2026-01-08T20:00", sender="replies@person.example", channel="email"))
    assert d.reply is not None


# -- report ------------------------------------------------------------------------------------
def test_report_figures_against_a_hand_computed_fixture(pset, tmp_path):
    ps = load(pset).policies
    items = [
        entry("2026-01-05T21:00:00+01:00", minutes=30),                        # stahl
        entry("2026-01-06T22:00:00+01:00", minutes=15, outcome="called-back"),  # stahl
        entry("2026-01-07T10:00:00+01:00", extra_effort=False, within_hours=True,
              minutes=20),                                                       # stahl
        entry("2026-01-08T18:20:00+01:00", client="acme", sender="client:acme",
              extra_effort=False, outcome="missed", minutes=0),
        entry("2026-01-09T10:00:00+01:00", client="acme", sender="client:acme",
              extra_effort=False, within_hours=True, outcome="declined", minutes=0),
        entry("2026-01-09T11:00:00+01:00", client=None, sender="raw:x@y.example",
              extra_effort=False, within_hours=True, outcome="answered", minutes=5),
    ]
    rows = {r.client: r for r in build(_entries(tmp_path, items), ps, months=1)}
    s = rows["stahl"]
    assert (s.requests, s.answered, s.after_hours, s.extra_effort_used, s.extra_effort_budget,
            s.minutes, s.declined, s.missed) == (3, 3, 2, 2, 3, 65, 0, 0)
    assert s.after_hours_share == pytest.approx(2 / 3)
    a = rows["acme"]
    assert (a.requests, a.answered, a.after_hours, a.extra_effort_budget, a.declined,
            a.missed) == (2, 0, 1, 0, 1, 1)
    assert rows["(unknown senders)"].requests == 1
    parsed = list(csv.DictReader(io.StringIO(render_csv(list(rows.values())))))
    back = {r["client"]: r for r in parsed}
    assert back["stahl"]["minutes"] == "65" and back["stahl"]["extra_effort_budget"] == "3"
    assert float(back["stahl"]["after_hours_share"]) == pytest.approx(0.6667, abs=1e-4)


def test_a_message_logged_as_received_is_a_request_but_no_time_spent(pset, tmp_path, capsys):
    """`received` (a message that came in, as watch --log and mail record it): the report
    counts it as a request, never as answered, missed or declined, nor against the budget."""
    j = str(tmp_path / "j")
    code, out, err = run(capsys, "log", "--policies", str(pset), "--journal", j, "--from",
                         "stahl", "--channel", "sms", "--urgency", "urgent", "--at",
                         "2026-01-08T21:00", "--outcome", "received")
    assert code == 0, err
    assert "recorded: received" in out
    (got,) = [e.data for e in read(Path(j))[0]]
    assert (got["outcome"], got["channel"], got["extra_effort"]) == ("received", "sms", True)
    code, out, _ = run(capsys, "report", "--policies", str(pset), "--journal", j, "--month",
                       "2026-01", "--format", "json")
    (row,) = json.loads(out)
    assert (row["requests"], row["answered"], row["missed"], row["declined"],
            row["extra_effort_used"]) == (1, 0, 0, 0, 0)
    code, out, _ = run(capsys, "check", "--policies", str(pset), "--journal", j, "--from",
                       "stahl", "--urgency", "urgent", "--at", "2026-01-08T21:30")
    assert "1 of 3 used in January" in out  # this request's own: the message spent nothing


def test_an_unknown_outcome_names_received_among_the_choices(pset, tmp_path, capsys):
    code, _, err = run(capsys, "log", "--policies", str(pset), "--journal",
                       str(tmp_path / "j"), "--from", "stahl", "--outcome", "read")
    assert code == 2 and "received" in err


def test_report_cli_formats(pset, tmp_path, capsys):
    j = str(tmp_path / "j")
    run(capsys, "log", "--policies", str(pset), "--journal", j, "--from", "acme", "--at",
        "2026-01-08T18:20", "--outcome", "missed")
    code, out, _ = run(capsys, "report", "--policies", str(pset), "--journal", j, "--month",
                       "2026-01")
    assert code == 0 and "acme" in out and "█" in out
    code, out, _ = run(capsys, "report", "--policies", str(pset), "--journal", j, "--month",
                       "2026-01", "--client", "acme", "--format", "json")
    assert json.loads(out)[0]["missed"] == 1
    code, _, err = run(capsys, "report", "--policies", str(pset), "--journal", j, "--month",
                       "2026-13")
    assert code == 2 and "is not a month" in err

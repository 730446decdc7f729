"""`boundaries replay`: many requests at once, what an edit would change, bad input."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from boundaries.cli.progress import Progress

from .cli_helpers import run
from .conftest import EXAMPLE

# Rows over the example set (Europe/Vienna, holidays AT-4, away 2026-08-03..14): evenings,
# lunch breaks, the spring gap and the autumn fold, overnight windows, a partner in Tokyo,
# a public holiday, time off, unknown senders, a channel a tier lacks, a rule.
ROWS = [
    ("acme", "2026-01-08T18:20", "call", "question", "normal"),
    ("+43 732 123456", "2026-01-08T10:00", "call", "change", "normal"),
    ("office@acme.example", "2026-01-08T12:30+01:00", "email", "question", "normal"),
    ("acme", "2026-01-08T10:00", "call", "complaint", "normal"),
    ("stahlwerk", "2026-03-29T02:30", "call", "question", "urgent"),
    ("stahlwerk", "2026-10-25T02:30", "sms", "question", "emergency"),
    ("+43 664 5550101", "2026-03-27T17:59", "call", "question", "normal"),
    ("rechenzentrum", "2026-03-27T23:30", "call", "question", "normal"),
    ("rechenzentrum", "2026-03-30T03:00", "call", "change", "emergency"),
    ("rechenzentrum", "2026-10-24T01:30", "email", "question", "normal"),
    ("rechenzentrum", "2026-10-26T02:30", "call", "question", "normal"),
    ("tanaka", "2026-01-08T23:00", "call", "question", "normal"),
    ("tanaka", "2026-01-09T07:00", "email", "question", "normal"),
    ("+81 3 1234 5678", "2026-01-09T10:00+09:00", "call", "question", "normal"),
    ("hartley", "2026-01-08T10:00", "call", "question", "normal"),
    ("+43 660 7788990", "2026-12-25T10:00", "sms", "question", "normal"),
    ("baeckerei", "2026-08-05T10:00", "call", "question", "urgent"),
    ("kanzlei", "2026-01-06T10:00", "call", "question", "normal"),
    ("+43 699 1112223", "2026-01-08T10:00", "sms", "question", "normal"),
    ("+43 1 5123456", "2026-01-08T20:00", "call", "question", "normal"),
    ("noreply@shop.example", "2026-01-10T09:00", "email", "question", "normal"),
]


def write_csv(path: Path, rows: list[tuple], header=("from", "at", "channel", "kind",
                                                     "urgency")) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


@pytest.fixture
def calls(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "calls.csv", ROWS)


def replayed_json(capsys, *args: str) -> list[dict]:
    code, out, err = run(capsys, "replay", *args, "--format", "json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_replay_equals_check_row_by_row(capsys, calls):
    decided = replayed_json(capsys, str(calls), "--policies", str(EXAMPLE), "--no-history")
    assert len(decided) == len(ROWS)
    for (who, at, channel, kind, urgency), got in zip(ROWS, decided, strict=True):
        code, out, err = run(capsys, "check", "--policies", str(EXAMPLE), "--from", who,
                             "--at", at, "--channel", channel, "--kind", kind,
                             "--urgency", urgency, "--json")
        assert code == 0, err
        want = json.loads(out)
        row = (who, at)
        assert got["decision"] == want["decision"], row
        assert got["client"] == want["client"], row
        assert got["tier"] == want["tier"], row
        assert got["within_hours"] == want["within_hours"], row
        assert got["callback"] == want["callback"], row
        assert got["in_writing"] == want["in_writing"], row
        assert got["reason"] == want["reasons"][0]["source"], row
        start = want["next_window"]["start"] if want["next_window"] else None
        assert got["next_start"] == start, row
        sent = want["reply"] or want["confirm"]
        via = sent and sent["via"]
        assert got["via"] == (f"{via['channel']}:{via['to']}" if via else None), row


def test_decided_rows_cover_every_answer(capsys, calls):
    """The row set above really exercises all three decisions and both sides of hours."""
    decided = replayed_json(capsys, str(calls), "--policies", str(EXAMPLE), "--no-history")
    assert {d["decision"] for d in decided} == {"answer", "later", "decline"}
    assert {d["within_hours"] for d in decided} == {True, False}
    assert decided[0] | {"next_start": None} == {
        "from": "acme", "at": "2026-01-08T18:20", "channel": "call", "kind": "question",
        "urgency": "normal", "decision": "later", "client": "acme", "tier": "maintenance",
        "within_hours": False, "next_start": None, "callback": "on-request",
        "in_writing": True, "reason": "tiers/maintenance.toml:59",
        "via": "sms:+436641234567"}  # acme's first number that can take an SMS (§10)
    assert decided[0]["next_start"] == "2026-01-09T08:00:00+01:00"


def test_summary_counts(capsys, calls):
    code, out, err = run(capsys, "replay", str(calls), "--policies", str(EXAMPLE))
    assert code == 0, err
    decided = replayed_json(capsys, str(calls), "--policies", str(EXAMPLE))
    counts = {k: sum(d["decision"] == k for d in decided) for k in ("answer", "later",
                                                                     "decline")}
    assert f"{len(ROWS)} requests decided" in out
    for decision, n in counts.items():
        assert any(line.split()[:2] == [decision, str(n)] for line in out.splitlines()), out
    never = sum(d["callback"] == "never" for d in decided)
    assert f"callbacks refused {never:>7,}" in out
    outside = sum(not d["within_hours"] for d in decided)
    assert f"({outside} requests outside their tier's hours)" in out
    assert "maintenance" in out and "partner" in out


def _edited(tmp_path: Path) -> Path:
    new = tmp_path / "new"
    shutil.copytree(EXAMPLE, new)
    tier = new / "tiers" / "maintenance.toml"
    text = tier.read_text(encoding="utf-8")
    assert 'mon-fri = ["08:00-12:00", "13:00-17:00"]' in text
    tier.write_text(text.replace('mon-fri = ["08:00-12:00", "13:00-17:00"]',
                                 'mon-fri = ["08:00-12:00", "13:00-19:00"]'), encoding="utf-8")
    return new


WHAT_IF = [
    ("acme", "2026-01-08T18:20", "call", "question", "normal"),          # 2: later → answer
    ("acme", "2026-01-08T10:00", "call", "question", "normal"),          # 3: answer, stays
    ("baeckerei", "2026-01-09T17:00", "sms", "question", "normal"),      # 4: later → answer
    ("baeckerei", "2026-01-09T19:00", "sms", "question", "normal"),      # 5: later, stays
    ("acme", "2026-01-10T18:00", "call", "question", "normal"),          # 6: Saturday, stays
    ("baeckerei", "2026-01-06T18:00", "call", "question", "normal"),     # 7: holiday, stays
    ("acme", "2026-01-08T18:30", "call", "complaint", "normal"),         # 8: rule, stays
    ("stahlwerk", "2026-01-08T18:20", "call", "question", "normal"),     # 9: premium, stays
    ("baeckerei", "2026-08-04T18:00", "call", "question", "normal"),     # 10: away, stays
]


def test_against_reports_exactly_the_changed_rows(capsys, tmp_path):
    calls = write_csv(tmp_path / "calls.csv", WHAT_IF)
    new = _edited(tmp_path)
    code, out, err = run(capsys, "replay", str(calls), "--policies", str(EXAMPLE),
                         "--against", str(new), "--format", "csv")
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["line"] for r in rows] == ["2", "4"]
    assert {(r["old_decision"], r["new_decision"]) for r in rows} == {("later", "answer")}
    assert rows[0]["from"] == "acme" and rows[0]["client"] == "acme"
    assert rows[0]["new_reason"] == "tiers/maintenance.toml:59"

    code, out, err = run(capsys, "replay", str(calls), "--policies", str(EXAMPLE),
                         "--against", str(new))
    assert code == 0
    assert "2 requests (22.2%) would be decided differently" in out
    assert "later → answer  ·  2 requests" in out
    assert "within reachability hours (Mon–Fri 08:00–12:00, 13:00–19:00)" in out
    assert f"{calls}:2" in out and f"{calls}:4" in out and f"{calls}:5" not in out


def test_fail_on_change_exit_codes(capsys, tmp_path):
    calls = write_csv(tmp_path / "calls.csv", WHAT_IF)
    new = _edited(tmp_path)
    args = ["replay", str(calls), "--policies", str(EXAMPLE), "--fail-on-change"]
    assert run(capsys, *args, "--against", str(new))[0] == 1
    same = run(capsys, *args, "--against", str(EXAMPLE))
    assert same[0] == 0
    assert "No request would be decided differently." in same[1]
    assert run(capsys, *args)[0] == 0  # nothing to compare: nothing changed


def test_bad_rows_are_reported_skipped_and_counted(capsys, tmp_path):
    calls = tmp_path / "calls.csv"
    calls.write_text(
        "from,at,channel\n"
        "acme,2026-01-08T18:20,call\n"          # 2: good
        "acme,yesterday evening,call\n"         # 3: bad time
        "acme,2026-01-08T18:20,fax\n"           # 4: unknown channel
        ",2026-01-08T18:20,call\n"              # 5: withheld: the unknown tier decides
        "acme,2026-01-08T18:20\n"               # 6: a field missing
        "acme,18:20,call\n"                     # 7: a time without a date
        "nobody-known,2026-01-08T18:20,call\n"  # 8: no client id, number or address
        "\n"
        "acme,2026-01-09T09:00,SMS\n",          # 10: good (any case)
        encoding="utf-8")
    code, out, err = run(capsys, "replay", str(calls), "--policies", str(EXAMPLE))
    assert code == 0
    lines = [line for line in err.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[0] for line in lines] == [
        f"{calls}:{n}" for n in (3, 4, 6, 7, 8)]
    assert "unknown channel `fax`" in lines[1]
    assert "3 fields" not in lines[2] and "2 fields, the header has 3" in lines[2]
    assert "without a date" in lines[3]
    assert "3 requests decided" in out
    assert "5 bad rows skipped" in out
    assert run(capsys, "replay", str(calls), "--policies", str(EXAMPLE), "--strict")[0] == 1


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    (b"", "empty"),
    (b"\n\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV file"),
    (b"name;phone\nacme;123\n", "not a CSV file with the columns from and at"),
    (b"from,at,from\nacme,2026-01-08T10:00,x\n", "the column from appears twice"),
])
def test_unreadable_input_exits_2(capsys, tmp_path, content, message):
    path = tmp_path / "calls.csv"
    if content is not None:
        path.write_bytes(content)
    code, out, err = run(capsys, "replay", str(path), "--policies", str(EXAMPLE))
    assert code == 2
    assert message in err
    assert "Traceback" not in err and out == ""


def test_header_only_is_zero_requests(capsys, tmp_path):
    path = write_csv(tmp_path / "calls.csv", [])
    code, out, _ = run(capsys, "replay", str(path), "--policies", str(EXAMPLE))
    assert code == 0
    assert "0 requests decided" in out


def test_columns_are_passed_through_and_semicolons_read(capsys, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("\ufeffTicket;From;At;decision;Note\n"
                    "T-1;acme;2026-01-08T18:20;stale;\"Chef, wütend\"\n", encoding="utf-8")
    code, out, err = run(capsys, "replay", str(path), "--policies", str(EXAMPLE),
                         "--format", "csv")
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["Ticket", "From", "At", "Note", "decision", "client", "tier",
                       "within_hours", "next_start", "callback", "in_writing", "reason", "via"]
    assert rows[1][:5] == ["T-1", "acme", "2026-01-08T18:20", "Chef, wütend", "later"]


def test_history_simulates_the_monthly_budget(capsys, tmp_path):
    """premium: at most 3 urgent after-hours answers per client and month."""
    rows = [("stahlwerk", f"2026-01-{day:02d}T20:00", "call", "question", "urgent")
            for day in (5, 6, 7, 8)] + [("stahlwerk", "2026-02-02T20:00", "call",
                                          "question", "urgent")]
    path = write_csv(tmp_path / "calls.csv", rows)
    with_history = replayed_json(capsys, str(path), "--policies", str(EXAMPLE))
    assert [d["decision"] for d in with_history] == ["answer"] * 3 + ["later", "answer"]
    assert with_history[3]["reason"] == "tiers/premium.toml:37"  # per_month = 3
    alone = replayed_json(capsys, str(path), "--policies", str(EXAMPLE), "--no-history")
    assert [d["decision"] for d in alone] == ["answer"] * 5
    out = run(capsys, "replay", str(path), "--policies", str(EXAMPLE))[1]
    assert "extra effort            4" in out


def test_unsorted_input_is_reported(capsys, tmp_path):
    rows = [("acme", "2026-01-09T10:00", "call", "question", "normal"),
            ("acme", "2026-01-08T10:00", "call", "question", "normal")]
    path = write_csv(tmp_path / "calls.csv", rows)
    code, out, err = run(capsys, "replay", str(path), "--policies", str(EXAMPLE))
    assert code == 0
    assert f"{path}:3: warning: earlier than the row before it ({path}:2)" in err
    assert "1 rows out of time order" in out
    _, _, err = run(capsys, "replay", str(path), "--policies", str(EXAMPLE), "--no-history")
    assert "warning" not in err


def test_replay_of_the_journal_never_writes_it(capsys, tmp_path):
    journal = tmp_path / "journal"
    for at, outcome in (("2026-01-08T18:20", "missed"), ("2026-01-09T10:00", "answered")):
        code, _, err = run(capsys, "log", "--policies", str(EXAMPLE), "--from", "acme",
                           "--at", at, "--outcome", outcome, "--journal", str(journal))
        assert code == 0, err
    before = {p.name: p.read_bytes() for p in journal.iterdir()}
    new = _edited(tmp_path)
    code, out, err = run(capsys, "replay", "--journal", "2026-01", "--journal-dir",
                         str(journal), "--policies", str(EXAMPLE), "--against", str(new),
                         "--format", "json")
    assert code == 0, err
    changed = [json.loads(line) for line in out.splitlines()]
    assert [(c["at"][:16], c["old_decision"], c["new_decision"], c["outcome"])
            for c in changed] == [("2026-01-08T18:20", "later", "answer", "missed")]
    assert {p.name: p.read_bytes() for p in journal.iterdir()} == before
    code, _, err = run(capsys, "replay", "--journal", "2026-02", "--journal-dir",
                       str(journal), "--policies", str(EXAMPLE))
    assert code == 2 and "no entries for 2026-02" in err


@pytest.mark.parametrize("args, message", [
    ([], "nothing to replay"),
    (["x.csv", "--journal", "2026-01"], "not both"),
    (["--journal", "2026-13"], "is not a month"),
    (["x.csv", "--against", "/nonexistent/set"], "no such policy folder"),
])
def test_bad_arguments_exit_2(capsys, args, message):
    code, _, err = run(capsys, "replay", *args, "--policies", str(EXAMPLE))
    assert code == 2
    assert message in err


def test_a_broken_against_set_exits_2_with_its_diagnostics(capsys, tmp_path, calls):
    new = _edited(tmp_path)
    (new / "tiers" / "maintenance.toml").write_text("[hours]\nmon-fry = \"08:00-12:00\"\n",
                                                    encoding="utf-8")
    code, out, err = run(capsys, "replay", str(calls), "--policies", str(EXAMPLE),
                         "--against", str(new))
    assert code == 2
    assert "tiers/maintenance.toml:2:1: error:" in err
    assert "the --against set" in err and out == ""


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_only_on_a_terminal():
    piped = io.StringIO()
    p = Progress(1000, piped, delay=0)
    p.update(500, 500)
    p.close()
    assert piped.getvalue() == ""
    tty = _Tty()
    p = Progress(1000, tty, delay=0)
    p.update(500, 500)
    assert "500 rows" in tty.getvalue() and "50%" in tty.getvalue()
    assert "ETA" in tty.getvalue()
    p.close()
    assert tty.getvalue().endswith("\r\x1b[K")


def test_the_documented_example_file_replays_cleanly(capsys):
    calls = EXAMPLE.parent / "docs" / "examples" / "calls.csv"
    code, out, err = run(capsys, "replay", str(calls), "--policies", str(EXAMPLE), "--strict")
    assert code == 0
    assert "warning" not in err and "error" not in err  # sorted by time, every row good
    assert "21 requests decided" in out


def test_progress_hears_the_last_row_after_reading_ends(calls):
    """On a terminal the bar is updated at the end too, when the file is done (not closed)."""
    from boundaries.policy.load import load
    from boundaries.replay.input import open_csv
    from boundaries.replay.run import SetRun, replay

    source = open_csv(str(calls))
    heard: list[tuple[int, int | None]] = []
    run_ = SetRun(load(EXAMPLE).policies, "example", history=False)
    totals = replay(source, [run_], None, lambda where, msg: None,
                    progress=lambda rows, done: heard.append((rows, done)))
    assert totals.rows == len(ROWS)
    assert heard[-1] == (len(ROWS), calls.stat().st_size)

"""Issue 12, replay input and time edges: a stray quote, the real line of every input error,
short messages, and times at the ends of the supported years (`--at`, CSV rows, checks.toml).
"""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from boundaries.core.compiled import Offsets
from boundaries.policy.timeparse import TimeError, parse_at
from boundaries.replay.input import parse_instant

from .cli_helpers import run
from .conftest import EXAMPLE, ME

HEADER = "from,at,channel\n"
GOOD = "acme,2026-01-03T10:00,call\n"
SETTINGS = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
}


def replay(capsys, path: Path, *args: str) -> tuple[int, str, str]:
    return run(capsys, "replay", str(path), "--policies", str(EXAMPLE), *args)


def no_crash(code: int, err: str) -> None:
    assert code in (0, 1, 2), err
    assert "internal error" not in err and "Traceback" not in err, err


# -- defect 6: a stray quote ----------------------------------------------------------------

def test_a_stray_quote_is_reported_where_it_opens_and_stops_the_replay(capsys, tmp_path):
    lines = [GOOD] * 1000
    lines[4] = 'acme,"2026-01-03T10:00\n'  # row 5 of 1,000: line 6
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + "".join(lines), encoding="utf-8")
    code, out, err = replay(capsys, path)
    assert code == 2 and out == ""
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1
    assert f"{path}:6: unterminated quoted field" in errors[0]
    assert "996 lines to the end of the file" in errors[0]
    assert len(errors[0]) < 300 and err.count("2026-01-03T10:00") == 0
    # as CSV output: the rows before it were written, then the run stops with exit 2
    code, out, err = replay(capsys, path, "--format", "csv")
    assert code == 2 and len(out.splitlines()) == 1 + 4


def test_a_stray_quote_closed_by_another_is_reported_at_the_first(capsys, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + GOOD + 'acme,"2026-01-03T10:00,call\n' + GOOD * 10
                    + 'bob,"2026-01-03T10:00,call\n' + GOOD * 5, encoding="utf-8")
    code, out, err = replay(capsys, path)
    assert code == 2 and out == ""
    assert f"{path}:3: a quoted field in the row starting on this line runs over 12 lines " \
           "(to line 14)" in err
    assert err.count("acme") == 0


def test_a_stray_quote_in_a_long_file_stops_at_the_field_limit(capsys, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + GOOD * 3 + 'acme,2026-01-03T10:00,"call\n' + GOOD * 20_000,
                    encoding="utf-8")
    code, _, err = replay(capsys, path)
    assert code == 2
    assert f"{path}:5: a quoted field in the row starting on this line runs over" in err
    assert "without closing" in err and len(err) < 600


def test_a_quoted_cell_may_break_lines_in_a_passed_through_column(capsys, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text('from,at,channel,note\n'
                    'acme,2026-01-08T10:00,call,"two\nlines"\n'        # 2-3
                    'acme,2026-01-08T11:00,fax,x\n'                    # 4: bad channel
                    'acme,never,call,"a note\nover\nthree lines"\n'   # 5-7: bad time
                    'acme,2026-01-08T09:00,call,y\n',                 # 8: out of order
                    encoding="utf-8")
    code, out, err = replay(capsys, path, "--format", "json")
    assert code == 0, err
    decided = [json.loads(line) for line in out.splitlines()]
    assert [d["note"] for d in decided] == ["two\nlines", "y"]
    assert f"{path}:4: error: unknown channel `fax`" in err
    assert f"{path}:5: error: `never` is not an ISO 8601 date and time" in err
    assert f"{path}:8: warning: earlier than the row before it ({path}:2)" in err


def test_a_line_break_in_a_replayed_column_is_a_stray_quote(capsys, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text('from,at,channel,note\n' + 'acme,"2026-01-08T10:00\n",call,x\n' + GOOD,
                    encoding="utf-8")
    code, _, err = replay(capsys, path)
    assert code == 2
    assert f"{path}:2: a quoted field" in err and "inside a replayed column" in err


def test_a_quote_in_the_middle_of_a_cell_is_one_bad_row(capsys, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text(HEADER + GOOD + 'acme,"2026-01-03"T10:00,call\n' + GOOD, encoding="utf-8")
    code, out, err = replay(capsys, path)
    assert code == 0
    assert f"{path}:3: error: not CSV" in err and "2 requests decided" in out


def test_long_cells_are_clipped_in_every_message(capsys, tmp_path):
    path = tmp_path / "calls.csv"
    long = "x" * 5000
    path.write_text(HEADER + f"acme,{long},call\n" + f"acme,2026-01-08T10:00,{long}\n"
                    + f"{long},2026-01-08T10:00,call\n" + f"+43{long},2026-01-08T10:00,call\n"
                    + f"{long}@,2026-01-08T10:00,call\n", encoding="utf-8")
    code, _, err = replay(capsys, path)
    assert code == 0
    errors = [line for line in err.splitlines() if ": error: " in line]
    assert [e.split(": error: ")[0] for e in errors] == [f"{path}:{n}" for n in (2, 3, 4, 5, 6)]
    for line in errors:
        assert len(line) < 400 and "characters)" in line, line


def test_a_long_header_line_is_clipped(capsys, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("x" * 200_000 + "\n" + GOOD, encoding="utf-8")
    code, _, err = replay(capsys, path)
    assert code == 2 and "not a CSV file with the columns from and at" in err
    assert len(err) < 500


def test_bytes_that_are_not_utf8_name_their_line(capsys, tmp_path, monkeypatch):
    body = (HEADER + GOOD * 2998).encode() + b"acme,2026-01-03T10:00,\xff\xfe\n" \
        + GOOD.encode() * 10
    path = tmp_path / "calls.csv"
    path.write_bytes(body)
    code, out, err = replay(capsys, path)
    assert code == 2 and out == ""
    assert f"{path}:3000: not UTF-8 text" in err
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(body)))
    code, _, err = run(capsys, "replay", "-", "--policies", str(EXAMPLE))
    assert code == 2 and "<stdin>:3000: not UTF-8 text" in err


def test_a_bad_journal_entry_is_named_by_its_line(capsys, tmp_path):
    journal = tmp_path / "journal"
    for at in ("2026-01-08T18:20", "2026-01-09T10:00"):
        code, _, err = run(capsys, "log", "--policies", str(EXAMPLE), "--from", "acme",
                           "--at", at, "--outcome", "missed", "--journal", str(journal))
        assert code == 0, err
    (file,) = journal.iterdir()
    first, second = file.read_text(encoding="utf-8").splitlines()
    bad = json.loads(second)
    bad.update({"from": "nobody-known", "id": "x1", "at": "2026-01-10T10:00:00+01:00"})
    file.write_text(f"{first}\n\n{{torn\n{second}\n{json.dumps(bad)}\n", encoding="utf-8")
    code, out, err = run(capsys, "replay", "--journal", "2026-01", "--journal-dir",
                         str(journal), "--policies", str(EXAMPLE))
    assert code == 0, err
    assert f"{file}:5: error: `nobody-known` is no client id" in err
    assert "2 requests decided" in out


# -- defect 14: times outside the supported years --------------------------------------------

def _set(tmp_path: Path, timezone: str) -> Path:
    root = tmp_path / timezone.replace("/", "_")
    if not root.exists():
        (root / "tiers").mkdir(parents=True)
        (root / "me.toml").write_text(ME.replace("Europe/Vienna", timezone), encoding="utf-8")
        (root / "tiers" / "t.toml").write_text('hours = { mon-fri = "08:00-17:00" }\n',
                                               encoding="utf-8")
        (root / "clients.toml").write_text('[clients.acme]\nname = "ACME"\ntier = "t"\n',
                                           encoding="utf-8")
    return root


@pytest.mark.parametrize("timezone, at, message", [
    ("Europe/Vienna", "9999-12-31T23:00:00-05:00", "year 9999 is outside 1970–2200"),
    ("Europe/Vienna", "0001-01-01T00:30+14:00", "year 1 is outside 1970–2200"),
    ("Europe/Vienna", "2200-12-31T23:00:00-05:00", "is 2201-01-01 04:00 UTC: outside the "
                                                    "supported years 1970–2200"),
    ("Europe/Vienna", "1970-01-01T00:30+14:00", "is 1969-12-31 10:30 UTC"),
    ("Pacific/Kiritimati", "2200-12-31T20:00Z",
     "is 2201-01-01 10:00 in my timezone (Pacific/Kiritimati)"),
    ("Pacific/Pago_Pago", "1970-01-01T05:00Z", "is 1969-12-31 18:00 in my timezone"),
    ("Pacific/Pago_Pago", "2200-12-31T23:30", "is 2201-01-01 10:30 UTC"),
    ("Asia/Tokyo", "1970-01-01T00:00", "is 1969-12-31 15:00 UTC"),
    ("Europe/Vienna", "2026-01-01T00:00+24:00", "the UTC offset must be less than 24 hours"),
    ("Europe/Vienna", "x" * 5000, "(5,000 characters)"),
])
def test_a_time_outside_the_supported_years_is_refused(capsys, tmp_path, timezone, at,
                                                      message):
    policies = str(_set(tmp_path, timezone))
    code, out, err = run(capsys, "check", "--from", "acme", "--at", at, "--policies", policies)
    assert code == 2 and out == "" and message in err, err
    assert "internal error" not in err and len(err) < 400
    calls = tmp_path / "calls.csv"
    calls.write_text(f"from,at\nacme,{at}\nacme,2026-01-08T10:00\n", encoding="utf-8")
    code, out, err = run(capsys, "replay", str(calls), "--policies", policies)
    assert code == 0 and f"{calls}:2: error: " in err and message in err
    assert "1 request decided" in out


@pytest.mark.parametrize("timezone, at", [
    ("Europe/Vienna", "2200-12-31T23:59"),
    ("UTC", "2200-12-31T23:59:59.999999Z"),
    ("UTC", "1970-01-01T00:00Z"),
    ("Pacific/Pago_Pago", "1970-01-01T11:00Z"),
    ("Pacific/Kiritimati", "2200-12-31T09:59Z"),
])
def test_the_ends_of_the_supported_years_decide(capsys, tmp_path, timezone, at):
    code, out, err = run(capsys, "check", "--from", "acme", "--at", at, "--json",
                         "--policies", str(_set(tmp_path, timezone)))
    assert code == 0, err
    assert json.loads(out)["decision"] in ("answer", "later")


@pytest.mark.parametrize("at", ["9999-12-31", "0001-01-01", "2026-02-30"])
def test_week_refuses_a_day_outside_the_supported_years(capsys, at):
    code, _, err = run(capsys, "week", "--from", "acme", "--at", at, "--policies", str(EXAMPLE))
    no_crash(code, err)
    assert code == 2 and "bad --at" in err


# any text, ISO-looking text with every year, month, day, hour and offset a writer can put
_NUM = st.integers(0, 99).map(lambda n: f"{n:02d}")
_YEAR = st.sampled_from([0, 1, 1969, 1970, 2026, 2200, 2201, 9999]).map(lambda y: f"{y:04d}")
_OFFSET = st.one_of(st.just(""), st.just("Z"), st.builds(
    lambda sign, h, m: f"{sign}{h:02d}:{m:02d}", st.sampled_from("+-"), st.integers(0, 26),
    st.sampled_from([0, 30, 59, 60, 99])))
ISO_LIKE = st.builds(lambda y, mo, d, h, mi, s, off: f"{y}-{mo}-{d}T{h}:{mi}{s}{off}",
                     _YEAR, _NUM, _NUM, _NUM, _NUM,
                     st.one_of(st.just(""), _NUM.map(lambda s: f":{s}"),
                               _NUM.map(lambda s: f":{s}.999999")), _OFFSET)
AT_TEXT = st.one_of(ISO_LIKE, st.text(max_size=40),
                    st.sampled_from(["2026-W01-1T10:00", "2026-001T10:00", "20260108T1820",
                                     "18:20", "24:00", "2026-01-08", "P1D", "2026-01-08T18"]))
ZONES = ("Europe/Vienna", "Pacific/Kiritimati", "Pacific/Pago_Pago", "UTC")


@settings(max_examples=150, **SETTINGS)
@given(at=AT_TEXT, zone=st.sampled_from(ZONES))
@example(at="2026-01-01T00:00+24:00", zone="UTC")
@example(at="2200-12-31T23:00:00-05:00", zone="Europe/Vienna")
@example(at="9999-12-31T23:59:59.999999-23:59", zone="Pacific/Kiritimati")
def test_any_at_decides_or_exits_2_with_a_message(capsys, tmp_path_factory, at, zone):
    policies = _set(tmp_path_factory.getbasetemp(), zone)
    code, out, err = run(capsys, "check", "--from", "acme", f"--at={at}", "--policies",
                         str(policies))  # (`--at -:` would be an option to argparse)
    no_crash(code, err)
    if code == 0:
        assert out.startswith(("ANSWER", "LATER", "DECLINE"))
    else:
        assert code == 2 and "boundaries: error: " in err


@settings(max_examples=400, **SETTINGS)
@given(at=AT_TEXT, zone=st.sampled_from(ZONES))
@example(at="1970-01-01T00:30+14:00", zone="UTC")
@example(at="2200-12-31T23:30", zone="Pacific/Pago_Pago")
def test_a_replayed_time_is_read_as_check_reads_it(at, zone):
    tz = ZoneInfo(zone)
    now = datetime(2000, 1, 1, tzinfo=UTC)
    try:
        want: float | None = parse_at(at, tz, now).timestamp()
    except TimeError:
        want = None
    if ":" in at.strip() and "-" not in at.strip():
        want = None  # a time of day alone is refused in a replayed row
    try:
        got: float | None = parse_instant(at, Offsets(tz))
    except TimeError:
        got = None
    assert got == want or (got is not None and want is not None and abs(got - want) < 1e-6)


# -- defect 8: extreme datetimes in checks.toml ----------------------------------------------

@pytest.mark.parametrize("timezone", ["Europe/Vienna", "Pacific/Kiritimati",
                                      "Pacific/Pago_Pago"])
@pytest.mark.parametrize("key, value", [
    ("next", "9999-12-31T23:59:59Z"),
    ("next", "9999-12-31T23:59:59.999999-23:59"),
    ("next", "0001-01-01T00:00:00+23:59"),
    ("next", "2200-12-31T23:59:59"),
    ("next", "1970-01-01T00:00:00"),
    ("next", "2200-12-31T23:59:59-23:59"),
    ("at", "9999-12-31T23:59:59Z"),
    ("at", "0001-01-01T00:00:00Z"),
    ("at", "2200-12-31T23:59:59"),
    ("at", "1970-01-01T00:00:00"),
    ("at", "1970-01-01T00:00:00+23:59"),
    ("at", "2200-12-31T23:59:59.999999-23:59"),
    ("at", "2200-12-31"),
    ("at", "23:59:59"),
    ("next", "00:00:00"),
])
def test_extreme_toml_datetimes_in_checks_are_errors_or_work(capsys, tmp_path, timezone, key,
                                                             value):
    policies = _set(tmp_path, timezone)
    fields = {"at": "2026-01-08T10:00:00", key: value}
    (policies / "checks.toml").write_text(
        '[[check]]\nname = "edge"\nfrom = "acme"\nexpect = "answer"\n'
        + "".join(f"{k} = {v}\n" for k, v in fields.items()), encoding="utf-8")
    lint, lint_out, lint_err = run(capsys, "lint", "--policies", str(policies))
    no_crash(lint, lint_err)
    code, out, err = run(capsys, "test", "--policies", str(policies))
    no_crash(code, err)
    if lint:
        assert lint == 1 and code == 2
        assert f"checks.toml:{5 + (key == 'next')}:" in lint_out and ": error: " in lint_out
    else:
        assert code in (0, 1) and ("1 passed" in out or "FAIL edge" in out)


def test_a_next_outside_the_years_in_my_timezone_fails_the_check(capsys, tmp_path):
    policies = _set(tmp_path, "Pacific/Pago_Pago")
    (policies / "checks.toml").write_text(
        '[[check]]\nname = "edge"\nfrom = "acme"\nexpect = "later"\n'
        'at = 2026-01-08T18:00:00\nnext = 2200-12-31T23:30:00\n', encoding="utf-8")
    code, out, err = run(capsys, "test", "--policies", str(policies))
    assert code == 1, err
    assert "checks.toml:1: FAIL edge: bad next: `2200-12-31T23:30:00` is 2201-01-01 10:30 UTC" \
        in out

"""Issue #12, the journal: typed entries, sync conflicts, device names, the pre-filter,
month ranges, symlinked and world-readable journal files."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.widgets import DataTable

from boundaries.core.text import visible
from boundaries.journal.store import (
    append,
    conflict_copies,
    device_name,
    is_conflict_copy,
    new_id,
    read,
)

from .cli_helpers import run
from .test_engine import MAINT, PREMIUM

VIENNA = ZoneInfo("Europe/Vienna")
AT = "2026-01-07T21:00:00+01:00"
# ids that JSON escapes (quote, backslash, a control character) or may escape (non-ASCII)
ODD_IDS = ['q"x', "b\\x", "jörg", "t\tb"]
CLIENTS = """\
[clients.stahl]
name = "Stahlwerk AG"
tier = "premium"

[clients.acme]
name = "ACME"
tier = "maint"

[clients."q\\"x"]
name = "Quote"
tier = "premium"

[clients.'b\\x']
name = "Back"
tier = "premium"

[clients."jörg"]
name = "Jörg"
tier = "premium"

[clients."t\\tb"]
name = "Tab"
tier = "premium"
"""


@pytest.fixture
def pset(write_set) -> Path:
    return write_set({"tiers/premium.toml": PREMIUM, "tiers/maint.toml": MAINT,
                      "clients.toml": CLIENTS})


def good(at: str = AT, **kw) -> dict:
    return {"id": new_id(), "at": at, "sender": "client:stahl", "client": "stahl",
            "extra_effort": True, "outcome": "answered", "within_hours": False, "minutes": 10,
            **kw}


def write_lines(path: Path, items: list) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((x if isinstance(x, str) else json.dumps(x)) + "\n" for x in items),
                    encoding="utf-8")


def budget_check(capsys, pset: Path, journal: Path, who: str = "stahl") -> dict:
    code, out, err = run(capsys, "check", "--policies", str(pset), "--journal", str(journal),
                         "--from", who, "--urgency", "urgent", "--at", "2026-01-08T21:00",
                         "--json")
    assert code == 0, err
    return json.loads(out)


def budget_text(d: dict) -> str:
    """The `(N of M used in MONTH)` part of a decision's reasons."""
    return next(t[t.index("("):] for t in (r["text"] for r in d["reasons"]) if " used in " in t)


# -- 1: one schema for a journal entry, checked when reading -----------------------------------
NOTE = "E\x1b]0;PWNED\x07\x1b]52;c;aGFja2Vk\x07"
ISSUE_LINE = '{"at":"2026-12-01T10:00:00+01:00","client":["x"],"minutes":"lots","note":["x"]}'
BAD = {
    "client is a list": {"client": ["x"]},
    "minutes is text": {"minutes": "lots"},
    "minutes negative": {"minutes": -1},
    "minutes a bool": {"minutes": True},
    "minutes a fraction": {"minutes": 1.5},
    "minutes huge": {"minutes": 10**12},
    "note is a list": {"note": ["x"]},
    "reply_key is a list": {"reply_key": ["a"]},
    "sender is a number": {"sender": 7},
    "id is a number": {"id": 7},
    "within_hours is text": {"within_hours": "yes"},
    "extra_effort is 1": {"extra_effort": 1},
    "outcome unknown": {"outcome": "won"},
    "at without offset": {"at": "2026-01-07T21:00:00"},
    "at a number": {"at": 20260107},
    "at in year 1": {"at": "0001-01-01T00:00:00+01:00"},
    "at in year 9999": {"at": "9999-12-31T23:59:59-01:00"},
    "at missing": {"at": None},
}


@pytest.mark.parametrize("change", BAD.values(), ids=BAD.keys())
def test_a_wrongly_typed_line_is_a_warning_and_skipped(tmp_path, change):
    folder = tmp_path / "j"
    path = folder / "2026-01.laptop.jsonl"
    bad = {k: v for k, v in {**good(), **change}.items() if v is not None}
    write_lines(path, [good(), bad, "[1, 2]", good()])
    entries, warnings = read(folder)
    assert sorted(e.line for e in entries) == [1, 4]
    assert [w.line for w in warnings] == [2, 3]
    assert warnings[0].format().startswith(f"{path}:2: warning: entry skipped: `")
    assert warnings[1].format() == f"{path}:3: warning: entry skipped: not a JSON object"


def test_null_fields_are_missing_fields(tmp_path):
    folder = tmp_path / "j"
    write_lines(folder / "2026-01.laptop.jsonl", [good(client=None, reply_key=None, note=None)])
    (entry,), warnings = read(folder)
    assert warnings == [] and entry.client is None and "note" not in entry.data


def test_report_and_check_survive_wrongly_typed_lines(pset, tmp_path, capsys):
    j = tmp_path / "j"
    write_lines(j / "2026-01.laptop.jsonl", [
        ISSUE_LINE.replace("2026-12-01", "2026-01-05"),
        good(client=7), good(minutes="lots"), good(reply_key=["a", "b"]),
        good(sender="client:stahl", reply_key={"k": 1}), good()])
    code, out, err = run(capsys, "report", "--policies", str(pset), "--journal", str(j),
                         "--month", "2026-01", "--format", "json")
    assert code == 0, err
    assert "internal error" not in err and err.count("warning: entry skipped") == 5
    (row,) = json.loads(out)
    assert (row["client"], row["requests"], row["minutes"]) == ("stahl", 1, 10)
    d = budget_check(capsys, pset, j)
    assert budget_text(d) == "(2 of 3 used in January)"


def test_log_refuses_minutes_the_reader_would_skip(pset, tmp_path, capsys):
    code, _, err = run(capsys, "log", "--policies", str(pset), "--journal", str(tmp_path / "j"),
                       "--from", "stahl", "--outcome", "answered", "--minutes", "100001")
    assert code == 2 and "--minutes must lie in 0–100000" in err
    assert not (tmp_path / "j").exists()


def test_append_refuses_an_entry_that_does_not_fit_the_schema(tmp_path):
    with pytest.raises(ValueError, match="`minutes` must be a whole number"):
        append(tmp_path / "j", good(minutes="lots"), "2026-01")
    assert not list((tmp_path / "j").glob("*.jsonl"))


async def test_tui_starts_with_a_wrongly_typed_line_and_shows_control_characters(tmp_path):
    from boundaries.tui import make_app

    from .test_tui import DATA, EVENING
    from .tui_helpers import settle

    j = tmp_path / "journal"
    write_lines(j / "2026-01.laptop.jsonl", [
        ISSUE_LINE.replace("2026-12-01", "2026-01-05"),
        good("2026-01-06T21:00:00+01:00", note=NOTE, client="acme\x1b[2J")])
    shutil.copy(j / "2026-01.laptop.jsonl", j / "2026-01.laptop.sync-conflict-1-AB.jsonl")
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None, journal=j)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("f5")
        await pilot.pause()
        table = app.query_one("#journal-table", DataTable)
        assert table.row_count == 1  # the copy's entry counted once, the bad line skipped
        cells = [str(c) for c in table.get_row_at(0)]
        assert visible("acme\x1b[2J") in cells and visible(NOTE) in cells
        assert not any("\x1b" in c or "\x07" in c for c in cells)
        state = str(app.query_one("#journal-state").render())
        assert "entry skipped: `client` must be text" in state
        assert "1 conflict copy" in state and "2026-01.laptop.sync-conflict-1-AB.jsonl" in state
        assert "\x1b" not in str(app.query_one("#report").render())


# -- 4: sync conflict copies, each entry id once; distinct device names -------------------------
SYNCTHING = "2026-01.vm.sync-conflict-20260107-101010-ABCDEFG.jsonl"
DROPBOX = "2026-01.vm (Martin's conflicted copy 2026-01-07).jsonl"


def _log(capsys, pset: Path, j: Path, day: int, who: str = "stahl") -> None:
    code, _, err = run(capsys, "log", "--policies", str(pset), "--journal", str(j), "--from",
                       who, "--urgency", "urgent", "--at", f"2026-01-0{day}T21:00",
                       "--outcome", "answered")
    assert code == 0, err


def test_a_syncthing_conflict_copy_does_not_count_twice(pset, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BOUNDARIES_DEVICE", "vm")
    j = tmp_path / "j"
    _log(capsys, pset, j, 5)
    _log(capsys, pset, j, 6)
    shutil.copy(j / "2026-01.vm.jsonl", j / SYNCTHING)
    d = budget_check(capsys, pset, j)
    assert d["decision"] == "answer"
    assert budget_text(d) == "(3 of 3 used in January)"
    _, out, _ = run(capsys, "report", "--policies", str(pset), "--journal", str(j),
                    "--month", "2026-01", "--format", "json")
    assert json.loads(out)[0]["requests"] == 2


def test_a_dropbox_conflict_copy_is_read(pset, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BOUNDARIES_DEVICE", "vm")
    j = tmp_path / "j"
    _log(capsys, pset, j, 5)
    shutil.copy(j / "2026-01.vm.jsonl", j / DROPBOX)
    (j / "2026-01.vm.jsonl").unlink()
    _log(capsys, pset, j, 6)   # the device's file now lacks the copy's entry
    _log(capsys, pset, j, 7)
    d = budget_check(capsys, pset, j)
    assert d["decision"] == "later" and d["reasons"][0]["text"] == "budget used: 3 of 3 in January"


def test_where_names_conflict_copies_and_says_what_to_do(pset, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BOUNDARIES_DEVICE", "vm")
    j = tmp_path / "j"
    monkeypatch.setenv("BOUNDARIES_JOURNAL", str(j))
    _log(capsys, pset, j, 5)
    shutil.copy(j / "2026-01.vm.jsonl", j / SYNCTHING)
    write_lines(j / DROPBOX, [good(), good()])
    code, out, _ = run(capsys, "where", "--policies", str(pset))
    assert code == 0
    assert f"    {DROPBOX}: 2 entries only here: keep it" in out
    assert f"    {SYNCTHING}: nothing only here: delete it" in out
    assert "2026-01.vm.jsonl" not in out
    assert conflict_copies(j) == [j / DROPBOX, j / SYNCTHING]


def test_an_id_twice_with_different_content_is_a_warning(tmp_path):
    folder = tmp_path / "j"
    first = good(minutes=10)
    write_lines(folder / "2026-01.vm.jsonl", [first])
    write_lines(folder / SYNCTHING, [{**first, "minutes": 99}, first])
    entries, warnings = read(folder)
    assert [e.data["minutes"] for e in entries] == [10]
    assert [w.line for w in warnings] == [1]
    assert warnings[0].message.startswith(
        f"entry `{first['id']}` differs from the one at 2026-01.vm.jsonl:1")


@pytest.mark.parametrize(("a", "b"), [("Jörg-PC", "Jürg-PC"), ("mbp.home", "mbp.work"),
                                      ("Laptop", "laptop"), ("a" * 41, "a" * 42), ("x y", "x-y")])
def test_distinct_machines_get_distinct_device_names(monkeypatch, a, b):
    names = []
    for raw in (a, b):
        monkeypatch.setenv("BOUNDARIES_DEVICE", raw)
        names.append(device_name())
    assert names[0] != names[1]


@pytest.mark.parametrize("raw", ["laptop", "vm", "office_pc-2"])
def test_an_ordinary_device_name_stays_as_it_is(monkeypatch, raw):
    monkeypatch.setenv("BOUNDARIES_DEVICE", raw)
    assert device_name() == raw


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=60).filter(lambda s: "\0" not in s),
                min_size=2, max_size=2, unique=True))
def test_device_names_are_injective_and_make_journal_files(raws):
    names = []
    old = os.environ.get("BOUNDARIES_DEVICE")
    try:
        for raw in raws:
            os.environ["BOUNDARIES_DEVICE"] = raw
            names.append(device_name())
    finally:
        if old is None:
            os.environ.pop("BOUNDARIES_DEVICE", None)
        else:
            os.environ["BOUNDARIES_DEVICE"] = old
    assert names[0] != names[1]
    for name in names:  # a device's own file, never taken for a conflict copy
        assert len(name) <= 49 and name == name.lower()
        assert not is_conflict_copy(Path(f"2026-01.{name}.jsonl"))


# -- 7: the pre-filter never drops a line the full parse would match ---------------------------
@pytest.mark.parametrize("client", ODD_IDS)
def test_a_client_id_that_json_escapes_keeps_its_budget(pset, tmp_path, capsys, client):
    j = tmp_path / "j"
    _log(capsys, pset, j, 5, who=client)
    d = budget_check(capsys, pset, j, who=client)
    assert d["client"] == client
    assert budget_text(d) == "(2 of 3 used in January)"


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=1, max_size=12), st.booleans())
def test_the_pre_filter_keeps_every_line_the_parse_would_match(tmp_path_factory, text, ascii_):
    folder = tmp_path_factory.mktemp("j")
    line = json.dumps(good(client=text, sender=f"client:{text}"), ensure_ascii=ascii_)
    (folder / "2026-01.laptop.jsonl").write_text(line + "\n", encoding="utf-8")
    full, _ = read(folder)
    filtered, _ = read(folder, must_contain=text)
    assert [e.data for e in filtered] == [e.data for e in full]


# -- 14: months, symlinks, modes ---------------------------------------------------------------
@pytest.mark.parametrize("month", ["0000-01", "0001-01..9999-12", "1969-12", "2026-01..2201-01"])
def test_months_outside_the_supported_years_are_usage_errors(pset, tmp_path, capsys, month):
    j = str(tmp_path / "j")
    for args in (["report", "--journal", j, "--month", month],
                 ["replay", "--journal-dir", j, "--journal", month]):
        code, _, err = run(capsys, *args, "--policies", str(pset))
        assert code == 2, err
        assert "the year must lie in 1970–2200" in err and "internal error" not in err


def test_the_widest_supported_range_reports(pset, tmp_path, capsys):
    code, out, err = run(capsys, "report", "--policies", str(pset), "--journal",
                         str(tmp_path / "j"), "--month", "1970-01..2200-12")
    assert code == 0, err
    assert "no journal entries" in out


def test_a_symlinked_journal_file_is_refused_not_written_through(pset, tmp_path, capsys,
                                                                monkeypatch):
    monkeypatch.setenv("BOUNDARIES_DEVICE", "vm")
    j = tmp_path / "j"
    j.mkdir(mode=0o700)
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me\n")
    (j / "2026-01.vm.jsonl").symlink_to(target)
    code, _, err = run(capsys, "log", "--policies", str(pset), "--journal", str(j), "--from",
                       "stahl", "--at", "2026-01-05T21:00", "--outcome", "answered")
    assert code == 2 and "symbolic link" in err and "internal error" not in err
    assert target.read_text() == "keep me\n" and (j / "2026-01.vm.jsonl").is_symlink()


def test_a_readable_journal_file_becomes_private_when_appended_to(tmp_path, monkeypatch):
    monkeypatch.setenv("BOUNDARIES_DEVICE", "vm")
    path = tmp_path / "j" / "2026-01.vm.jsonl"
    write_lines(path, [good()])
    path.chmod(0o644)
    append(path.parent, good(), "2026-01")
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(read(path.parent)[0]) == 2


def test_a_fifo_among_the_journal_files_is_a_warning_not_a_hang(tmp_path, monkeypatch):
    folder = tmp_path / "j"
    write_lines(folder / "2026-01.vm.jsonl", [good()])
    os.mkfifo(folder / "2026-01.pipe.jsonl")
    entries, warnings = read(folder)
    assert len(entries) == 1
    assert [w.format() for w in warnings] == [
        f"{folder / '2026-01.pipe.jsonl'}:1: warning: cannot read: not a regular file"]
    monkeypatch.setenv("BOUNDARIES_DEVICE", "pipe")
    with pytest.raises(OSError, match="not a regular file"):
        append(folder, good(), "2026-01")


def test_a_journal_warning_shows_control_characters(tmp_path):
    folder = tmp_path / "j"
    name = "2026-01.vm\x1b]0;PWNED\x07.jsonl"
    write_lines(folder / name, ["{torn"])
    (w,) = read(folder)[1]
    assert w.format() == visible(f"{folder / name}:1: warning: corrupt entry skipped")
    assert "\x1b" not in w.format() and "\x07" not in w.format()


def test_entries_in_time_order_across_files(tmp_path):
    folder = tmp_path / "j"
    write_lines(folder / "2026-01.b.jsonl", [good("2026-01-02T10:00:00+01:00")])
    write_lines(folder / "2026-01.a.jsonl", [good("2026-01-03T10:00:00+01:00")])
    entries, _ = read(folder)
    assert [e.at for e in entries] == [datetime(2026, 1, 2, 10, tzinfo=VIENNA),
                                       datetime(2026, 1, 3, 10, tzinfo=VIENNA)]


@pytest.mark.parametrize("command", [
    ["check", "--from", "acme", "--at", "2026-01-08T18:20"],
    ["log", "--from", "acme", "--at", "2026-01-08T18:20", "--outcome", "missed"],
    ["report", "--month", "2026-01"]])
def test_an_empty_journal_folder_is_a_usage_error(capsys, monkeypatch, tmp_path, command):
    # `--journal ''` must not fall through to $BOUNDARIES_JOURNAL (and write there)
    other = tmp_path / "other"
    monkeypatch.setenv("BOUNDARIES_JOURNAL", str(other))
    example = Path(__file__).resolve().parent.parent / "policies"
    code, _, err = run(capsys, *command, "--policies", str(example), "--journal", "")
    assert code == 2 and "--journal needs a folder" in err
    assert not other.exists()

"""The command line around calendars (issue #14 parts 6 and 8): `lint` reports unreadable
calendars and events it cannot understand, `where` lists them, `check`, `week`, `test` and
`replay` still decide without a broken one and say so on stderr, `init --calendar` writes the
`[[calendars]]` table. Run through `main()` as a user runs the command, with the calendar
cache in a temporary folder."""

from __future__ import annotations

import io
import json
import os
import shutil
from pathlib import Path

import pytest

from boundaries.cli.main import main
from boundaries.core.model import CalendarRef
from boundaries.policy.checks import run_checks
from boundaries.service import load_set

from .cli_helpers import run

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "policies"
EXAMPLE_CALENDARS = ("client-visit.ics", "jour-fixe.ics", "vacation.ics")

# an event without DTSTART: cannot be understood, left out; its BEGIN:VEVENT is line 4
BROKEN = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\n"
          "UID:broken@test.example\r\nDTSTAMP:20261201T090000Z\r\nSUMMARY:Kaputt\r\n"
          "END:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The compiled and calendar caches on, in a folder of this test's own."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("BOUNDARIES_CACHE", str(folder))
    monkeypatch.setenv("BOUNDARIES_JOURNAL", str(tmp_path / "journal"))
    return folder


@pytest.fixture
def example(tmp_path: Path) -> Path:
    """A copy of the example set with its three calendar files (a weekly Jour fixe from
    2027-01-05 10:00, a client visit, a vacation): only these, whatever else is added."""
    root = tmp_path / "policies"
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("*.ics"))
    for name in EXAMPLE_CALENDARS:
        shutil.copy(EXAMPLE / "calendars" / name, root / "calendars" / name)
    return root


def path_key(root: Path) -> tuple[int, int]:
    """Line and column of the value of the first `path =` in me.toml (1-based)."""
    for n, line in enumerate((root / "me.toml").read_text("utf-8").splitlines(), 1):
        if line.startswith("path"):
            return n, line.index('"') + 1
    raise AssertionError("no path key")


def set_calendar_path(root: Path, path: str) -> None:
    me = root / "me.toml"
    text = me.read_text("utf-8").replace('path = "calendars"', f'path = "{path}"')
    me.write_text(text, "utf-8")


# -- lint ------------------------------------------------------------------------------------
def test_lint_warns_at_the_broken_events_line_and_the_good_files_still_count(example, capsys):
    (example / "calendars" / "broken.ics").write_bytes(BROKEN.encode())
    code, out, err = run(capsys, "lint", "--policies", str(example))
    assert code == 0, out + err  # a warning, not an error
    assert "calendars/broken.ics:4:1: warning: cannot understand the event" in out
    assert out.splitlines()[-1] == "0 errors, 1 warning"
    # the rest of the calendar still decides
    code, out, _ = run(capsys, "check", "--policies", str(example), "--from", "acme",
                       "--at", "2027-01-05T10:15", "--json")
    assert code == 0 and json.loads(out)["busy"]["source"] == "calendars/jour-fixe.ics:22"


def test_lint_json_carries_the_calendar_warning_and_a_second_run_reads_the_cache(example,
                                                                                  capsys):
    (example / "calendars" / "broken.ics").write_bytes(BROKEN.encode())
    first = run(capsys, "lint", "--policies", str(example), "--json")
    second = run(capsys, "lint", "--policies", str(example), "--json")
    assert first == second
    found = [d for d in json.loads(first[1]) if d["path"].endswith(".ics")]
    assert found == [{"path": "calendars/broken.ics", "line": 4, "col": 1,
                      "severity": "warning", "hint": None,
                      "message": found[0]["message"]}]
    assert "DTSTART" in found[0]["message"]


def test_lint_missing_calendar_is_an_error_at_the_path_key(example, capsys):
    set_calendar_path(example, "nowhere")
    line, col = path_key(example)
    code, out, _ = run(capsys, "lint", "--policies", str(example))
    assert code == 1
    assert f"me.toml:{line}:{col}: error: calendar `nowhere` cannot be read" in out
    assert "hint:" in out and out.splitlines()[-1] == "1 error, 0 warnings"
    code, out, _ = run(capsys, "lint", "--policies", str(example), "--json")
    assert code == 1
    [d] = json.loads(out)
    assert (d["path"], d["line"], d["col"], d["severity"]) == ("me.toml", line, col, "error")


def test_lint_ok_line_counts_the_calendars(example, capsys):
    code, out, _ = run(capsys, "lint", "--policies", str(example))
    assert code == 0 and out == f"ok: {example} — no problems (7 tiers, 1 calendar)\n"


def test_lint_empty_vdir_is_a_warning(example, capsys):
    shutil.rmtree(example / "calendars")
    (example / "calendars").mkdir()
    code, out, _ = run(capsys, "lint", "--policies", str(example))
    line, col = path_key(example)
    assert code == 0 and f"me.toml:{line}:{col}: warning: calendar `calendars` holds no" in out


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_lint_says_on_a_terminal_that_it_reads_many_calendar_files(example, monkeypatch):
    from boundaries.cli import lint

    ps = load_set(example).policies
    monkeypatch.setattr(lint, "PARSE_NOTICE", 3)
    term = _Terminal()
    assert lint.calendar_problems(ps, term) == []
    shown = term.getvalue()
    assert "reading 3 calendar files (once: the cache keeps what it finds)" in shown
    assert shown.endswith("\r\x1b[K")  # the line is cleared when done
    again = _Terminal()  # parsed now: nothing left to say
    assert lint.calendar_problems(ps, again) == [] and again.getvalue() == ""
    piped = io.StringIO()  # not a terminal: never
    monkeypatch.setenv("BOUNDARIES_CACHE", "off")
    assert lint.calendar_problems(ps, piped) == [] and piped.getvalue() == ""


# -- where -----------------------------------------------------------------------------------
def test_where_lists_each_calendar_with_its_counts(example, capsys):
    code, out, _ = run(capsys, "where", "--policies", str(example))
    assert code == 0
    assert "calendars:  1, in me.toml" in out
    assert f"  calendars  → {(example / 'calendars').resolve()}" in out
    assert "    folder: 3 .ics files, 3 events · timed: busy · all-day: away" in out


def test_where_says_why_a_calendar_cannot_be_read(example, capsys, tmp_path):
    ics = tmp_path / "one.ics"
    ics.write_bytes((EXAMPLE / "calendars" / "client-visit.ics").read_bytes())
    me = example / "me.toml"
    me.write_text(me.read_text("utf-8") + f'\n[[calendars]]\npath = "{ics}"\n'
                  '\n[[calendars]]\npath = "gone.ics"\n', "utf-8")
    code, out, _ = run(capsys, "where", "--policies", str(example))
    assert code == 0 and "calendars:  3, in me.toml" in out
    assert f"  {ics}\n    file: 1 .ics file, 1 event" in out
    assert "  gone.ics  → " in out and "    cannot be read: " in out and "does not exist" in out


def test_where_without_calendars_says_how_to_add_one(tmp_path, capsys):
    root = tmp_path / "s"
    assert run(capsys, "init", str(root), "--timezone", "UTC", "--yes")[0] == 0
    code, out, _ = run(capsys, "where", "--policies", str(root))
    assert code == 0 and "calendars:  none (add a [[calendars]] table to me.toml" in out


# -- the commands that decide say so on stderr -----------------------------------------------
def test_check_with_a_missing_calendar_still_decides_and_says_so(example, capsys):
    shutil.rmtree(example / "calendars")
    line, col = path_key(example)
    code, out, err = run(capsys, "check", "--policies", str(example), "--from", "acme",
                         "--at", "2027-01-05T10:15")
    assert code == 0
    assert out.startswith("ANSWER  acme")  # the Jour fixe is gone with its calendar
    assert (f"me.toml:{line}:{col}: warning: calendar `calendars` cannot be read: " in err
            and "decisions go on without it" in err)
    code, out, err = run(capsys, "check", "--policies", str(example), "--from", "acme",
                         "--at", "2027-01-05T10:15", "--json")
    assert code == 0 and json.loads(out)["busy"] is None and "cannot be read" in err


def test_week_and_test_with_a_broken_calendar_say_so(example, capsys):
    set_calendar_path(example, "missing/cal.ics")
    code, _, err = run(capsys, "week", "--policies", str(example), "--tier", "maintenance",
                       "--at", "2027-01-04")
    assert code == 0 and "warning: calendar `missing/cal.ics` cannot be read" in err
    code, _, err = run(capsys, "test", "--policies", str(example))
    assert "warning: calendar `missing/cal.ics` cannot be read" in err
    assert "Traceback" not in err


def test_good_calendars_say_nothing_on_stderr(example, capsys):
    code, _, err = run(capsys, "check", "--policies", str(example), "--from", "acme",
                       "--at", "2027-01-05T10:15")
    assert code == 0 and err == ""


# -- replay ----------------------------------------------------------------------------------
def test_replay_decides_busy_rows_from_the_calendar(example, capsys, tmp_path):
    calls = tmp_path / "calls.csv"
    calls.write_text("from,at\nacme,2027-01-05T10:15\nacme,2027-01-05T11:15\n", "utf-8")
    code, out, err = run(capsys, "replay", str(calls), "--policies", str(example),
                         "--format", "csv")
    assert code == 0 and err == ""
    rows = [line.split(",") for line in out.splitlines()]
    header = rows[0]
    inside, after = (dict(zip(header, r, strict=True)) for r in rows[1:])
    assert inside["decision"] == "later"
    assert inside["reason"] == "calendars/jour-fixe.ics:22"
    assert inside["next_start"] == "2027-01-05T11:00:00+01:00"
    assert after["decision"] == "answer"


def test_replay_against_a_set_whose_calendar_is_missing_names_that_set(example, capsys,
                                                                      tmp_path):
    edited = tmp_path / "edited"
    shutil.copytree(example, edited)
    shutil.rmtree(edited / "calendars")
    calls = tmp_path / "calls.csv"
    calls.write_text("from,at\nacme,2027-01-05T10:15\n", "utf-8")
    line, col = path_key(edited)
    code, out, err = run(capsys, "replay", str(calls), "--policies", str(example),
                         "--against", str(edited))
    assert code == 0
    assert f"{edited}/me.toml:{line}:{col}: warning: calendar `calendars` cannot be read" in err
    assert "later → answer  ·  1 request" in out


# -- init --calendar -------------------------------------------------------------------------
def init(capsys, root: Path, *more: str) -> tuple[int, str, str]:
    return run(capsys, "init", str(root), "--timezone", "Europe/Vienna", "--locale", "de",
               "--name", "Martin Huber", "--yes", *more)


def test_init_calendar_writes_a_table_that_loads_and_lints_clean(tmp_path, capsys):
    vdir = tmp_path / "cal" / "work"
    vdir.mkdir(parents=True)
    for name in EXAMPLE_CALENDARS:
        shutil.copy(EXAMPLE / "calendars" / name, vdir / name)
    root = tmp_path / "mine"
    code, out, err = init(capsys, root, "--calendar", str(vdir))
    assert code == 0 and err == "" and "boundaries where --policies" in out
    result = load_set(root)
    assert result.diagnostics == ()
    ps = result.policies
    assert [(c.path, c.timed, c.all_day) for c in ps.me.calendars] == [
        (str(vdir), "busy", "away")]
    assert ps.calendar.problems == ()
    code, out, _ = run(capsys, "lint", "--policies", str(root))
    assert code == 0 and out == f"ok: {root} — no problems (3 tiers, 1 calendar)\n"
    assert all(r.passed for r in run_checks(ps))
    # the calendar decides: the example Jour fixe
    code, out, _ = run(capsys, "check", "--policies", str(root), "--from", "example",
                       "--at", "2027-01-05T10:15", "--json")
    decided = json.loads(out)
    assert decided["decision"] == "later" and decided["reply"]["key"] == "busy"
    assert decided["busy"]["source"] == f"{vdir}/jour-fixe.ics:22"


def test_init_calendar_keeps_a_tilde_and_makes_a_relative_path_absolute(tmp_path, capsys,
                                                                       monkeypatch):
    home = tmp_path / "home"
    (home / "cals").mkdir(parents=True)
    shutil.copy(EXAMPLE / "calendars" / "vacation.ics", home / "cals" / "vacation.ics")
    shutil.copy(EXAMPLE / "calendars" / "client-visit.ics", home / "visit.ics")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home)
    root = tmp_path / "mine"
    code, _, err = init(capsys, root, "--calendar", "~/cals", "--calendar", "visit.ics")
    assert code == 0, err
    ps = load_set(root).policies
    assert [c.path for c in ps.me.calendars] == ["~/cals", str(home / "visit.ics")]
    assert ps.calendar.problems == ()
    code, out, _ = run(capsys, "lint", "--policies", str(root))
    assert code == 0 and "2 calendars" in out


def test_init_refuses_a_calendar_that_does_not_exist_and_writes_nothing(tmp_path, capsys):
    root = tmp_path / "mine"
    code, out, err = init(capsys, root, "--calendar", str(tmp_path / "nope.ics"))
    assert code == 2 and out == ""
    assert "boundaries: error: cannot use the calendar: " in err and "does not exist" in err
    assert "hint: " in err and "[[calendars]]" in err
    assert not root.exists()


def test_init_refuses_a_folder_of_calendars_and_names_one(tmp_path, capsys):
    parent = tmp_path / "calendars"  # vdirsyncer's layout: one subfolder per calendar
    (parent / "work").mkdir(parents=True)
    shutil.copy(EXAMPLE / "calendars" / "jour-fixe.ics", parent / "work" / "jour-fixe.ics")
    (parent / "private").mkdir()
    (parent / "private" / "x.ics").write_bytes(BROKEN.encode())
    code, _, err = init(capsys, tmp_path / "mine", "--calendar", str(parent))
    assert code == 2 and "holds calendars, not events" in err
    assert f"--calendar {parent}/private" in err and not (tmp_path / "mine").exists()


def test_init_writes_an_empty_vdir_with_a_warning(tmp_path, capsys):
    vdir = tmp_path / "not-synced-yet"
    vdir.mkdir()
    root = tmp_path / "mine"
    code, _, err = init(capsys, root, "--calendar", str(vdir))
    assert code == 0 and "holds no .ics files yet; written anyway" in err
    assert [c.path for c in load_set(root).policies.me.calendars] == [str(vdir)]


def test_init_sets_its_checks_on_a_day_the_calendar_leaves_free(tmp_path, capsys):
    # a meeting every second Wednesday of January at 10:00: the day the starter's checks
    # would be set on (the first Wednesday from 8 January), every year
    cal = tmp_path / "meeting.ics"
    cal.write_text(
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Test//EN\r\nBEGIN:VEVENT\r\n"
        "UID:yearly@test.example\r\nDTSTAMP:20261201T090000Z\r\nSUMMARY:Jahresplanung\r\n"
        "DTSTART;TZID=Europe/Vienna:20200108T093000\r\n"
        "DTEND;TZID=Europe/Vienna:20200108T113000\r\n"
        "RRULE:FREQ=YEARLY;BYMONTH=1;BYDAY=2WE\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", "utf-8")
    plain, mine = tmp_path / "plain", tmp_path / "mine"
    assert init(capsys, plain)[0] == 0
    assert init(capsys, mine, "--calendar", str(cal))[0] == 0

    def first_at(root: Path) -> str:
        line = next(x for x in (root / "checks.toml").read_text("utf-8").splitlines()
                    if x.startswith("at = "))
        return line.split('"')[1]

    assert first_at(mine) != first_at(plain)
    code, out, _ = run(capsys, "test", "--policies", str(mine))
    assert code == 0 and out.endswith(" passed, 0 failed\n")


def test_init_asks_for_a_calendar_on_a_terminal(tmp_path, capsys, monkeypatch):
    ics = tmp_path / "work.ics"
    shutil.copy(EXAMPLE / "calendars" / "client-visit.ics", ics)
    answers = iter(["Martin Huber", "Europe/Vienna", "de", "", str(ics)])
    prompts: list[str] = []

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("builtins.input", ask)
    monkeypatch.setattr("sys.stdin.isatty", lambda: True, raising=False)
    monkeypatch.setattr("sys.stdout.isatty", lambda: True, raising=False)
    root = tmp_path / "mine"
    code = main(["init", str(root)])
    capsys.readouterr()
    assert code == 0
    assert "calendar" in prompts[-1] and ".ics" in prompts[-1]
    assert [c.path for c in load_set(root).policies.me.calendars] == [str(ics)]


def test_starter_without_a_calendar_shows_how_to_add_one(tmp_path, capsys):
    root = tmp_path / "mine"
    assert init(capsys, root)[0] == 0
    text = (root / "me.toml").read_text("utf-8")
    assert "# [[calendars]]" in text and load_set(root).policies.me.calendars == ()
    assert "busy = " in (root / "replies" / "de.toml").read_text("utf-8")


# -- help ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("command", "words"), [
    (["init"], ["--calendar PATH", "vdir", "repeatable"]),
    (["where"], ["calendars", "events"]),
    (["lint"], ["calendars", "warning at its line"]),
])
def test_help_tells_about_calendars(capsys, command, words):
    code, out, _ = run(capsys, *command, "--help")
    flat = " ".join(out.split())
    assert code == 0 and all(w in flat for w in words), flat


def test_calendar_ref_as_written_by_init_is_what_the_loader_reads(tmp_path, capsys):
    ics = tmp_path / "a.ics"
    shutil.copy(EXAMPLE / "calendars" / "vacation.ics", ics)
    root = tmp_path / "mine"
    assert init(capsys, root, "--calendar", str(ics))[0] == 0
    [ref] = load_set(root).policies.me.calendars
    line, col = path_key(root)
    assert ref == CalendarRef(str(ics), "busy", "away", f"me.toml:{line}:{col}")
    assert os.stat(root / "me.toml").st_mode & 0o077 == 0

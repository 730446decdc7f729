"""The TUI with my calendars (sources.md §6, issue #14 parts 6 and 7): the event behind a
busy or away verdict on the Ask pane, busy half hours and the week's events on the Week
pane, F6 hiding every event summary, an unreadable calendar in the header, and live reload
when a calendar file is added, edited or removed. Pilot tests, fixed clock and size."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import DataTable, Input, TextArea

from boundaries.tui import make_app
from boundaries.tui.reload import calendar_stamp

from .tui_helpers import settle

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "policies"
DATA = Path(__file__).parent / "data" / "tui"
VIENNA = ZoneInfo("Europe/Vienna")
JOUR_FIXE = datetime(2027, 1, 5, 10, 15, tzinfo=VIENNA)  # Tuesday, in the weekly Jour fixe
THURSDAY = datetime(2027, 1, 7, 10, 15, tzinfo=VIENNA)   # nothing in the calendar
SKIING = datetime(2027, 2, 16, 10, 15, tzinfo=VIENNA)    # the all-day vacation, 15–19 Feb


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BOUNDARIES_CACHE", str(tmp_path / "cache"))


@pytest.fixture
def example(tmp_path) -> Path:
    """A copy of the example set (its calendars: policies/calendars, a vdir)."""
    root = tmp_path / "set"
    shutil.copytree(EXAMPLE, root)
    return root


def app_for(root: Path, clock: datetime, who: str = "acme"):
    return make_app(root, clock=lambda: clock, watch_interval=None, who=who)


def shown(app, wid: str) -> str:
    return str(app.query_one(wid).render())


def screen_text(app) -> str:
    """Everything on the screen as plain text (the compositor's full frame)."""
    raw = app.screen._compositor.render_update(full=True).render_segments(app.console)
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07", "", raw)


def reasons(app) -> list[str]:
    options = app.query_one("#reasons")
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def reload_now(app, pilot) -> None:
    app.poll_files()  # what the watcher's timer calls
    await app.workers.wait_for_complete()
    await settle(app, pilot)


def ics(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *lines,
                        "END:VCALENDAR", ""])


def event(uid: str, summary: str, start: str, end: str, *more: str) -> str:
    return ics("BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20261201T000000Z", f"SUMMARY:{summary}",
               f"DTSTART;TZID=Europe/Vienna:{start}", f"DTEND;TZID=Europe/Vienna:{end}",
               *more, "END:VEVENT")


# -- Ask -----------------------------------------------------------------------------------
async def test_a_busy_verdict_shows_the_event_and_the_window_after_it(example):
    app = app_for(example, JOUR_FIXE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert shown(app, "#verdict") == "◷ LATER"
        assert shown(app, "#event") == \
            "× busy until 11:00 · Jour fixe  calendars/jour-fixe.ics:22"
        assert app.query_one("#event").display
        nxt = shown(app, "#next")
        assert "reachable now" not in nxt and "11:00–12:00" in nxt
        assert reasons(app)[0].startswith("▸ busy until 11:00: Jour fixe")


async def test_f6_hides_the_event_summary_everywhere_on_the_ask_pane(example):
    app = app_for(example, JOUR_FIXE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "Jour fixe" in screen_text(app)
        await pilot.press("f6")
        await pilot.pause()
        assert "Jour fixe" not in screen_text(app)
        assert shown(app, "#event") == "× busy until 11:00 · •••  calendars/jour-fixe.ics:22"
        assert reasons(app)[0].startswith("▸ busy until 11:00: ••• (2027-01-05 10:00–11:00")
        assert all("Jour fixe" not in r for r in reasons(app))
        await pilot.press("f6")
        await pilot.pause()
        assert "Jour fixe" in shown(app, "#event")


async def test_time_off_from_a_calendar_is_its_event_and_f6_hides_it(example):
    app = app_for(example, SKIING)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert shown(app, "#verdict") == "◷ LATER"
        assert shown(app, "#event") == \
            "✈ away until 2027-02-20 · Skiurlaub  calendars/vacation.ics:4"
        assert "✈ away:" not in shown(app, "#badges")  # said once, as the event
        await pilot.press("f6")
        await pilot.pause()
        text = screen_text(app)
        assert "Skiurlaub" not in text and "✈ away until 2027-02-20 · •••" in text
        assert "Skiurlaub" not in app.query_one("#reply", TextArea).text  # never in a reply


async def test_away_from_me_toml_keeps_its_badge_and_shows_no_event(example):
    app = app_for(example, datetime(2026, 8, 5, 10, 0, tzinfo=VIENNA))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "✈ away: Sommerurlaub" in shown(app, "#badges")
        assert not app.query_one("#event").display


async def test_an_away_summary_with_a_client_name_is_hidden_by_f6(example):
    (example / "calendars" / "vacation.ics").unlink()
    (example / "calendars" / "oof.ics").write_text(event(
        "oof", "Bei ACME Abrechnung GmbH vor Ort", "20270107T080000", "20270107T120000",
        "X-MICROSOFT-CDO-BUSYSTATUS:OOF"))
    app = app_for(example, THURSDAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "Bei ACME Abrechnung GmbH vor Ort" in shown(app, "#event")
        await pilot.press("f6")
        await pilot.pause()
        assert "vor Ort" not in screen_text(app)


async def test_a_set_without_calendars_shows_no_event_line():
    app = make_app(DATA, clock=lambda: JOUR_FIXE, watch_interval=None, who="acme")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert not app.query_one("#event").display
        assert "calendar" not in app.sub_title


# -- Week ----------------------------------------------------------------------------------
async def test_the_week_marks_busy_half_hours_and_lists_the_events(example):
    app = app_for(example, JOUR_FIXE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.week_of("client:acme")
        await pilot.pause()
        grid = shown(app, "#week-grid").splitlines()
        tue = next(ln for ln in grid if "Tue 05.01" in ln)
        assert tue[11:59][20:22] == "│×"  # 10:00–11:00 busy; the now marker sits on 10:15
        assert "× busy (calendar)" in shown(app, "#legend")
        events = shown(app, "#week-events")
        assert "busy Tue 05.01 10:00–11:00 Jour fixe (calendars/jour-fixe.ics:22)" in events
        await pilot.press("f6")
        await pilot.pause()
        assert "busy Tue 05.01 10:00–11:00 ••• (calendars/jour-fixe.ics:22)" in \
            shown(app, "#week-events")
        assert "Jour fixe" not in screen_text(app)


async def test_the_week_shows_a_calendars_time_off_like_an_away_day(example):
    app = app_for(example, datetime(2027, 2, 15, 9, 0, tzinfo=VIENNA))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.week_of("tier:maintenance")
        await pilot.pause()
        grid = shown(app, "#week-grid").splitlines()
        for label in ("Tue 16.02", "Fri 19.02"):
            line = next(ln for ln in grid if label in ln)
            assert line.endswith("away (calendar)") and "█" not in line
        assert "away Mon 15.02–Fri 19.02 Skiurlaub" in shown(app, "#week-events")
        assert "Skiurlaub" not in "\n".join(grid)  # the grid itself never holds a summary


async def test_a_week_without_events_has_no_list():
    app = make_app(DATA, clock=lambda: JOUR_FIXE, watch_interval=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("f2")
        await pilot.pause()
        assert not app.query_one("#week-events").display
        assert "×" not in shown(app, "#legend")


# -- a calendar that cannot be read ---------------------------------------------------------
def _add_missing_calendar(root: Path) -> None:
    with (root / "me.toml").open("a", encoding="utf-8") as f:
        f.write('\n[[calendars]]\npath = "calendars/work.ics"\n')


async def test_the_header_and_a_toast_say_a_calendar_cannot_be_read(example):
    _add_missing_calendar(example)
    app = app_for(example, JOUR_FIXE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "⚠ calendar calendars/work.ics unreadable — deciding without it" \
            in app.sub_title
        told = [n.message for n in app._notifications if "calendars/work.ics" in n.message]
        assert len(told) == 1 and "cannot be read" in told[0]
        assert shown(app, "#verdict") == "◷ LATER"  # the other calendar still decides
        table = app.query_one("#problem-table", DataTable)
        rows = [str(table.get_cell_at((i, 0))) for i in range(table.row_count)]
        assert any(r.startswith("me.toml:") for r in rows)
        # a reload while it stays missing does not tell it again
        (example / "clients.toml").write_text((example / "clients.toml").read_text() + "\n")
        await reload_now(app, pilot)
        assert sum("calendars/work.ics" in n.message for n in app._notifications) == 1
        assert "unreadable" in app.sub_title
        # once it exists, the header clears
        (example / "calendars" / "work.ics").write_text(ics())
        await reload_now(app, pilot)
        assert "unreadable" not in app.sub_title


async def test_two_unreadable_calendars_are_counted_in_the_header(example):
    _add_missing_calendar(example)
    with (example / "me.toml").open("a", encoding="utf-8") as f:
        f.write('\n[[calendars]]\npath = "nowhere"\n')
    app = app_for(example, JOUR_FIXE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "⚠ 2 calendars unreadable — deciding without them" in app.sub_title


# -- live reload ----------------------------------------------------------------------------
async def test_a_new_file_in_the_vdir_changes_the_verdict_and_removing_it_changes_it_back(
        example):
    app = app_for(example, THURSDAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert shown(app, "#verdict") == "✔ ANSWER"
        new = example / "calendars" / "call.ics"
        new.write_text(event("call", "Telefonat Steuerberater", "20270107T100000",
                             "20270107T103000"))
        await reload_now(app, pilot)
        assert shown(app, "#verdict") == "◷ LATER"
        assert shown(app, "#event") == \
            "× busy until 10:30 · Telefonat Steuerberater  calendars/call.ics:4"
        assert any(n.message == "Calendars reloaded." for n in app._notifications)
        new.unlink()
        await reload_now(app, pilot)
        assert shown(app, "#verdict") == "✔ ANSWER"
        assert not app.query_one("#event").display


async def test_an_edited_event_moves_the_verdict(example):
    app = app_for(example, JOUR_FIXE)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert shown(app, "#verdict") == "◷ LATER"
        jf = example / "calendars" / "jour-fixe.ics"
        jf.write_text(jf.read_text().replace("T100000", "T140000").replace("T110000",
                                                                           "T150000"))
        await reload_now(app, pilot)
        assert shown(app, "#verdict") == "✔ ANSWER"


async def test_a_single_file_calendar_reloads_when_it_is_replaced(example):
    me = example / "me.toml"
    me.write_text(me.read_text().replace('path = "calendars"', 'path = "calendars/one.ics"'))
    (example / "calendars" / "one.ics").write_text(ics())
    app = app_for(example, THURSDAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert shown(app, "#verdict") == "✔ ANSWER"
        tmp = example / "calendars" / ".one.ics.tmp"  # a sync writes aside, then renames
        tmp.write_text(event("m", "Meeting", "20270107T100000", "20270107T110000"))
        os.replace(tmp, example / "calendars" / "one.ics")
        await reload_now(app, pilot)
        assert shown(app, "#verdict") == "◷ LATER"


async def test_with_broken_policies_the_last_good_set_still_follows_the_calendar(example):
    app = app_for(example, THURSDAY)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        clients = example / "clients.toml"
        clients.write_text(clients.read_text() + "\n[clients.broken\n")
        await reload_now(app, pilot)
        assert app.stale and shown(app, "#verdict") == "✔ ANSWER"
        (example / "calendars" / "call.ics").write_text(
            event("call", "Telefonat", "20270107T100000", "20270107T103000"))
        await reload_now(app, pilot)
        assert app.stale and shown(app, "#verdict") == "◷ LATER"
        assert "Telefonat" in shown(app, "#event")


async def test_the_preloaded_sets_calendars_are_stamped_after_the_first_frame(example):
    from boundaries.service import load_set

    load_set(example)  # the compiled cache is warm: the next start reads it before the UI
    app = app_for(example, THURSDAY)
    assert app._preloaded is not None  # read before the UI started (a warm start)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app._calendar_stamp == calendar_stamp(app.policies) != ()
        (example / "calendars" / "x.ics").write_text(
            event("x", "X", "20270107T100000", "20270107T110000"))
        await reload_now(app, pilot)
        assert shown(app, "#verdict") == "◷ LATER"


def test_the_calendar_stamp_sees_files_not_reads(example):
    from boundaries.policy.load import load

    ps = load(example).policies
    before = calendar_stamp(ps)
    assert before == calendar_stamp(ps)
    (example / "calendars" / "jour-fixe.ics").read_bytes()  # reading is no change
    (example / "calendars" / ".hidden.ics").write_text("x")  # a sync's temporary file
    (example / "calendars" / "notes.txt").write_text("x")  # not a calendar file
    assert calendar_stamp(ps) == before
    (example / "calendars" / "new.ICS").write_text(ics())
    assert calendar_stamp(ps) != before
    assert calendar_stamp(None) == ()


# -- the first frame ------------------------------------------------------------------------
FIRST_FRAME = """
import json, os, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from textual.app import App
from boundaries.tui import make_app

clock = datetime(2027, 1, 5, 10, 15, tzinfo=ZoneInfo("Europe/Vienna"))
_display = App._display

def watching(self, screen, renderable):
    _display(self, screen, renderable)
    if renderable is not None and hasattr(renderable, "render_segments"):
        if "LATER" in renderable.render_segments(self.console):
            print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in
                                    ("icalendar", "recurring_ical_events"))), flush=True)
            os._exit(0)

App._display = watching
make_app(sys.argv[1], clock=lambda: clock, watch_interval=None, who="acme").run(headless=True)
"""


async def test_the_first_frame_with_a_warm_calendar_cache_imports_no_ical_library(example,
                                                                                     tmp_path):
    app = app_for(example, JOUR_FIXE)  # warms the compiled set and the calendar's months
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert shown(app, "#verdict") == "◷ LATER"
    env = {**os.environ, "BOUNDARIES_CACHE": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-c", FIRST_FRAME, str(example)], env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.stdout.strip() == "[]", done.stderr[-2000:]


# -- snapshots (a small set of its own, so the pictures do not follow the example set) ---------
def _snapshot_set(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "set"
    shutil.copytree(DATA, root)
    with (root / "me.toml").open("a", encoding="utf-8") as f:
        f.write('\n[[calendars]]\npath = "calendars"\n')
    cal = root / "calendars"
    cal.mkdir()
    (cal / "steuer.ics").write_text(event("st", "Steuerberater Quartalsgespräch",
                                          "20260108T100000", "20260108T113000"))
    (cal / "weekly.ics").write_text(event("wk", "Jour fixe", "20260105T090000",
                                          "20260105T100000", "RRULE:FREQ=WEEKLY;BYDAY=MO,WE"))
    (cal / "off.ics").write_text(ics(
        "BEGIN:VEVENT", "UID:off", "DTSTAMP:20260101T000000Z", "SUMMARY:Zahnarzt",
        "DTSTART;VALUE=DATE:20260109", "DTEND;VALUE=DATE:20260110", "END:VEVENT"))
    monkeypatch.chdir(tmp_path)  # the header names the folder as "set"
    return root


def _snap_before(tab: str | None):
    async def run_before(pilot) -> None:
        app = pilot.app
        app.animation_level = "none"
        await settle(app, pilot)
        for widget in app.query(Input):
            widget.cursor_blink = False
        for widget in app.query(TextArea):
            widget.cursor_blink = False
        if tab == "week":
            app.week_of("client:acme")
        await pilot.pause()
        app.clear_notifications()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    return run_before


def test_snapshot_ask_busy_with_an_event(snap_compare, tmp_path, monkeypatch):
    root = _snapshot_set(tmp_path, monkeypatch)
    clock = datetime(2026, 1, 8, 10, 40, tzinfo=VIENNA)
    app = make_app(root, clock=lambda: clock, watch_interval=None, who="acme")
    assert snap_compare(app, terminal_size=(100, 30), run_before=_snap_before(None))


def test_snapshot_week_with_a_calendar(snap_compare, tmp_path, monkeypatch):
    root = _snapshot_set(tmp_path, monkeypatch)
    clock = datetime(2026, 1, 7, 9, 20, tzinfo=VIENNA)
    app = make_app(root, clock=lambda: clock, watch_interval=None, who="acme")
    assert snap_compare(app, terminal_size=(120, 40), run_before=_snap_before("week"))

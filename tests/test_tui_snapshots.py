"""Snapshots of every screen at 80×24 and 120×40 (fixed clock, fixed set, Textual pinned).

Update after a deliberate change with `pytest tests/test_tui_snapshots.py --snapshot-update`,
and look at every changed SVG before committing it.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import Input, TextArea

from boundaries.tui import make_app

from .tui_helpers import settle

DATA = Path(__file__).parent / "data" / "tui"
VIENNA = ZoneInfo("Europe/Vienna")
SIZES = [(80, 24), (120, 40)]

# (name, clock, who, channel key, tab key)
STATES = {
    "ask-answer": (datetime(2026, 1, 8, 10, 0, tzinfo=VIENNA), "acme", None, None),
    "ask-later": (datetime(2026, 1, 8, 18, 20, tzinfo=VIENNA), "+43 732 123456", None, None),
    "ask-decline": (datetime(2026, 1, 8, 10, 0, tzinfo=VIENNA), "+43 699 1112223", None, None),
    "week": (datetime(2026, 1, 5, 10, 0, tzinfo=VIENNA), "tanaka", None, "f2"),
    "clients": (datetime(2026, 1, 8, 10, 0, tzinfo=VIENNA), "", None, "f3"),
    "problems": (datetime(2026, 1, 8, 10, 0, tzinfo=VIENNA), "", None, "f4"),
}


def _run_before(who: str, tab: str | None):
    async def run_before(pilot) -> None:
        app = pilot.app
        app.animation_level = "none"  # no tab underline caught mid-slide
        await settle(app, pilot)  # the other panes and the drafts mount after the first frame
        for widget in app.query(Input):
            widget.cursor_blink = False
        for widget in app.query(TextArea):
            widget.cursor_blink = False
        for ch in who:
            await pilot.press(ch)
        if tab == "f2":
            app.week_of("client:tanaka")
        elif tab:
            await pilot.press(tab)
        await pilot.pause()
        app.clear_notifications()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("state", list(STATES))
def test_screen(snap_compare, state, size):
    clock, who, _channel, tab = STATES[state]
    app = make_app(DATA, clock=lambda: clock, watch_interval=None)
    assert snap_compare(app, terminal_size=size, run_before=_run_before(who, tab))


def test_light_theme_is_readable(snap_compare):
    clock, who, _channel, _tab = STATES["ask-later"]
    app = make_app(DATA, clock=lambda: clock, watch_interval=None)

    async def run_before(pilot) -> None:
        pilot.app.theme = "textual-light"
        await _run_before(who, None)(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def test_journal_and_report(snap_compare):
    clock = datetime(2026, 1, 10, 12, 0, tzinfo=VIENNA)
    app = make_app(DATA, clock=lambda: clock, watch_interval=None,
                   journal=Path(__file__).parent / "data" / "journal")
    assert snap_compare(app, terminal_size=(120, 40), run_before=_run_before("", "f5"))

"""Waiting for the TUI to settle (the load worker done and the lazily mounted panes
filled), a stand-in phone source whose events a test feeds in one at a time, and what the
Incoming list and the toasts show."""

from __future__ import annotations

import asyncio

from textual.widgets import DataTable, Input, TextArea

from boundaries.core.calls import CallEvent
from boundaries.sources.calls.state import SourceState
from boundaries.tui.app import LAZY_PANES


async def settle(app, pilot) -> None:
    """Wait until loading finished, every lazy pane is mounted and the drafts exist."""
    await app.workers.wait_for_complete()
    for _ in range(200):
        panes = [pane for name in LAZY_PANES for pane in app.query(name)]
        if len(panes) == len(LAZY_PANES) and all(p.ready for p in panes) \
                and app.query("#reply"):
            break
        await pilot.pause(0.01)
    else:
        raise AssertionError("the TUI did not finish mounting its panes")
    await app.workers.wait_for_complete()
    await pilot.pause()


class StandIn:
    """A phone source as the app sees one: `async for`, a `state`; events put in a queue."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[CallEvent | None] = asyncio.Queue()
        self.state = SourceState("test phone", "connected")

    def __aiter__(self):
        return self._run()

    async def _run(self):
        while (event := await self.queue.get()) is not None:
            yield event


async def feed(app, pilot, source: StandIn, *events: CallEvent) -> None:
    """Each event into `source`, each awaited until the app has handled it."""
    for event in events:
        app.ringing.handled.clear()
        source.queue.put_nowait(event)
        await asyncio.wait_for(app.ringing.handled.wait(), 5)
    await pilot.pause()


def rows(app) -> list[list[str]]:
    """The Incoming list's rows, as shown."""
    table = app.query_one("#incoming-table", DataTable)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def toasts(app) -> list[str]:
    """The messages of the toasts, oldest first."""
    return [n.message for n in app._notifications]


def no_blink(app) -> None:
    """No blinking cursor in the form and the drafts: a snapshot is the same every run."""
    for widget in [*app.query(Input), *app.query(TextArea)]:
        widget.cursor_blink = False

"""Waiting for the TUI to settle: the load worker done and the lazily mounted panes filled."""

from __future__ import annotations

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

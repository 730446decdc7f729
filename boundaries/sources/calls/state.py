"""How a phone source is doing, for the TUI's header and `watch`'s stderr."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

STATES = ("connecting", "connected", "retrying", "reading", "ended", "stopped")


class SourceState(NamedTuple):
    """`source` names it (`fritzbox fritz.box:1012`, `events -`); `state` is one of STATES;
    `detail` the reason (`connection refused`); `retry_in` seconds until the next try."""

    source: str
    state: str
    detail: str = ""
    retry_in: float | None = None

    def describe(self) -> str:
        """`fritzbox fritz.box:1012: retrying in 4 s: connection refused`."""
        words = self.state
        if self.state == "retrying" and self.retry_in is not None:
            words = f"retrying in {_seconds(self.retry_in)}"
        return ": ".join(p for p in (self.source, words, self.detail) if p)


StateHook = Callable[[SourceState], None]


def _seconds(value: float) -> str:
    if value >= 1 or value == 0:
        return f"{value:.0f} s"
    return f"{value:.2f} s"

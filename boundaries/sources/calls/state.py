"""How a phone source is doing, for the TUI's header and `watch`'s stderr."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


class RetryingSource:
    """What the sources that connect and retry share (the call monitor, KDE Connect): their
    `state`, told to `on_state` as it changes, and the pause before the next try."""

    name: str
    state: SourceState
    max_delay: float
    _on_state: StateHook | None
    _sleep: Callable[[float], Awaitable[object]]

    def _report(self, state: str, detail: str = "", retry_in: float | None = None) -> None:
        self.state = SourceState(self.name, state, detail, retry_in)
        if self._on_state is not None:
            self._on_state(self.state)

    async def _retry(self, reason: str, delay: float) -> float:
        """Say when the next try comes, wait for it; the delay after that: doubled, capped."""
        self._report("retrying", reason, delay)
        await self._sleep(delay)
        return min(delay * 2, self.max_delay)


def _seconds(value: float) -> str:
    if value >= 1 or value == 0:
        return f"{value:.0f} s"
    return f"{value:.2f} s"

"""An in-memory journal for replay: budgets and repeats from the rows replayed so far.

Pure: replay feeds it rows in time order and asks it for the facts of the next one,
counted as the journal would count them (`history.facts_for`): extra effort spent by
the client in the request's calendar month (every granted extra effort counts as given),
and requests from the same sender in the last 15 minutes, this one included.
"""

from __future__ import annotations

from collections import deque

from boundaries.core.model import PolicySet
from boundaries.core.request import NO_FACTS, Facts
from boundaries.core.vocabulary import REPEAT_SECONDS

_PRUNE_EVERY = 1 << 16


class SimulatedJournal:
    """The facts of each replayed row, from the rows before it."""

    def __init__(self, ps: PolicySet) -> None:
        tiers = ps.tiers.values()
        self.counts_budget = any(t.extra_effort.per_month is not None for t in tiers)
        self.counts_repeats = any(cond == "repeat" for t in tiers for r in t.rules
                                  for cond, _ in r.when)
        self.active = self.counts_budget or self.counts_repeats
        self._recent: dict[str, deque[float]] = {}
        self._spent: dict[tuple[str, int], int] = {}
        self._seen = 0

    def facts(self, key: str, client: str | None, t: float, month: int) -> Facts:
        """Facts for a request from `key` (sender) of `client` at `t` in `month` (y*12+m)."""
        if not self.active:
            return NO_FACTS
        recent = 1
        if self.counts_repeats:
            times = self._recent.get(key)
            if times:
                since = t - REPEAT_SECONDS
                while times and times[0] <= since:
                    times.popleft()
                recent += sum(1 for x in times if x <= t)
        used = self._spent.get((client, month), 0) if client is not None else 0
        return Facts(extra_effort_used=used, recent_requests=recent)

    def record(self, key: str, client: str | None, t: float, month: int,
               extra_effort: bool) -> None:
        """Add a decided row, as if it had been logged."""
        if not self.active:
            return
        if self.counts_repeats:
            times = self._recent.get(key)
            if times is None:
                times = self._recent[key] = deque()
            times.append(t)
            self._seen += 1
            if self._seen % _PRUNE_EVERY == 0:
                self._prune(t)
        if extra_effort and client is not None:
            self._spent[(client, month)] = self._spent.get((client, month), 0) + 1

    def _prune(self, now: float) -> None:
        """Forget senders with no request in the last 15 minutes (memory stays flat)."""
        since = now - REPEAT_SECONDS
        for key in [k for k, times in self._recent.items() if not times or times[-1] <= since]:
            del self._recent[key]

"""Busy and away spans from my calendars, as the decision sees them (pure: no I/O, no clock).

The service layer reads the calendar files (`sources/calendars.py`) and hands the engine a
`CalendarTable` whose `compute(month)` it supplies; the table asks for a month only when a
request or a next-window search reaches it, and keeps what it got. Instants are POSIX
seconds (UTC); a month is `year * 12 + month - 1` of UTC time.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

from boundaries.core.diagnostics import Diagnostic


class CalendarSpan(NamedTuple):
    """One occurrence that blocks me, `start <= t < end` (POSIX seconds)."""

    start: int
    end: int
    kind: str  # "busy" | "away"
    summary: str  # private: reasons only, never a reply, the journal or a notification
    source: str  # PATH:LINE of its BEGIN:VEVENT


def month_of(t: float) -> int:
    """The UTC month of instant `t` as `year * 12 + month - 1`."""
    d = datetime.fromtimestamp(t, UTC)
    return d.year * 12 + d.month - 1


def month_bounds(month: int) -> tuple[int, int]:
    """[start, end) of a UTC month in POSIX seconds."""
    year, m = divmod(month, 12)
    start = datetime(year, m + 1, 1, tzinfo=UTC)
    nxt = datetime(year + (m == 11), 1 if m == 11 else m + 2, 1, tzinfo=UTC)
    return int(start.timestamp()), int(nxt.timestamp())


class _Month(NamedTuple):
    spans: tuple[CalendarSpan, ...]  # overlapping the month, sorted by start
    starts: list[int]
    reach: list[int]  # reach[i]: the latest end of spans[0..i] (for overlap queries)


def _month(spans: Iterable[CalendarSpan]) -> _Month:
    ordered = tuple(sorted(spans))
    reach: list[int] = []
    top = -(1 << 62)
    for s in ordered:
        top = max(top, s.end)
        reach.append(top)
    return _Month(ordered, [s.start for s in ordered], reach)


class CalendarTable:
    """The spans of every calendar in me.toml, a UTC month at a time.

    `compute(month)` returns the spans that overlap that month (supplied by the service
    layer, which reads and caches the files); `problems` are what it said about them
    (missing or broken calendars), for the front ends to show. Empty: no calendars.
    """

    __slots__ = ("_compute", "_months", "names", "problems")

    def __init__(self, compute: Callable[[int], Sequence[CalendarSpan]] | None = None,
                 names: tuple[str, ...] = (), problems: tuple[Diagnostic, ...] = ()) -> None:
        self._compute = compute
        self._months: dict[int, _Month] = {}
        self.names = names  # the calendars' paths as me.toml wrote them
        self.problems = problems

    def __bool__(self) -> bool:
        return self._compute is not None

    def _get(self, month: int) -> _Month:
        found = self._months.get(month)
        if found is None:
            spans = self._compute(month) if self._compute is not None else ()
            found = self._months[month] = _month(spans)
        return found

    def _months_of(self, start: float, end: float) -> range:
        """The UTC months that [start, end) touches (end > start)."""
        last = month_of(end)
        if month_bounds(last)[0] >= end:  # an end right at a month's start: not in it
            last -= 1
        return range(month_of(start), last + 1)

    def overlapping(self, start: float, end: float) -> list[CalendarSpan]:
        """Every span with `span.start < end` and `span.end > start`, by start (exactly,
        for whole seconds and fractions of one)."""
        if self._compute is None or end <= start:
            return []
        out: dict[CalendarSpan, None] = {}
        for month in self._months_of(start, end):
            m = self._get(month)
            for i in range(bisect_left(m.starts, end) - 1, -1, -1):
                if m.reach[i] <= start:
                    break
                s = m.spans[i]
                if s.end > start:
                    out[s] = None
        return sorted(out)

    def _holding(self, t: float) -> list[CalendarSpan]:
        """Every span with `span.start <= t < span.end`."""
        if self._compute is None:
            return []
        m = self._get(month_of(t))
        out = []
        for i in range(bisect_right(m.starts, t) - 1, -1, -1):
            if m.reach[i] <= t:
                break
            if m.spans[i].end > t:
                out.append(m.spans[i])
        return out

    def at(self, t: float) -> tuple[CalendarSpan | None, CalendarSpan | None]:
        """(away, busy) at instant `t`: the span of each kind holding it that ends last
        (of two that end together, the one that starts first)."""
        away = busy = None
        for s in sorted(self._holding(t)):
            if s.kind == "away":
                if away is None or s.end > away.end:
                    away = s
            elif busy is None or s.end > busy.end:
                busy = s
        return away, busy

    def free_stretches(self, start: float, end: float) -> list[tuple[float, float]]:
        """[start, end) without the spans that block me, as (start, end) pieces in order."""
        out = []
        at = start
        for s in self.overlapping(start, end):
            if s.start > at:
                out.append((at, min(s.start, end)))
            at = max(at, s.end)
            if at >= end:
                break
        if at < end:
            out.append((at, end))
        return out

    def __getstate__(self) -> tuple:
        return (self.names, self.problems)

    def __setstate__(self, state: tuple) -> None:
        self.names, self.problems = state
        self._compute = None
        self._months = {}


NO_CALENDAR = CalendarTable()

__all__ = ["NO_CALENDAR", "CalendarSpan", "CalendarTable", "month_bounds", "month_of"]

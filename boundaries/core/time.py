"""Wall-clock arithmetic that is exact across daylight saving time.

Every window edge is computed from its own local date and time, never by
adding a duration. A wall-clock time in the spring-forward gap moves forward by
the gap's length (convert to UTC with fold=0 and back); a time in the autumn
fold means its earlier occurrence (fold=0).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from boundaries.core.model import Week

ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    """The `ZoneInfo` of an IANA name, cached (every module asks for zones here)."""
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def resolve(tz: ZoneInfo, day: date, minute: int) -> datetime:
    """The instant (in UTC) of wall-clock `minute` after midnight of `day` in `tz`.

    `minute` may exceed 1440 (a later day). Gap times move forward; fold times
    take their earlier occurrence.
    """
    if minute >= 1440:
        day = day + timedelta(days=minute // 1440)
        minute %= 1440
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    return local.astimezone(UTC)


def localize(naive: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock datetime in `tz` as an aware one (gap forward, fold earlier)."""
    aware = naive.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz)


DayOpen = Callable[[date], bool]


def window_instances(week: Week, tz: ZoneInfo, day: date) -> list[tuple[datetime, datetime]]:
    """The windows that start on `day`, as (start, end) UTC instants."""
    return list(_windows_of(week, tz, day))


@lru_cache(maxsize=4096)
def _windows_of(week: Week, tz: ZoneInfo, day: date) -> tuple[tuple[datetime, datetime], ...]:
    """`window_instances`, kept: a decision asks for the same days in `containing_window`
    and `next_window`, and the next decision mostly for the same days again."""
    out = []
    for s, e in week[day.weekday()]:
        start, end = resolve(tz, day, s), resolve(tz, day, e)
        if start < end:  # a window squeezed to nothing by a DST gap is skipped
            out.append((start, end))
    out.sort()  # a DST gap can move a later wall-clock window ahead of another
    return tuple(out)


def containing_window(
    week: Week, tz: ZoneInfo, at: datetime, is_open: DayOpen
) -> tuple[date, datetime, datetime] | None:
    """The window (its start day, start, end) that contains `at`, earliest start first."""
    today = at.astimezone(tz).date()
    at_utc = at.astimezone(UTC)
    for day in (today - ONE_DAY, today):
        if not week[day.weekday()] or not is_open(day):
            continue
        for start, end in _windows_of(week, tz, day):
            if start <= at_utc < end:
                return day, start, end
    return None


# the free pieces of [start, end) in POSIX seconds (a calendar's `free_stretches`)
Free = Callable[[float, float], list[tuple[float, float]]]


def _first_free(start: datetime, end: datetime, after: datetime,
                free: Free | None) -> tuple[datetime, datetime] | None:
    """The first free stretch of the window [start, end) that ends after `after`."""
    if free is None:
        return (start, end) if end > after else None
    for s, e in free(start.timestamp(), end.timestamp()):
        if e > after.timestamp():
            return datetime.fromtimestamp(s, UTC), datetime.fromtimestamp(e, UTC)
    return None


def next_window(
    week: Week, tz: ZoneInfo, at: datetime, is_open: DayOpen, horizon_days: int = 366,
    free: Free | None = None,
) -> tuple[datetime, datetime] | None:
    """The stretch I am reachable in at `at`, or else the next one to start, within
    `horizon_days`: a window, cut where `free` (busy and away spans) says I am not free.

    Every window that ends after `at` counts, the ones that started before it too: an
    evening window running past midnight may hold `at` in an event that outlasts it while
    the morning window beside it goes on after the event. Windows come in the order of
    their starts (a day's all start before the next day's), so the search stops at the
    first window that starts after the earliest stretch found; of two stretches that start
    together, the earlier window's counts (without calendars: the window that holds `at`
    and started first, as `containing_window` says)."""
    if not any(week):
        return None
    at_utc = at.astimezone(UTC)
    day = at.astimezone(tz).date() - ONE_DAY  # a window of the day before may hold `at`
    best: tuple[datetime, datetime] | None = None
    for _ in range(horizon_days + 2):
        if week[day.weekday()] and is_open(day):
            for start, end in _windows_of(week, tz, day):
                if best is not None and start >= best[0]:
                    return best
                if end > at_utc:
                    found = _first_free(start, end, at_utc, free)
                    if found is not None and (best is None or found[0] < best[0]):
                        best = found
        day += ONE_DAY
    return best

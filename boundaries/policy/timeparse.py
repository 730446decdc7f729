"""Reading request times: ISO 8601 with or without offset, or `HH:MM` today."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from boundaries.core.echo import quoted
from boundaries.core.errors import BoundariesError
from boundaries.core.time import localize

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
# The supported years: a request time is refused unless its UTC instant and my wall-clock
# time both lie in them (POSIX seconds from 0 to the end of MAX_YEAR).
MIN_YEAR, MAX_YEAR = 1970, 2200
FIRST_SECOND = datetime(MIN_YEAR, 1, 1, tzinfo=UTC).timestamp()
END_SECOND = datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC).timestamp()
_DAY = 86400.0


class TimeError(BoundariesError, ValueError):
    """A request time that cannot be read; `hint` shows a form that works."""


HINT = "write e.g. `2026-01-08T18:20`, `2026-01-08T18:20+01:00` or `18:20` (today)"
RANGE_HINT = (f"a time from {MIN_YEAR}-01-01T00:00 to {MAX_YEAR}-12-31T23:59, in UTC and in "
              "my timezone")


def in_range(t: float, offset: float) -> bool:
    """Whether POSIX seconds `t` and the wall clock `offset` seconds east of UTC both lie
    in the supported years."""
    if FIRST_SECOND + _DAY <= t < END_SECOND - _DAY:
        return True  # the common case: no offset (< 24 h) can move it out
    return FIRST_SECOND <= t < END_SECOND and FIRST_SECOND <= t + offset < END_SECOND


def range_error(raw: str, t: float, offset: float, tz: ZoneInfo) -> TimeError:
    """The error for a time outside the supported years, naming the side that is out."""
    if FIRST_SECOND <= t < END_SECOND:
        shown = (datetime(1970, 1, 1) + timedelta(seconds=t + offset)).strftime(
            "%Y-%m-%d %H:%M")
        where = f"{shown} in my timezone ({tz.key})"
    else:
        shown = (datetime(1970, 1, 1) + timedelta(seconds=t)).strftime("%Y-%m-%d %H:%M")
        where = f"{shown} UTC"
    return TimeError(f"{quoted(raw)} is {where}: outside the supported years "
                     f"{MIN_YEAR}–{MAX_YEAR}", RANGE_HINT)


def parse_at(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """An aware instant; times without offset are my wall-clock time in `tz`."""
    raw = text.strip()
    if not raw:
        raise TimeError("empty time", HINT)
    m = _CLOCK.match(raw)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise TimeError(f"{quoted(raw)} is not a time of day", HINT)
        today = now.astimezone(tz).date()
        value = datetime(today.year, today.month, today.day, hour, minute)
    elif re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise TimeError(f"{quoted(raw)} is a date without a time of day", HINT)
    else:
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            value = _pendulum_parse(raw)
    if not MIN_YEAR <= value.year <= MAX_YEAR:  # before converting: 9999 + 1 h overflows
        raise TimeError(f"{quoted(raw)}: year {value.year} is outside {MIN_YEAR}–{MAX_YEAR}",
                        RANGE_HINT)
    local = localize(value, tz) if value.tzinfo is None else value.astimezone(tz)
    t = local.timestamp()
    offset = local.utcoffset().total_seconds()  # type: ignore[union-attr]
    if not in_range(t, offset):
        raise range_error(raw, t, offset, tz)
    return local


def parse_day(text: str) -> date:
    """A date `YYYY-MM-DD` in the supported years, or TimeError."""
    raw = text.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise TimeError(f"{quoted(raw)} is not a date", "write e.g. `2026-01-12`") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise TimeError(f"{quoted(raw)}: year {day.year} is outside {MIN_YEAR}–{MAX_YEAR}",
                        RANGE_HINT)
    return day


def _pendulum_parse(raw: str) -> datetime:
    """Other ISO 8601 forms (week dates, ordinal dates, compact forms) via pendulum."""
    import pendulum

    try:
        parsed = pendulum.parse(raw, exact=True, tz=None)
    except Exception:  # pendulum raises several types for bad input
        raise TimeError(f"{quoted(raw)} is not an ISO 8601 date and time", HINT) from None
    if not isinstance(parsed, datetime):
        raise TimeError(f"{quoted(raw)} is not a date and time", HINT)
    naive = datetime(parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute,
                     parsed.second, parsed.microsecond)
    if parsed.tzinfo is None:
        return naive
    try:
        offset = parsed.utcoffset()
        return naive if offset is None else naive.replace(tzinfo=timezone(offset))
    except ValueError:  # pendulum reads `+24:00`; a UTC offset is less than a day
        raise TimeError(f"{quoted(raw)}: the UTC offset must be less than 24 hours",
                        HINT) from None

"""Reading request times: ISO 8601 with or without offset, or `HH:MM` today."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from .timecalc import localize

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
MIN_YEAR, MAX_YEAR = 1970, 2200


class TimeError(ValueError):
    """A request time that cannot be read; `hint` shows a form that works."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


HINT = "write e.g. `2026-01-08T18:20`, `2026-01-08T18:20+01:00` or `18:20` (today)"


def parse_at(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """An aware instant; times without offset are my wall-clock time in `tz`."""
    raw = text.strip()
    if not raw:
        raise TimeError("empty time", HINT)
    m = _CLOCK.match(raw)
    if m:
        hour, minute = int(m.group(1)), int(m.group(2))
        if hour > 23 or minute > 59:
            raise TimeError(f"`{raw}` is not a time of day", HINT)
        today = now.astimezone(tz).date()
        return localize(datetime(today.year, today.month, today.day, hour, minute), tz)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise TimeError(f"`{raw}` is a date without a time of day", HINT)
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        value = _pendulum_parse(raw)
    if not MIN_YEAR <= value.year <= MAX_YEAR:
        raise TimeError(f"`{raw}`: year {value.year} is outside {MIN_YEAR}–{MAX_YEAR}", HINT)
    if value.tzinfo is None:
        return localize(value, tz)
    return value.astimezone(tz)


def _pendulum_parse(raw: str) -> datetime:
    """Other ISO 8601 forms (week dates, ordinal dates, compact forms) via pendulum."""
    import pendulum

    try:
        parsed = pendulum.parse(raw, exact=True, tz=None)
    except Exception:  # pendulum raises several types for bad input
        raise TimeError(f"`{raw}` is not an ISO 8601 date and time", HINT) from None
    if not isinstance(parsed, datetime):
        raise TimeError(f"`{raw}` is not a date and time", HINT)
    naive = datetime(parsed.year, parsed.month, parsed.day, parsed.hour, parsed.minute,
                     parsed.second, parsed.microsecond)
    if parsed.tzinfo is None:
        return naive
    offset = parsed.utcoffset()
    from datetime import timezone

    return naive.replace(tzinfo=timezone(offset)) if offset is not None else naive

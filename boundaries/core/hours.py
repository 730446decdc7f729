"""Reachability hours as written: day keys, windows, and their wording."""

from __future__ import annotations

import re

from boundaries.core.errors import BoundariesError
from boundaries.core.model import Week, Window
from boundaries.core.vocabulary import DAY_ABBREVIATIONS_EN, DAYS

_WINDOW = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_LOOSE = re.compile(r"^\s*(\d{1,2})(?::?(\d{2}))?\s*[-–—]\s*(\d{1,2})(?::?(\d{2}))?\s*$")


class HoursError(BoundariesError, ValueError):
    """A malformed day key or window; `hint` suggests the fix."""


def parse_window(text: str) -> Window:
    """`"HH:MM-HH:MM"` -> (start, end) minutes; an end at or before the start crosses midnight."""
    m = _WINDOW.match(text)
    if not m:
        loose = _LOOSE.match(text)
        hint = "write a window as `HH:MM-HH:MM`, e.g. `08:00-12:00`"
        if loose:
            h1, m1, h2, m2 = (int(x) if x else 0 for x in loose.groups())
            if h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60:
                hint = f"did you mean `{h1:02d}:{m1:02d}-{h2:02d}:{m2:02d}`?"
        raise HoursError(f"`{text}` is not a window of the form `HH:MM-HH:MM`", hint)
    h1, m1, h2, m2 = (int(x) for x in m.groups())
    if h1 > 23 or m1 > 59:
        raise HoursError(f"`{text}`: a window cannot start at {h1:02d}:{m1:02d}",
                         "hours run from 00:00 to 23:59; `24:00` is allowed only as an end")
    if h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        raise HoursError(f"`{text}`: {h2:02d}:{m2:02d} is not a time of day",
                         "hours run from 00:00 to 23:59; `24:00` is allowed only as an end")
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if end <= start:
        end += 1440
    return start, end


def parse_day_key(key: str) -> tuple[tuple[int, ...], int]:
    """A day key -> (weekdays it covers, specificity: 2 single day, 1 range, 0 daily)."""
    k = key
    if k == "daily":
        return tuple(range(7)), 0
    if k in DAYS:
        return (DAYS.index(k),), 2
    if "-" in k:
        a, _, b = k.partition("-")
        if a in DAYS and b in DAYS:
            i, j = DAYS.index(a), DAYS.index(b)
            if i == j:
                raise HoursError(f"day range `{key}` starts and ends on the same day",
                                 f"write `{a}` for a single day")
            days = []
            while True:
                days.append(i)
                if i == j:
                    break
                i = (i + 1) % 7
            return tuple(days), 1
    raise HoursError(f"unknown day key `{key}`")


def day_key_choices() -> list[str]:
    """Valid day keys for suggestions."""
    ranges = [f"{DAYS[i]}-{DAYS[j]}" for i in range(7) for j in range(7) if i != j]
    return [*DAYS, "daily", *ranges]


def merge_windows(windows: list[Window]) -> tuple[Window, ...]:
    """Sorted, with overlapping or touching windows of one day joined.

    A joined window may last longer than a day (`07:00-09:00` with `08:00-08:00` runs to
    08:00 the next day); it still ends before the day after next, which is all that the
    window arithmetic assumes.
    """
    out: list[list[int]] = []
    for s, e in sorted(windows):
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return tuple((s, e) for s, e in out)


def fmt_minute(m: int) -> str:
    m %= 1440
    return f"{m // 60:02d}:{m % 60:02d}"


def fmt_window(w: Window) -> str:
    s, e = w
    end = "24:00" if e == 1440 else fmt_minute(e)
    return f"{fmt_minute(s)}–{end}"


def summarize_week(week: Week) -> str:
    """`Mon–Fri 08:00–12:00, 13:00–17:00; Sat 09:00–12:00` (closed days left out)."""
    names = DAY_ABBREVIATIONS_EN
    parts = []
    i = 0
    while i < 7:
        j = i
        while j + 1 < 7 and week[j + 1] == week[i]:
            j += 1
        if week[i]:
            days = names[i] if i == j else f"{names[i]}–{names[j]}"
            parts.append(f"{days} {', '.join(fmt_window(w) for w in week[i])}")
        i = j + 1
    return "; ".join(parts) if parts else "never"

"""A week of reachability as data (for the CLI grid and the TUI).

With calendars (sources.md §6) a half hour of a window that a busy event takes is `×`, one
that time off from a calendar takes is `·` like an `[[away]]` day, and the day's mark says
"away (calendar)"; `week_events` lists the events themselves. The grid never holds an
event's summary (private): only the list under it does, and the TUI hides it behind F6.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from boundaries.core.calendar import CalendarSpan
from boundaries.core.engine import away_on, day_open
from boundaries.core.hours import fmt_window
from boundaries.core.model import PolicySet, Tier
from boundaries.core.time import resolve, window_instances, zone

SLOTS = 48  # half hours
REACHABLE, PARTLY, BUSY, NOT = "█", "▒", "×", "·"
LEGEND = "█ reachable, ▒ partly, · not"
LEGEND_CALENDAR = "█ reachable, ▒ partly, × busy (calendar), · not"

Piece = tuple[float, float]  # [start, end) in POSIX seconds


class DayRow(NamedTuple):
    day: date
    cells: str  # one char per half hour: █ reachable, ▒ partly, × busy, · not
    windows: str
    mark: str  # "", "holiday: …", "away: …", "away (calendar)", "away 13:00–17:00 (calendar)"


def _measure(pieces: list[Piece], a: float, b: float) -> float:
    return sum(max(0.0, min(b, e) - max(a, s)) for s, e in pieces)


def legend(ps: PolicySet) -> str:
    """What the grid's characters mean (× only where the set has calendars)."""
    return LEGEND_CALENDAR if ps.calendar else LEGEND


def week_rows(ps: PolicySet, tier: Tier, start: date, days: int = 7,
              tz: ZoneInfo | None = None) -> list[DayRow]:
    """`days` rows from `start`, in `tz` (default: mine) wall-clock half hours."""
    my_tz = zone(ps.me.timezone)
    view_tz = tz or my_tz
    is_open = day_open(ps, tier)
    # window instances that could touch the viewed days (in my calendar)
    windows: list[Piece] = []
    for offset in range(-2, days + 2):
        d = start + timedelta(days=offset)
        if tier.week[d.weekday()] and is_open(d):
            windows += [(s.timestamp(), e.timestamp())
                        for s, e in window_instances(tier.week, my_tz, d)]
    blocking: list[CalendarSpan] = []
    reach = windows
    if ps.calendar:
        lo = resolve(view_tz, start, 0).timestamp()
        hi = resolve(view_tz, start + timedelta(days=days), 0).timestamp()
        blocking = ps.calendar.overlapping(lo, hi)
        if blocking:
            reach = [p for s, e in windows for p in ps.calendar.free_stretches(s, e)]
    away_spans = [(float(s.start), float(s.end)) for s in blocking if s.kind == "away"]
    rows = []
    for offset in range(days):
        d = start + timedelta(days=offset)
        cells = []
        for slot in range(SLOTS):
            a = resolve(view_tz, d, slot * 30).timestamp()
            b = resolve(view_tz, d, slot * 30 + 30).timestamp()
            if b <= a:
                cells.append(" ")  # a half hour that does not exist (DST gap)
                continue
            free = _measure(reach, a, b)
            if free >= b - a:
                cells.append(REACHABLE)
            elif free > 0:
                cells.append(PARTLY)
            elif blocking and _measure(windows, a, b) > 0 and not _measure(away_spans, a, b):
                cells.append(BUSY)  # a window's half hour that an appointment takes
            else:
                cells.append(NOT)
        mark = ""
        if view_tz == my_tz:
            name = ps.holidays.name(d)
            away = away_on(ps, d)
            if away is not None:
                mark = f"away: {away.reason}" if away.reason else "away"
            elif away_spans and (cal := _calendar_away(away_spans, my_tz, d)):
                mark = cal
            elif name and not tier.on_holidays:
                mark = f"holiday: {name}"
            elif name:
                mark = f"holiday (reachable): {name}"
        windows_text = ""
        if view_tz == my_tz and is_open(d):
            windows_text = ", ".join(fmt_window(w) for w in tier.week[d.weekday()])
        rows.append(DayRow(d, "".join(cells), windows_text, mark))
    return rows


def _calendar_away(spans: list[Piece], tz: ZoneInfo, day: date) -> str:
    """The day's mark for time off from a calendar: "away (calendar)" for the whole day,
    else its pieces ("away 13:00–17:00 (calendar)", "from 15:00", "until 12:00"); ""."""
    lo = resolve(tz, day, 0).timestamp()
    hi = resolve(tz, day + timedelta(days=1), 0).timestamp()
    pieces = sorted((max(s, lo), min(e, hi)) for s, e in spans if s < hi and e > lo)
    if not pieces:
        return ""
    merged: list[list[float]] = []
    for s, e in pieces:
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    if merged[0] == [lo, hi]:
        return "away (calendar)"

    def hm(t: float) -> str:
        return datetime.fromtimestamp(t, tz).strftime("%H:%M")

    words = []
    for s, e in merged:
        if s <= lo:
            words.append(f"until {hm(e)}")
        elif e >= hi:
            words.append(f"from {hm(s)}")
        else:
            words.append(f"{hm(s)}–{hm(e)}")
    return f"away {', '.join(words)} (calendar)"


def week_events(ps: PolicySet, start: date, days: int = 7) -> list[CalendarSpan]:
    """The calendar events that overlap the `days` days from `start` (my time), by start."""
    if not ps.calendar:
        return []
    tz = zone(ps.me.timezone)
    lo = resolve(tz, start, 0).timestamp()
    hi = resolve(tz, start + timedelta(days=days), 0).timestamp()
    return ps.calendar.overlapping(lo, hi)


def event_when(span: CalendarSpan, tz: ZoneInfo, names: tuple[str, ...]) -> str:
    """"Tue 05.01 10:00–11:00", "Mon 15.02–Fri 19.02" (whole days), or across midnight
    "Tue 05.01 22:00–Wed 06.01 01:00", in `tz` with the grid's day labels."""
    start = datetime.fromtimestamp(span.start, tz)
    end = datetime.fromtimestamp(span.end, tz)

    def day(t: datetime | date) -> str:
        return f"{names[t.weekday()][:3]} {t.strftime('%d.%m')}"

    if (start.hour, start.minute, end.hour, end.minute) == (0, 0, 0, 0):
        last = (end - timedelta(days=1)).date()
        return day(start) if last <= start.date() else f"{day(start)}–{day(last)}"
    if end.date() == start.date():
        return f"{day(start)} {start:%H:%M}–{end:%H:%M}"
    return f"{day(start)} {start:%H:%M}–{day(end)} {end:%H:%M}"


def event_line(span: CalendarSpan, tz: ZoneInfo, names: tuple[str, ...],
               summary: str | None = None) -> str:
    """"busy Tue 05.01 10:00–11:00 Jour fixe (calendars/jour-fixe.ics:22)"; `summary`
    replaces the event's own (the TUI's name mask), "" leaves it out."""
    text = span.summary if summary is None else summary
    what = f" {text}" if text else ""
    return f"{span.kind} {event_when(span, tz, names)}{what} ({span.source})"


def render_grid(rows: list[DayRow], names: tuple[str, ...], today: date | None = None) -> str:
    """Rows as text: a header of hours, one line per day."""
    head = " " * 11 + "".join(f"{h:02d}    " for h in range(0, 24, 3))
    lines = [head.rstrip()]
    for r in rows:
        label = f"{names[r.day.weekday()][:3]} {r.day.strftime('%d.%m')}"
        marker = "▶" if r.day == today else " "
        extra = r.mark or r.windows or "—"
        lines.append(f"{marker}{label:<10}{r.cells}  {extra}")
    return "\n".join(lines)

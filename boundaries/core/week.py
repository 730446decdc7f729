"""A week of reachability as data (for the CLI grid and the TUI)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from boundaries.core.engine import away_on, day_open
from boundaries.core.hours import fmt_window
from boundaries.core.model import PolicySet, Tier
from boundaries.core.time import resolve, window_instances, zone

SLOTS = 48  # half hours


class DayRow(NamedTuple):
    day: date
    cells: str  # one char per half hour: █ reachable, ▒ partly, · not
    windows: str
    mark: str  # "", "holiday: …", "away: …"


def week_rows(ps: PolicySet, tier: Tier, start: date, days: int = 7,
              tz: ZoneInfo | None = None) -> list[DayRow]:
    """`days` rows from `start`, in `tz` (default: mine) wall-clock half hours."""
    my_tz = zone(ps.me.timezone)
    view_tz = tz or my_tz
    is_open = day_open(ps, tier)
    # window instances that could touch the viewed days (in my calendar)
    spans: list[tuple[datetime, datetime]] = []
    for offset in range(-2, days + 2):
        d = start + timedelta(days=offset)
        if tier.week[d.weekday()] and is_open(d):
            spans += window_instances(tier.week, my_tz, d)
    rows = []
    for offset in range(days):
        d = start + timedelta(days=offset)
        cells = []
        for slot in range(SLOTS):
            a = resolve(view_tz, d, slot * 30)
            b = resolve(view_tz, d, slot * 30 + 30)
            if b <= a:
                cells.append(" ")  # a half hour that does not exist (DST gap)
                continue
            covered = sum(
                max(0.0, (min(b, e) - max(a, s)).total_seconds()) for s, e in spans)
            whole = (b - a).total_seconds()
            cells.append("█" if covered >= whole else "▒" if covered > 0 else "·")
        mark = ""
        if view_tz == my_tz:
            name = ps.holidays.name(d)
            away = away_on(ps, d)
            if away is not None:
                mark = f"away: {away.reason}" if away.reason else "away"
            elif name and not tier.on_holidays:
                mark = f"holiday: {name}"
            elif name:
                mark = f"holiday (reachable): {name}"
        windows = ""
        if view_tz == my_tz and is_open(d):
            windows = ", ".join(fmt_window(w) for w in tier.week[d.weekday()])
        rows.append(DayRow(d, "".join(cells), windows, mark))
    return rows


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


"""What the TUI shows of my calendars (sources.md §6): the event behind a busy or away
verdict on the Ask pane, the events of the week under the Week grid, and a calendar that
cannot be read in the header. An event's summary is private: every one of them goes through
the app's name mask (F6 hides it, `BoundariesApp.mask(private=…)`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from boundaries.core.calendar import CalendarSpan
from boundaries.core.engine import away_on
from boundaries.core.model import PolicySet
from boundaries.core.reasons import span_wording
from boundaries.core.request import Decision
from boundaries.core.time import zone
from boundaries.core.vocabulary import DAY_NAMES_EN
from boundaries.core.week import event_line, week_events
from boundaries.tui.masking import HIDDEN

if TYPE_CHECKING:
    from boundaries.tui.app import BoundariesApp

GLYPH = {"busy": "×", "away": "✈"}  # × as in the Week grid


def calendar_trouble(ps: PolicySet) -> str:
    """The header's words for calendars that cannot be read (never silent, §6)."""
    problems = ps.calendar.problems
    lines = {p.line for p in problems}
    names = [ref.path for ref in ps.me.calendars if _line(ref.source) in lines]
    if len(problems) == 1 and len(names) == 1:
        return f"⚠ calendar {names[0]} unreadable — deciding without it"
    return f"⚠ {len(problems)} calendars unreadable — deciding without them"


def _line(source: str) -> int:
    parts = source.split(":")
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def decision_spans(ps: PolicySet, d: Decision) -> tuple[CalendarSpan | None,
                                                        CalendarSpan | None]:
    """(away, busy): the calendar events at the decision's time — away only where the time
    off is the calendar's (no `[[away]]` that day), busy where the decision says busy."""
    if not ps.calendar:
        return None, None
    away, busy = ps.calendar.at(d.at.timestamp())
    if d.away is None or away_on(ps, d.at.date()) is not None:
        away = None
    if d.busy is None:
        busy = None
    return away, busy


def private_texts(ps: PolicySet, d: Decision) -> tuple[str, ...]:
    """Every event summary the decision's texts may quote (its reasons, its away badge)."""
    texts = {d.busy_summary}
    if ps.calendar:
        texts |= {s.summary for s in ps.calendar.at(d.at.timestamp()) if s is not None}
    return tuple(t for t in texts if t)


def event_content(app: BoundariesApp, ps: PolicySet, d: Decision) -> Content | None:
    """"× busy until 11:00 · Jour fixe  calendars/jour-fixe.ics:22" (and the same for time off
    from a calendar), the summary masked by F6; None when no event is behind the decision."""
    lines = []
    for span in decision_spans(ps, d):
        if span is None:
            continue
        until, _when = span_wording(span, ps.me.timezone)
        summary = app.mask(span.summary, multiline=False, private=(span.summary,))
        text = f"{GLYPH[span.kind]} {span.kind} {until}" + (f" · {summary}" if summary else "")
        lines.append(Content(text + "  ").append(
            Content.styled(app.mask(span.source, multiline=False), "dim")))
    return Content("\n").join(lines) if lines else None


def week_event_lines(app: BoundariesApp, ps: PolicySet, start) -> list[str]:
    """The events of the week from `start` (my time) as the CLI's `week` lists them, each
    summary replaced by ••• while names are hidden."""
    tz = zone(ps.me.timezone)
    hidden = app.discreet_screen
    return ["  " + app.mask(event_line(s, tz, DAY_NAMES_EN, summary=HIDDEN if hidden else None),
                     multiline=False)
            for s in week_events(ps, start)]


__all__ = ["calendar_trouble", "decision_spans", "event_content", "private_texts",
           "week_event_lines"]

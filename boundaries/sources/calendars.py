"""Appointments and time off from my calendars: .ics files read into `Span`s (sources.md §6).

API (the loader, `check`, `lint` and the TUI call only this):

- `read_calendar(path, *, timed="busy", all_day="away", my_zone, start, end)
  -> (spans, warnings)`: `path` is one .ics file or a folder of them (a vdir, as vdirsyncer
  and khal keep them: every `*.ics`, sorted, hidden files skipped, not recursive). Only the
  occurrences that overlap `[start, end)` are expanded and returned, whole (not cut at the
  edges), sorted by start. `warnings` are `LineWarning(path, line, message)` in file order.
- `Span(start, end, kind, summary, path, line)`: aware UTC instants, `start < end`; `kind`
  is "busy" or "away"; `line` is the line of the event's `BEGIN:VEVENT` (of the edited
  occurrence where a RECURRENCE-ID moved or changed one). `summary` is private (§6).
- `CalendarError`: the path itself cannot be read (missing, not a file or folder, no
  permission). Everything inside a file is a warning, and the rest still counts: an empty
  file, a VTIMEZONE-only file, a file that does not parse (a sync cut it short: its complete
  events are still read), an event with both DTEND and DURATION (DTEND wins), a TZID the tz
  database does not know (read as floating), an event that cannot be understood (left out).

Per occurrence, in §6's order: STATUS:CANCELLED, TRANSP:TRANSPARENT and
X-MICROSOFT-CDO-BUSYSTATUS:FREE are ignored; ...:OOF is away; an all-day event
(VALUE=DATE) is `all_day` from my zone's midnight of DTSTART to that of DTEND (none: one
day); a timed event is `timed` from DTSTART to DTEND or DTSTART + DURATION (neither: no
length, no span). "ignore" as `timed` or `all_day` drops those. Floating times are my wall
clock, except in a calendar with X-WR-TIMEZONE (Google), read in that zone via
`x_wr_timezone.to_standard`. Recurrence is `recurring_ical_events`' (RFC 5545).

`icalendar`, `recurring_ical_events` and `x_wr_timezone` are imported inside the functions:
importing this module stays cheap for `check`.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from boundaries.core.diagnostics import LineWarning
from boundaries.core.errors import BoundariesError
from boundaries.sources.ical_lines import blocks, calendar_properties, decode, logical_lines


class CalendarError(BoundariesError):
    """A calendar path that cannot be read (missing, not a file or folder, permission)."""


class Span(NamedTuple):
    """One occurrence that blocks me: busy or away from `start` to `end` (aware, UTC)."""

    start: datetime
    end: datetime
    kind: str        # "busy" | "away"
    summary: str     # private: for reasons only
    path: Path       # the .ics file
    line: int        # its BEGIN:VEVENT (1-based)


TIMED_KINDS = ("busy", "ignore")
ALL_DAY_KINDS = ("away", "busy", "ignore")
_SLACK = timedelta(days=2)  # floating and all-day times can lie up to a day off UTC
_TIME_PROPS = ("DTSTART", "DTEND", "RECURRENCE-ID", "EXDATE", "RDATE")


def read_calendar(path: Path, *, timed: str = "busy", all_day: str = "away",
                  my_zone: ZoneInfo, start: datetime,
                  end: datetime) -> tuple[list[Span], list[LineWarning]]:
    """The spans of the calendar at `path` that overlap [start, end), and its warnings."""
    if timed not in TIMED_KINDS:
        raise CalendarError(f"timed = {timed!r} is not one of {', '.join(TIMED_KINDS)}")
    if all_day not in ALL_DAY_KINDS:
        raise CalendarError(f"all_day = {all_day!r} is not one of {', '.join(ALL_DAY_KINDS)}")
    spans: list[Span] = []
    warnings: list[LineWarning] = []
    for file, data in _files(path, warnings):
        reader = FileReader(file, timed, all_day, my_zone)
        spans += reader.read(data, start, end)
        warnings += reader.warnings
    spans.sort(key=lambda s: (s.start, s.end, str(s.path), s.line))
    return spans, warnings


def calendar_files(path: Path) -> list[Path]:
    """The .ics files of a calendar path: the file itself, or a folder's `*.ics` (sorted,
    hidden files skipped, not recursive); `CalendarError` when the path cannot be read."""
    names = calendar_names(path)
    return [path] if names is None else [path / name for name in names]


def calendar_names(path: Path) -> list[str] | None:
    """A folder's .ics file names, sorted (None: `path` is one file); `CalendarError` when
    the path cannot be read. One `scandir`: no stat of a plain file."""
    try:
        if path.is_dir():
            with os.scandir(path) as entries:
                return sorted(e.name for e in entries if e.name[-4:].lower() == ".ics"
                              and not e.name.startswith(".") and e.is_file())
        if path.is_file():
            return None
        if path.exists():
            raise CalendarError(f"{path} is neither a file nor a folder")
        else:
            raise CalendarError(f"{path} does not exist",
                                "give an .ics file or a folder of them (a vdir)")
    except OSError as exc:
        raise CalendarError(f"cannot read {path}: {exc.strerror}") from exc


def _files(path: Path, warnings: list[LineWarning]) -> list[tuple[Path, bytes]]:
    """Each .ics file's bytes; an unreadable file inside a folder is a warning."""
    out = []
    for name in calendar_files(path):
        try:
            out.append((name, name.read_bytes()))
        except OSError as exc:
            if name == path:
                raise CalendarError(f"cannot read {path}: {exc.strerror}") from exc
            warnings.append(LineWarning(name, 1, f"cannot read the file: {exc.strerror}"))
    return out


def _recurrence_key(value: Any) -> object:
    """A RECURRENCE-ID (or an occurrence's) as a comparable key: UTC when aware."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC)
    return value


class FileReader:
    """One .ics file: `parse` it once (warnings at their lines), then `spans` of any range.

    A single event (no RRULE, RDATE or RECURRENCE-ID) is worked out directly; a series goes
    through `recurring_ical_events`, kept parsed so that another range costs no new parse.
    """

    def __init__(self, path: Path, timed: str, all_day: str, my_zone: ZoneInfo) -> None:
        self.path, self.timed, self.all_day, self.zone = path, timed, all_day, my_zone
        self.start = self.end = datetime.min.replace(tzinfo=UTC)
        self.spans_found: list[Span] = []
        self.warnings: list[LineWarning] = []
        self._singles: list[tuple[Any, int]] = []
        self._series: list[tuple[str, Any, dict, int]] = []  # uid, calendar, lines, first

    def warn(self, line: int, message: str) -> None:
        self.warnings.append(LineWarning(self.path, line, message))

    def read(self, data: bytes, start: datetime, end: datetime) -> list[Span]:
        """Parse `data` and return its spans that overlap [start, end)."""
        self.parse(data)
        return self.between(start, end)

    def parse(self, data: bytes) -> None:
        """Parse the file; every problem is a warning (`self.warnings`, by line)."""
        text = decode(data)
        if not text.strip():
            self.warn(1, "the file is empty: no events")
            return
        cal, lines = self._parse(text)
        if cal is None:
            return
        events = cal.walk("VEVENT")
        if not events:
            if "BEGIN:VTIMEZONE" in text.upper():
                self.warn(1, "the file holds only timezones, no events")
            return
        if cal.get("X-WR-TIMEZONE") is not None:
            cal = self._standard(cal, text)
            events = cal.walk("VEVENT")
        if len(lines) != len(events):  # never seen; keep every event at its file's top
            lines = [1] * len(events)
        self._group(cal, list(zip(events, lines, strict=True)))
        self.warnings.sort(key=lambda w: w.line)

    def between(self, start: datetime, end: datetime) -> list[Span]:
        """The spans of the parsed file that overlap [start, end), sorted by start."""
        import recurring_ical_events

        self.start, self.end, self.spans_found = start, end, []
        for event, line in self._singles:
            self._add(event, line)
        for uid, mini, lines, first in self._series:
            try:
                found = recurring_ical_events.of(mini).between(start - _SLACK, end + _SLACK)
                for occurrence in found:
                    recurrence = occurrence.get("RECURRENCE-ID")
                    key = None if recurrence is None else _recurrence_key(recurrence.dt)
                    self._add(occurrence, lines.get(key, first))
            except Exception as exc:  # a series the expander rejects
                self.warn(first, f"cannot understand the event {uid!r}: {exc}; left out")
                self._series = [s for s in self._series if s[0] != uid]
        self.spans_found.sort(key=lambda s: (s.start, s.end, s.line))
        return self.spans_found

    def _parse(self, text: str) -> tuple[Any, list[int]]:
        """The calendar and the BEGIN:VEVENT line of each of its events, in order; a file
        that does not parse gives a warning and, if it can, its complete components."""
        import icalendar

        found = blocks(text)
        lines = [b.line for b in found if b.name == "VEVENT"]
        known = [b for b in found if b.name == "VTIMEZONE" and b.complete and _iana(b.text)]
        if known:  # the tz database has these zones: parsing their rules again is waste
            text_in = "\r\n".join(["BEGIN:VCALENDAR", *calendar_properties(text),
                                    *(b.text for b in found if b not in known),
                                    "END:VCALENDAR", ""])
        else:
            text_in = text
        try:
            return icalendar.Calendar.from_ical(text_in), lines
        except Exception as exc:  # any parser failure is a warning
            broken = next((b.line for b in found if not b.complete), 1)
            whole = [b for b in found if b.complete]
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            events = sum(b.name == "VEVENT" for b in whole)
            cut = "; cut short by a sync?" if any(not b.complete for b in found) else ""
            kept = f"read its {events} complete event(s)" if events else "nothing read"
            self.warn(broken, f"the file does not parse ({reason}{cut}); {kept}")
            if not events:
                return None, []
            body = "\r\n".join(["BEGIN:VCALENDAR", *calendar_properties(text),
                                *(b.text for b in whole), "END:VCALENDAR", ""])
            try:
                return icalendar.Calendar.from_ical(body), [b.line for b in whole
                                                            if b.name == "VEVENT"]
            except Exception:
                return None, []

    def _standard(self, cal: Any, text: str) -> Any:
        """Google's X-WR-TIMEZONE applied (floating and UTC times read in that zone)."""
        import x_wr_timezone

        try:
            return x_wr_timezone.to_standard(cal)
        except Exception as exc:  # e.g. a zone the tz database lacks
            line = next((n for n, ln in logical_lines(text)
                         if ln.upper().startswith("X-WR-TIMEZONE")), 1)
            self.warn(line, f"X-WR-TIMEZONE cannot be used ({exc}); times read as written")
            return cal

    def _checked(self, event: Any, line: int) -> bool:
        """False (with a warning) for an event that cannot be understood; other oddities
        are warned about and repaired in place."""
        errors = getattr(event, "errors", None) or []
        if errors:
            name, why = errors[0]
            self.warn(line, f"cannot understand the event: {name}: {why}; left out")
            return False
        if event.get("DTSTART") is None:
            self.warn(line, "cannot understand the event: it has no DTSTART; left out")
            return False
        if event.get("DTEND") is not None and event.get("DURATION") is not None:
            self.warn(line, "the event has both DTEND and DURATION; DTEND is used")
            del event["DURATION"]
        for name in _TIME_PROPS:
            for prop in _as_list(event.get(name)):
                tzid = getattr(prop, "params", {}).get("TZID")
                if tzid and _naive(prop):
                    self.warn(line, f"unknown timezone {tzid!r} in {name}; read as "
                                    f"floating time ({self.zone.key})")
                    return True
        return True

    def _group(self, cal: Any, events: list[tuple[Any, int]]) -> None:
        """Sort the events into singles and series (grouped by UID, with their moved or
        edited occurrences and the zones they need)."""
        import icalendar

        zones = cal.walk("VTIMEZONE")
        groups: dict[str, list[tuple[Any, int]]] = {}
        for index, (event, line) in enumerate(events):
            if self._checked(event, line):
                uid = str(event.get("UID") or f"\x00{index}")
                groups.setdefault(uid, []).append((event, line))
        for uid, members in groups.items():
            if len(members) == 1 and not any(members[0][0].get(k) is not None
                                             for k in ("RRULE", "RDATE", "RECURRENCE-ID")):
                self._singles.append(members[0])
                continue
            lines = {}
            for event, line in members:
                recurrence = event.get("RECURRENCE-ID")
                key = None if recurrence is None else _recurrence_key(recurrence.dt)
                lines.setdefault(key, line)
            mini = icalendar.Calendar()
            for component in (*zones, *(event for event, _line in members)):
                mini.add_component(component)
            self._series.append((uid, mini, lines, lines.get(None, members[0][1])))

    def _add(self, event: Any, line: int) -> None:
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            return
        if str(event.get("TRANSP", "")).upper() == "TRANSPARENT":
            return
        status = str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper()
        if status == "FREE":
            return
        begin = event["DTSTART"].dt
        if event.get("DTEND") is not None:
            finish = event["DTEND"].dt
        elif event.get("DURATION") is not None:
            finish = begin + event["DURATION"].dt
        else:
            finish = begin
        all_day = not isinstance(begin, datetime)
        if all_day and not isinstance(finish, datetime) and finish <= begin:
            finish = begin + timedelta(days=1)
        kind = "away" if status == "OOF" else self.all_day if all_day else self.timed
        if kind == "ignore":
            return
        lo, hi = self._instant(begin), self._instant(finish)
        if lo >= hi or hi <= self.start or lo >= self.end:
            return
        self.spans_found.append(Span(lo, hi, kind, str(event.get("SUMMARY", "")), self.path, line))

    def _instant(self, value: date) -> datetime:
        """A DATE (my midnight), floating (my wall clock) or aware time, in UTC."""
        if not isinstance(value, datetime):
            value = datetime.combine(value, time())
        if value.tzinfo is None:
            value = value.replace(tzinfo=self.zone)
        return value.astimezone(UTC)


@lru_cache(maxsize=512)
def _known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return False
    return "/" in name or name == "UTC"


def _iana(vtimezone: str) -> bool:
    """Whether a VTIMEZONE block names a zone of the tz database (icalendar then uses the
    database's rules, and the block's own rules need no parse)."""
    for line in vtimezone.split("\r\n"):
        if line[:5].upper() == "TZID:" or line[:5].upper() == "TZID;":
            return _known_zone(line.split(":", 1)[1].strip())
    return False


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _naive(prop: Any) -> bool:
    """True when a time property holds a datetime without a zone (its TZID was unknown)."""
    values = getattr(prop, "dts", None)
    items = [v.dt for v in values] if values is not None else [getattr(prop, "dt", None)]
    return any(isinstance(v, datetime) and v.tzinfo is None for v in items)


__all__ = ["ALL_DAY_KINDS", "TIMED_KINDS", "CalendarError", "FileReader", "Span", "calendar_files",
           "read_calendar"]

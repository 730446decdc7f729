"""The calendars of a loaded policy set (me.toml's `[[calendars]]`), opened for the engine,
for `lint` and for `where` (sources.md §6).

A calendar that cannot be read is a `Diagnostic` error at its `path` key in me.toml: the
decision goes on without it, and every front end says so. An event that cannot be
understood is a warning at its line in the .ics file, relative to the policy folder where
the file lies inside it, else as me.toml wrote the path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

from boundaries.core.calendar import NO_CALENDAR, CalendarSpan, CalendarTable
from boundaries.core.diagnostics import Diagnostic
from boundaries.core.model import CalendarRef, PolicySet
from boundaries.core.time import zone
from boundaries.sources.calendar_store import CalendarStore, resolve_path


class Labeller:
    """How a calendar file is named in reasons and diagnostics."""

    def __init__(self, root: Path, ref: CalendarRef, path: Path) -> None:
        self.root = os.path.realpath(root)
        self.ref, self.path = ref, path
        self._known: dict[Path, str] = {}

    def __call__(self, file: Path) -> str:
        found = self._known.get(file)
        if found is None:
            found = self._known[file] = self._label(file)
        return found

    def _label(self, file: Path) -> str:
        real = os.path.realpath(file)
        if real.startswith(self.root + os.sep):
            return os.path.relpath(real, self.root)
        if file == self.path:
            return self.ref.path
        return f"{self.ref.path.rstrip('/')}/{file.name}"


def _where(ref: CalendarRef) -> tuple[int, int]:
    _rel, line, col = [*ref.source.split(":"), "1", "1"][:3]
    return int(line or 1), int(col or 1)


def problem_of(ref: CalendarRef, store: CalendarStore) -> Diagnostic | None:
    """The error at me.toml's `path` key when the calendar cannot be read at all."""
    if store.problem is None:
        return None
    line, col = _where(ref)
    return Diagnostic("me.toml", line, col, "error",
                      f"calendar `{ref.path}` cannot be read: {store.problem}; "
                      "decisions go on without it",
                      store.problem_hint or "fix the path, or remove this [[calendars]] table")


def stores(ps: PolicySet, cache: Path | None) -> list[CalendarStore]:
    """One store per `[[calendars]]` table, opened (its files listed and stat'ed)."""
    root = Path(ps.root)
    tz = zone(ps.me.timezone)
    out = []
    for ref in ps.me.calendars:
        path = resolve_path(ref, root)
        out.append(CalendarStore(ref, path, tz, cache, Labeller(root, ref, path)))
    return out


def open_calendars(ps: PolicySet, cache: Path | None) -> CalendarTable:
    """The set's calendars as the engine's table (empty when me.toml names none)."""
    if not ps.me.calendars:
        return NO_CALENDAR
    opened = stores(ps, cache)
    problems = tuple(p for ref, s in zip(ps.me.calendars, opened, strict=True)
                     if (p := problem_of(ref, s)) is not None)

    def compute(month: int) -> list[CalendarSpan]:
        spans: list[CalendarSpan] = []
        for store in opened:
            spans += store.month(month)
        return spans

    return CalendarTable(compute, tuple(ref.path for ref in ps.me.calendars), problems)


class CalendarInfo(NamedTuple):
    """What `where` says of one calendar."""

    path: str  # as me.toml wrote it
    resolved: Path
    files: int
    events: int
    problem: str | None


def calendar_info(ps: PolicySet, cache: Path | None) -> list[CalendarInfo]:
    """Each calendar: where it is, how many files and events it holds, what is wrong."""
    return [CalendarInfo(ref.path, store.path, store.files, store.events(), store.problem)
            for ref, store in zip(ps.me.calendars, stores(ps, cache), strict=True)]


def calendar_diagnostics(ps: PolicySet, cache: Path | None) -> list[Diagnostic]:
    """For `lint`: unreadable calendars (errors at me.toml) and every event that cannot be
    understood (warnings at its line), every file parsed (kept per file version)."""
    out: list[Diagnostic] = []
    for ref, store in zip(ps.me.calendars, stores(ps, cache), strict=True):
        problem = problem_of(ref, store)
        if problem is not None:
            out.append(problem)
            continue
        if store.files == 0:
            line, col = _where(ref)
            out.append(Diagnostic("me.toml", line, col, "warning",
                                  f"calendar `{ref.path}` holds no .ics files yet",
                                  "sync it first (e.g. `vdirsyncer sync`), or fix the path"))
        for w in store.warnings():
            out.append(Diagnostic(store.label(w.path), w.line, 1, "warning", w.message))
    return out


__all__ = ["CalendarInfo", "Labeller", "calendar_diagnostics", "calendar_info",
           "open_calendars", "problem_of", "stores"]

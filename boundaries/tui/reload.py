"""Loading the set off the UI thread, and live reload: polled `stat`s of the policy files and
of every calendar me.toml names (sources.md §6: vdirsyncer writes new files into a vdir).

`LiveReload` is the app's half that loads; `BoundariesApp` mixes it in. A calendar's files
are stamped as the calendar store keys its cache (`sources.calendar_store.stat_calendar`:
name, inode, modification and change time of each regular `.ics` file), so a file added to
a vdir, removed, edited in place or replaced by a sync's rename changes the stamp and no
byte is read. The preloaded set's
calendar stamp is taken just after the first frame (a vdir of 5,000 files costs some 20 ms
of `stat`s, which the first paint does not pay)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from boundaries.core.diagnostics import Diagnostic
from boundaries.core.model import PolicySet
from boundaries.policy.files import policy_files
from boundaries.policy.result import LoadResult

if TYPE_CHECKING:
    from boundaries.policy.discovery import Found

POLICIES_RELOADED = "Policies reloaded."
CALENDARS_RELOADED = "Calendars reloaded."


def _stat(path: Path | str) -> tuple:
    st = os.stat(path)
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def _stamp(root: Path) -> tuple:
    """What the policy files are now, from `stat` alone: cheap change detection, polled.

    Name, size and mtime miss an edit that keeps the size and puts the mtime back (`sed`
    then `touch -r`); the change time and the inode cannot be put back (an edit in place
    moves the one, a write-and-rename makes a new other)."""
    out = []
    for f in policy_files(root):
        try:
            out.append((str(f), *_stat(f)))
        except OSError:
            continue
    return tuple(out)


def calendar_stamp(ps: PolicySet | None) -> tuple:
    """What the set's calendar files are now (() for a set without calendars)."""
    if ps is None or not ps.me.calendars:
        return ()
    from boundaries.sources.calendar_store import resolve_path, stat_calendar
    from boundaries.sources.calendars import CalendarError

    def files(path: Path) -> tuple:
        try:
            _single, names, keys = stat_calendar(path)
        except CalendarError as exc:  # missing or unreadable: a stamp too (it may come back)
            return ("unreadable", str(exc))
        return tuple(names), tuple(keys)

    root = Path(ps.root)
    return tuple((ref.path, files(resolve_path(ref, root))) for ref in ps.me.calendars)


class LiveReload:
    """The loading half of `BoundariesApp` (see the module docstring)."""

    found: Found
    policies: PolicySet | None
    diagnostics: tuple[Diagnostic, ...]
    stale: bool
    loaded: bool
    _stamp: tuple
    _calendar_stamp: tuple | None  # None: not taken yet (the preloaded set's, after paint)
    _calendar_told: frozenset[str]

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def load_policies(self, note: str = POLICIES_RELOADED) -> None:
        """Load (or reload) the set off the UI thread and hand the result back."""
        from boundaries.service import load_set, with_calendars

        stamp = _stamp(self.found.path)
        old = self.policies
        calendars = calendar_stamp(old)
        if not self.found.path.is_dir():
            result = LoadResult(None, (Diagnostic(str(self.found.path), 1, 1, "error",
                                                  "policy folder does not exist"),))
        else:
            result = load_set(self.found.path, self.found.origin)
        new = result.policies
        fallback = None
        if result.ok and new is not None:
            if old is None or (new.root, new.me.calendars) != (old.root, old.me.calendars):
                calendars = calendar_stamp(new)  # other calendars than the ones stamped
        elif old is not None and old.me.calendars:
            # still deciding with the last good set: with its calendars as they are now
            fallback = with_calendars(LoadResult(old, ())).policies
        self.call_from_thread(self.apply_result, result, stamp, calendars, note, fallback)

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def poll_files(self) -> None:
        """Reload when a policy file or a calendar file was added, removed or changed."""
        if not self.loaded:
            return
        if _stamp(self.found.path) != self._stamp:
            self.call_from_thread(self.load_policies)
        elif self._calendar_stamp is not None \
                and calendar_stamp(self.policies) != self._calendar_stamp:
            self.call_from_thread(self.load_policies, CALENDARS_RELOADED)

    @work(thread=True, exclusive=True, exit_on_error=False, group="poll")
    def stamp_calendars(self) -> None:
        """Take the calendar stamp of a set loaded before the UI started."""
        ps = self.policies
        stamp = calendar_stamp(ps)
        self.call_from_thread(self._keep_calendar_stamp, ps, stamp)

    def _keep_calendar_stamp(self, ps: PolicySet | None, stamp: tuple) -> None:
        if self._calendar_stamp is None and ps is self.policies:
            self._calendar_stamp = stamp

    def apply_result(self, result: LoadResult, stamp: tuple, calendars: tuple | None = None,
                     note: str = POLICIES_RELOADED, fallback: PolicySet | None = None) -> None:
        """Take a loaded set: keep deciding with the last good one if it has errors."""
        first = not self.loaded
        self.loaded = True
        self._stamp = stamp
        self._calendar_stamp = calendars
        if result.ok:
            self.policies = result.policies
            self.take_policies()
            if self.stale or not first:
                self.notify(note, title="boundaries")
            self.stale = False
        else:
            errors = len(result.errors)
            if self.policies is not None:
                if fallback is not None:
                    self.policies = fallback
                    self.take_policies()
                self.stale = True
                self.notify(f"{errors} error(s) in the policy files: still deciding with the "
                            "last good policies. See Problems (F4).", severity="error",
                            title="Policy errors", timeout=8)
            else:
                self.notify(f"{errors} error(s) in the policy files. See Problems (F4).",
                            severity="error", title="Policy errors", timeout=8)
        problems = self.policies.calendar.problems if self.policies is not None else ()
        self.diagnostics = result.diagnostics + tuple(
            p for p in problems if p not in result.diagnostics)
        self._tell_calendar_problems(problems)
        self.refresh_all()

    def _tell_calendar_problems(self, problems: tuple[Diagnostic, ...]) -> None:
        """A toast for each calendar that cannot be read, once (not again at every reload
        while it stays broken; again if it breaks anew after a fix)."""
        for p in problems:
            if p.message not in self._calendar_told:
                self.notify(f"{p.message}. See Problems (F4).", title="Calendar",
                            severity="warning", timeout=10)
        self._calendar_told = frozenset(p.message for p in problems)

    if TYPE_CHECKING:  # provided by the app
        def notify(self, message: str, **kw: Any) -> None: ...
        def refresh_all(self) -> None: ...
        def take_policies(self) -> None: ...
        def call_from_thread(self, callback: Any, *args: Any) -> Any: ...

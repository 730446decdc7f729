"""One calendar of me.toml for the decision: its files parsed only where a request looks,
expanded a UTC month at a time, and kept in the cache (sources.md §6).

The cache key of a calendar is every file's name, inode, modification and change time (ns),
read with one `stat` each. The change time moves with every write and every change of the
modification time (it cannot be set back; the modification time is kept for file systems
that do not keep a change time, such as some network mounts), a new inode is a file replaced
by a sync (vdirsyncer and khal write a new file and rename it over the old one), and names
tell added and removed files: every change is seen, and no byte is hashed on a start.

A month is worked out from the files whose days (`ical_bounds.rough_bounds`, read once per
file version) can reach it; the months worked out so far are kept until any file changes.
Cache files are 0600 and written atomically.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import stat
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from boundaries.core.calendar import CalendarSpan, month_bounds
from boundaries.core.diagnostics import LineWarning
from boundaries.core.model import CalendarRef
from boundaries.sources.calendars import CalendarError, FileReader, calendar_names
from boundaries.sources.ical_lines import decode

FORMAT = 4  # 2: ctime in the key; 3: months pickled one by one; 4: key (inode, ctime)
_LIBRARIES = ("icalendar", "recurring_ical_events", "x_wr_timezone")
_OPEN_LO, _OPEN_HI = -(1 << 40), 1 << 40  # an open bound, as a day ordinal


Key = tuple[int, int, int]  # a file's inode, mtime_ns and ctime_ns


class FileState(NamedTuple):
    """What the cache knows of one file version (`key`)."""

    key: Key  # inode, mtime_ns, ctime_ns
    lo: int  # first day (ordinal) it can block; _OPEN_LO: unknown
    hi: int  # last day; _OPEN_HI: open-ended
    events: int  # BEGIN:VEVENT lines
    warnings: tuple[tuple[int, str], ...] | None  # (line, message); None: not parsed yet


class CalendarStore:
    """The spans of one `[[calendars]]` entry, month by month (see the module docstring).

    `problem` says why the calendar cannot be read at all (then it has no spans);
    `label(path)` is how a file is named in a reason's source (relative to the policy
    folder where it lies inside it)."""

    def __init__(self, ref: CalendarRef, path: Path, my_zone: ZoneInfo, cache: Path | None,
                 label: Callable[[Path], str]) -> None:
        self.ref, self.path, self.zone, self.label = ref, path, my_zone, label
        self.problem: str | None = None
        self.problem_hint: str | None = None
        self._cache = cache
        self._names: list[str] = []
        self._single = ""  # the file's name when the calendar is one file
        self._keys: list[Key] = []
        self._digest = ""
        self._months: dict[int, tuple[CalendarSpan, ...]] = {}
        self._packed: dict[int, bytes] = {}  # months as the cache keeps them, pickled
        self._index: dict[str, FileState] | None = None
        self._readers: dict[str, FileReader] = {}
        self._data: dict[str, bytes] = {}
        self._open()

    # -- the files as they are now ---------------------------------------------------------
    def _file(self, name: str) -> Path:
        return self.path if name == self._single else self.path / name

    def _open(self) -> None:
        """List and stat the files (the cache key), and take the months the cache holds
        for exactly these files. The warm path of every start: one listdir, one stat per
        file, one small read; nothing is parsed or unpickled but the head."""
        try:
            self._single, self._names, self._keys = stat_calendar(self.path)
        except CalendarError as exc:
            self.problem, self.problem_hint = str(exc), exc.hint
            return
        ints = hash(tuple(x for k in self._keys for x in k))  # ints hash the same every run
        h = hashlib.sha256("\0".join(self._names).encode("utf-8", "surrogateescape"))
        self._digest = f"{h.hexdigest()[:32]}:{ints}:{len(self._names)}"
        head = self._load("head")
        if head is not None and head.get("digest") == self._digest:
            self._packed = head["months"]

    @property
    def files(self) -> int:
        """How many .ics files the calendar has."""
        return len(self._names)

    # -- the cache ---------------------------------------------------------------------
    def _cache_path(self, part: str) -> Path | None:
        if self._cache is None:
            return None
        from boundaries.policy.cache import libraries_stamp

        # the sources kept with the spans are labels: two policy sets naming one calendar
        # (inside one, by absolute path from the other) label it differently
        labels = (self.label(self.path), self.label(self.path / "x.ics"))
        ident = "\0".join((str(FORMAT), str(self.path.resolve()), self.ref.timed,
                           self.ref.all_day, self.zone.key, sys.prefix, *labels,
                           libraries_stamp(_LIBRARIES)))
        h = hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        return self._cache / f"calendar-{h}.{part}"

    def _load(self, part: str) -> dict | None:
        path = self._cache_path(part)
        if path is None:
            return None
        try:
            with open(path, "rb") as f:
                if os.fstat(f.fileno()).st_uid != os.getuid():
                    return None  # not ours: never unpickle it
                found = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
                IndexError, TypeError, ValueError):
            return None
        return found if isinstance(found, dict) and found.get("format") == FORMAT else None

    def _save(self, part: str, value: dict) -> None:
        from boundaries.fsutil import atomic_write_in

        path = self._cache_path(part)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            data = pickle.dumps({"format": FORMAT, **value}, protocol=pickle.HIGHEST_PROTOCOL)
            atomic_write_in(path.parent, path.name, lambda f: f.write(data), mode=0o600,
                            sync_folder=False)
        except OSError:
            pass  # a cache that cannot be written only costs time

    # -- per file ----------------------------------------------------------------------
    def _read(self, name: str) -> bytes | None:
        data = self._data.get(name)
        if data is None:
            try:
                data = self._data[name] = self._file(name).read_bytes()
            except OSError:
                return None
        return data

    def index(self) -> dict[str, FileState]:
        """Every file's state, read again only for files whose key changed."""
        if self._index is not None:
            return self._index
        last = self._load("files")
        known: dict[str, FileState] = last["files"] if last else {}
        index: dict[str, FileState] = {}
        changed = False
        for name, key in zip(self._names, self._keys, strict=True):
            state = known.get(name)
            if state is None or state.key != key:
                state = self._scan(name, key)
                changed = True
            index[name] = state
        self._index = index
        if changed or len(known) != len(index):
            self._save("files", {"files": index})
        return index

    def _scan(self, name: str, key: Key) -> FileState:
        from boundaries.sources.ical_bounds import rough_bounds  # only when a file changed

        data = self._read(name)
        if data is None:
            return FileState(key, _OPEN_LO, _OPEN_HI, 0, ((1, "cannot read the file"),))
        text = decode(data)
        lo, hi = rough_bounds(text)
        return FileState(key, lo.toordinal() if lo else _OPEN_LO,
                         hi.toordinal() if hi else _OPEN_HI, text.upper().count("BEGIN:VEVENT"),
                         None)

    def _reader(self, name: str) -> FileReader:
        reader = self._readers.get(name)
        if reader is None:
            reader = self._readers[name] = FileReader(self._file(name), self.ref.timed,
                                                      self.ref.all_day, self.zone)
            data = self._read(name)
            if data is None:
                reader.warn(1, "cannot read the file")
            else:
                try:
                    reader.parse(data)
                except Exception as exc:  # never let one file stop the rest
                    reader.warn(1, f"cannot read the file: {exc}")
        return reader

    # -- what the decision asks --------------------------------------------------------
    def month(self, month: int) -> tuple[CalendarSpan, ...]:
        """The spans that overlap one UTC month."""
        found = self._months.get(month)
        if found is None and month in self._packed:
            found = self._months[month] = pickle.loads(self._packed[month])
        if found is not None or self.problem is not None:
            return found or ()
        start, end = month_bounds(month)
        lo = datetime.fromtimestamp(start, UTC)
        hi = datetime.fromtimestamp(end, UTC)
        first, last = (lo - timedelta(days=1)).date().toordinal(), hi.date().toordinal()
        spans: dict[CalendarSpan, None] = {}
        for name, state in self.index().items():
            if state.hi < first or state.lo > last:
                continue
            reader = self._reader(name)
            for s in reader.between(lo, hi):
                spans[CalendarSpan(int(s.start.timestamp()), int(s.end.timestamp()), s.kind,
                                   s.summary, f"{self.label(s.path)}:{s.line}")] = None
        found = self._months[month] = tuple(sorted(spans))
        self._packed[month] = pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)
        self._save("head", {"digest": self._digest, "months": self._packed})
        return found

    def warnings(self) -> list[LineWarning]:
        """Every file parsed (once per file version; kept): what cannot be understood."""
        index = self.index()
        out: list[LineWarning] = []
        changed = False
        for name, state in index.items():
            if state.warnings is None:
                reader = self._reader(name)
                state = index[name] = state._replace(
                    warnings=tuple((w.line, w.message) for w in reader.warnings))
                changed = True
            out += [LineWarning(self._file(name), line, message)
                    for line, message in state.warnings or ()]
        if changed:
            self._save("files", {"files": index})
        return out

    def events(self) -> int:
        """How many events (BEGIN:VEVENT) the calendar's files hold."""
        return sum(state.events for state in self.index().values())


def stat_calendar(path: Path) -> tuple[str, list[str], list[Key]]:
    """What a calendar's files are now, from `stat` alone: (the file's name when the calendar
    is one file, else ""; the names of a folder's regular `*.ics` files, hidden ones and
    subfolders skipped, in the folder's own listing order; each one's key). A file gone
    between the listing and its stat counts as removed; `CalendarError` when the path
    cannot be read. The store's cache key and the TUI's reload stamp."""
    try:
        if not path.is_dir():
            calendar_names(path)  # a file, or CalendarError
            st = os.stat(path)
            return path.name, [path.name], [(st.st_ino, st.st_mtime_ns, st.st_ctime_ns)]
        names: list[str] = []
        keys: list[Key] = []
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            # a folder lists the same names in the same order until it changes
            listed = [n for n in os.listdir(fd) if (n.endswith(".ics") or n[-4:].lower()
                                                    == ".ics") and n[:1] != "."]
            stat_at, regular = os.stat, stat.S_ISREG
            for name in listed:
                try:
                    st = stat_at(name, dir_fd=fd)
                except OSError:
                    continue
                if regular(st.st_mode):
                    names.append(name)
                    keys.append((st.st_ino, st.st_mtime_ns, st.st_ctime_ns))
        finally:
            os.close(fd)
        return "", names, keys
    except OSError as exc:
        raise CalendarError(f"cannot read {path}: {exc.strerror}") from exc


def resolve_path(ref: CalendarRef, root: Path) -> Path:
    """The calendar's path: `~` expanded, relative to the policy folder."""
    path = Path(os.path.expanduser(ref.path))
    return path if path.is_absolute() else root / path


__all__ = ["CalendarStore", "FileState", "resolve_path", "stat_calendar"]

"""The journal: what came in and what I did, as append-only JSON Lines.

One file per calendar month (of the request, in my timezone) and device,
`YYYY-MM.<device>.jsonl`, so a journal kept in git or a synced folder never conflicts.
Each entry is one `write` of one line to a file opened for append, under an advisory
lock; files are created 0600 and the folder 0700; nothing ever rewrites or truncates a
journal file, and nothing writes through a symlink. The reader reads every journal file of
the folder, conflict copies made by a sync tool included, counts each entry id once, and
skips a torn, corrupt or wrongly typed line with a warning (`journal_schema`).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import stat
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from boundaries.core.diagnostics import LineWarning
from boundaries.journal.schema import OUTCOMES, EntryError, check, parse_line

SPENT = ("answered", "called-back")  # outcomes in which I actually gave my time
# every journal file of a month: this program's `YYYY-MM.<device>.jsonl`, and the copies a
# sync tool makes beside it (`….sync-conflict-….jsonl`, `… (conflicted copy …).jsonl`)
_FILE = re.compile(r"^(\d{4})-(\d{2})\.(.+)\.jsonl$", re.DOTALL)
_DEVICE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the device part of a file this program writes
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

__all__ = ["OUTCOMES", "SPENT", "Entry", "JournalWarning", "append", "append_many",
           "conflict_copies", "device_name", "files_for", "journal_dir", "read"]


def journal_dir(explicit: str | os.PathLike | None = None) -> Path:
    """--journal DIR, else $BOUNDARIES_JOURNAL, else `<user_data_dir>/boundaries/journal`.

    `--journal ''` is a RequestError (it would otherwise write to another folder); an empty
    $BOUNDARIES_JOURNAL counts as unset, as empty environment variables conventionally do."""
    if explicit is not None:
        if not os.fspath(explicit).strip():
            from boundaries.core.errors import RequestError

            raise RequestError("--journal needs a folder",
                               "e.g. --journal ~/journal; leave it out for the default "
                               "(`boundaries where` shows it)")
        return Path(explicit).expanduser()
    env = os.environ.get("BOUNDARIES_JOURNAL")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("boundaries", appauthor=False)) / "journal"


def device_name() -> str:
    """This machine's part of the file names ($BOUNDARIES_DEVICE, else the host name).

    Distinct machines get distinct names: a name of lower-case letters, digits, `-` and `_`
    (at most 40) is used as it is; any other keeps its readable part and gets a short hash
    of the whole name (`Jörg-PC` -> `j-rg-pc-…`, `mbp.home` -> `mbp-home-…`). Lower case,
    because a synced folder on macOS or Windows does not tell `Laptop` from `laptop`."""
    raw = os.environ.get("BOUNDARIES_DEVICE") or os.uname().nodename or "device"
    readable = re.sub(r"[^a-z0-9_-]", "-", raw.lower())[:40]
    if readable == raw:
        return raw
    digest = hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{readable}-{digest}"


def new_id(now_ns: int | None = None) -> str:
    """A ULID: 48 bits of milliseconds and 80 random bits, sortable by time."""
    import secrets

    ms = (now_ns if now_ns is not None else time.time_ns()) // 1_000_000
    value = (ms << 80) | secrets.randbits(80)
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


class Entry(NamedTuple):
    """One journal line, parsed."""

    data: dict
    at: datetime
    path: Path
    line: int

    @property
    def client(self) -> str | None:
        return self.data.get("client")

    @property
    def sender(self) -> str:
        return self.data.get("sender", "")


JournalWarning = LineWarning  # one type for a skipped line of any file we read


def append(folder: Path, entry: dict, month: str) -> Path:
    """Append one entry (one line, one write, under an exclusive lock) to this device's file.

    Never through a symlink (OSError ELOOP) nor into anything but a regular file; a file
    readable by others is made 0600. An entry that does not fit the schema is a ValueError."""
    return append_many(folder, {month: [entry]})[month]


def append_many(folder: Path, entries_by_month: Mapping[str, Sequence[dict]]
                ) -> dict[str, Path]:
    """Append entries to this device's file of each month as `append` does one: every entry
    checked first (a ValueError before anything is written), then per month one write of
    all its whole lines and one fsync, under the file's exclusive lock — a run over 10,000
    mails cannot afford an fsync each. The files written, by month; an OSError for one
    month leaves the months before it written (pass one month to know which failed)."""
    for entries in entries_by_month.values():
        for entry in entries:
            check(entry)
    written: dict[str, Path] = {}
    months = [(m, es) for m, es in entries_by_month.items() if es]
    if not months:
        return written
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # a folder someone else made: make it private anyway
        os.chmod(folder, 0o700)
    device = device_name()
    for month, entries in months:
        path = folder / f"{month}.{device}.jsonl"
        _append_lines(path, b"".join(
            (_ENCODE(entry) + "\n").encode("utf-8") for entry in entries))
        written[month] = path
    return written


_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def _append_lines(path: Path, data: bytes) -> None:
    """Whole lines appended to `path` in one write, under its lock, then fsynced."""
    import fcntl

    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o600)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise OSError(errno.ELOOP, "the journal file is a symbolic link; the journal never "
                          "writes through one (put the file itself there)", str(path)) from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(errno.EINVAL, "the journal file is not a regular file", str(path))
        if st.st_mode & 0o777 != 0o600:
            with contextlib.suppress(OSError):  # someone else's file: still append
                os.fchmod(fd, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            # a torn line left by a crash must not swallow this entry: start on a new line
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data
            written = os.write(fd, data)
            if written != len(data):
                raise OSError(f"short write to {path}: {written} of {len(data)} bytes")
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def is_conflict_copy(path: Path) -> bool:
    """A journal file this program did not name: a copy a sync tool made in a conflict."""
    m = _FILE.match(path.name)
    return m is not None and _DEVICE.fullmatch(m.group(3)) is None


def files_for(folder: Path, months: Iterable[str] | None = None) -> list[Path]:
    """Every journal file of these months (all months if None): each device's file, then
    the conflict copies, each group by name."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    wanted = set(months) if months is not None else None
    out = []
    for name in names:
        m = _FILE.match(name)
        if m and (wanted is None or f"{m.group(1)}-{m.group(2)}" in wanted):
            out.append(folder / name)
    return sorted(out, key=lambda p: (is_conflict_copy(p), p.name))


def conflict_copies(folder: Path) -> list[Path]:
    """The conflict copies in the journal folder, by name (they are read like the rest)."""
    return [p for p in files_for(folder) if is_conflict_copy(p)]


def only_in(folder: Path, copy: Path) -> int:
    """How many entries of `copy` no other journal file of its month holds."""
    m = _FILE.match(copy.name)
    month = f"{m.group(1)}-{m.group(2)}" if m else ""
    entries, _ = read(folder, [month])
    return sum(1 for e in entries if e.path == copy)


def read(folder: Path, months: Iterable[str] | None = None,
         must_contain: str | None = None) -> tuple[list[Entry], list[JournalWarning]]:
    """Every valid entry of those months, each id once, in time order, and the warnings.

    A torn, corrupt or wrongly typed line is a warning and skipped. An entry whose id came
    before (in a device's file, then in a conflict copy) is not counted again.
    `must_contain` skips, unparsed, lines that cannot hold that text as a JSON string
    (fast filtering when only one sender's facts are needed): a line is skipped only if
    the text's UTF-8 is not in it and it holds no backslash (no JSON escape could hide it).
    """
    needle = must_contain.encode("utf-8", "surrogateescape") if must_contain is not None \
        else None
    entries: list[Entry] = []
    warnings: list[JournalWarning] = []
    seen: dict[str | bytes, tuple[Path, int, bytes]] = {}
    for path in files_for(folder, months):
        try:
            raw = _read_file(path)
        except OSError as exc:
            warnings.append(JournalWarning(path, 1, f"cannot read: {exc.strerror or exc}"))
            continue
        lines = raw.removeprefix(b"\xef\xbb\xbf").split(b"\n")
        torn = bool(raw) and not raw.endswith(b"\n")
        for number, blob in enumerate(lines, start=1):
            if (needle is not None and needle not in blob and b"\\" not in blob) \
                    or not blob.strip():
                continue
            try:
                data, at = parse_line(blob)
            except EntryError as exc:
                warnings.append(JournalWarning(path, number, _skipped(
                    str(exc), last=number == len(lines) and torn)))
                continue
            key = data.get("id") or blob
            first = seen.get(key)
            if first is None:
                seen[key] = (path, number, blob)
                entries.append(Entry(data, at, path, number))
            elif first[2] != blob:
                warnings.append(JournalWarning(path, number, (
                    f"entry `{key}` differs from the one at {first[0].name}:{first[1]}; "
                    "that one is counted, this one skipped")))
    entries.sort(key=lambda e: (e.at, e.data.get("id", "")))
    return entries, warnings


def _skipped(reason: str, *, last: bool) -> str:
    if reason != "corrupt":
        return f"entry skipped: {reason}"
    return "torn last line skipped (an interrupted write)" if last else "corrupt entry skipped"


def _read_file(path: Path) -> bytes:
    """The bytes of a journal file; a FIFO or a device is an OSError, never waited on."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with open(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        return fh.read()


def month_of(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def months_between(start: datetime, end: datetime) -> list[str]:
    """Every YYYY-MM from start's month to end's month (inclusive)."""
    out = []
    y, m = start.year, start.month
    while (y, m) <= (end.year, end.month):
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


"""The journal: what came in and what I did, as append-only JSON Lines.

One file per calendar month (of the request, in my timezone) and device,
`YYYY-MM.<device>.jsonl`, so a journal kept in git or a synced folder never conflicts.
Each entry is one `write` of one line to a file opened for append, under an advisory
lock; files are created 0600 and the folder 0700; nothing ever rewrites or truncates a
journal file. The reader skips a torn or corrupt line with a warning and keeps the rest.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import time
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import NamedTuple

OUTCOMES = ("answered", "called-back", "missed", "declined")
SPENT = ("answered", "called-back")  # outcomes in which I actually gave my time
REPEAT_WINDOW = timedelta(minutes=15)
_FILE = re.compile(r"^(\d{4})-(\d{2})\.([A-Za-z0-9_.-]+)\.jsonl$")
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def journal_dir(explicit: str | os.PathLike | None = None) -> Path:
    """--journal DIR, else $BOUNDARIES_JOURNAL, else `<user_data_dir>/boundaries/journal`."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ.get("BOUNDARIES_JOURNAL")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("boundaries", appauthor=False)) / "journal"


def device_name() -> str:
    """This machine's part of the file names ($BOUNDARIES_DEVICE, else the host name)."""
    raw = os.environ.get("BOUNDARIES_DEVICE") or os.uname().nodename or "device"
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw.split(".")[0])[:40] or "device"


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


class JournalWarning(NamedTuple):
    path: Path
    line: int
    message: str

    def format(self) -> str:
        return f"{self.path}:{self.line}: warning: {self.message}"


def append(folder: Path, entry: dict, month: str) -> Path:
    """Append one entry (one line, one write, under an exclusive lock) to this device's file."""
    import fcntl

    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # a folder someone else made: make it private anyway
        os.chmod(folder, 0o700)
    path = folder / f"{month}.{device_name()}.jsonl"
    line = (json.dumps(entry, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            # a torn line left by a crash must not swallow this entry: start on a new line
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(f"short write to {path}: {written} of {len(line)} bytes")
            os.fsync(fd)
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
    return path


def files_for(folder: Path, months: Iterable[str] | None = None) -> list[Path]:
    """Journal files of every device for these months (all months if None), oldest first."""
    if not folder.is_dir():
        return []
    wanted = set(months) if months is not None else None
    out = []
    for p in folder.iterdir():
        m = _FILE.match(p.name)
        if m and (wanted is None or f"{m.group(1)}-{m.group(2)}" in wanted):
            out.append(p)
    return sorted(out)


def read(folder: Path, months: Iterable[str] | None = None,
         must_contain: str | None = None) -> tuple[list[Entry], list[JournalWarning]]:
    """Every readable entry of those months, in time order, and a warning per bad line.

    `must_contain` skips lines that do not contain that text before parsing them (fast
    filtering by sender when only one sender's facts are needed).
    """
    entries: list[Entry] = []
    warnings: list[JournalWarning] = []
    for path in files_for(folder, months):
        try:
            raw = path.read_bytes()
        except OSError as exc:
            warnings.append(JournalWarning(path, 1, f"cannot read: {exc.strerror or exc}"))
            continue
        lines = raw.split(b"\n")
        torn = bool(raw) and not raw.endswith(b"\n")
        for number, blob in enumerate(lines, start=1):
            if not blob.strip():
                continue
            if must_contain is not None and must_contain.encode() not in blob:
                continue
            entry = _parse(blob, path, number)
            if entry is None:
                last = number == len(lines) and torn
                warnings.append(JournalWarning(
                    path, number, "torn last line skipped (an interrupted write)" if last
                    else "corrupt entry skipped"))
                continue
            entries.append(entry)
    entries.sort(key=lambda e: (e.at, e.data.get("id", "")))
    return entries, warnings


def _parse(blob: bytes, path: Path, number: int) -> Entry | None:
    try:
        data = json.loads(blob)
        at = datetime.fromisoformat(data["at"])
    except (ValueError, KeyError, TypeError):
        return None
    if not isinstance(data, dict) or at.tzinfo is None:
        return None
    return Entry(data, at, path, number)


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


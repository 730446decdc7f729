"""The files of a policy folder, how one is read, and a fingerprint of them all.

One enumeration (`policy_files`) serves the loader and the fingerprint, so the cache key
covers exactly what a load reads; one read (`read_policy_file`) serves both too, so neither
can hang on a FIFO or read a device without end.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

MAX_FILE_BYTES = 2_000_000
_FIXED = ("me.toml", "clients.toml", "checks.toml")
_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0))
_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


class FileRefused(OSError):
    """A policy file that is not read at all: not a regular file, or too large."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def policy_files(root: Path) -> list[Path]:
    """Every candidate policy file of `root`, in a stable order, whatever its kind.

    me.toml, clients.toml and checks.toml if anything exists at that name (a file, a
    folder, a FIFO, a dangling link), then each `*.toml` entry of tiers/ and replies/ but
    hidden ones (`.#x.toml`, an editor's lock while it edits x.toml; `.x.toml`, a swap or
    sync file). The loader reads exactly these and the fingerprint covers exactly these."""
    files = [root / name for name in _FIXED if os.path.lexists(root / name)]
    for sub in ("tiers", "replies"):
        d = root / sub
        if d.is_dir():
            files += sorted(p for p in d.glob("*.toml") if not p.name.startswith("."))
    return files


def read_policy_file(path: Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the regular file `path`, read without blocking and never more than
    `limit` + 1 bytes. Raises FileRefused for anything else (a folder, a FIFO, a device)
    or a larger file, OSError if it cannot be opened or read."""
    _refuse_kind(os.stat(path).st_mode)  # a device or FIFO is not even opened
    fd = os.open(path, _OPEN_FLAGS)  # non-blocking: it may have become a FIFO since
    try:
        st = os.fstat(fd)  # what is read is what is checked
        _refuse_kind(st.st_mode)
        _refuse_size(st.st_size, limit)
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        data = b"".join(chunks)
        _refuse_size(len(data), limit)  # it grew while being read
        return data
    finally:
        os.close(fd)


def _refuse_kind(mode: int) -> None:
    if stat.S_ISREG(mode):
        return
    kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
    raise FileRefused(f"cannot read file: it is {kind}, not a regular file",
                      "a policy file is a plain text file; remove or replace what is there")


def _refuse_size(size: int, limit: int) -> None:
    if size > limit:
        raise FileRefused(f"file is {size:,} bytes; policy files are small (limit {limit:,})",
                          "is this really a policy file?")


def fingerprint(root: Path) -> str:
    """A hash of what the loader sees of each policy file: its name, then its bytes, or
    why it is not read (its kind, its size, the error), which is all its diagnostic says."""
    h = hashlib.sha256()
    for f in policy_files(root):
        try:
            seen = b"bytes\0" + read_policy_file(f)
        except FileRefused as exc:
            seen = b"refused\0" + exc.message.encode()
        except OSError as exc:
            seen = b"unreadable\0" + os.fsencode(str(exc.strerror or exc))
        h.update(os.fsencode(f.relative_to(root).as_posix()) + b"\0")  # any name
        h.update(len(seen).to_bytes(8, "big") + seen)
    return h.hexdigest()

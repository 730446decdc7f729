"""A reply written as a draft into a Maildir, the way the format wants it written.

The message goes into `tmp/` under a unique name, is synced, then linked into `cur/` with
the flag `D` (`NAME:2,D`) and removed from `tmp/`, and `cur/` is synced: a reader (mutt,
neomutt, aerc, notmuch, an mbsync that uploads Drafts) sees the whole draft or none of it,
whatever crashes when. Unique names as the Maildir spec gives them
(`<secs>.M<usec>P<pid>Q<n>.<host>`, `/` and `:` in the host escaped as `\\057` and
`\\072`). Files are 0600 and folders made here 0700: a draft is private.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import time
from pathlib import Path

from boundaries.core.errors import BoundariesError

_SUBDIRS = ("tmp", "new", "cur")
_DELIVERIES = itertools.count(1)  # this process's deliveries: the `Q<n>` of a unique name
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
DRAFT_INFO = ":2,D"


def unique_name() -> str:
    """A new Maildir unique name: `<secs>.M<usec>P<pid>Q<n>.<host>`."""
    now = time.time_ns() // 1000
    secs, usec = divmod(now, 1_000_000)
    host = socket.gethostname().replace("/", "\\057").replace(":", "\\072") or "localhost"
    return f"{secs}.M{usec}P{os.getpid()}Q{next(_DELIVERIES)}.{host}"


def ensure_maildir(folder: Path) -> None:
    """Make `folder` a Maildir: `tmp/`, `new/` and `cur/` (0700), those it lacks; a folder
    that exists is left as it is otherwise."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    for sub in _SUBDIRS:
        (folder / sub).mkdir(mode=0o700, exist_ok=True)


def _sync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):  # some file systems cannot sync a folder
            os.fsync(fd)
    finally:
        os.close(fd)


def _deliver(folder: Path, message: bytes) -> Path:
    while True:
        name = unique_name()
        tmp = folder / "tmp" / name
        try:
            fd = os.open(tmp, _CREATE, 0o600)
        except FileExistsError:  # another writer took the name: take the next one
            continue
        break
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(message)
            fh.flush()
            os.fsync(fh.fileno())
        final = folder / "cur" / (name + DRAFT_INFO)
        try:
            os.link(tmp, final)  # the Maildir way: never replaces a file of that name
        except FileExistsError:
            raise
        except OSError:  # a file system without hard links: rename (into a fresh name)
            if final.exists():
                raise FileExistsError(final) from None
            os.rename(tmp, final)
        _sync_dir(folder / "cur")
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return final


def write_draft(folder: Path, message: bytes) -> Path:
    """Write `message` (RFC 5322 bytes) as a draft into the Maildir `folder` (`tmp/`, then
    `cur/NAME:2,D`), creating the Maildir if needed; the path of the draft. A folder that
    cannot be written is a `BoundariesError` with a hint."""
    try:
        ensure_maildir(folder)
        return _deliver(folder, message)
    except OSError as e:
        reason = e.strerror or type(e).__name__
        where = e.filename or folder
        raise BoundariesError(
            f"{folder}: cannot write a draft ({reason}: {where})",
            hint="give a Maildir folder you can write as --drafts or `[sources] drafts` "
                 "(your mail client's Drafts, e.g. ~/Mail/Drafts)") from e


__all__ = ["DRAFT_INFO", "ensure_maildir", "unique_name", "write_draft"]

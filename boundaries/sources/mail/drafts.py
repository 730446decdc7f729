"""A reply written as a draft into a Maildir, the way the format wants it written.

The message goes into `tmp/` under a unique name, is synced, then linked into `cur/` with
the flag `D` (`NAME:2,D`) and removed from `tmp/`, and `cur/` is synced: a reader (mutt,
neomutt, aerc, notmuch, an mbsync that uploads Drafts) sees the whole draft or none of it,
whatever crashes when. Unique names as the Maildir spec gives them
(`<secs>.M<usec>P<pid>Q<n>.<host>`, `/` and `:` in the host escaped as `\\057` and
`\\072`). Files are 0600 and folders made here 0700: a draft is private.

`write_drafts` writes a run's drafts together: all into `tmp/`, one `sync` for all their
data, then each linked into `cur/` — an fsync per file costs about a millisecond, which
10,000 drafts cannot afford.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import time
from collections.abc import Sequence
from pathlib import Path

from boundaries.core.errors import BoundariesError

_SUBDIRS = ("tmp", "new", "cur")
_DELIVERIES = itertools.count(1)  # this process's deliveries: the `Q<n>` of a unique name
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
DRAFT_INFO = ":2,D"
BATCH = 16  # drafts written at once from which one sync is cheaper than an fsync each


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


def _to_tmp(folder: Path, message: bytes, *, sync: bool) -> str:
    """Write `message` into `folder/tmp/` under a new unique name (fsynced when `sync`);
    that name."""
    while True:
        name = unique_name()
        try:
            fd = os.open(folder / "tmp" / name, _CREATE, 0o600)
        except FileExistsError:  # another writer took the name: take the next one
            continue
        break
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o600)
            fh.write(message)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(folder / "tmp" / name)
        raise
    return name


def _publish(folder: Path, name: str) -> Path:
    """Move the written `tmp/NAME` into `cur/NAME:2,D`, where clients see it."""
    tmp, final = folder / "tmp" / name, folder / "cur" / (name + DRAFT_INFO)
    try:
        os.link(tmp, final)  # the Maildir way: never replaces a file of that name
    except FileExistsError:
        raise
    except OSError:  # a file system without hard links: rename (into a fresh name)
        if final.exists():
            raise FileExistsError(final) from None
        os.rename(tmp, final)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(tmp)
    return final


def inside_maildir(maildir: Path, drafts: Path) -> bool:
    """Whether the Drafts folder `drafts` is the Maildir `maildir` itself or lies in its
    `new/`, `cur/` or `tmp/`: drafts written there would change the user's Maildir."""
    try:
        box, target = maildir.resolve(), drafts.resolve()
    except OSError:
        return False
    return target == box or any(target.is_relative_to(box / sub) for sub in _SUBDIRS)


class DraftError(BoundariesError):
    """Drafts that could not be written; `written` holds those that were (complete)."""

    def __init__(self, message: str, hint: str | None, written: list[Path]) -> None:
        super().__init__(message, hint)
        self.written = written


def _error(folder: Path, e: OSError, written: list[Path]) -> DraftError:
    reason = e.strerror or type(e).__name__
    return DraftError(f"{folder}: cannot write a draft ({reason}: {e.filename or folder})",
                      "give a Maildir folder you can write as --drafts or `[sources] drafts` "
                      "(your mail client's Drafts, e.g. ~/Mail/Drafts)", written)


def write_draft(folder: Path, message: bytes) -> Path:
    """Write `message` (RFC 5322 bytes) as a draft into the Maildir `folder` (`tmp/`, then
    `cur/NAME:2,D`), creating the Maildir if needed; the path of the draft, on disk when
    this returns. A folder that cannot be written is a `BoundariesError` with a hint."""
    return write_drafts(folder, [message])[0]


def write_drafts(folder: Path, messages: Sequence[bytes]) -> list[Path]:
    """Write several drafts at once, each as `write_draft` does, their paths in order. The
    data of all of them is made durable before any is shown in `cur/` — one `sync` for a
    batch of `BATCH` or more rather than an fsync each (a run over 10,000 mails), an fsync
    each for fewer. On an error the drafts already in `cur/` are complete: the
    `DraftError`'s `written` says which."""
    if not messages:
        return []
    written: list[Path] = []
    names: list[str] = []
    batch = len(messages) >= BATCH
    try:
        ensure_maildir(folder)
        for m in messages:
            names.append(_to_tmp(folder, m, sync=not batch))
        if batch:
            os.sync()  # every file's data on disk before any is linked
        for name in names:
            written.append(_publish(folder, name))
        _sync_dir(folder / "cur")
    except OSError as e:
        for name in names[len(written):]:
            with contextlib.suppress(OSError):
                os.unlink(folder / "tmp" / name)
        raise _error(folder, e, written) from e
    return written


__all__ = ["BATCH", "DRAFT_INFO", "DraftError", "ensure_maildir", "inside_maildir",
           "unique_name", "write_draft", "write_drafts"]

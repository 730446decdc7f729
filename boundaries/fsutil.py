"""Safe writes: a temporary file in the same folder, fsync, then an atomic rename; and the
exclusive lock that serialises a read-check-write of one file."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def atomic_write(path: Path, data: bytes, *, mode: int | None = None,
                 follow_symlinks: bool = False,
                 before_replace: Callable[[], None] | None = None) -> None:
    """Replace (or create) `path` with `data` so that readers see the old or the new file,
    never a part. `mode` defaults to the old file's mode, else 0o644. `follow_symlinks`:
    if `path` is a symlink, replace its target (the link stays a link) instead of the link.
    `before_replace` runs after the new bytes are on disk, just before the rename; if it
    raises, nothing is replaced and the exception propagates."""
    if follow_symlinks:
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = path.stat().st_mode & 0o777
        except FileNotFoundError:
            mode = 0o644
    atomic_write_in(path.parent, path.name, lambda fh: fh.write(data), mode=mode,
                    before_replace=before_replace)


def atomic_write_in(folder: Path | int, name: str, write: Callable[[BinaryIO], object], *,
                    mode: int, before_replace: Callable[[], None] | None = None,
                    sync_folder: bool = True) -> None:
    """Replace (or create) the entry `name` of `folder` (a path, or an open folder's
    descriptor: then every step is relative to it, so a folder swapped in meanwhile is never
    written) with what `write` writes into the file it is handed: a new file
    `.NAME.RANDOM.tmp`, created exclusively, never through a link, with `mode` whatever the
    umask; fsync; then a rename. On an exception (from `write`, `before_replace` or the
    system) nothing is replaced, the temporary file is removed and the exception
    propagates. `sync_folder`: also make the rename durable (a cache skips it)."""
    tmp = f".{name}.{os.urandom(6).hex()}.tmp"
    if isinstance(folder, int):
        at: dict = {"dir_fd": folder}
        both: dict = {"src_dir_fd": folder, "dst_dir_fd": folder}
        src, dst = tmp, name
    else:
        at, both = {}, {}
        src, dst = os.path.join(folder, tmp), os.path.join(folder, name)
    fd = os.open(src, _CREATE, 0o600, **at)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fd, mode)
            write(fh)
            fh.flush()
            os.fsync(fd)
        if before_replace is not None:
            before_replace()
        os.replace(src, dst, **both)
    finally:
        with contextlib.suppress(FileNotFoundError):  # renamed: nothing left to remove
            os.unlink(src, **at)
    if sync_folder:
        _sync_folder(folder)


def _sync_folder(folder: Path | int) -> None:
    """Make a rename in `folder` durable (where the system allows it)."""
    try:
        fd = folder if isinstance(folder, int) else os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        if not isinstance(folder, int):
            os.close(fd)


def lock_path(path: Path) -> Path:
    """The lock file of `path`: `.NAME.lock` beside its real (symlink-resolved) location, so
    every way to reach one file shares one lock, and a rename of the file (ours, or an
    editor's save) never replaces the lock."""
    real = Path(os.path.realpath(path))
    return real.parent / f".{real.name}.lock"


@contextlib.contextmanager
def exclusive_lock(path: Path, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
    """Hold an exclusive flock on `lock_path(path)` (created 0600, left in place: removing a
    lock file races with the next locker). `on_wait` is called once if another holder makes
    us wait. Raises OSError if the lock file cannot be made."""
    import fcntl

    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)

"""Safe writes: a temporary file in the same folder, fsync, then an atomic rename; and the
exclusive lock that serialises a read-check-write of one file."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


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
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


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

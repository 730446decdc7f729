"""Appending client tables to clients.toml: the one locked read-check-append that `client
add` (one table) and `client import` (many) share.

Every byte already in the file is kept (a byte order mark, CRLF line endings, comments); the
new tables go after it in one atomic write, under the folder's clients.toml lock, and only if
the set would have no new errors. A symlinked clients.toml stays a link (its target is
written, with its mode). Nothing here prints: problems are raised as `BoundariesError`s.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from boundaries.core.errors import BoundariesError, RequestError

if TYPE_CHECKING:
    from boundaries.core.diagnostics import Diagnostic
    from boundaries.policy.discovery import Found
    from boundaries.policy.result import LoadResult

ATTEMPTS = 3  # reads of clients.toml before giving up on an editor that keeps saving it

Table = tuple[str, dict]  # (client id, the client's keys)
Build = Callable[["LoadResult"], Sequence[Table]]


class WouldBreak(BoundariesError):
    """The set would have new errors with the tables appended; `diagnostics` are those."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        super().__init__("the set would have new errors; clients.toml is unchanged")
        self.diagnostics = tuple(diagnostics)


class Appended(NamedTuple):
    """What an append did: `target` is clients.toml, `real` the file written (its symlink's
    target), `tables` what was appended (or would be, on a dry run), `text` their TOML."""

    target: Path
    real: Path
    tables: tuple[Table, ...]
    text: str
    written: bool


class _Changed(Exception):
    """clients.toml changed between our read and our rename (an edit that took no lock)."""


def writable_set(found: Found) -> Path:
    """The folder of a set that may be changed: not the shipped example set, with a me.toml
    (else a `RequestError`)."""
    if found.is_example:
        raise RequestError("refusing to change the shipped example set",
                           "copy it first or run `boundaries init DIR`, then pass --policies DIR")
    root = found.path
    if not (root / "me.toml").is_file():
        raise RequestError(f"{root} is not a policy folder (no me.toml)",
                           "pass --policies DIR, or run `boundaries init DIR` first")
    return root


def append_clients(root: Path, build: Build, *, not_done: str, dry_run: bool = False,
                   heading: str = "", on_wait: Callable[[Path], None] | None = None) -> Appended:
    """Append the tables `build` returns to `root`'s clients.toml, under its lock.

    `build` gets the set as loaded under the lock (it is called again if the file changed
    before the rename) and raises to refuse. `not_done` ends the message when an editor keeps
    saving (e.g. "`x` was not added"). `on_wait(lock file)` is called if another holder makes
    us wait. `heading`, a comment, goes before the tables (a character that is not
    printable is written as `?`). A dry run takes no lock and writes nothing. Raises
    `WouldBreak` if the result would lint with new errors, `RequestError` for a file that
    cannot be read or written."""
    from boundaries.fsutil import exclusive_lock, lock_path

    target = root / "clients.toml"
    real = _writable_target(target)
    if dry_run:
        return _append_once(root, build, target, real, heading, write=False)
    with contextlib.ExitStack() as held:
        try:
            held.enter_context(exclusive_lock(
                real, on_wait=None if on_wait is None else lambda: on_wait(lock_path(real))))
        except OSError as exc:
            raise RequestError(f"could not lock {target}: {exc.strerror or exc}; it is "
                               "unchanged", "check the folder's permissions") from None
        for _ in range(ATTEMPTS):
            with contextlib.suppress(_Changed):
                return _append_once(root, build, target, real, heading, write=True)
    raise RequestError(f"{target} changed each time it was read (an editor saving it?); it is "
                       f"as that edit left it, and {not_done}",
                       "save and close the file, then run the command again")


def _writable_target(target: Path) -> Path:
    """The file to write: clients.toml, or the file its symlink points at. Refuses a dangling
    link, something that is not a regular file, and a read-only file."""
    import stat

    if not os.path.lexists(target):
        return target
    real = Path(os.path.realpath(target))
    try:
        st = os.stat(real)
    except OSError as exc:
        raise RequestError(f"{target} leads to {real}, which cannot be read: "
                           f"{exc.strerror or exc}", "fix or remove the link") from None
    if not stat.S_ISREG(st.st_mode):
        raise RequestError(f"{target} is not a regular file; it is unchanged",
                           "clients.toml must be a plain text file")
    if not st.st_mode & stat.S_IWUSR or not os.access(real, os.W_OK):
        raise RequestError(f"{target} is read-only; it is unchanged",
                           f"make it writable (chmod u+w {real}) or add the client by hand")
    return real


def _snapshot(path: Path) -> tuple[bytes, int] | None:
    """The bytes and permission bits of a regular file, or None if there is none."""
    from boundaries.policy.files import FileRefused, read_policy_file

    try:
        return read_policy_file(path), os.stat(path).st_mode & 0o777
    except FileNotFoundError:
        return None
    except FileRefused as exc:
        raise RequestError(f"{path}: {exc.message}; it is unchanged", exc.hint) from None
    except OSError as exc:
        raise RequestError(f"cannot read {path}: {exc.strerror or exc}; it is unchanged") \
            from None


def _unchanged(path: Path, old: tuple[bytes, int] | None) -> None:
    """Raise _Changed unless `path` holds what `_snapshot` read before (bytes, not stat: an
    edit can keep size and mtime)."""
    now = _snapshot(path)
    if (None if now is None else now[0]) != (None if old is None else old[0]):
        raise _Changed


def _append_once(root: Path, build: Build, target: Path, real: Path, heading: str, *,
                 write: bool) -> Appended:
    """One read-check-write of clients.toml; _Changed if it moved under us."""
    import tomllib

    from boundaries.fsutil import atomic_write
    from boundaries.policy.load import load

    snap = _snapshot(real)
    old = snap[0] if snap else b""
    before = load(root)
    tables = tuple(build(before))
    if not tables:
        return Appended(target, real, (), "", False)
    if old:
        try:
            tomllib.loads(old.decode("utf-8-sig"))  # a byte order mark is fine, as in lint
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            raise RequestError("clients.toml has errors; fix them first",
                               f"boundaries lint --policies {root}") from None
    text = _comment(heading) + tables_toml(tables)
    new = appended(old, text)
    problems = _errors_with(root, new, before)
    if problems:
        raise WouldBreak(problems)
    if write:
        try:
            atomic_write(real, new, mode=snap[1] if snap else 0o600,
                         before_replace=lambda: _unchanged(real, snap))
        except OSError as exc:
            raise RequestError(f"could not write {target}: {exc.strerror or exc}; it is "
                               "unchanged", "check the disk and the folder's permissions") \
                from None
    return Appended(target, real, tables, text, write)


def tables_toml(tables: Sequence[Table]) -> str:
    """`[clients.<id>]` tables as TOML, with LF line endings, in the order given."""
    import tomli_w

    return tomli_w.dumps({"clients": dict(tables)})


def _comment(text: str) -> str:
    """`text` as one TOML comment line ('' for none)."""
    if not text:
        return ""
    return "# " + "".join(c if c.isprintable() else "?" for c in text) + "\n"


def appended(old: bytes, text: str) -> bytes:
    """`old` with `text` after a blank line, in `old`'s line endings (those of its first
    line: CRLF or LF)."""
    first = old.find(b"\n")
    nl = b"\r\n" if first > 0 and old[first - 1:first] == b"\r" else b"\n"
    table = text.encode("utf-8").replace(b"\n", nl)
    sep = b"" if not old else (nl if old.endswith(b"\n") else nl + nl)
    return old + sep + table


def _errors_with(root: Path, clients: bytes, before: LoadResult) -> list[Diagnostic]:
    """The errors a set would have with `clients` as its clients.toml, that it has not now."""
    from boundaries.policy.load import load

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "set"
        shutil.copytree(root, copy, ignore=shutil.ignore_patterns(".git"))
        (copy / "clients.toml").write_bytes(clients)
        after = load(copy)
    old = {(d.path, d.message) for d in before.errors}
    return [d for d in after.errors if (d.path, d.message) not in old]


__all__ = ["ATTEMPTS", "Appended", "WouldBreak", "append_clients", "appended", "tables_toml",
           "writable_set"]

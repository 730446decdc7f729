"""A Maildir's messages, read and never changed (sources.md §9; the format as
https://cr.yp.to/proto/maildir.html and Dovecot's and mbsync's notes describe it).

A Maildir is a folder with `tmp/`, `new/` and `cur/`. Delivery writes a message into `tmp/`
and renames it into `new/`; a mail client that has seen it moves it to `cur/` and appends
its info, `:2,` and the flags in ASCII order (`D` draft, `F` flagged, `P` passed, `R`
replied, `S` seen, `T` trashed; mbsync on Windows-friendly setups writes `;` for `:`).
So `new/` and `cur/` hold the messages, `tmp/` holds half-delivered files that are not
messages yet, and names starting with `.` are not messages (Maildir++ subfolders such as
`.Sent`, editors' and sync tools' files).

Reading never writes: every file is opened read-only (without updating its access time where
the system lets us: `read.open_readonly`), nothing is renamed, created, flagged or touched.
`mailbox.Maildir` is not used for reading: it does not modify on read, but its messages
(`get_message`, `get_bytes`) are whole files read in full, its listing is a table keyed by
unique name with neither the subfolder's delivery time nor an order (one `stat` per file
would be needed anyway), and its `clean()` deletes from `tmp/` — never called here, but a
reader with no writing call in it is easier to trust. `os.scandir` with one `stat` per file
and a read of the header block is all it takes.

A mail client may move a message from `new/` to `cur/` (adding `:2,S`) between our listing
and our opening it: a message that vanished is looked for once under its unique name in
`cur/`, read there if found, and otherwise skipped without a word (it was deleted; nothing to
decide). Messages come sorted by their delivery time (the file's modification time, as every
Maildir tool takes it), then by name, so the same folder lists the same way every time.
"""

from __future__ import annotations

import os
from collections.abc import Container, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from boundaries.core.errors import BoundariesError
from boundaries.core.mail import MailMessage
from boundaries.sources.mail.read import MailReadError, parse_headers, read_header_block

SUBFOLDERS = ("new", "cur")  # where messages are; never tmp/
_INFO_SEPARATORS = (":2,", ";2,")


class MailItem(NamedTuple):
    """A message read from a mail folder: where (a file, or `MBOX#N`), its headers, and its
    Maildir flags in the order written (`"RS"`; "" for a message in `new/`)."""

    path: str
    message: MailMessage
    flags: str


class MailSkip(NamedTuple):
    """A file that is no readable message: where, and why (for `PATH: warning: WHY`)."""

    path: str
    warning: str


class MaildirError(BoundariesError):
    """A folder that is no Maildir, or cannot be listed: exit 2."""


def maildir_messages(folder: Path,
                     known: Container[str] = frozenset()) -> Iterator[MailItem | MailSkip]:
    """Every message in `folder/new` and `folder/cur`, headers only, oldest first; a file
    that cannot be read is a `MailSkip`. MaildirError for a folder that is no Maildir.

    `known`: unique names (`unique_name`) of files already taken, passed over without
    being opened — so a second run over a big Maildir costs one listing, not a read of
    every message (a message keeps its unique name when the client moves or flags it)."""
    entries = list_maildir(folder)
    moved: dict[str, Path] | None = None
    for mtime, name, path in entries:
        if known and unique_name(name) in known:
            continue
        try:
            yield _read(path, mtime)
            continue
        except FileNotFoundError:
            pass
        if moved is None:  # the client moved it? look in cur/ once, for all that vanished
            moved = _unique_names(folder / "cur")
        again = moved.get(unique_name(path.name))
        if again is not None and again != path:
            try:
                yield _read(again, mtime)  # a rename keeps the modification time
            except FileNotFoundError:
                continue


def list_maildir(folder: Path) -> list[tuple[float, str, Path]]:
    """(modification time, name, path) of each message file in `new/` and `cur/`, sorted."""
    found = [(mtime, name, Path(path)) for mtime, name, path in scan_maildir(folder)]
    found.sort(key=lambda e: (e[0], e[1]))
    return found


def scan_maildir(folder: Path) -> Iterator[tuple[float, str, str]]:
    """(modification time, name, path) of each message file in `new/` and `cur/`, as listed
    (a listing and a stat each, no sorting, no Path made: a look at 10,000 files is cheap).
    Dotfiles, folders and files gone while listing are passed over; no Maildir, or a folder
    that cannot be listed, is MaildirError with a hint."""
    present = [sub for sub in SUBFOLDERS if (folder / sub).is_dir()]
    if not present:
        if not folder.exists():
            raise MaildirError(f"{folder}: no such folder",
                               hint="give the Maildir folder that holds new/, cur/ and tmp/")
        raise MaildirError(f"{folder}: not a Maildir (it has no new/ and no cur/)",
                           hint="a Maildir holds new/, cur/ and tmp/: give that folder, e.g. "
                                "~/Mail/INBOX (mbsync, offlineimap) — an mbox file is read "
                                "with --mbox")
    for sub in present:
        try:
            with os.scandir(folder / sub) as listing:
                for entry in listing:
                    if entry.name.startswith("."):
                        continue
                    try:
                        if not entry.is_file(follow_symlinks=True):
                            continue
                        mtime = entry.stat(follow_symlinks=True).st_mtime
                    except FileNotFoundError:
                        continue  # gone while we listed: moved or deleted
                    yield mtime, entry.name, entry.path
        except OSError as exc:
            raise MaildirError(f"{folder / sub}: cannot be listed: {exc.strerror or exc}") from None


def flags_of(name: str) -> str:
    """The flags of a Maildir file name (`1733.M1P2.host:2,RS` -> `RS`); "" without info."""
    for separator in _INFO_SEPARATORS:
        _, found, flags = name.rpartition(separator)
        if found:
            return flags
    return ""


def unique_name(name: str) -> str:
    """A Maildir file name without its info (`:2,…`): the same in `new/` and `cur/`."""
    for separator in (":", ";"):
        name = name.partition(separator)[0]
    return name


def _read(path: Path, mtime: float) -> MailItem | MailSkip:
    shown = str(path)
    try:
        blob = read_header_block(path)
        message = parse_headers(blob, shown, datetime.fromtimestamp(mtime, UTC))
    except FileNotFoundError:
        raise
    except MailReadError as exc:
        return MailSkip(shown, str(exc))
    except OSError as exc:
        return MailSkip(shown, f"cannot be read: {exc.strerror or exc}")
    return MailItem(shown, message, flags_of(path.name))


def _unique_names(cur: Path) -> dict[str, Path]:
    try:
        with os.scandir(cur) as listing:
            return {unique_name(e.name): Path(e.path) for e in listing
                    if not e.name.startswith(".")}
    except OSError:
        return {}


__all__ = ["MailItem", "MailSkip", "MaildirError", "flags_of", "list_maildir",
           "maildir_messages", "unique_name"]

"""An mbox file's messages, headers only, for `replay --mbox` (sources.md §9, issue 16 part 7).

An mbox is one file of messages, each starting with a `From ` line (`From sender date`,
the date in asctime form) at the start of the file or after an empty line; mutt,
Thunderbird, Postfix's local delivery, Google Takeout and `mailbox.mbox` all write that empty
line. The file is streamed line by line, in pieces of at most `CHUNK` bytes, so a message of
50 MB costs its headers and the pieces of its body we skip, never the whole message —
`mailbox.mbox` would first read the whole file to index it and then each whole message.

Each message is `MailItem` with path `FILE#N` (N from 1, in file order); `delivered` is the
`From ` line's date where it can be read (with no zone: UTC, as `read.parse_date` does), and
the flags are the mbox's `Status`/`X-Status` in Maildir letters (`R` read → `S`, `A`
answered → `R`, `F` flagged → `F`, `D` deleted → `T`). The file is opened read-only and never
changed (without updating its access time where the system lets us: mutt takes an mbox whose
access time is older than its modification time as holding new mail).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from boundaries.core.errors import BoundariesError
from boundaries.sources.mail.maildir import MailItem, MailSkip
from boundaries.sources.mail.read import (
    MAX_HEADER,
    MailReadError,
    open_readonly,
    parse_date,
    parse_headers,
)

CHUNK = 64 * 1024  # bytes of a line read at a time
_BLANK = (b"\n", b"\r\n")
_STATUS = {"R": "S"}  # Status: RO (read, old)
_X_STATUS = {"A": "R", "F": "F", "D": "T"}


class MboxError(BoundariesError):
    """An mbox file that cannot be opened, or a file that is no mbox: exit 2."""


class _Message:
    __slots__ = ("from_line", "headers", "in_headers", "too_long")

    def __init__(self, from_line: bytes) -> None:
        self.from_line = from_line
        self.headers = bytearray()
        self.in_headers = True
        self.too_long = False


def mbox_messages(path: Path) -> Iterator[MailItem | MailSkip]:
    """Each message of the mbox file `path`, in order; a message that cannot be read is a
    `MailSkip`. MboxError for a file that cannot be opened or does not start like an mbox."""
    try:
        fd = open_readonly(path)
    except OSError as exc:
        hint = "give an mbox file (a Maildir folder is read with --maildir)"
        raise MboxError(f"{path}: cannot be read: {exc.strerror or exc}", hint=hint) from None
    with os.fdopen(fd, "rb") as f:
        yield from _messages(f, str(path))


def _messages(f, shown: str) -> Iterator[MailItem | MailSkip]:
    current: _Message | None = None
    number = 0
    after_blank = True  # the start of the file counts as after an empty line
    at_line_start = True
    while piece := f.readline(CHUNK):
        starts = at_line_start
        at_line_start = piece.endswith(b"\n")
        if not starts:
            if current is not None and current.in_headers:
                _add(current, piece)
            continue
        if after_blank and piece.startswith(b"From "):
            if current is not None:
                yield _finish(current, f"{shown}#{number}")
            number += 1
            current = _Message(piece)
            after_blank = False
            continue
        if current is None:
            if piece.strip():
                raise MboxError(f"{shown}: not an mbox (its first line is no `From ` line)",
                                hint="an mbox starts with `From SENDER DATE`; a single message "
                                     "is read with `boundaries mail FILE`")
            continue
        after_blank = piece in _BLANK
        if current.in_headers:
            if after_blank:
                current.in_headers = False
            else:
                _add(current, piece)
    if current is not None:
        yield _finish(current, f"{shown}#{number}")


def _add(message: _Message, piece: bytes) -> None:
    if len(message.headers) + len(piece) > MAX_HEADER:
        message.in_headers = False
        message.too_long = True
    else:
        message.headers += piece


def _finish(message: _Message, where: str) -> MailItem | MailSkip:
    if message.too_long:
        return MailSkip(where, f"no end of the headers in the first {MAX_HEADER // 1024} KiB")
    _, _, date = message.from_line.decode("latin-1").removeprefix("From ").strip().partition(" ")
    try:
        mail = parse_headers(bytes(message.headers), where, parse_date(date))
    except MailReadError as exc:
        return MailSkip(where, str(exc))
    return MailItem(where, mail, _flags(mail.header("status"), mail.header("x-status")))


def _flags(status: str | None, x_status: str | None) -> str:
    letters = {_STATUS[c] for c in status or "" if c in _STATUS}
    letters |= {_X_STATUS[c] for c in x_status or "" if c in _X_STATUS}
    return "".join(sorted(letters))


__all__ = ["MboxError", "mbox_messages"]

"""One message's header block, read and decoded into a `MailMessage` (sources.md §9).

Only headers are needed to decide, so only headers are read: `read_header_block` reads a file
in chunks up to the first empty line (LF or CRLF) and stops, and a header block longer than
`MAX_HEADER` bytes is an error rather than unbounded memory; a 50 MB message costs its few
kilobytes of headers.

How the bytes become text. Each header line is decoded on its own: UTF-8 where it is valid
(RFC 6532 mail, and the 8-bit headers most mailers write today), else Windows-1252, else
Latin-1, which never fails — so a raw 8-bit header in any charset reads as text, never as a
crash. The text goes through the stdlib's `email.parser.HeaderParser` with `policy.default`
(the str parser, because the bytes parser keeps 8-bit bytes as surrogate escapes that no
printer can show). RFC 2047 encoded words are decoded by `policy.default`'s header classes;
an unknown or broken charset inside one becomes U+FFFD replacement characters.

Dates (`parse_date`): `email.utils.parsedate_to_datetime` reads RFC 5322 and its obsolete
forms (no weekday, two-digit years, `UT`/`GMT`/`EST`… zones, a comment such as `(CET)`
after the offset, no seconds). Beyond it: a named zone it does not know but that has one
meaning (`CET`/`MEZ`, `CEST`/`MESZ`, `EET`, `WET`, `JST`, …), an offset written `+01:00`,
and ISO 8601 (`2026-12-01T10:00:00+01:00`), as some scripts write it. A Date with no zone, or
with `-0000` or a zone name nobody can place, is read as UTC: RFC 5322 §4.3 says such a zone
"SHOULD be considered equivalent to -0000", and -0000 is UTC with no word on the sender's
local time. A Date that cannot be read, or lies outside 1970–2200, is None (the message's
`when` is then its delivery).

A usable `From` is an address with a local part and a domain (`user@host`); a message
without one, an empty file, or a header block with no header at all raises `MailReadError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from email import policy
from email.parser import HeaderParser
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from boundaries.core.errors import BoundariesError
from boundaries.core.mail import MailMessage
from boundaries.policy.timeparse import MAX_YEAR, MIN_YEAR

MAX_HEADER = 1024 * 1024  # bytes of a header block; real ones are a few KiB
CHUNK = 64 * 1024  # bytes read at a time
RECIPIENT_HEADERS = ("to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc")

_PARSER = HeaderParser(policy=policy.default)
_FACTORY = policy.default.header_factory
_END = re.compile(rb"\n\r?\n")  # the empty line that ends the headers
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MSGID = re.compile(r"<[^<>\s]+>")
_SURROGATE = re.compile("[\ud800-\udfff]")
_ZONE_NAME = re.compile(r"\d:\d\d(?::\d\d)?\s+\(?([A-Za-z]{2,5})\)?\s*$")
_COLON_OFFSET = re.compile(r"\d:\d\d(?::\d\d)?\s*([+-])(\d\d):(\d\d)\b")
# Zone names with one meaning, beyond the US ones and UT/GMT that the stdlib knows.
_ZONES = {"CET": 60, "MEZ": 60, "CEST": 120, "MESZ": 120, "EET": 120, "EEST": 180,
          "WET": 0, "WEST": 60, "JST": 540, "KST": 540, "HKT": 480, "SGT": 480,
          "AEST": 600, "AEDT": 660, "NZST": 720, "NZDT": 780}


class MailReadError(BoundariesError):
    """A message that cannot be read as a request; the message names the problem."""


def read_message(path: Path) -> MailMessage:
    """The message in file `path`, read only as far as its headers; MailReadError if it
    cannot be read. `delivered` is None: a lone file has no arrival (its Date decides)."""
    try:
        blob = read_header_block(path)
    except FileNotFoundError:
        raise MailReadError("no such file") from None
    except IsADirectoryError:
        raise MailReadError("is a folder, not a message") from None
    except OSError as exc:
        raise MailReadError(f"cannot be read: {exc.strerror or exc}") from None
    return parse_headers(blob, str(path), None)


def open_readonly(path: Path) -> int:
    """A read-only descriptor of `path`, without touching its access time where the system
    lets us (O_NOATIME: only for files we own; else a plain read-only open)."""
    noatime = getattr(os, "O_NOATIME", 0)
    if noatime:
        with contextlib.suppress(PermissionError):
            return os.open(path, os.O_RDONLY | noatime | getattr(os, "O_CLOEXEC", 0))
    return os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))


def read_header_block(path: Path, limit: int = MAX_HEADER) -> bytes:
    """The bytes of `path` up to its first empty line (all of it if it has none and is short);
    OSError as raised, MailReadError for a header block over `limit` bytes."""
    fd = open_readonly(path)
    with os.fdopen(fd, "rb", buffering=0) as f:
        data = bytearray()
        while True:
            chunk = f.read(CHUNK)
            if not chunk:
                return bytes(data)
            start = max(0, len(data) - 2)  # an empty line may straddle two chunks
            data += chunk
            if data[:1] == b"\n" or data[:2] == b"\r\n":
                return b""  # an empty first line: no headers at all
            end = _END.search(data, start)
            if end:
                return bytes(data[: end.start() + 1])
            if len(data) > limit:
                raise MailReadError(f"no end of the headers in the first {limit // 1024} KiB")


def parse_headers(blob: bytes, path: str, delivered: datetime | None) -> MailMessage:
    """A header block (bytes up to the empty line; more is ignored) as a `MailMessage`.
    A leading mbox `From ` line is not part of the message and is left out (digest too)."""
    end = _END.search(blob)
    if end:
        blob = blob[: end.start() + 1]
    if blob.startswith(b"From "):
        blob = blob.partition(b"\n")[2]
    if not blob.strip():
        raise MailReadError("no headers (an empty message)")
    msg = _PARSER.parsestr(_text_of(blob), headersonly=True)
    raw: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        raw.setdefault(name.strip().lower(), []).append(_unfold(value))
    if not raw:
        raise MailReadError("no headers: the first line is no `Name: value` header")
    senders = _addresses(raw.get("from", ()))
    if not senders or not _usable(senders[0][1]):
        shown = "no `From` header" if "from" not in raw else "no address in `From`"
        raise MailReadError(f"{shown}: no one to answer")
    name, address = senders[0]
    recipients = [a for h in RECIPIENT_HEADERS for _, a in _addresses(raw.get(h, ()))]
    return MailMessage(
        path=path,
        message_id=_first_id(raw.get("message-id")),
        from_address=address,
        from_name=decode_words(name),
        reply_to=tuple(a for _, a in _addresses(raw.get("reply-to", ())) if a),
        recipients=tuple(a for a in recipients if a),
        subject=_decoded("subject", raw["subject"][0]) if "subject" in raw else "",
        date=_first_date(raw.get("date")),
        delivered=delivered,
        references=tuple(m for v in raw.get("references", ()) for m in _MSGID.findall(v)),
        in_reply_to=_first_id(raw.get("in-reply-to")),
        headers={k: tuple(_decoded(k, v) for v in vs) for k, vs in raw.items()},
        digest=hashlib.sha256(blob).hexdigest(),
    )


def parse_date(value: str) -> datetime | None:
    """A Date header's value as an aware datetime (see the module's docstring), else None."""
    text = " ".join(value.split())
    if not text:
        return None
    try:
        when = parsedate_to_datetime(text)
    except (ValueError, TypeError, IndexError, OverflowError):
        when = _iso(text)
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=_zone_of(text))
    if not MIN_YEAR <= when.year <= MAX_YEAR:
        return None
    return when


def decode_words(value: str) -> str:
    """RFC 2047 encoded words in `value` decoded (an unknown charset: U+FFFD), else as is."""
    return _decoded("subject", value) if "=?" in value else value


def _text_of(blob: bytes) -> str:
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError:
        return "".join(_line_text(line) for line in blob.splitlines(keepends=True))


def _line_text(line: bytes) -> str:
    for charset in ("utf-8", "cp1252"):
        try:
            return line.decode(charset)
        except UnicodeDecodeError:
            pass
    return line.decode("latin-1")


def _unfold(value: str) -> str:
    return _FOLD.sub("", value).strip()


def _decoded(name: str, value: str) -> str:
    if "=?" not in value:
        return value
    try:
        text = str(_FACTORY(name, value))
    except Exception:  # the header parser has crashed on odd input before: keep the raw text
        text = value
    return _SURROGATE.sub("\ufffd", text)


def _addresses(values: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    if not values:
        return []
    try:
        return [(n, a.strip()) for n, a in getaddresses(list(values))]
    except Exception:  # getaddresses has raised on pathological input in some versions
        return []


def _usable(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and not any(c.isspace() for c in address)


def _first_id(values: list[str] | None) -> str | None:
    if not values:
        return None
    found = _MSGID.search(values[0])
    return found.group(0) if found else None


def _first_date(values: list[str] | None) -> datetime | None:
    return parse_date(values[0]) if values else None


def _iso(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace(" +", "+").replace(" -", "-"))
    except ValueError:
        return None


def _zone_of(text: str) -> timezone:
    offset = _COLON_OFFSET.search(text)
    if offset:
        sign = -1 if offset.group(1) == "-" else 1
        minutes = int(offset.group(2)) * 60 + int(offset.group(3))
        if minutes < 24 * 60:
            return timezone(sign * timedelta(minutes=minutes))
    name = _ZONE_NAME.search(text)
    if name and name.group(1).upper() in _ZONES:
        return timezone(timedelta(minutes=_ZONES[name.group(1).upper()]))
    return UTC


__all__ = ["MAX_HEADER", "MailReadError", "decode_words", "open_readonly", "parse_date",
           "parse_headers", "read_header_block", "read_message"]

"""One message's header block, read and decoded into a `MailMessage` (sources.md §9).

Only headers are needed to decide, so only headers are read: `read_header_block` reads a file
in chunks up to the first empty line (LF or CRLF) and stops, and a header block longer than
`MAX_HEADER` bytes is an error rather than unbounded memory; a 50 MB message costs its few
kilobytes of headers.

How the bytes become text. Each header line is decoded on its own: UTF-8 where it is valid
(RFC 6532 mail, and the 8-bit headers most mailers write today), else Windows-1252, else
Latin-1, which never fails — so a raw 8-bit header in any charset reads as text, never as a
crash. The text is split into headers as the stdlib's `email.parser.HeaderParser` (the str
parser: the bytes parser keeps 8-bit bytes as surrogate escapes that no printer can show)
with `policy.compat32` splits it, keeping each header's raw text: by `header_items`, which a
property test holds equal to that parser and which takes a fifth of its time (the parser
was half the reading time of a 10,000-message Maildir). `policy.default` is not used: its
header classes re-parse every header they are asked for (reading took 2.5 times as long),
and they are quadratic in the number of encoded words — a hostile 800 KB Subject of them
took 78 seconds, and others of a few hundred KB did not end within five minutes. RFC 2047
encoded words are decoded here instead (`decode_words`, linear), as RFC 2047 §6 says. Addresses are
`email.utils.getaddresses`' (bare, as written); a plain list (`Name <a@b>, c@d`) is found by
one regular expression that a property test holds equal to `getaddresses`, which is exact
and slow (a third of the reading time).

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

import binascii
import codecs
import contextlib
import functools
import hashlib
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import getaddresses, parsedate_to_datetime
from pathlib import Path

from boundaries.core.errors import BoundariesError
from boundaries.core.mail import MailMessage
from boundaries.policy.timeparse import MAX_YEAR, MIN_YEAR

MAX_HEADER = 1024 * 1024  # bytes of a header block; real ones are a few KiB
CHUNK = 64 * 1024  # bytes read at a time
FIRST_CHUNK = 8 * 1024  # the first read: most header blocks end within it
CACHED = 1000  # characters of a header value whose addresses are kept for the run
RECIPIENT_HEADERS = ("to", "cc", "bcc", "resent-to", "resent-cc", "resent-bcc")

_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")  # email's feedparser's lines: CR LF, CR, LF
_HEADER_LINE = re.compile(r"From |[\041-\071\073-\176]*:|[\t ]")  # its headerRE
# An RFC 2047 encoded word: no space and no `?` inside, so finding them is linear in the
# value's length. An RFC 2231 language (`*de`) is dropped.
_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([QqBb])\?([^?\s]*)\?=")
_END = re.compile(rb"\n\r?\n")  # the empty line that ends the headers
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_MSGID = re.compile(r"<[^<>\s]+>")
_ATOM = r"[^()<>@,:;.\"\[\]\\\s]+"  # _parseaddr's atom: none of its specials, no space
_ADDR = rf"{_ATOM}(?:\.{_ATOM})*@{_ATOM}(?:\.{_ATOM})*"
_SIMPLE = re.compile(rf"\s*(?:({_ATOM}(?:\s+{_ATOM})*)?\s*<({_ADDR})>|({_ADDR}))\s*")
_NOT_SIMPLE = re.compile(r'["()\\;:\[\]]')
_SPACE = re.compile(r"\s")
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
        size = FIRST_CHUNK
        while True:
            chunk = f.read(size)
            size = CHUNK
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
    raw: dict[str, list[str]] = {}
    for name, value in header_items(_text_of(blob)):
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
        subject=_decoded(raw["subject"][0]) if "subject" in raw else "",
        date=_first_date(raw.get("date")),
        delivered=delivered,
        references=tuple(m for v in raw.get("references", ()) for m in _MSGID.findall(v)),
        in_reply_to=_first_id(raw.get("in-reply-to")),
        headers={k: tuple(map(_decoded, vs)) for k, vs in raw.items()},
        digest=hashlib.sha256(blob).hexdigest(),
    )


def header_items(text: str) -> list[tuple[str, str]]:
    """The (name, value) pairs of a header block as `HeaderParser(policy=compat32)
    .parsestr(text, headersonly=True).raw_items()` gives them (a property test holds the
    two equal), in a fifth of its time: lines end at CR LF, CR or LF; the headers end at the
    first line that is neither `Name:` nor a continuation (an empty line); a continuation
    before any header, a header with no name and an mbox `From ` line are left out, and a
    `From ` line last ends them; a value is the rest of its first line, its leading blanks
    dropped, with its continuation lines, its last line end dropped."""
    items: list[tuple[str, str]] = []
    lines = _LINES.findall(text)
    if lines and not lines[-1]:
        lines.pop()
    name, value = "", []
    last = len(lines) - 1
    for number, line in enumerate(lines):
        if not _HEADER_LINE.match(line):
            break
        if line[0] in " \t":
            if name:
                value.append(line)
            continue
        if name:
            items.append(_item(name, value))
            name, value = "", []
        if line.startswith("From "):
            if number == last and number:
                return items
            continue
        colon = line.find(":")
        if colon == 0:
            continue
        name, value = line[:colon], [line]
    if name:
        items.append(_item(name, value))
    return items


def _item(name: str, lines: list[str]) -> tuple[str, str]:
    first = lines[0][len(name) + 1:].lstrip(" \t")
    return name, (first + "".join(lines[1:]) if len(lines) > 1 else first).rstrip("\r\n")


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
    """RFC 2047 encoded words in `value` decoded, as RFC 2047 §6 says: whitespace between two
    of them dropped, adjacent words of one charset decoded together (mailers split a
    character across two). An unknown charset: UTF-8 where the bytes are, else Windows-1252;
    bytes a charset cannot decode: U+FFFD."""
    if "=?" not in value:
        return value
    out: list[str] = []
    pending: tuple[str, bytearray] | None = None  # the charset and bytes of adjacent words
    pos = 0
    for word in _WORD.finditer(value):
        between = value[pos : word.start()]
        data = _word_bytes(word.group(2), word.group(3))
        if data is None:  # not really an encoded word (bad base64): keep it as written
            continue
        charset = word.group(1).lower()
        if pending is not None and not between.strip() and pending[0] == charset:
            pending[1].extend(data)
        else:
            if pending is not None:
                out.append(_charset_text(*pending))
            if pending is None or between.strip():  # space between two words is dropped
                out.append(between)
            pending = (charset, bytearray(data))
        pos = word.end()
    if pending is not None:
        out.append(_charset_text(*pending))
    out.append(value[pos:])
    return _SURROGATE.sub("\ufffd", "".join(out))


def _word_bytes(encoding: str, text: str) -> bytes | None:
    data = text.encode("utf-8", "surrogateescape")
    try:
        if encoding in "Qq":
            return binascii.a2b_qp(data, header=True)
        return binascii.a2b_base64(data + b"=" * (-len(data) % 4), strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def _charset_text(charset: str, data: bytearray) -> str:
    try:
        codecs.lookup(charset)
    except LookupError:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("cp1252", "replace")
    try:
        return data.decode(charset, "replace")
    except Exception:  # a codec that fails other than by its errors handler (rare ones do)
        return data.decode("latin-1")


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
    return (_FOLD.sub("", value) if "\n" in value else value).strip()


def _decoded(value: str) -> str:
    return decode_words(value) if "=?" in value else value


def _addresses(values: list[str] | tuple[str, ...]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for value in values:
        found.extend(_value_addresses(value))
    return found


def _value_addresses(value: str) -> tuple[tuple[str, str], ...]:
    """The (name, address) pairs of one header value; an ordinary one is parsed once per
    run (one sender's mail has the same From, and To, each time), a long one each time
    (a hostile header kept in a cache would cost memory)."""
    return _parsed_addresses(value) if len(value) > CACHED else _cached_addresses(value)


def _parsed_addresses(value: str) -> tuple[tuple[str, str], ...]:
    simple = _simple_addresses(value)
    if simple is None:
        try:
            simple = [(n, a.strip()) for n, a in getaddresses([value])]
        except Exception:  # getaddresses has raised on pathological input in some versions
            simple = []
    return tuple(simple)


_cached_addresses = functools.lru_cache(maxsize=4096)(_parsed_addresses)


def _simple_addresses(value: str) -> list[tuple[str, str]] | None:
    """What `getaddresses` gives for a plain list (`Name <a@b>, c@d`: no quotes, comments,
    groups or routes), found by one regular expression per address; None for anything else,
    which `getaddresses` reads (it is exact, and slow: a third of the reading time)."""
    if _NOT_SIMPLE.search(value):
        return None
    out = []
    for part in value.split(","):
        match = _SIMPLE.fullmatch(part)
        if match is None:
            return None
        name, routed, bare = match.groups()
        out.append((" ".join(name.split()) if name else "", routed or bare))
    return out


def _usable(address: str) -> bool:
    local, at, domain = address.rpartition("@")
    return bool(at and local and domain) and _SPACE.search(address) is None


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

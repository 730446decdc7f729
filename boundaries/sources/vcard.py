"""The line level of vCard 2.1, 3.0 and 4.0 (RFC 2425/2426/6350 and the 2.1 spec), as exports
write them: our own small reader, not `vobject`.

Why not vobject (tried, 0.9.9): it raises `UnicodeDecodeError` on Android's 2.1 exports, where
a quoted-printable soft line break splits a UTF-8 sequence (`J=C3=` / `=BCrgen`); it gives no
line numbers (every warning must name the `BEGIN:VCARD` line); and importing it costs ~23 ms
(with its dateutil/pytz) for what needs ~200 lines here.

What is read: CRLF, LF or CR line ends; a UTF-8 BOM (UTF-16 with a BOM as well); folded lines
(a line starting with a space or tab continues the one before); quoted-printable values with
soft line breaks (`=` at the end), decoded in the property's `CHARSET` (default UTF-8, bytes
that are no UTF-8 read as Windows-1252, as Outlook writes them without a CHARSET); grouped
names (`item1.TEL`); 2.1's bare parameters (`TEL;CELL;PREF:`) as TYPE values; quoted
parameter values; backslash escapes. Binary values (PHOTO, LOGO, SOUND, KEY) are skipped
line by line: never joined, never decoded.
"""

from __future__ import annotations

import codecs
import quopri
from collections.abc import Iterator
from typing import NamedTuple

BINARY = frozenset({b"PHOTO", b"LOGO", b"SOUND", b"KEY"})
_BOMS = ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))


class Property(NamedTuple):
    """One content line: `group.NAME;PARAM=V:value`, the value decoded to text."""

    line: int                           # first raw line (1-based)
    group: str | None                   # `item1` of `item1.TEL`, else None
    name: str                           # upper case: `TEL`
    params: dict[str, tuple[str, ...]]  # upper-case names; 2.1's bare `CELL` is TYPE=CELL
    value: str                          # decoded (QP, charset), escapes still in place
    problem: str | None = None          # why the value may be wrong (undecodable text)


def raw_lines(data: bytes) -> list[bytes]:
    """The file's lines as bytes without their ends (CRLF, LF or CR), BOM removed; a UTF-16
    file (with a BOM) is re-encoded as UTF-8 first."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            data = data[len(bom):].decode(codec, "replace").encode("utf-8")
            break
    if data.startswith(codecs.BOM_UTF8):
        data = data[3:]
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    lines = data.split(b"\n")
    if lines and not lines[-1]:
        lines.pop()
    return lines


def _split_head(head: bytes) -> list[bytes]:
    """`NAME;A=1;B="x;y"` split at the semicolons outside quotes."""
    if b'"' not in head:
        return head.split(b";")
    parts, cur, quoted = [], bytearray(), False
    for ch in head:
        if ch == 0x22:
            quoted = not quoted
        elif ch == 0x3B and not quoted:
            parts.append(bytes(cur))
            cur = bytearray()
            continue
        cur.append(ch)
    parts.append(bytes(cur))
    return parts


def _colon(line: bytes) -> int:
    """Index of the colon that ends the name and parameters (not one inside quotes), or -1."""
    at = line.find(b":")
    if at < 0 or b'"' not in line[:at]:
        return at
    quoted = False
    for i, ch in enumerate(line):
        if ch == 0x22:
            quoted = not quoted
        elif ch == 0x3A and not quoted:
            return i
    return -1


def _params(parts: list[bytes]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for part in parts:
        text = part.decode("utf-8", "replace").strip()
        if not text:
            continue
        key, eq, val = text.partition("=")
        if not eq:  # vCard 2.1: `TEL;CELL;PREF`, `;QUOTED-PRINTABLE`, `;UTF-8`
            key, val = _bare_param(key)
        values = [v.strip() for v in val.replace('"', "").split(",")]
        out.setdefault(key.strip().upper(), []).extend(v for v in values if v)
    return {k: tuple(v) for k, v in out.items()}


def _bare_param(word: str) -> tuple[str, str]:
    upper = word.upper()
    if upper in ("QUOTED-PRINTABLE", "BASE64", "8BIT", "7BIT", "B"):
        return "ENCODING", word
    if upper in ("UTF-8", "ISO-8859-1", "WINDOWS-1252", "US-ASCII"):
        return "CHARSET", word
    return "TYPE", word


def _decode(raw: bytes, charset: str | None) -> tuple[str, str | None]:
    """Text of `raw` in `charset` (None: UTF-8, else Windows-1252), and a problem if any."""
    if charset:
        try:
            return raw.decode(charset), None
        except LookupError:
            return raw.decode("utf-8", "replace"), f"unknown CHARSET `{charset}`"
        except UnicodeDecodeError:
            return (raw.decode(charset, "replace"),
                    f"text that is not {charset} (shown with \ufffd)")
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252"), None
        except UnicodeDecodeError:
            return raw.decode("latin-1"), None


def properties(lines: list[bytes], wanted: frozenset[str] | None = None) -> Iterator[Property]:
    """Every content line of `lines` (unfolded, QP joined and decoded), in order; with
    `wanted`, only properties of those (upper-case) names: the others are stepped over
    without being decoded.

    Lines without a colon are left out (the tail of a badly folded photo); a binary property
    is skipped with its continuation lines, never joined."""
    keep = None if wanted is None else frozenset(w.encode("ascii") for w in wanted)
    n = len(lines)
    i = 0
    while i < n:
        first = lines[i]
        lineno = i + 1
        i += 1
        at = first.find(b":")
        if at < 0:
            continue
        if b'"' in first[:at]:
            at = _colon(first)
            if at < 0:
                continue
        head = first[:at]
        semi = head.find(b";")
        name = head if semi < 0 else head[:semi]
        group = None
        dot = name.find(b".")
        if dot >= 0:
            group, name, head = name[:dot], name[dot + 1:], head[dot + 1:]
        name = name.strip()
        if not name.isupper():
            name = name.upper()
        qp = semi >= 0 and b"QUOTED-PRINTABLE" in head.upper()
        if name in BINARY or (keep is not None and name not in keep):
            last = first
            while i < n:  # step over its continuation lines
                nxt = lines[i]
                if not (qp and last.endswith(b"=")) and nxt[:1] not in (b" ", b"\t"):
                    break
                last = nxt
                i += 1
            continue
        value = first[at + 1:]
        if i < n and (lines[i][:1] in (b" ", b"\t") or (qp and value.endswith(b"="))):
            chunks = [value]
            while i < n:
                nxt = lines[i]
                if qp and chunks[-1].endswith(b"="):  # a soft line break: the next line as is
                    chunks[-1] = chunks[-1][:-1]
                    chunks.append(nxt)
                elif nxt[:1] in (b" ", b"\t"):  # a folded line
                    chunks.append(nxt[1:])
                else:
                    break
                i += 1
            value = b"".join(chunks)
        params = _params(_split_head(head)[1:]) if semi >= 0 else {}
        if qp:
            value = quopri.decodestring(value)
        charset = params["CHARSET"][0] if "CHARSET" in params else None
        if charset is None and value.isascii():
            text, problem = value.decode("ascii"), None
        else:
            text, problem = _decode(value, charset)
        yield Property(lineno, group.decode("ascii", "replace") if group else None,
                       name.decode("ascii", "replace"), params, text, problem)


def unescape(text: str) -> str:
    """A text value with `\\,` `\\;` `\\:` `\\\\` `\\n` read (RFC 6350 §3.4)."""
    if "\\" not in text:
        return text
    out, i, n = [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            nxt = text[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def components(text: str) -> list[str]:
    """A structured value (N, ORG) split at its unescaped `;`, each part unescaped."""
    if "\\" not in text:
        return text.split(";")
    parts, cur, i, n = [], [], 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            cur.append(text[i:i + 2])
            i += 2
            continue
        if ch == ";":
            parts.append(unescape("".join(cur)))
            cur = []
        else:
            cur.append(ch)
        i += 1
    parts.append(unescape("".join(cur)))
    return parts

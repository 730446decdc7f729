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


def _is_qp(head: bytes) -> bool:
    return b"QUOTED-PRINTABLE" in head.upper()


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


def properties(lines: list[bytes], start: int = 0) -> Iterator[Property]:
    """Every content line from `lines[start:]` (unfolded, QP joined and decoded), in order.

    Lines without a colon are left out (the tail of a badly folded photo); a binary property
    is skipped with its continuation lines."""
    n = len(lines)
    i = start
    while i < n:
        first = lines[i]
        lineno = i + 1
        i += 1
        if not first.strip():
            continue
        at = _colon(first)
        if at < 0:
            continue
        head = first[:at]
        dot = head.find(b".")
        semi = head.find(b";")
        name_end = semi if semi >= 0 else len(head)
        group = None
        if 0 <= dot < name_end:
            group, head = head[:dot].decode("ascii", "replace"), head[dot + 1:]
            name_end -= dot + 1
        name = head[:name_end].strip().upper()
        if name in BINARY:
            while i < n and lines[i][:1] in (b" ", b"\t"):
                i += 1
            continue
        value = first[at + 1:]
        qp = _is_qp(head)
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
        joined = b"".join(chunks) if len(chunks) > 1 else value
        params = _params(_split_head(head)[1:])
        if qp:
            joined = quopri.decodestring(joined)
        charset = params.get("CHARSET", (None,))[0]
        text, problem = _decode(joined, charset)
        yield Property(lineno, group, name.decode("ascii", "replace"), params, text, problem)


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

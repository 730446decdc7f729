"""Where each component of an .ics file begins, found in the raw text (sources.md §6).

`icalendar` gives no positions, so a reason's `PATH:LINE` comes from here: the text is
unfolded (a line starting with a space or tab continues the one before, RFC 5545 §3.1),
CRLF, LF and a byte order mark are all accepted, and every logical line keeps the number
of the physical line it starts on (1-based).
"""

from __future__ import annotations

from typing import NamedTuple


class Block(NamedTuple):
    """One top-level component inside VCALENDAR (VEVENT, VTIMEZONE, VTODO, ...)."""

    name: str        # "VEVENT"
    line: int        # line of its BEGIN:
    text: str        # its unfolded lines, BEGIN..END, CRLF-joined
    complete: bool   # False when the file ends (or breaks) before its END:


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM dropped), undecodable bytes replaced."""
    return data.decode("utf-8-sig", errors="replace")


def logical_lines(text: str) -> list[tuple[int, str]]:
    """(line number, unfolded content line) in file order; blank lines left out."""
    out: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if raw[:1] in (" ", "\t") and out:
            line, before = out[-1]
            out[-1] = (line, before + raw[1:])
        elif raw.strip():
            out.append((number, raw))
    return out


def blocks(text: str) -> list[Block]:
    """The components directly inside VCALENDAR, each with its BEGIN line, in file order."""
    found: list[Block] = []
    depth = 0
    name, start, body = "", 0, []
    for number, line in logical_lines(text):
        key = line.split(":", 1)[0].upper().strip()
        value = line.split(":", 1)[1].strip().upper() if ":" in line else ""
        if key == "BEGIN":
            depth += 1
            if depth == 2:
                name, start, body = value, number, []
        if depth >= 2:
            body.append(line)
        if key == "END":
            if depth == 2:
                found.append(Block(name, start, "\r\n".join(body), True))
            depth = max(depth - 1, 0)
    if depth >= 2:
        found.append(Block(name, start, "\r\n".join(body), False))
    return found


def calendar_properties(text: str) -> list[str]:
    """The VCALENDAR's own property lines (VERSION, X-WR-TIMEZONE, ...), unfolded."""
    depth, out = 0, []
    for _number, line in logical_lines(text):
        key = line.split(":", 1)[0].upper().strip()
        if key == "BEGIN":
            depth += 1
        elif key == "END":
            depth -= 1
        elif depth == 1:
            out.append(line)
    return out


__all__ = ["Block", "blocks", "calendar_properties", "decode", "logical_lines"]

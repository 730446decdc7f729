"""Lines from a byte stream, bounded: a line longer than the limit is dropped, never held.

Both phone sources read their input in chunks and split it here, so a producer that writes a
megabyte without a newline (or never one) costs at most `max_line` bytes of memory: the rest
of that line is thrown away as it arrives and the line is reported as overlong.
"""

from __future__ import annotations

from typing import NamedTuple

MAX_LINE = 64 * 1024  # bytes; an event or a call monitor line is well under 1 KiB
CHUNK = 64 * 1024  # bytes read at a time


class Line(NamedTuple):
    """One line of input (1-based `number`); `data` None when it was too long (dropped)."""

    number: int
    data: bytes | None


class LineSplitter:
    """Feed it chunks, get whole lines back (without `\\n`, a trailing `\\r` removed)."""

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._pending = bytearray()
        self._dropping = False  # inside an overlong line: drop until its newline
        self.lines = 0
        self.max_buffered = 0  # the most bytes ever held (a test's memory bound)

    @property
    def buffered(self) -> int:
        """Bytes of an unfinished line held now (at most `max_line` + 1, for a `\\r`)."""
        return len(self._pending)

    def feed(self, data: bytes) -> list[Line]:
        """The lines `data` completes; the unfinished rest is kept (or dropped if too long)."""
        parts = data.split(b"\n")
        out = []
        for part in parts[:-1]:
            out.append(self._line(part))
        self._hold(parts[-1])
        return out

    def finish(self) -> list[Line]:
        """At the end of input: the last line if it had no newline."""
        if self._dropping:
            self._dropping = False
            self.lines += 1
            return [Line(self.lines, None)]
        if not self._pending:
            return []
        return [self._line(b"")]

    def discard(self) -> bool:
        """Drop an unfinished line (its connection dropped: the rest will not come); whether
        there was one."""
        had = bool(self._pending) or self._dropping
        self._pending.clear()
        self._dropping = False
        return had

    def _line(self, part: bytes) -> Line:
        self.lines += 1
        if self._dropping or len(self._pending) + len(part) > self.max_line + 1:
            self._dropping = False
            self._pending.clear()
            return Line(self.lines, None)
        if self._pending:
            self._pending += part
            data = bytes(self._pending)
            self._pending.clear()
        else:
            data = part
        if data.endswith(b"\r"):
            data = data[:-1]
        if len(data) > self.max_line:
            return Line(self.lines, None)
        return Line(self.lines, data)

    def _hold(self, part: bytes) -> None:
        if self._dropping or not part:
            return
        if len(self._pending) + len(part) > self.max_line + 1:  # + 1: a `\r` before `\n`
            self._dropping = True
            self._pending.clear()
            return
        self._pending += part
        self.max_buffered = max(self.max_buffered, len(self._pending))


class Skips:
    """Lines a source could not read: how many, and the last one's reason."""

    def __init__(self) -> None:
        self.count = 0
        self.last: str | None = None  # "line 7: not JSON"

    def add(self, line: int, reason: str) -> None:
        self.count += 1
        self.last = f"line {line}: {reason}"

    def describe(self) -> str:
        """`3 lines skipped (last: line 7: not JSON)`, or empty when none was."""
        if not self.count:
            return ""
        noun = "line" if self.count == 1 else "lines"
        return f"{self.count} {noun} skipped (last: {self.last})"

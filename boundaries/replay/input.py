"""Where replayed requests come from: a CSV file (or stdin), a FRITZ!Box call list export,
or the journal.

A source has a header (the column names as written) and yields `(where, cells)` per data
row, `where` being `PATH:LINE` for messages. Reading streams: one row in memory at a time.
An export (its first line `sep=;`, or the export's header) is told from our own CSV by its
first line and read by `replay.fritz_export`: each call that rang here becomes a row with
`from` (the caller's number as the box wrote it), `at` (its `Datum`) and `channel` call.
"""

from __future__ import annotations

import csv
import io
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from boundaries.core.echo import quoted
from boundaries.core.errors import BoundariesError
from boundaries.policy.timeparse import (
    END_SECOND,
    FIRST_SECOND,
    HINT,
    MAX_YEAR,
    MIN_YEAR,
    TimeError,
    in_range,
    parse_at,
    range_error,
)
from boundaries.replay.fritz_export import is_export_head

REQUIRED = ("from", "at")
OPTIONAL = ("channel", "kind", "urgency")
JOURNAL_COLUMNS = ("from", "at", "channel", "kind", "urgency", "id", "recorded_decision",
                   "outcome")
_DELIMITERS = (",", ";", "\t")
MAX_CELL_LINES = 100  # a quoted cell over more lines is taken for a stray quote
MAX_HEAD = 64 * 1024  # the first line, read to tell an export from our CSV


class InputError(BoundariesError):
    """The input as a whole cannot be replayed (exit 2)."""


class Source:
    """Rows to replay: a header, an iterator of cell lists, and where the last row came from.

    A row the CSV reader cannot read comes as an `Unreadable` (a bad row); a file broken
    at a line (a stray quote, bytes that are not UTF-8) raises InputError, which ends the
    rows. `where()` names the line the row yielded last starts on, as `PATH:LINE`.
    """

    def __init__(self, label: str, header: list[str], rows: Iterator[list[str]],
                 where: Callable[[], str], size: int | None = None,
                 position: Callable[[], int] | None = None,
                 close: Callable[[], None] | None = None) -> None:
        self.label = label
        self.header = header
        self.rows = rows
        self.where = where
        self.size = size
        self._position = position
        self.close = close or (lambda: None)
        # rows of the input that are no request to replay, by why (an export's outgoing
        # calls and the calls the box rejected): counted, not decided
        self.skipped: Counter[str] = Counter()
        names = [h.strip().lower() for h in header]
        self.index = {name: names.index(name) if name in names else -1
                      for name in REQUIRED + OPTIONAL}

    def position(self) -> int | None:
        """Bytes read so far (None when unknown, or once the file is closed)."""
        try:
            return self._position() if self._position is not None else None
        except ValueError:  # closed
            return None


def open_csv(path: str) -> Source:
    """A CSV file with a header naming at least `from` and `at` (`-`: standard input)."""
    if path == "-":
        raw: BinaryIO = sys.stdin.buffer
        label, size = "<stdin>", None
    else:
        p = Path(path)
        if p.is_dir():
            raise InputError(f"{path}: is a folder, not a CSV file")
        try:
            raw = open(p, "rb")  # noqa: SIM115 -- closed when the rows are exhausted
        except FileNotFoundError:
            raise InputError(f"{path}: no such file",
                             "give a CSV file with the columns from and at") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        label, size = path, p.stat().st_size
    start = _tell(raw)
    head = raw.readline(MAX_HEAD)
    if is_export_head(head):
        return export_source(label, raw, head, size)
    raw = _rewound(raw, head, start)
    # bytes that are not UTF-8 become lone surrogates, caught per line: its real number
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
    first = text.readline()
    if not _is_text(first):
        raise InputError(f"{label}: not a CSV file (not UTF-8 text)",
                         "save it as CSV, UTF-8")
    if not first.strip():
        raise InputError(f"{label}: empty: a replay needs a header line and rows",
                         "e.g. `from,at,channel` then `acme,2026-01-08T18:20,call`")
    if "\x00" in first:
        raise InputError(f"{label}: not a CSV file (binary data)", "save it as CSV, UTF-8")
    for delimiter in _DELIMITERS:
        try:
            header = next(csv.reader([first], delimiter=delimiter))
        except csv.Error:  # a field over the size limit
            continue
        names = [h.strip().lower() for h in header]
        if all(name in names for name in REQUIRED):
            break
    else:
        raise InputError(f"{label}: not a CSV file with the columns from and at "
                         f"(first line: {quoted(first.strip())})",
                         "the first line names the columns, e.g. `from,at,channel,kind`")
    for name in REQUIRED + OPTIONAL:
        if names.count(name) > 1:
            raise InputError(f"{label}:1: the column {name} appears twice")
    here = [1]  # the line where the row yielded last starts
    rows = _CsvRows(label, text, delimiter, header, here)
    return Source(label, header, iter(rows), lambda: f"{label}:{here[0]}", size,
                  raw.tell if size is not None else None, text.close)


def _tell(raw: BinaryIO) -> int | None:
    """Where a seekable input stands (None: a pipe or a terminal)."""
    try:
        return raw.tell() if raw.seekable() else None
    except OSError:
        return None


class _Prefixed(io.RawIOBase):
    """A stream that was read from already: the bytes read first, then the rest of it."""

    def __init__(self, head: bytes, raw: BinaryIO) -> None:
        self.head = head
        self.raw = raw

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        if self.head:
            n = min(len(buffer), len(self.head))
            buffer[:n] = self.head[:n]
            self.head = self.head[n:]
            return n
        read = getattr(self.raw, "read1", self.raw.read)
        data = read(len(buffer))
        buffer[:len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _rewound(raw: BinaryIO, head: bytes, start: int | None) -> BinaryIO:
    """`raw` as it was before `head` was read from it."""
    if start is not None:
        raw.seek(start)
        return raw
    return io.BufferedReader(_Prefixed(head, raw))


def export_source(label: str, raw: BinaryIO, head: bytes, size: int | None) -> Source:
    """A FRITZ!Box call list export as rows to replay: every call that rang here (taken,
    missed, or taken by an answering machine) with `from`, `at` and `channel` after the
    export's own columns, oldest first (the box writes the newest first; an export is a few
    thousand lines at most, read whole to be sorted); outgoing, rejected and internal calls
    are counted in `skipped`; a line that is no call is a bad row, before the calls. A head
    that is not an export's is InputError."""
    from boundaries.replay.fritz_export import BadLine, CallRow, ExportError, ExportReader

    try:
        reader = ExportReader(raw, label, head)
    except ExportError as exc:
        raw.close()
        raise InputError(str(exc), exc.hint) from None
    here = [reader.header_line]
    skipped: Counter[str] = Counter()

    def rows() -> Iterator[list[str]]:
        calls: list[CallRow] = []
        for item in reader:
            if isinstance(item, BadLine):
                here[0] = item.line
                yield Unreadable(item.message)
            elif item.number.startswith("**"):
                skipped["internal"] += 1
            elif item.incoming:
                calls.append(item)
            else:
                skipped[item.kind] += 1
        calls.sort(key=lambda c: (c.wall, -c.line))
        for call in calls:
            here[0] = call.line
            yield [*call.cells, call.number, f"{call.wall:%Y-%m-%dT%H:%M}", "call"]

    source = Source(label, [*reader.header, "from", "at", "channel"], rows(),
                    lambda: f"{label}:{here[0]}", size,
                    reader.position if size is not None else None, reader.close)
    source.skipped = skipped
    return source


def _is_text(line: str) -> bool:
    """Whether a line read with `surrogateescape` was UTF-8 (holds no escaped byte)."""
    if line.isascii():
        return True
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class Unreadable(list):
    """Stands in for a row the CSV reader cannot read (one element: never the header's
    width, which is at least 2); `message` says why. Counted and reported as a bad row."""

    def __init__(self, message: str) -> None:
        super().__init__((message,))
        self.message = message


_STRAY_HINT = ("a stray `\"`? a quote opens a cell that ends at the next quote; write `\"\"` "
               "for a quote inside a quoted cell")


class _CsvRows:
    """The data rows of a CSV file, each with the line it starts on (in `here`).

    A quoted cell may hold line breaks (RFC 4180), in a passed-through column, over at
    most MAX_CELL_LINES lines. A quoted cell that never closes, or a row over several
    lines that is not a well-formed row, is a stray quote: the file is broken at the line
    the row starts on, and InputError stops the replay there.
    """

    def __init__(self, label: str, text: io.TextIOWrapper, delimiter: str,
                 header: list[str], here: list[int]) -> None:
        self.label = label
        self.text = text
        self.here = here
        self.width = len(header)
        names = [h.strip().lower() for h in header]
        self.replayed = [names.index(n) for n in REQUIRED + OPTIONAL if n in names]
        self.reader = csv.reader(self._lines(), delimiter=delimiter, strict=True)

    def _lines(self) -> Iterator[str]:
        for line in self.text:
            if not line.isascii() and not _is_text(line):
                # the reader has taken the lines before this one, the header not counted
                raise InputError(f"{self.label}:{self.reader.line_num + 2}: not UTF-8 text",
                                 "save the file as CSV, UTF-8")
            yield line

    def __iter__(self) -> Iterator[list[str]]:
        reader, here = self.reader, self.here
        end = 1  # the line the last row ended on (the header's)
        while True:
            try:
                for cells in reader:  # the hot loop: keep it lean
                    start, end = end + 1, reader.line_num + 1
                    if start != end:
                        self._check_lines(cells, start, end)
                    here[0] = start
                    yield cells
                return
            except csv.Error as exc:
                start, end = end + 1, reader.line_num + 1
                message = str(exc)
                if message == "unexpected end of data":  # inside quotes at the end
                    raise InputError(
                        f"{self.label}:{start}: unterminated quoted field: the row starting "
                        f"on this line opens a quote that is never closed, and takes "
                        f"{_lines(end - start + 1)} to the end of the file; nothing from "
                        "this line on was replayed", _STRAY_HINT) from None
                if start != end:
                    self._broken(start, end, f"without closing (a cell of more than "
                                 f"{csv.field_size_limit():,} characters)"
                                 if message.startswith("field larger") else f"({message})")
                here[0] = start
                yield Unreadable(f"not CSV: {message}")

    def _check_lines(self, cells: list[str], start: int, end: int) -> None:
        """A row over several lines (a quoted cell with line breaks) that is a row."""
        if len(cells) != self.width:
            self._broken(start, end, f"and has {len(cells)} fields, the header {self.width}")
        if end - start + 1 > MAX_CELL_LINES:
            self._broken(start, end, f"(at most {MAX_CELL_LINES} lines are taken for a cell)")
        for i in self.replayed:
            if "\n" in cells[i] or "\r" in cells[i]:
                self._broken(start, end, "and breaks the line inside a replayed column "
                             "(from, at, channel, kind, urgency)")

    def _broken(self, start: int, end: int, why: str) -> None:
        raise InputError(
            f"{self.label}:{start}: a quoted field in the row starting on this line runs over "
            f"{_lines(end - start + 1)} (to line {end}) {why}; nothing from this line on was "
            "replayed", _STRAY_HINT)


def _lines(n: int) -> str:
    return f"{n:,} line{'s' if n != 1 else ''}"


def journal_source(entries: list, label: str) -> Source:
    """Journal entries (already in time order) as rows of JOURNAL_COLUMNS."""
    current: list = [None]

    def rows() -> Iterator[list[str]]:
        for e in entries:
            current[0] = e
            d = e.data
            yield [str(d.get("from") or ""), str(d.get("at") or ""),
                   str(d.get("channel") or ""), str(d.get("kind") or ""),
                   str(d.get("urgency") or ""), str(d.get("id") or ""),
                   str(d.get("decision") or ""), str(d.get("outcome") or "")]

    def where() -> str:
        e = current[0]
        return f"{e.path}:{e.line}" if e is not None else label

    return Source(label, list(JOURNAL_COLUMNS), rows(), where)


_fromiso = datetime.fromisoformat
_EPOCH = datetime(1970, 1, 1)
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
_DAY = 86400.0


def parse_instant(text: str, offsets) -> float:
    """POSIX seconds of a row's `at`, read exactly as `check --at` reads it (ISO 8601,
    without offset: my wall-clock time; gap forward, fold earlier; refused outside the
    supported years, in UTC or in my timezone)."""
    if len(text) > 10:
        try:
            dt = _fromiso(text)
        except ValueError:
            dt = None
        if dt is not None and MIN_YEAR <= dt.year <= MAX_YEAR:
            if dt.tzinfo is None:  # (subtracting is several times faster than .timestamp())
                wall = (dt - _EPOCH).total_seconds()
                t = wall - offsets.of_wall(wall)
                offset = wall - t
            else:
                t = (dt - _EPOCH_UTC).total_seconds()
                offset = 0.0  # only looked at near the ends of the supported years
            if FIRST_SECOND + _DAY <= t < END_SECOND - _DAY:
                return t
            if dt.tzinfo is not None:
                offset = offsets.of_instant(t)
            if in_range(t, offset):
                return t
            raise range_error(text.strip(), t, offset, offsets.tz)
    raw = text.strip()
    if not raw:
        raise TimeError("empty time", HINT)
    if ":" in raw and "-" not in raw:
        raise TimeError(f"{quoted(raw)} is a time of day without a date: a replayed row "
                        "needs both", "write e.g. `2026-01-08T18:20`")
    return parse_at(raw, offsets.tz, datetime(2000, 1, 1, tzinfo=UTC)).timestamp()

"""Where replayed requests come from: a CSV file (or stdin) or the journal.

A source has a header (the column names as written) and yields `(where, cells)` per data
row, `where` being `PATH:LINE` for messages. Reading streams: one row in memory at a time.
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from .timeparse import HINT, MAX_YEAR, MIN_YEAR, TimeError, parse_at

REQUIRED = ("from", "at")
OPTIONAL = ("channel", "kind", "urgency")
JOURNAL_COLUMNS = ("from", "at", "channel", "kind", "urgency", "id", "recorded_decision",
                   "outcome")
_DELIMITERS = (",", ";", "\t")


class InputError(Exception):
    """The input as a whole cannot be replayed (exit 2)."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class Source:
    """Rows to replay: a header, an iterator of cell lists, and where the last row came from.

    Iterating may raise `csv.Error` for one malformed row; iterating again goes on with
    the next row. `where()` names the row yielded (or refused) last as `PATH:LINE`.
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
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    try:
        first = text.readline()
    except UnicodeDecodeError:
        raise InputError(f"{label}: not a CSV file (not UTF-8 text)",
                         "save it as CSV, UTF-8") from None
    if not first.strip():
        raise InputError(f"{label}: empty: a replay needs a header line and rows",
                         "e.g. `from,at,channel` then `acme,2026-01-08T18:20,call`")
    if "\x00" in first:
        raise InputError(f"{label}: not a CSV file (binary data)", "save it as CSV, UTF-8")
    for delimiter in _DELIMITERS:
        header = next(csv.reader([first], delimiter=delimiter))
        names = [h.strip().lower() for h in header]
        if all(name in names for name in REQUIRED):
            break
    else:
        shown = first.strip()[:60]
        raise InputError(f"{label}: not a CSV file with the columns from and at "
                         f"(first line: {shown!r})",
                         "the first line names the columns, e.g. `from,at,channel,kind`")
    for name in REQUIRED + OPTIONAL:
        if names.count(name) > 1:
            raise InputError(f"{label}:1: the column {name} appears twice")
    reader = csv.reader(text, delimiter=delimiter)
    # the header line was read before the reader started: its lines count from 2
    return Source(label, header, reader, lambda: f"{label}:{reader.line_num + 1}", size,
                  raw.tell if size is not None else None, text.close)


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


def parse_instant(text: str, offsets) -> float:
    """POSIX seconds of a row's `at`, read exactly as `check --at` reads it (ISO 8601,
    without offset: my wall-clock time; gap forward, fold earlier)."""
    if len(text) > 10:
        try:
            dt = _fromiso(text)
        except ValueError:
            dt = None
        if dt is not None and MIN_YEAR <= dt.year <= MAX_YEAR:
            if dt.tzinfo is None:  # (subtracting is several times faster than .timestamp())
                wall = (dt - _EPOCH).total_seconds()
                return wall - offsets.of_wall(wall)
            return (dt - _EPOCH_UTC).total_seconds()
    raw = text.strip()
    if not raw:
        raise TimeError("empty time", HINT)
    if ":" in raw and "-" not in raw:
        raise TimeError(f"`{raw}` is a time of day without a date: a replayed row needs both",
                        "write e.g. `2026-01-08T18:20`")
    return parse_at(raw, offsets.tz, datetime(2000, 1, 1, tzinfo=UTC)).timestamp()

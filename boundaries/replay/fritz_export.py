"""The FRITZ!Box call list export (Telefonie → Anrufliste → export), read line by line.

The box writes `sep=;` on the first line, then a header, then one call per line, newest
first::

    sep=;
    Typ;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer
    1;08.01.26 18:20;Leitner;06641234567;Büro;7321234;0:06

FRITZ!OS 7 adds `Landes-/Ortsnetzbereich` after `Rufnummer`; English firmware writes
`Type;Date;Name;Number;Extension;Outgoing Caller ID;Duration` (or `Telephone Number` for
the own number). Columns are found by name, so every variant reads the same. Text is UTF-8
or ISO-8859-1 (older boxes), decided per line: a line that is not UTF-8 is ISO-8859-1; a
UTF-8 BOM is dropped. `Datum` is `DD.MM.YY HH:MM` on the box's clock (my wall-clock time),
`Dauer` is `H:MM`.

`Typ` in the export (FRITZ!OS 4.74 and later; the TR-064 call list numbers them otherwise):
1 an incoming call taken, 2 a missed one, 3 one the box rejected (call barring), 4 an
outgoing call. An incoming call that an answering machine took (its `Nebenstelle` names
it) is missed: nobody talked to the caller.

This module only reads: `CallRow`s and `BadLine`s with their line numbers, and the stable
id of each call (`SourceIds`). Deciding and recording are the service's (`log --import`),
replaying is `replay.input`'s.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import BinaryIO, NamedTuple

from boundaries.core.echo import quoted
from boundaries.core.errors import BoundariesError

SOURCE = "fritzbox-export"  # the journal's `source` of an imported call
MAX_LINE = 64 * 1024  # a longer line is no call: skipped unread (memory stays bounded)
TYPES = {"1": "answered", "2": "missed", "3": "rejected", "4": "outgoing"}
TYPE_WORDS = "1 in, 2 missed, 3 rejected, 4 out"
# the extensions (`Nebenstelle`) of the box's own answering machines, as FRITZ!OS names them
_MACHINE = re.compile(r"^\s*(anrufbeantworter|answering machine|tam\b)", re.IGNORECASE)
# the columns by role, each with the names the firmware versions give it (case-folded)
ROLES = {
    "type": ("typ", "type"),
    "date": ("datum", "date"),
    "number": ("rufnummer", "number", "telephone number", "phone number"),
    "own": ("eigene rufnummer", "outgoing caller id", "local number", "own number",
            "telephone number"),
    "extension": ("nebenstelle", "extension"),
    "duration": ("dauer", "duration"),
}
REQUIRED = ("type", "date", "number", "duration")
_DATE = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})\s+(\d{1,2}):(\d{2})(?::\d{2})?\s*$")
_DURATION = re.compile(r"^\s*(\d{1,5}):(\d{2})\s*$")
HINT = ("export the call list in the FRITZ!Box (Telefonie → Anrufliste → the export button) "
        "and give that file as it is: it starts with `sep=;` and `Typ;Datum;Name;Rufnummer;…`")


class ExportError(BoundariesError):
    """A file that is not a FRITZ!Box call list export (or cannot be read as one)."""


class CallRow(NamedTuple):
    """One call of the export. `kind`: answered, missed, voicemail (an answering machine
    took it), rejected or outgoing; `wall` is the box's clock, naive (my wall-clock time)."""

    line: int
    kind: str
    wall: datetime
    number: str  # `Rufnummer` as written: the caller, or whom I called; "" when withheld
    own: str  # `Eigene Rufnummer`: my line, never the sender
    minutes: int
    cells: list[str]  # the row as read, one cell per header column

    @property
    def incoming(self) -> bool:
        """A call that rang here (answered, missed or taken by an answering machine)."""
        return self.kind in ("answered", "missed", "voicemail")

    @property
    def identity(self) -> str:
        """What tells this call from another in any export of the same box: its time, `Typ`,
        both numbers and duration (not the names, which change with the phone book)."""
        digits = "".join(c for c in self.number if c.isdigit() or c == "+")
        own = "".join(c for c in self.own if c.isdigit())
        return f"{self.wall:%Y-%m-%dT%H:%M}|{self.kind}|{digits}|{own}|{self.minutes}"


class BadLine(NamedTuple):
    """A line that is no call: skipped, counted and told as `PATH:LINE: warning:`."""

    line: int
    message: str


class SourceIds:
    """Stable ids for the calls of one export, in file order: two calls alike in every
    column (two missed calls in one minute) get `…#0` and `…#1`, so an export read again,
    or the next export that overlaps it, gives each call the id it had."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def of(self, row: CallRow) -> str:
        """`fritzbox-export:YYYY-MM-DDTHH:MM:<hash>` for `row` (call it once per row)."""
        key = row.identity
        n = self._seen.get(key, 0)
        self._seen[key] = n + 1
        digest = hashlib.sha256(f"{key}#{n}".encode()).hexdigest()[:16]
        return f"{SOURCE}:{row.wall:%Y-%m-%dT%H:%M}:{digest}"


class Columns(NamedTuple):
    """The index of each role's column (-1: the export has none)."""

    type: int
    date: int
    number: int
    own: int
    extension: int
    duration: int


def find_columns(header: list[str]) -> tuple[Columns, list[str]]:
    """Each role's column in `header` and the required roles it lacks (as German names).

    A name may serve two roles (`Telephone number` twice in one English variant: the first is
    the caller's, the second mine); each column serves one, the earlier role first."""
    names = [h.strip().strip('"').strip().casefold() for h in header]
    taken: set[int] = set()
    found: dict[str, int] = {}
    for role, words in ROLES.items():
        found[role] = next((i for i, n in enumerate(names) if n in words and i not in taken),
                           -1)
        if found[role] >= 0:
            taken.add(found[role])
    german = dict(zip(ROLES, ("Typ", "Datum", "Rufnummer", "Eigene Rufnummer", "Nebenstelle",
                              "Dauer"), strict=True))
    return Columns(**found), [german[r] for r in REQUIRED if found[r] < 0]


def decode(blob: bytes) -> str:
    """A line's bytes as text: UTF-8, else ISO-8859-1 (which every byte string is)."""
    try:
        return blob.decode("utf-8")
    except UnicodeDecodeError:
        return blob.decode("latin-1")


def separator_of(first: str) -> str | None:
    """The delimiter a `sep=X` line names, or None when the line is not one."""
    text = first.strip().strip('"').strip()
    if text[:4].casefold() == "sep=" and len(text) == 5:
        return text[4]
    return None


def is_export_head(first: bytes) -> bool:
    """Whether a file's first line (as bytes) starts a call list export: `sep=X`, or a
    header with the export's columns (a file saved without its `sep=` line)."""
    text = decode(first.removeprefix(b"\xef\xbb\xbf")).rstrip("\r\n")
    if separator_of(text) is not None:
        return True
    if ";" not in text:
        return False
    return not find_columns(next(csv.reader([text], delimiter=";"), []))[1]


def parse_date(text: str) -> datetime | None:
    """`DD.MM.YY HH:MM` (seconds and a four-digit year allowed) as a naive datetime, or
    None. Two-digit years are 2000–2099: the box did not exist before."""
    m = _DATE.match(text)
    if not m:
        return None
    day, month, year, hour, minute = (int(g) for g in m.groups())
    try:
        return datetime(year + 2000 if year < 100 else year, month, day, hour, minute)
    except ValueError:
        return None


def parse_duration(text: str) -> int | None:
    """`H:MM` as minutes (empty: 0), or None."""
    if not text.strip():
        return 0
    m = _DURATION.match(text)
    if not m or int(m.group(2)) > 59:
        return None
    return int(m.group(1)) * 60 + int(m.group(2))


class ExportReader:
    """An opened export: its delimiter and header, and its calls, line by line.

    `first`: the first line's bytes when the caller has read them already (replay's input
    looks at a file's first line to tell an export from its own CSV). An ExportError when
    the head is not an export's."""

    def __init__(self, raw: BinaryIO, label: str, first: bytes | None = None) -> None:
        self.raw = raw
        self.label = label
        self._lines = _numbered(raw, first)
        head = self._next_text()
        if head is None:
            raise ExportError(f"{label}: empty: not a FRITZ!Box call list export", HINT)
        number, text = head
        sep = separator_of(text)
        if sep is not None:
            head = self._next_text()
            if head is None:
                raise ExportError(f"{label}: only a `sep=` line: the export has no header",
                                  HINT)
            number, text = head
        self.delimiter = sep or ";"
        self.header_line = number
        try:
            self.header = next(csv.reader([text], delimiter=self.delimiter), [])
        except csv.Error:
            self.header = []
        self.columns, missing = find_columns(self.header)
        if missing:
            raise ExportError(
                f"{label}:{number}: not a FRITZ!Box call list export: the header "
                f"{quoted(text.strip())} has no {', '.join(missing)} column"
                f"{'s' if len(missing) > 1 else ''}", HINT)
        self.width = len(self.header)
        self.line = number  # the line read last

    def _next_text(self) -> tuple[int, str] | None:
        """The next non-blank line (number, text), or None at the end."""
        for number, blob in self._lines:
            if blob is not None and blob.strip():
                return number, decode(blob.removeprefix(b"\xef\xbb\xbf") if number == 1
                                      else blob)
        return None

    def __iter__(self) -> Iterator[CallRow | BadLine]:
        """Every call after the header, and every line that is no call (blank lines
        skipped)."""
        for number, blob in self._lines:
            self.line = number
            if blob is None:
                yield BadLine(number, f"a line of more than {MAX_LINE:,} bytes: no call")
                continue
            if not blob.strip():
                continue
            yield self.row(number, decode(blob))

    def row(self, number: int, text: str) -> CallRow | BadLine:
        """One line as a call, or why it is none."""
        try:
            cells = next(csv.reader([text], delimiter=self.delimiter), [])
        except csv.Error as exc:
            return BadLine(number, f"not CSV: {exc}")
        if len(cells) > self.width and not any(c.strip() for c in cells[self.width:]):
            cells = cells[:self.width]  # a trailing `;`
        if len(cells) != self.width:
            return BadLine(number, f"{len(cells)} fields, the header has {self.width}")
        c = self.columns
        code = cells[c.type].strip()
        kind = TYPES.get(code)
        if kind is None:
            return BadLine(number, f"unknown Typ {quoted(code, 8)} ({TYPE_WORDS})")
        wall = parse_date(cells[c.date])
        if wall is None:
            return BadLine(number, f"Datum {quoted(cells[c.date].strip(), 20)} is not "
                           "DD.MM.YY HH:MM")
        minutes = parse_duration(cells[c.duration])
        if minutes is None:
            return BadLine(number, f"Dauer {quoted(cells[c.duration].strip(), 20)} is not H:MM")
        extension = cells[c.extension] if c.extension >= 0 else ""
        if kind == "answered" and _MACHINE.match(extension):
            kind = "voicemail"
        return CallRow(number, kind, wall, cells[c.number].strip(),
                       cells[c.own].strip() if c.own >= 0 else "", minutes, cells)

    def position(self) -> int | None:
        """Bytes read so far (None when unknown or closed)."""
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        self.raw.close()


def _numbered(raw: BinaryIO, first: bytes | None) -> Iterator[tuple[int, bytes | None]]:
    """(line number, bytes without the line end) of each line; None for a line over
    MAX_LINE bytes, which is read past in pieces, never held."""
    number = 0
    if first is not None:
        number = 1
        if len(first) > MAX_LINE and not first.endswith(b"\n"):
            _drain(raw)
            yield number, None
        else:
            yield number, first.rstrip(b"\r\n")
    while True:
        blob = raw.readline(MAX_LINE + 1)
        if not blob:
            return
        number += 1
        if len(blob) > MAX_LINE and not blob.endswith(b"\n"):
            _drain(raw)
            yield number, None
            continue
        yield number, blob.rstrip(b"\r\n")


def _drain(raw: BinaryIO) -> None:
    """Read to the end of the current line."""
    while True:
        more = raw.readline(MAX_LINE)
        if not more or more.endswith(b"\n"):
            return


def open_export(path: str) -> ExportReader:
    """The export at `path` opened for reading; ExportError when it is missing, a folder
    or not an export."""
    p = Path(path)
    if p.is_dir():
        raise ExportError(f"{path}: is a folder, not a call list export", HINT)
    try:
        raw = open(p, "rb")  # noqa: SIM115 -- the reader owns it (close())
    except FileNotFoundError:
        raise ExportError(f"{path}: no such file", HINT) from None
    except OSError as exc:
        raise ExportError(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return ExportReader(raw, path)
    except BaseException:
        raw.close()
        raise


__all__ = ["SOURCE", "TYPES", "BadLine", "CallRow", "ExportError", "ExportReader",
           "SourceIds", "find_columns", "is_export_head", "open_export", "parse_date",
           "parse_duration"]

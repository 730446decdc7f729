"""Where each key and value of a TOML document is written.

tomllib returns values without positions. This module scans the raw text of a
document that tomllib has already accepted and maps every key path to the line
and column of its key and of its value, so diagnostics can point at them.

Two ways to build the map. The fast one finds table headers and `key =` lines with
one regular expression over the whole text, checks every path it finds against the
parsed data, and leaves the inside of arrays and inline tables until a lookup asks
for them. It declines documents with multi-line strings (whose lines could look like
keys) and any document where a found path is not in the data (a multi-line array
with a line that looks like a header); those get the full scanner, which walks every
token.

Paths are tuples: keys are strings, array elements and array-of-tables entries
are ints, e.g. ``("rules", 0, "when", "urgency", 1)``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping

Path = tuple[str | int, ...]


Pos = tuple[int, int, int, int]  # 1-based line and column of a key, then of its value


_BARE = re.compile(r"[A-Za-z0-9_-]*")
_WS_NL = re.compile(r"(?:[ \t\r\n]|#[^\n]*)*")
_WS_COMMENT = re.compile(r"[ \t\r]*(?:#[^\n]*)?")
_BASIC = re.compile(r'"((?:[^"\\\n]|\\.)*)"?')  # up to the closing quote or the line end
_LITERAL = re.compile(r"'([^'\n]*)'?")
_SCALAR = re.compile(r"[^,\]}#\n]*")


class _Scanner:
    def __init__(self, text: str) -> None:
        self.s = text
        self.i = 0
        self.n = len(text)
        self.line = 1
        self.line_start = 0
        self.positions: dict[Path, Pos] = {}
        self.aot_counts: dict[Path, int] = {}

    # -- low level (jumps by regex; the line count follows every newline passed) ------------
    def here(self) -> tuple[int, int]:
        return self.line, self.i - self.line_start + 1

    def jump(self, j: int) -> None:
        """Move to index `j` (forward), counting the newlines passed."""
        j = min(j, self.n + 1)
        newlines = self.s.count("\n", self.i, j)
        if newlines:
            self.line += newlines
            self.line_start = self.s.rfind("\n", self.i, j) + 1
        self.i = j

    def advance(self, k: int = 1) -> None:
        self.jump(self.i + k)

    def peek(self, k: int = 0) -> str:
        j = self.i + k
        return self.s[j] if j < self.n else ""

    def skip_ws(self, newlines: bool = False) -> None:
        pattern = _WS_NL if newlines else _WS_COMMENT
        m = pattern.match(self.s, self.i)
        if m.end() > self.i:
            self.jump(m.end())

    def skip_line(self) -> None:
        end = self.s.find("\n", self.i)
        self.jump(self.n + 1 if end < 0 else end + 1)

    # -- pieces ----------------------------------------------------------------
    def read_string(self) -> str:
        s = self.s
        if s.startswith('"""', self.i) or s.startswith("'''", self.i):
            q = s[self.i : self.i + 3]
            self.advance(3)
            start = self.i
            j = self.i
            while j < self.n:
                if q == '"""' and s[j] == "\\":
                    j += 2
                    continue
                if s.startswith(q, j):
                    # up to two extra quotes may belong to the content
                    end = j
                    while s.startswith(q[0], end + 3):
                        end += 1
                    self.jump(end + 3)
                    return s[start:end]
                j += 1
            self.jump(self.n)
            return s[start:]
        m = (_BASIC if s[self.i] == '"' else _LITERAL).match(s, self.i)
        raw = m.group(1)
        # past the closing quote; an unclosed string stops before the line's end
        self.jump(m.end() + (0 if m.group(0).endswith(("'", '"')) and len(m.group(0)) > 1
                             else 1))
        if s[m.start()] == '"' and "\\" in raw:
            try:
                import json

                return json.loads('"' + raw + '"')
            except ValueError:
                return raw
        return raw

    def read_key(self) -> list[tuple[str, int, int]]:
        parts = []
        while True:
            self.skip_ws()
            line, col = self.here()
            c = self.peek()
            if c in "\"'":
                name = self.read_string()
            else:
                end = _BARE.match(self.s, self.i).end()
                name = self.s[self.i : end]
                self.jump(end)
            parts.append((name, line, col))
            self.skip_ws()
            if self.peek() == ".":
                self.advance()
                continue
            return parts

    def read_value(self, path: Path) -> None:
        c = self.peek()
        if c in "\"'":
            self.read_string()
        elif c == "[":
            self.advance()
            index = 0
            while True:
                self.skip_ws(newlines=True)
                if self.peek() == "]" or self.i >= self.n:
                    self.advance()
                    return
                line, col = self.here()
                elem = (*path, index)
                self.positions.setdefault(elem, (line, col, line, col))
                self.read_value(elem)
                index += 1
                self.skip_ws(newlines=True)
                if self.peek() == ",":
                    self.advance()
        elif c == "{":
            self.advance()
            while True:
                self.skip_ws(newlines=True)
                if self.peek() == "}" or self.i >= self.n:
                    self.advance()
                    return
                self.key_value(path)
                self.skip_ws(newlines=True)
                if self.peek() == ",":
                    self.advance()
        else:
            self.jump(_SCALAR.match(self.s, self.i).end())

    def key_value(self, table: Path) -> None:
        parts = self.read_key()
        path = table
        for name, line, col in parts[:-1]:
            path = (*path, name)
            self.positions.setdefault(path, (line, col, line, col))
        name, line, col = parts[-1]
        path = (*path, name)
        self.skip_ws()
        if self.peek() == "=":
            self.advance()
        self.skip_ws()
        vline, vcol = self.here()
        self.positions[path] = (line, col, vline, vcol)
        self.read_value(path)

    def header(self) -> Path:
        line, _ = self.here()
        double = self.s.startswith("[[", self.i)
        self.advance(2 if double else 1)
        parts = [(name, col) for name, _, col in self.read_key()]
        self.skip_line()
        return _header_path(parts, line, double, self.aot_counts, self.positions)

    def run(self) -> dict[Path, Pos]:
        table: Path = ()
        while self.i < self.n:
            self.skip_ws(newlines=True)
            if self.i >= self.n:
                break
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)
                self.skip_ws()
                if self.peek() == "\n":
                    self.advance()
                elif self.i < self.n:
                    self.skip_line()
        return self.positions


def index_positions(text: str) -> dict[Path, Pos]:
    """Map every key path of a (valid) TOML document to where it is written (full scan)."""
    try:
        return _Scanner(text).run()
    except (IndexError, RecursionError):  # pragma: no cover - tolerate odd input
        return {}


def _header_path(parts: list[tuple[str, int]], line: int, double: bool,
                 aot_counts: dict[Path, int], positions: dict[Path, Pos]) -> Path:
    """The path a `[a.b]` or `[[a.b]]` header opens; records where each part is written.

    The header itself is at column 1; each enclosing table it names (`a` of `[a.b]`) at
    its own column, unless that table was written earlier.
    """
    path: Path = ()
    for name, col in parts[:-1]:
        path = (*path, name)
        positions.setdefault(path, (line, col, line, col))
        if path in aot_counts:
            path = (*path, aot_counts[path] - 1)
    base = (*path, parts[-1][0])
    if double:
        aot_counts[base] = aot_counts.get(base, 0) + 1
        positions.setdefault(base, (line, 1, line, 1))
        base = (*base, aot_counts[base] - 1)
    positions.setdefault(base, (line, 1, line, 1))
    return base


_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')"""
_DOTTED = rf"{_KEY_PART}(?:[ \t]*\.[ \t]*{_KEY_PART})*"
# one match per header or `key =` line: (1) `[` or `[[`, (2) the header's key; or (3) a bare
# key, or (4) a dotted or quoted one; then (5) `[` or `{` if the value is an array or table
_LINE = re.compile(
    rf"^[ \t]*(?:(\[\[?)[ \t]*({_DOTTED})[ \t]*\]\]?[ \t]*(?:#[^\n]*)?$"
    rf"|(?:([A-Za-z0-9_-]+)|({_DOTTED}))[ \t]*=[ \t]*([\[{{]?))", re.M)
Spot = tuple[int, int, int]  # offset, line, offset of the line's start


def _key_names(text: str, start: int, line_start: int) -> list[tuple[str, int]]:
    """The parts of the dotted key at `start`, unquoted, each with its 1-based column."""
    scanner = _Scanner(text)
    scanner.i, scanner.line_start = start, line_start
    return [(name, col) for name, _, col in scanner.read_key()]


def _child(node: object, key: str | int) -> object:
    if isinstance(node, dict):
        return node.get(key, _MISSING) if isinstance(key, str) else _MISSING
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return node[key]
    return _MISSING


_MISSING = object()


def fast_index(text: str, data: Mapping) -> tuple[dict[Path, Pos], dict[Path, Spot]] | None:
    """Positions of headers and `key =` lines, checked against `data`; None if unsure.

    The second map holds where each array or inline-table value starts, for expanding
    its elements only when a lookup needs them.
    """
    if '"""' in text or "'''" in text:
        return None
    positions: dict[Path, Pos] = {}
    deferred: dict[Path, Spot] = {}
    aot_counts: dict[Path, int] = {}
    table_path: Path = ()
    table: object = data
    line, last = 1, 0
    count = text.count
    for m in _LINE.finditer(text):
        start = m.start()  # always a line's start
        line += count("\n", last, start)
        last = start
        _, _, bare, dotted, box = m.groups()
        if bare is not None:  # the common case, kept short
            if bare not in table:  # type: ignore[operator]
                return None
            path = (*table_path, bare)
            kcol = m.start(3) - start + 1
        elif dotted is not None:  # each part is a path; the last part's column is the key's
            node, path = table, table_path
            for name, kcol in _key_names(text, m.start(4), start):
                node = _child(node, name)
                if node is _MISSING:
                    return None
                path = (*path, name)
                positions.setdefault(path, (line, kcol, line, kcol))
        else:
            found = _header(text, m, line, data, aot_counts, positions)
            if found is None:
                return None
            table_path, table = found
            continue
        vstart = m.end() - len(box)
        positions[path] = (line, kcol, line, vstart - start + 1)
        if box:
            deferred[path] = (vstart, line, start)
    return positions, deferred


def _header(text: str, m: re.Match, line: int, data: Mapping, aot_counts: dict[Path, int],
            positions: dict[Path, Pos]) -> tuple[Path, dict] | None:
    """The path and the data of the table a header line opens (None: not in the data)."""
    head = m.group(2)
    if '"' in head or "'" in head:
        parts = _key_names(text, m.start(2), m.start())
    else:
        parts, col = [], m.start(2) - m.start() + 1
        for raw in head.split("."):
            name = raw.lstrip(" \t")
            parts.append((name.rstrip(" \t"), col + len(raw) - len(name)))
            col += len(raw) + 1
    path = _header_path(parts, line, len(m.group(1)) == 2, aot_counts, positions)
    node: object = data
    for k in path:
        node = _child(node, k)
        if node is _MISSING:
            return None
    return (path, node) if isinstance(node, dict) else None


class Locator:
    """Looks up positions for a path, falling back to the nearest written parent."""

    def __init__(self, text: str, data: Mapping | None = None) -> None:
        self.text = text
        found = fast_index(text, data) if data is not None else None
        if found is None:
            self.positions, self._deferred = index_positions(text), {}
        else:
            self.positions, self._deferred = found

    def key(self, path: Path) -> tuple[int, int]:
        """Line and column of the key at ``path`` (or of its nearest parent)."""
        pos = self._find(path)
        return (pos[0], pos[1]) if pos else (1, 1)

    def value(self, path: Path) -> tuple[int, int]:
        """Line and column of the value at ``path`` (or of its nearest parent)."""
        pos = self._find(path)
        return (pos[2], pos[3]) if pos else (1, 1)

    def line(self, path: Path) -> int:
        """Line of the key at ``path`` (or of its nearest parent)."""
        return self.key(path)[0]

    def has(self, path: Path) -> bool:
        """Whether ``path`` itself is written in the document."""
        self._expand(path)
        return path in self.positions

    def in_string(self, path: Path, offset: int) -> tuple[int, int]:
        """Line and column of character `offset` of the string value at ``path`` (its start,
        if escapes before it shift the columns of a one-line string)."""
        line, col = self.value(path)
        raw = self.text
        start = _line_offset(raw, line) + col - 1  # where the string's quotes open
        quote = raw[start:start + 3]
        skip = 3 if quote in ('"""', "'''") else 1
        content = start + skip
        if skip == 3 and raw[content:content + 1] == "\n":
            content += 1  # a newline right after the opening quotes is not part of the value
        if "\\" in raw[content:content + offset + 1] and skip == 1:
            return line, col  # escapes shift columns; the value's start is close enough
        target = content + offset
        before = raw[:target]
        return before.count("\n") + 1, target - (before.rfind("\n") + 1) + 1

    def _expand(self, path: Path) -> None:
        """Index the elements of the arrays and inline tables that hold ``path``."""
        if not self._deferred or path in self.positions:
            return
        for n in range(1, len(path)):
            spot = self._deferred.pop(path[:n], None)
            if spot is not None:
                scanner = _Scanner(self.text)
                scanner.i, scanner.line, scanner.line_start = spot
                scanner.positions = self.positions
                with contextlib.suppress(IndexError, RecursionError):  # odd input
                    scanner.read_value(path[:n])
                return

    def _find(self, path: Path) -> Pos | None:
        self._expand(path)
        while path:
            pos = self.positions.get(path)
            if pos is not None:
                return pos
            path = path[:-1]
        return None


def _line_offset(text: str, line: int) -> int:
    """The index in `text` where line `line` (1-based) starts."""
    pos = 0
    for _ in range(line - 1):
        pos = text.index("\n", pos) + 1
    return pos

"""Where each key and value of a TOML document is written.

tomllib returns values without positions. This module scans the raw text of a
document that tomllib has already accepted and maps every key path to the line
and column of its key and of its value, so diagnostics can point at them.

Paths are tuples: keys are strings, array elements and array-of-tables entries
are ints, e.g. ``("rules", 0, "when", "urgency", 1)``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Pos:
    """1-based line/column of a key and of its value."""

    line: int
    col: int
    vline: int
    vcol: int


_BARE = re.compile(r"[A-Za-z0-9_-]*")
_WS = re.compile(r"[ \t\r]*")
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
                self.positions.setdefault(elem, Pos(line, col, line, col))
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
            self.positions.setdefault(path, Pos(line, col, line, col))
        name, line, col = parts[-1]
        path = (*path, name)
        self.skip_ws()
        if self.peek() == "=":
            self.advance()
        self.skip_ws()
        vline, vcol = self.here()
        self.positions[path] = Pos(line, col, vline, vcol)
        self.read_value(path)

    def resolve(self, keys: list[str]) -> Path:
        path: Path = ()
        for k in keys:
            path = (*path, k)
            if path in self.aot_counts:
                path = (*path, self.aot_counts[path] - 1)
        return path

    def header(self) -> Path:
        line, _ = self.here()
        double = self.s.startswith("[[", self.i)
        self.advance(2 if double else 1)
        parts = self.read_key()
        keys = [p[0] for p in parts]
        self.skip_line()
        if double:
            prefix = self.resolve(keys[:-1])
            base = (*prefix, keys[-1])
            self.aot_counts[base] = self.aot_counts.get(base, 0) + 1
            path = (*base, self.aot_counts[base] - 1)
            self.positions.setdefault(base, Pos(line, 1, line, 1))
        else:
            path = self.resolve(keys)
        self.positions.setdefault(path, Pos(line, 1, line, 1))
        return path

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
    """Map every key path of a (valid) TOML document to where it is written."""
    try:
        return _Scanner(text).run()
    except (IndexError, RecursionError):  # pragma: no cover - tolerate odd input
        return {}


class Locator:
    """Looks up positions for a path, falling back to the nearest written parent."""

    def __init__(self, text: str) -> None:
        self.positions = index_positions(text)

    def key(self, path: Path) -> tuple[int, int]:
        """Line and column of the key at ``path`` (or of its nearest parent)."""
        pos = self._find(path)
        return (pos.line, pos.col) if pos else (1, 1)

    def value(self, path: Path) -> tuple[int, int]:
        """Line and column of the value at ``path`` (or of its nearest parent)."""
        pos = self._find(path)
        return (pos.vline, pos.vcol) if pos else (1, 1)

    def line(self, path: Path) -> int:
        return self.key(path)[0]

    def has(self, path: Path) -> bool:
        return path in self.positions

    def _find(self, path: Path) -> Pos | None:
        while path:
            pos = self.positions.get(path)
            if pos is not None:
                return pos
            path = path[:-1]
        return None

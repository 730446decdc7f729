"""How deeply a TOML document nests, found before it is parsed.

tomllib parses arrays and inline tables by recursion (600 nested `[` raise RecursionError),
and dotted keys or headers nest without limit (`[a.a.a…]`), which breaks whatever walks the
data next. `too_deep` scans the raw text once, with a regular expression over the tokens
that matter (strings and comments are skipped whole), and finds the first place where the
data would nest deeper than the limit.

The depth counted is that of the parsed data: the document is 1, each table, array or
inline table one more than the one holding it, so `[a.b]` opens depth 3 and `x = [[1]]`
at the top depth 3.
"""

from __future__ import annotations

import re
from typing import NamedTuple

MAX_DEPTH = 32

_SCALAR = r'''(?:"(?!"")(?:[^"\\\n]|\\.)*"|'(?!'')[^'\n]*'|[A-Za-z0-9_:.+-]+)'''  # one line
_LINE = r'''[ \t]*[A-Za-z0-9_-]+[ \t]*=[ \t]*<V>[ \t]*(?:\#[^\n]*)?\r?\n'''  # `key = …`
_ARRAY = r'''\[[ \t]*(?:<S>[ \t]*(?:,[ \t]*<S>[ \t]*)*,?[ \t]*)?\]'''  # scalars on one line
# (each repetition above starts with a character the one before cannot end with: linear)
_TOKEN = re.compile(r'''
    \n(?:<SCALAR_LINE>)*<ARRAY_LINE>(?:<SCALAR_LINE>|<ARRAY_LINE>)*(?P<arrays>)
                                     # a line end, and the `key = scalar` and `key = [scalars]`
  | \n(?:<SCALAR_LINE>)*             # lines after it, which nest one level at most
  | <ARRAY>                          # (or a header)
  | "{3}(?:[^\\]|\\[\s\S])*?"{3,5}   # multi-line basic string
  | '{3}[\s\S]*?'{3,5}               # multi-line literal string
  | "(?:[^"\\\n]|\\.)*"?             # basic string (unterminated: to the end of the line)
  | '[^'\n]*'?                       # literal string
  | \#[^\n]*                         # comment
  | [\[\]{}=,.]                      # what nests, or ends a key
'''.replace("<SCALAR_LINE>", _LINE.replace("<V>", "<S>"))
   .replace("<ARRAY_LINE>", _LINE.replace("<V>", _ARRAY))
   .replace("<ARRAY>", _ARRAY).replace("<S>", _SCALAR), re.VERBOSE)


class TooDeep(NamedTuple):
    """Where the data first nests deeper than the limit (1-based line and column)."""

    line: int
    col: int
    depth: int


def nesting_depth(text: str) -> int:
    """The depth of the data `text` parses to (for a document tomllib accepts)."""
    found = _Scan(text, 10**9).run()
    return found.depth if isinstance(found, TooDeep) else found


def too_deep(text: str, limit: int = MAX_DEPTH) -> TooDeep | None:
    """The first place where `text` nests deeper than `limit`, or None."""
    found = _Scan(text, limit).run()
    return found if isinstance(found, TooDeep) else None


def position(text: str, at: int) -> tuple[int, int]:
    """The 1-based line and column of offset `at` of `text`."""
    return text.count("\n", 0, at) + 1, at - (text.rfind("\n", 0, at) + 1) + 1


_HEADER = re.compile(r"""\[\[?(?:[^\]\n"']|"(?:[^"\\\n]|\\.)*"|'[^'\n]*')*\]""")


class _Scan:
    def __init__(self, text: str, limit: int) -> None:
        self.text, self.limit = text, limit
        self.deepest = 1
        self.arrays: set[tuple[str, ...]] = set()  # the headers written `[[…]]`

    def reach(self, depth: int, at: int) -> TooDeep | None:
        """The data reaches `depth` at offset `at`: past the limit, where."""
        self.deepest = max(self.deepest, depth)
        if depth <= self.limit:
            return None
        return TooDeep(*position(self.text, at), depth)

    def header(self, at: int, end: int) -> tuple[int, TooDeep | None]:
        """A `[a.b]` or `[[a.b]]` header at `at`..`end`: the depth of the table it opens.

        A part that names an array of tables (`[[a]]`, then `[a.b]`) is two levels: the
        array and its last table."""
        double = self.text.startswith("[[", at)
        inner = self.text[at + 1 + double:end - 1]
        names, depth, found = [], 1, None
        parts = _parts(inner)
        for i, part in enumerate(parts):
            names.append(part)
            inside = tuple(names) in self.arrays and not (double and i == len(parts) - 1)
            depth += 2 if inside else 1
            found = found or self.reach(depth, at)
        if double:
            self.arrays.add(tuple(names))
            depth += 1
            found = found or self.reach(depth, at)
        return depth, found

    def run(self) -> TooDeep | int:
        text = self.text
        table = 1  # the depth of the table the last header opened
        stack: list[tuple[str, int]] = []  # the open `[` and `{` of a value, and their depth
        in_key, holder, parts = True, 1, 1  # a key: the depth of its table, its parts
        after_eq = 1  # the depth a `[` or `{` right after the last `=` opens
        pos, found = 0, None
        while found is None and (m := _TOKEN.search(text, pos)):
            tok, at, pos = m.group(), m.start(), m.end()
            first = tok[0]
            if first in "\"'#":
                continue
            if first == "\n":  # a line end, and the simple lines after it
                if not stack:
                    in_key, holder, parts = True, table, 1
                    if m.lastgroup == "arrays":
                        found = self.reach(table + 1, at)
            elif in_key:
                if tok == ".":
                    parts += 1
                    found = self.reach(holder + parts - 1, at)
                elif tok == "=":
                    in_key, after_eq = False, holder + parts
                elif first == "[" and not stack and (h := _HEADER.match(text, at)):
                    table, found = self.header(at, h.end())
                    holder, pos = table, h.end()
                elif tok == "}" and stack:  # `{}`
                    stack.pop()
                    in_key = False
            elif first in "[{":
                depth = stack[-1][1] + 1 if stack and stack[-1][0] == "[" else after_eq
                found = self.reach(depth, at)
                if len(tok) == 1:  # else a one-line array of scalars, closed already
                    stack.append((tok, depth))
                if tok == "{":
                    in_key, holder, parts = True, depth, 1
            elif tok in "]}":
                if stack:
                    stack.pop()
            elif tok == "," and stack and stack[-1][0] == "{":
                in_key, holder, parts = True, stack[-1][1], 1
        return found or self.deepest


def _parts(key: str) -> list[str]:
    """The parts of a dotted key as written, `"a"` and `a` alike."""
    if '"' not in key and "'" not in key:
        return [p.strip() for p in key.split(".")]
    parts, start = [], 0
    for m in _TOKEN.finditer(key):
        if m.group() == ".":
            parts.append(key[start:m.start()])
            start = m.end()
    parts.append(key[start:])
    return [p.strip().strip("'" if p.strip()[:1] == "'" else '"') for p in parts]

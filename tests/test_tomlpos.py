"""Positions in policy files: the fast index agrees with the full scanner.

Every diagnostic and every reason's `file:line` comes from these positions, so a
wrong one sends the user to the wrong line. The fast index (headers and `key =`
lines by one regular expression, arrays expanded on demand) must give exactly what
the token-by-token scanner gives, on any document tomllib accepts.
"""

from __future__ import annotations

import tomllib

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from boundaries.policy.tomlpos import Locator, fast_index, index_positions

BARE = st.sampled_from(["a", "b", "tier", "mon-fri", "x_1", "42", "hours", "when"])
KEY = st.one_of(BARE, BARE.map(lambda k: f'"{k} y"'), BARE.map(lambda k: f"'{k}.z'"),
                st.tuples(BARE, BARE).map(lambda t: f"{t[0]} . {t[1]}"))
STRING = st.sampled_from(['"x = 1"', '"[a]"', "'# not a comment'", '"q\\"uote"', '"ä"', '""'])
SCALAR = st.one_of(STRING, st.sampled_from(["1", "-2", "true", "2026-08-03", "08:00:00",
                                            "1.5"]))


@st.composite
def values(draw, depth: int = 0):
    if depth >= 2 or draw(st.booleans()):
        return draw(SCALAR)
    kind = draw(st.sampled_from(["array", "multiline", "inline"]))
    if kind == "inline":
        keys = draw(st.lists(BARE, min_size=0, max_size=3, unique=True))
        inner = ", ".join(f"{k} = {draw(values(depth + 1))}" for k in keys)
        return "{ " + inner + " }"
    items = draw(st.lists(values(depth + 1), max_size=3))
    if kind == "array":
        return "[" + ", ".join(items) + "]"
    # one element per line, a nested array alone on its line, comments with `=`
    lines = [f"  {v},  # x = {i}" if draw(st.booleans()) else f"  {v}"
             + ("," if i < len(items) - 1 else "") for i, v in enumerate(items)]
    return "[\n" + "\n".join(lines) + "\n]"


@st.composite
def documents(draw):
    out = []
    for _ in range(draw(st.integers(1, 6))):
        what = draw(st.sampled_from(["kv", "kv", "table", "aot", "comment", "blank"]))
        if what == "kv":
            out.append(f"{draw(KEY)} = {draw(values())}"
                       + draw(st.sampled_from(["", "  # c = d", "\t"])))
        elif what == "table":
            out.append(f"[{draw(KEY)}]" + draw(st.sampled_from(["", " # [x]"])))
        elif what == "aot":
            out.append(f"[[{draw(BARE)}]]")
        elif what == "comment":
            out.append("# a = [b]")
        else:
            out.append("")
    return "\n".join(out) + draw(st.sampled_from(["", "\n"]))


def _parsed(text: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assume(False)
        raise  # unreachable


@settings(max_examples=400, deadline=None)
@given(documents())
def test_fast_positions_equal_the_full_scan(text):
    data = _parsed(text)
    full = index_positions(text)
    loc = Locator(text, data)
    for path, pos in full.items():
        assert loc.has(path), path
        assert loc.key(path) == pos[:2], (path, text)
        assert loc.value(path) == pos[2:], (path, text)


def test_a_nested_array_alone_on_its_line_is_not_taken_for_a_header():
    text = '[a]\nx = [\n  ["b"]\n]\ny = 1\n'
    data = tomllib.loads(text)
    assert fast_index(text, data) is None  # declined: `["b"]` is no table of the data
    assert Locator(text, data).key(("a", "y")) == (5, 1)


def test_multiline_strings_get_the_full_scan():
    text = 'body = """\nname = fake\n"""\nnext = 1\n'
    data = tomllib.loads(text)
    assert fast_index(text, data) is None
    loc = Locator(text, data)
    assert not loc.has(("name",))
    assert loc.key(("next",)) == (4, 1)


def test_array_elements_are_found_on_demand():
    text = '[clients.acme]\nphones = [\n  "+43 1 1",\n  "nope",\n]\n'
    loc = Locator(text, tomllib.loads(text))
    assert loc.value(("clients", "acme", "phones", 1)) == (4, 3)
    assert loc.value(("clients", "acme", "phones")) == (2, 10)

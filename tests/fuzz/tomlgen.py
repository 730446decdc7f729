"""A small TOML writer for fuzzed documents: any value, any key, and raw text where wanted.

Unlike a strict writer it never refuses: a `Raw` value is written as it is (a 5,000-digit
integer, `nan`, an array nested 600 deep, an invalid date), which is how a user's or an
attacker's file can look. Everything else round-trips through `tomllib`.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from typing import NamedTuple


class Raw(NamedTuple):
    """TOML text written verbatim where a value goes."""

    text: str


_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
            "\r": "\\r"}


def string(text: str) -> str:
    """A TOML basic string: control characters (C0, DEL, C1) as escapes."""
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or 0x7F <= code < 0xA0:
            out.append(f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def key(name: str) -> str:
    return name if _BARE.fullmatch(name) else string(name)


def value(v: object) -> str:
    """One value, inline."""
    if isinstance(v, Raw):
        return v.text
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return string(v)
    if isinstance(v, datetime | date | time):
        return v.isoformat()
    if isinstance(v, list | tuple):
        return "[" + ", ".join(value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{key(k)} = {value(x)}" for k, x in v.items()) + "}"
    raise TypeError(f"no TOML for {type(v).__name__}")


def _is_table_array(v: object) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def dumps(doc: dict) -> str:
    """A document: plain keys first, then `[tables]` and `[[arrays of tables]]`."""
    lines: list[str] = []
    _section(doc, (), lines)
    return "\n".join(lines) + "\n"


def _section(doc: dict, path: tuple[str, ...], lines: list[str]) -> None:
    later = []
    for k, v in doc.items():
        if isinstance(v, dict) or _is_table_array(v):
            later.append((k, v))
        else:
            lines.append(f"{key(k)} = {value(v)}")
    for k, v in later:
        sub = (*path, k)
        header = ".".join(key(p) for p in sub)
        if isinstance(v, dict):
            lines.append(f"\n[{header}]")
            _section(v, sub, lines)
        else:
            for item in v:  # elements inline their own tables: no nested [[...]] needed
                lines.append(f"\n[[{header}]]")
                lines.extend(f"{key(ik)} = {value(iv)}" for ik, iv in item.items())

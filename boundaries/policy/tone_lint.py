"""`lint`'s tone check (spec §10): every reply template of every `replies/<locale>.toml`
through `core.tone`, each problem a warning at the word inside the string (at the key when
the string's raw text does not line up with its value)."""

from __future__ import annotations

from collections.abc import Mapping

from boundaries.core.diagnostics import Diagnostic
from boundaries.core.model import PolicySet
from boundaries.core.tone import tone_hint, tone_problems
from boundaries.core.vocabulary import ENGINE_REPLY_KEYS
from boundaries.policy.tomlpos import Locator

_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\",
            "e": "\x1b"}


def later_or_decline_keys(ps: PolicySet) -> frozenset[str]:
    """The reply keys that defer or decline: the engine's (but `confirm`), every key a rule
    with `decide = "later"` or `"decline"` names, and their `-discreet` variants."""
    keys = set(ENGINE_REPLY_KEYS) - {"confirm"}
    for tier in ps.tiers.values():
        keys.update(r.reply for r in tier.rules if r.reply and r.decide != "answer")
    return frozenset(keys | {k + "-discreet" for k in keys})


def tone_warnings(ps: PolicySet, where: Mapping[str, Locator]) -> list[Diagnostic]:
    """The tone warnings of every template in `ps.replies`, at `replies/<locale>.toml`."""
    defers = later_or_decline_keys(ps)
    out = []
    for locale, table in ps.replies.items():
        rel = f"replies/{locale}.toml"
        loc = where.get(rel)
        for key, tpl in table.items():
            problems = tone_problems(tpl.text, locale, key, later_or_decline=key in defers,
                                     avoid=ps.me.tone_avoid, allow=ps.me.tone_allow)
            if not problems:
                continue
            raw = _raw_offsets(loc, key, tpl.text) if loc is not None else None
            for p in problems:
                line, col = loc.key((key,)) if loc is not None else (1, 1)
                if raw is not None and p.words:
                    line, col = _line_col(loc.text, raw[p.offset])  # type: ignore[union-attr]
                out.append(Diagnostic(rel, line, col, "warning", f"reply `{key}`: tone: "
                                      f"{p.message}", tone_hint(p.rule, key)))
    return out


def _line_col(text: str, index: int) -> tuple[int, int]:
    return text.count("\n", 0, index) + 1, index - (text.rfind("\n", 0, index) + 1) + 1


def _raw_offsets(loc: Locator, key: str, value: str) -> list[int] | None:
    """For each character of the string value at `key`, its index in the raw file — or
    None when the raw string, read again here, is not exactly `value` (then the key's
    position is used)."""
    if not loc.has((key,)):
        return None
    line, col = loc.value((key,))
    raw = loc.text
    start = _line_start(raw, line) + col - 1
    try:
        found = _read_string(raw, start)
    except (IndexError, ValueError):  # a string cut short, a bad escape: tomllib's to say
        return None
    if found is None or "".join(c for c, _ in found) != value:
        return None
    return [i for _, i in found]


def _line_start(text: str, line: int) -> int:
    pos = 0
    for _ in range(line - 1):
        pos = text.index("\n", pos) + 1
    return pos


def _read_string(raw: str, i: int) -> list[tuple[str, int]] | None:
    """The characters of the TOML string opening at `raw[i]`, each with its raw index."""
    quote = raw[i]
    if quote not in "\"'":
        return None
    multi = raw.startswith(quote * 3, i)
    i += 3 if multi else 1
    if multi and raw.startswith("\r\n", i):
        i += 2
    elif multi and raw[i] == "\n":
        i += 1
    out: list[tuple[str, int]] = []
    while True:
        c = raw[i]
        if c == quote:
            if not multi:
                return out
            run = len(raw[i:i + 5]) - len(raw[i:i + 5].lstrip(quote))
            if run >= 3:
                out += [(quote, i + k) for k in range(run - 3)]  # up to two quotes before
                return out
            out += [(quote, i + k) for k in range(run)]
            i += run
        elif c == "\\" and quote == '"':
            nxt = raw[i + 1]
            if nxt in _ESCAPES:
                out.append((_ESCAPES[nxt], i))
                i += 2
            elif nxt in "uUx":
                n = {"u": 4, "U": 8, "x": 2}[nxt]
                out.append((chr(int(raw[i + 2:i + 2 + n], 16)), i))
                i += 2 + n
            elif multi and nxt in " \t\r\n":  # a line-ending backslash: joins the lines
                i += 1
                while raw[i] in " \t\r\n":
                    i += 1
            else:
                return None
        elif c == "\r" and raw[i + 1] == "\n" and multi:
            out.append(("\n", i))
            i += 2
        elif c == "\n" and not multi:
            return None
        else:
            out.append((c, i))
            i += 1

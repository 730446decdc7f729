"""Reply templates: text with `{placeholder}` names only, never evaluated as code; checking
them, rendering them, and choosing the one a sender gets (its language, its discreet
variant, the placeholders worded in the template's own language)."""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from boundaries.core.diagnostics import suggest
from boundaries.core.errors import BoundariesError
from boundaries.core.model import Client, PolicySet, Tier
from boundaries.core.request import ReplyText
from boundaries.core.vocabulary import PLACEHOLDERS
from boundaries.core.wording import human_channels, human_next

_FORMATTER = string.Formatter()


class TemplateError(BoundariesError, ValueError):
    """A template that is not plain text with known placeholders."""

    def __init__(self, message: str, hint: str | None = None, offset: int = 0) -> None:
        super().__init__(message, hint)
        self.offset = offset  # character offset of the problem in the template


def _field_end(text: str, start: int) -> int:
    """Index just past the `}` that closes the field opening at `start` (or len(text))."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(text)


def _raw_len(literal: str) -> int:
    """Length in the template of a parsed literal (`{{`/`}}` were folded to one brace)."""
    return len(literal) + literal.count("{") + literal.count("}")


def template_problems(text: str) -> list[TemplateError]:
    """Every problem of a template: unknown names, attribute access, indexing, specs, braces.

    Each problem carries the character offset of the brace that opens its placeholder.
    """
    problems: list[TemplateError] = []
    pieces = _FORMATTER.parse(text)
    pos = 0  # where the next piece starts in `text`
    while True:
        try:
            literal, name, spec, conv = next(pieces)
        except StopIteration:
            break
        except ValueError:
            problems.append(_brace_problem(text, pos))
            break
        pos += _raw_len(literal)
        if name is None:
            continue
        where = pos
        pos = _field_end(text, pos)
        if name == "":
            problems.append(TemplateError(
                "empty placeholder `{}`",
                f"use one of {', '.join('{' + p + '}' for p in PLACEHOLDERS)}", where))
        elif "." in name or "[" in name:
            base = name.split(".")[0].split("[")[0]
            close = [p for p in PLACEHOLDERS if p.startswith(base)]
            example = close[0] if close else "next"
            problems.append(TemplateError(
                f"placeholder `{{{name}}}` uses attribute access or indexing",
                f"templates take plain names only, e.g. `{{{example}}}`", where))
        elif spec or conv:
            problems.append(TemplateError(
                f"placeholder `{{{name}}}` has a format spec or conversion",
                f"write just `{{{name}}}`", where))
        elif name not in PLACEHOLDERS:
            problems.append(TemplateError(
                f"unknown placeholder `{{{name}}}`",
                suggest(name, PLACEHOLDERS)
                or f"known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}", where))
    return problems


def _brace_problem(text: str, pos: int) -> TemplateError:
    """The first lone brace at or after `pos` (doubled braces are literal)."""
    i = pos
    while i < len(text):
        c = text[i]
        if c in "{}" and text[i + 1 : i + 2] == c:
            i += 2
            continue
        if c == "{":
            return TemplateError("`{` is never closed", "write `{{` for a literal brace, or "
                                 "close the placeholder, e.g. `{next}`", i)
        if c == "}":
            return TemplateError("`}` has no opening `{`", "write `}}` for a literal brace", i)
        i += 1
    return TemplateError("unmatched brace", "write `{{` and `}}` for literal braces", pos)


@lru_cache(maxsize=4096)
def _safe_pieces(text: str) -> tuple[tuple[str, str | None], ...] | None:
    """The (literal, placeholder-or-None) pieces of a template without problems, or None:
    each template text is parsed and checked once, not at every decision (a pure function
    of the text, so two sets with different templates never share a result)."""
    if template_problems(text):
        return None
    return tuple((lit, name) for lit, name, _spec, _conv in _FORMATTER.parse(text))


def parse_template(text: str) -> list[tuple[str, str | None]]:
    """Split into (literal, placeholder-or-None) pieces; raise TemplateError when unsafe."""
    pieces = _safe_pieces(text)
    if pieces is None:
        raise template_problems(text)[0]  # a fresh error each time, its offset with it
    return list(pieces)


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill placeholders by name; anything unsafe is left as written."""
    pieces = _safe_pieces(text)
    if pieces is None:
        return text
    return "".join(lit + (values.get(name, "") if name else "") for lit, name in pieces)


def placeholder_values(ps: PolicySet, tier: Tier, client: Client | None, at: datetime,
                       start: datetime | None, sender_tz: ZoneInfo, locale: str,
                       discreet: bool) -> dict[str, str]:
    """Every placeholder worded in `locale` for a request at `at`; `start`: the window the
    reply speaks of (None: none ahead)."""
    start_s = start.astimezone(sender_tz) if start else None
    return {
        "next": human_next(start, at, sender_tz, locale, ps.locale_names),
        "next_date": start_s.date().isoformat() if start_s else "",
        "next_time": f"{start_s.hour:02d}:{start_s.minute:02d}" if start_s else "",
        "my_name": "" if discreet else ps.me.name,
        "client_name": "" if discreet or client is None else client.name,
        "channels": human_channels(tier.channels, locale),
    }


_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;:!?])")
_DOUBLE_SPACE = re.compile(r"(?<=\S)[ \t]{2,}")
# a blank before a blank or a punctuation mark: where neither pattern above can match
_UNTIDY = re.compile(r"[ \t][ \t,.;:!?]")


def tidy_gaps(text: str) -> str:
    """A text with the gaps an empty placeholder leaves closed: no blank before `,.;:!?`,
    one blank between words (the two substitutions run only where one can match)."""
    if _UNTIDY.search(text) is None:
        return text
    return _DOUBLE_SPACE.sub(" ", _SPACE_BEFORE_PUNCT.sub(r"\1", text))


def locale_chain(ps: PolicySet, sender_locale: str) -> list[str]:
    """Sender's locale, then mine, then en, without repeats."""
    out: list[str] = []
    for loc in (sender_locale, ps.me.locale, "en"):
        if loc not in out:
            out.append(loc)
    return out


# a reply key the engine uses that may have no template, and the one it falls back to
FALLBACK_KEYS = {"busy": "after-hours"}


def pick_reply(ps: PolicySet, key: str, sender_locale: str, discreet: bool,
               values: Callable[[str], dict[str, str]]) -> ReplyText | None:
    """The template for `key` (its `-discreet` variant first when discreet), rendered with
    placeholders worded in the language of the template that was found; a key without a
    template in any language falls back (`busy` -> `after-hours`)."""
    found = _pick(ps, key, sender_locale, discreet, values)
    if found is None and key in FALLBACK_KEYS:
        return _pick(ps, FALLBACK_KEYS[key], sender_locale, discreet, values)
    return found


def _pick(ps: PolicySet, key: str, sender_locale: str, discreet: bool,
          values: Callable[[str], dict[str, str]]) -> ReplyText | None:
    for loc in locale_chain(ps, sender_locale):
        table = ps.replies.get(loc)
        if not table:
            continue
        chosen = key
        tpl = table.get(key + "-discreet") if discreet else None
        if tpl is not None:
            chosen = key + "-discreet"
        else:
            tpl = table.get(key)
        if tpl is None:
            continue
        filled = values(loc)
        text = render(tpl.text, filled)
        if discreet or not filled.get("client_name"):
            text = tidy_gaps(text)
        return ReplyText(loc, chosen, text.strip())
    return None

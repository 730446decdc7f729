"""Reply templates: text with `{placeholder}` names only, never evaluated as code."""

from __future__ import annotations

import string
from collections.abc import Mapping

from boundaries.core.diagnostics import suggest
from boundaries.core.schema import PLACEHOLDERS

_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A template that is not plain text with known placeholders."""

    def __init__(self, message: str, hint: str | None = None, offset: int = 0) -> None:
        super().__init__(message)
        self.hint = hint
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


def parse_template(text: str) -> list[tuple[str, str | None]]:
    """Split into (literal, placeholder-or-None) pieces; raise TemplateError when unsafe."""
    problems = template_problems(text)
    if problems:
        raise problems[0]
    return [(lit, name) for lit, name, _spec, _conv in _FORMATTER.parse(text)]


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill placeholders by name; anything unsafe is left as written."""
    try:
        pieces = parse_template(text)
    except TemplateError:
        return text
    return "".join(lit + (values.get(name, "") if name else "") for lit, name in pieces)

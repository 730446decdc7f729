"""Reply templates: text with `{placeholder}` names only, never evaluated as code."""

from __future__ import annotations

import string
from collections.abc import Mapping

from .diagnostics import suggest
from .schema_defs import PLACEHOLDERS

_FORMATTER = string.Formatter()


class TemplateError(ValueError):
    """A template that is not plain text with known placeholders."""

    def __init__(self, message: str, hint: str | None = None, offset: int = 0) -> None:
        super().__init__(message)
        self.hint = hint
        self.offset = offset  # character offset of the problem in the template


def template_problems(text: str) -> list[TemplateError]:
    """Every problem of a template: unknown names, attribute access, indexing, specs, braces."""
    problems: list[TemplateError] = []
    pieces = _FORMATTER.parse(text)
    while True:
        try:
            _literal, name, spec, conv = next(pieces)
        except StopIteration:
            break
        except ValueError as exc:
            pos = max(text.rfind("{"), 0) if "Single '{'" in str(exc) else max(text.find("}"), 0)
            problems.append(TemplateError(f"template has an unmatched brace ({exc})",
                                          "write `{{` and `}}` for literal braces", pos))
            break
        if name is None:
            continue
        where = max(text.find("{" + name), 0)
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

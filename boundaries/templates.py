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


def parse_template(text: str) -> list[tuple[str, str | None]]:
    """Split into (literal, placeholder-or-None) pieces; raise TemplateError when unsafe."""
    try:
        pieces = list(_FORMATTER.parse(text))
    except ValueError as exc:
        pos = text.find("{") if "{" in text else text.find("}")
        raise TemplateError(f"template has an unmatched brace ({exc})",
                            "write `{{` and `}}` for literal braces", max(pos, 0)) from None
    out: list[tuple[str, str | None]] = []
    for literal, name, spec, conv in pieces:
        if name is None:
            out.append((literal, None))
            continue
        where = text.find("{" + name)
        if name == "":
            raise TemplateError("empty placeholder `{}`",
                                f"use one of {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
                                max(where, 0))
        if "." in name or "[" in name:
            raise TemplateError(
                f"placeholder `{{{name}}}` uses attribute access or indexing",
                f"templates take plain names only, e.g. `{{{name.split('.')[0].split('[')[0]}}}`",
                max(where, 0))
        if spec or conv:
            raise TemplateError(f"placeholder `{{{name}}}` has a format spec or conversion",
                                f"write just `{{{name}}}`", max(where, 0))
        if name not in PLACEHOLDERS:
            raise TemplateError(f"unknown placeholder `{{{name}}}`",
                                suggest(name, PLACEHOLDERS)
                                or f"known: {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
                                max(where, 0))
        out.append((literal, name))
    return out


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill placeholders by name; anything unsafe is left as written."""
    try:
        pieces = parse_template(text)
    except TemplateError:
        return text
    return "".join(lit + (values.get(name, "") if name else "") for lit, name in pieces)

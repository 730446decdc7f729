"""Checking parsed TOML against the field definitions, speaking TOML in every message."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time

from boundaries.core.diagnostics import Diagnostic, NotAllowed, choose, suggest
from boundaries.policy.schema import Field
from boundaries.policy.tomlpos import Locator, Path


def toml_type(value: object) -> str:
    """The TOML name of a parsed value's type."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, time):
        return "time"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "table"
    return type(value).__name__


_WANTED = {
    "string": "a string",
    "bool": "a boolean (`true` or `false`)",
    "int": "an integer",
    "date": "a date (e.g. `2026-08-03`, no quotes)",
    "strings": "an array of strings",
    "table": "a table",
    "tables": "an array of tables (`[[...]]`)",
    "map": "a table",
    "hours": "a table of day keys",
    "window": "a string `HH:MM-HH:MM`",
    "one-or-many": "a string or an array of strings",
    "datetime-text": "a date and time (e.g. `\"2026-01-08T18:20\"`)",
}


def in_range(value: int, spec: Field) -> bool:
    """Whether an int lies within the field's bounds (both inclusive)."""
    low = spec.minimum if spec.minimum is not None else value
    high = spec.maximum if spec.maximum is not None else value
    return low <= value <= high


def range_hint(spec: Field) -> str:
    """`a whole number from 0 to 3650`: the hint for a value out of range."""
    return f"a whole number from {spec.minimum} to {spec.maximum}"


class FileCheck:
    """Diagnostics collected for one file, with positions from its raw text."""

    def __init__(self, rel: str, text: str, diags: list[Diagnostic], loc: Locator) -> None:
        self.rel = rel
        self.text = text
        self.loc = loc
        self.diags = diags

    def report(self, path: Path, message: str, hint: str | None = None, *,
               at_value: bool = False, severity: str = "error") -> None:
        line, col = self.loc.value(path) if at_value else self.loc.key(path)
        self.diags.append(Diagnostic(self.rel, line, col, severity, message, hint))

    def source(self, path: Path) -> str:
        """`PATH:LINE` of the key at `path`."""
        return f"{self.rel}:{self.loc.line(path)}"

    # -- generic checks ------------------------------------------------------
    def table(self, data: Mapping, fields: Mapping[str, Field], path: Path,
              what: str) -> dict:
        """Keep the keys of `data` that are known and of the right type; report the rest."""
        out: dict = {}
        for key, value in data.items():
            spec = fields.get(key)
            kpath = (*path, key)
            if spec is None:
                hint = suggest(key, fields) or f"known keys: {', '.join(fields)}"
                self.report(kpath, f"unknown key `{key}` in {what}", hint)
                continue
            if self.value(value, spec, kpath, key):
                out[key] = value
        for key, spec in fields.items():
            if spec.required and key not in data:
                self.report(path, f"{what} is missing the required key `{key}`",
                            f"add `{key} = …` ({spec.doc})")
        return out

    def value(self, value: object, spec: Field, path: Path, key: str) -> bool:
        """Type and enum check of one value; True when it is usable."""
        t = spec.type
        ok: bool
        if t == "string":
            ok = isinstance(value, str)
        elif t == "bool":
            ok = isinstance(value, bool)
        elif t == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif t == "date":
            ok = isinstance(value, date) and not isinstance(value, datetime)
        elif t in ("strings",):
            ok = isinstance(value, list)
        elif t in ("table", "map", "hours"):
            ok = isinstance(value, dict)
        elif t == "tables":
            ok = isinstance(value, list) and all(isinstance(v, dict) for v in value)
        elif t == "window":
            ok = isinstance(value, str)
        elif t == "one-or-many":
            ok = isinstance(value, (str, list))
        elif t == "datetime-text":
            ok = isinstance(value, (str, datetime))
        else:
            ok = True
        if not ok:
            hint = None
            if t == "bool" and isinstance(value, str) and value.lower() in ("true", "false"):
                hint = f"write `{value.lower()}` without quotes"
            elif t == "int" and isinstance(value, str) and value.strip().isdigit():
                hint = f"write `{value.strip()}` without quotes"
            elif t == "date" and isinstance(value, str):
                hint = "write the date without quotes, e.g. `2026-08-03`"
            elif t == "strings" and isinstance(value, str):
                hint = f'write `["{value}"]`'
            self.report(path, f"`{key}` must be {_WANTED.get(t, t)}, not {a_toml_type(value)}",
                        hint, at_value=True)
            return False
        if t == "int" and not in_range(value, spec):  # type: ignore[arg-type]
            self.report(path, f"`{key}` is {value}, out of range", range_hint(spec),
                        at_value=True)
            return False
        if t == "strings" or t == "one-or-many":
            items = value if isinstance(value, list) else [value]
            good = True
            for i, item in enumerate(items):
                ipath = (*path, i) if isinstance(value, list) else path
                if not isinstance(item, str):
                    self.report(ipath, f"`{key}` entries must be strings, not "
                                f"{a_toml_type(item)}", at_value=True)
                    good = False
                elif spec.enum and not self.allowed(item, spec.enum, ipath, key,
                                                    entry=isinstance(value, list)):
                    good = False
            return good
        if t == "string" and spec.enum:
            return self.allowed(value, spec.enum, path, key)
        return True

    def allowed(self, value: object, choices: tuple[str, ...], path: Path, key: str,
                entry: bool = False) -> bool:
        """Whether `value` is one of `choices` (else it is reported at its value)."""
        try:
            choose(value, choices)
        except NotAllowed as exc:
            what = f"an entry of `{key}`" if entry else f"`{key}`"
            self.report(path, f"`{value}` is not allowed as {what}; it must be {exc.allowed}",
                        exc.hint or f"use {exc.allowed}", at_value=True)
            return False
        return True


def a_toml_type(value: object) -> str:
    """The TOML type of a parsed value with its article: `a string`, `an integer`."""
    noun = toml_type(value)
    return ("an " if noun[0] in "aeiou" else "a ") + noun

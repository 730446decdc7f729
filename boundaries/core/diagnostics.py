"""Diagnostics: problems found in a policy set, as values (never raised)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

from boundaries.core.text import visible


class Diagnostic(NamedTuple):
    """One problem at PATH:LINE:COL (PATH relative to the policy folder)."""

    path: str
    line: int
    col: int
    severity: str  # "error" | "warning"
    message: str
    hint: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def format(self) -> str:
        """The one-line `PATH:LINE:COL: severity: message` form, plus a hint line.

        A newline that came from a file (a quoted key, a file name) is shown as `\\u000a`:
        each diagnostic stays one line, so no file can forge a second one."""
        head = f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"
        text = visible(head, multiline=False)
        if self.hint:
            text += "\n    hint: " + visible(self.hint, multiline=False)
        return text

    def as_json(self) -> dict:
        return self._asdict()


class LineWarning(NamedTuple):
    """A problem at PATH:LINE of a file that is not a policy file (a journal line, a card of
    a vCard export): the entry or value is left out and the rest is used."""

    path: object  # the file's Path (the core does no I/O, so it only prints it)
    line: int
    message: str

    def format(self) -> str:
        """`PATH:LINE: warning: message`, control characters shown, never obeyed."""
        return visible(f"{self.path}:{self.line}: warning: {self.message}", multiline=False)


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Sorted by path, line, column; duplicates dropped."""
    return sorted(set(diags), key=lambda d: (d.path, d.line, d.col, d.severity, d.message))


def suggest(word: object, choices: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a likely typo, or None."""
    if not isinstance(word, str):
        return None
    import difflib

    options = list(choices)
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    if not match:
        lowered = {o.lower(): o for o in options}
        if word.lower() in lowered:
            match = [lowered[word.lower()]]
    return f"did you mean `{match[0]}`?" if match else None


def one_of(choices: Iterable[str]) -> str:
    """Human list of allowed values: `a`, `b` or `c`."""
    items = [f"`{c}`" for c in choices]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


class NotAllowed(ValueError):
    """A value that is not one of its allowed choices: `allowed` lists them (`a`, `b` or
    `c`), `hint` is a did-you-mean (or None)."""

    def __init__(self, value: object, choices: Sequence[str]) -> None:
        self.value, self.choices = value, choices
        self.allowed = one_of(choices)
        super().__init__(f"`{value}` is not one of {self.allowed}")

    @property
    def hint(self) -> str | None:
        return suggest(self.value, self.choices)


def choose(value: object, choices: Sequence[str], *, fold: bool = False) -> str:
    """`value` if it is one of `choices`, else NotAllowed: the one check of a value against
    its allowed list (a policy key's, a command line's, a replay row's). `fold`: strip and
    lower-case a string first, as typed words are read."""
    if fold and isinstance(value, str):
        value = value.strip().lower()
    if value in choices:
        return value  # type: ignore[return-value]
    raise NotAllowed(value, choices)

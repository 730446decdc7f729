"""Untrusted text made safe for a terminal: control characters shown, never obeyed.

Every string that came from a file or an input (a client's name, a tier description, a
note, a CSV cell, a template, a file name) may hold escape sequences: ESC ] 0 ; … BEL
retitles the terminal, OSC 52 writes the clipboard, CSI 2 J clears the screen. `visible()`
renders each control character as a visible escape (`\\u001b`, `\\u0007`, `\\u202e`), so the
text reads the same and does nothing.

The escapes are JSON's own: JSON text passed through `visible()` stays valid JSON with the
same values (JSON escapes C0 itself; a raw DEL, C1 or bidi character inside a string becomes
its `\\uXXXX` form). So one sink, `VisibleStream`, can guard all of stdout and stderr.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

# what a terminal may obey: C0 (newline and tab aside, in multi-line text), DEL and C1; the
# bidi marks, overrides and isolates, which reorder what the user reads; the line and
# paragraph separators; lone surrogates (undecodable bytes of an argument)
_OTHERS = r"\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"
_FIND = {True: re.compile(rf"[\x00-\x08\x0b-\x1f{_OTHERS}]"),
         False: re.compile(rf"[\x00-\x1f{_OTHERS}]")}


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def visible(text: str, *, multiline: bool = True) -> str:
    """`text` with every control character rendered visibly.

    `multiline` keeps newlines and tabs (a reply, a file's listing); without it they are
    escaped too (a name in a one-line label, a diagnostic)."""
    find = _FIND[multiline]
    if find.search(text) is None:
        return text  # the common case, fast
    return find.sub(_escape, text)


def is_safe(text: str, *, multiline: bool = True) -> bool:
    """True if `text` holds no character that `visible()` would render."""
    return visible(text, multiline=multiline) == text


class VisibleStream:
    """A text stream that writes `visible(text)` to the stream it wraps: every print of a
    command passes the output edge here. `raw` is the wrapped stream, for what must reach
    the terminal as it is (the progress bar's own `\\r` and `\\x1b[K`)."""

    def __init__(self, raw: TextIO) -> None:
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(visible(text))
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> object:  # flush, fileno, isatty, encoding, buffer…
        return getattr(self.raw, name)


def raw_stream(stream: TextIO | VisibleStream) -> TextIO:
    """The stream under a `VisibleStream` (or `stream` itself)."""
    return stream.raw if isinstance(stream, VisibleStream) else stream


@contextmanager
def visible_output() -> Iterator[None]:
    """stdout and stderr through `visible()` for the duration (nested: once)."""
    saved = sys.stdout, sys.stderr
    sys.stdout = VisibleStream(raw_stream(sys.stdout))  # type: ignore[assignment]
    sys.stderr = VisibleStream(raw_stream(sys.stderr))  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


@contextmanager
def raw_output() -> Iterator[None]:
    """stdout and stderr unwrapped for the duration (the TUI draws escapes of its own)."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = raw_stream(sys.stdout), raw_stream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


__all__ = ["VisibleStream", "is_safe", "raw_output", "raw_stream", "visible",
           "visible_output"]

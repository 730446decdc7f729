"""The output edge of the CLI: stdout and stderr through `core.text.visible`.

Every print of a command (results, diagnostics, argparse's messages) passes `VisibleStream`,
so a control character from a file or an argument is shown, never obeyed by the terminal.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from boundaries.core.text import visible


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


__all__ = ["VisibleStream", "raw_output", "raw_stream", "visible_output"]

"""The one base class of every problem a user can fix: a message and, maybe, a hint.

Every layer raises a subclass of `BoundariesError` (or returns diagnostics as values); only
`cli/` turns one into an exit code and a `boundaries: error: …` line, and the TUI into a
notification. Nothing below the CLI exits the process.
"""

from __future__ import annotations


class BoundariesError(Exception):
    """A problem in what the user asked or gave: `str(exc)` is the message, `hint` a fix."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.hint = hint


class RequestError(BoundariesError):
    """A bad request or bad arguments (a command line, a typed field): exit 2."""


__all__ = ["BoundariesError", "RequestError"]

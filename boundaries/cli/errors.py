"""The CLI's exit codes, its usage error, JSON on stdout, and a problem told on stderr.

Every command module imports these from here; this module imports no other part of `cli/`.
"""

from __future__ import annotations

import json
import sys

from boundaries.core.errors import BoundariesError, RequestError

EXIT_OK, EXIT_FAIL, EXIT_BAD = 0, 1, 2


class UsageError(RequestError):
    """Bad arguments of a command: exit 2 with a lint-style message."""


def emit_json(obj: object) -> None:
    """`obj` as JSON on stdout: its values exact (a raw DEL, C1 or bidi character in a string
    reaches the terminal as its JSON escape, `\\u009b`, by way of `visible`)."""
    print(json.dumps(obj, ensure_ascii=False, indent=2))


def report(exc: BoundariesError) -> int:
    """Tell a problem on stderr and return the exit code (2).

    A set with errors is told lint-style, every problem on its own `PATH:LINE:COL:` line,
    then a summary; any other problem as `boundaries: error:` and its hint."""
    from boundaries.service import BadPolicySet

    if isinstance(exc, BadPolicySet):
        for d in exc.diagnostics:
            print(d.format(), file=sys.stderr)
        print(f"boundaries: {exc}", file=sys.stderr)
        return EXIT_BAD
    print(f"boundaries: error: {exc}", file=sys.stderr)
    if exc.hint:
        print(f"    hint: {exc.hint}", file=sys.stderr)
    return EXIT_BAD


__all__ = ["EXIT_BAD", "EXIT_FAIL", "EXIT_OK", "UsageError", "emit_json", "report"]

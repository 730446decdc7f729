"""What the commands share: opening the policy set through the service, and the notes the
CLI prints about it on stderr (the example set in use, warnings to lint, calendars that
cannot be read). Each command family has its own module (`check`, `lint`, `journal`,
`replay`, `setup`); `main` parses and dispatches to them."""

from __future__ import annotations

import argparse
import sys

from boundaries.core.diagnostics import Diagnostic
from boundaries.core.model import PolicySet
from boundaries.policy.result import LoadResult
from boundaries.service import Opened, good_policies, open_set


def open_policies(args: argparse.Namespace) -> Opened:
    """The set of `--policies` (or the discovery order), loaded; says so on stderr when the
    shipped example set is used because no other was found."""
    opened = open_set(getattr(args, "policies", None))
    if opened.fell_back:
        print(f"boundaries: using the example policy set ({opened.found.path}); "
              "pass --policies DIR or set BOUNDARIES_POLICIES for your own", file=sys.stderr)
    return opened


def require_good(result: LoadResult, what: str = "the policy set",
                 folder: str | None = None) -> PolicySet:
    """The set, with a one-line note if it has warnings; `BadPolicySet` (told lint-style by
    `errors.report`, exit 2) if it has errors. A calendar that cannot be read is said on
    stderr (`calendar_warnings`): the set still decides, without it. `folder`: how to name
    the set's files when it is not the one in use (replay's --against)."""
    ps = good_policies(result, what)
    warnings = [d for d in result.diagnostics if not d.is_error]
    if warnings:
        print(f"boundaries: {len(warnings)} warning(s) in {what}; "
              "run `boundaries lint` to see them", file=sys.stderr)
    for line in calendar_warnings(ps, folder):
        print(line, file=sys.stderr)
    return ps


def calendar_warnings(ps: PolicySet, folder: str | None = None) -> list[str]:
    """Each calendar of me.toml that cannot be read, as a `me.toml:LINE:COL: warning:` line
    (with its hint). `lint` calls it an error (exit 1); a command that decides goes on
    without the calendar, so for it the problem is a warning and its exit code stays 0."""
    out = []
    for d in ps.calendar.problems:
        path = d.path if folder is None else f"{folder.rstrip('/')}/{d.path}"
        out.append(Diagnostic(path, d.line, d.col, "warning", d.message, d.hint).format())
    return out


__all__ = ["calendar_warnings", "open_policies", "require_good"]

"""`lint`, `test` and the overview: what the policy set holds, and whether it is sound
(its calendars included)."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from boundaries.cli.commands import calendar_warnings, open_policies, require_good
from boundaries.cli.errors import EXIT_BAD, EXIT_FAIL, EXIT_OK, emit_json
from boundaries.cli.output import raw_stream
from boundaries.core.diagnostics import Diagnostic, sort_diagnostics
from boundaries.core.model import PolicySet

# -- lint ----------------------------------------------------------------------------------
PARSE_NOTICE = 500  # calendar files to parse (about a second, cold) before lint says so


def run_lint(args: argparse.Namespace) -> int:
    """`boundaries lint`: every problem of every file, the calendars' too; exit 1 on errors."""
    found, result = open_policies(args)
    diags: tuple[Diagnostic, ...] = result.diagnostics
    ps = result.policies
    if ps is not None and ps.me.calendars:
        diags = tuple(sort_diagnostics([*diags, *calendar_problems(ps)]))
    errors = sum(d.is_error for d in diags)
    if args.json:
        emit_json([d.as_json() for d in diags])
    else:
        for d in diags:
            print(d.format())
        warnings = len(diags) - errors
        if not diags:
            n = len(ps.tiers) if ps else 0
            cals = len(ps.me.calendars) if ps else 0
            held = f", {cals} calendar{'s' if cals != 1 else ''}" if cals else ""
            print(f"ok: {found.path} — no problems ({n} tiers{held})")
        else:
            print(f"{errors} error{'s' if errors != 1 else ''}, "
                  f"{warnings} warning{'s' if warnings != 1 else ''}")
    return EXIT_FAIL if errors else EXIT_OK


def calendar_problems(ps: PolicySet, stream: TextIO | None = None) -> list[Diagnostic]:
    """me.toml's calendars checked through: one that cannot be read is an error at its `path`
    key, an event that cannot be understood a warning at its line. Every file is parsed
    (once per file version: the cache keeps what it found); when many files are still to
    parse, a line on `stream` (stderr, on a terminal only) says so while it works."""
    from boundaries.service import calendar_cache
    from boundaries.sources.my_calendars import calendar_diagnostics, stores

    cache = calendar_cache()
    out = stream if stream is not None else raw_stream(sys.stderr)
    shown = False
    if getattr(out, "isatty", lambda: False)():
        pending = sum(state.warnings is None for store in stores(ps, cache)
                      if store.problem is None for state in store.index().values())
        if pending >= PARSE_NOTICE:
            kept = ("once: the cache keeps what it finds" if cache is not None
                    else "the cache is off: every lint reads them all")
            out.write(f"\rboundaries: reading {pending:,} calendar files ({kept}) …\x1b[K")
            out.flush()
            shown = True
    try:
        return calendar_diagnostics(ps, cache)
    finally:
        if shown:
            out.write("\r\x1b[K")
            out.flush()


# -- test ----------------------------------------------------------------------------------
def run_test(args: argparse.Namespace) -> int:
    """`boundaries test`: run checks.toml; exit 1 if a check failed."""
    from boundaries.policy.checks import run_checks

    ps = require_good(open_policies(args).result)
    results = run_checks(ps)
    failed = 0
    for r in results:
        if r.passed:
            if args.verbose:
                print(f"{r.check.source}: PASS {r.check.name}")
            continue
        failed += 1
        print(f"{r.check.source}: FAIL {r.check.name}: {'; '.join(r.problems)}")
    if not results:
        print("no checks: add [[check]] tables to checks.toml", file=sys.stderr)
    print(f"{len(results) - failed} passed, {failed} failed")
    return EXIT_FAIL if failed else EXIT_OK


# -- overview (no subcommand) --------------------------------------------------------------
def run_overview(args: argparse.Namespace) -> int:
    """No command, not on a terminal: which set is in use and what it holds."""
    found, result = open_policies(args)
    print(f"boundaries — policy set: {found.path}")
    print(f"  chosen by: {found.origin}")
    ps = result.policies
    if ps is not None:
        print(f"  me: {ps.me.name or '?'} · {ps.me.timezone} · locale {ps.me.locale}"
              + (f" · holidays {ps.me.holidays}" if ps.me.holidays else ""))
        print(f"  tiers ({len(ps.tiers)}): {', '.join(sorted(ps.tiers)) or '—'}")
        print(f"  clients ({len(ps.clients)}): {', '.join(sorted(ps.clients)) or '—'}")
        print(f"  checks: {len(ps.checks)}")
        if ps.me.calendars:
            print(f"  calendars ({len(ps.me.calendars)}): {', '.join(ps.calendar.names)}")
            for line in calendar_warnings(ps):
                print("    " + line.replace("\n", "\n    "))
    errors = len(result.errors)
    print(f"  problems: {errors} error(s), {len(result.diagnostics) - errors} warning(s)")
    print("\nnext:")
    print("  boundaries check --from acme --at 18:20     decide a request")
    print("  boundaries week --tier maintenance          see a week of reachability")
    print("  boundaries lint / boundaries test           check the files and the checks")
    print("  boundaries COMMAND --help                   more, with examples")
    return EXIT_BAD if errors else EXIT_OK

"""`lint`, `test` and the overview: what the policy set holds, and whether it is sound."""

from __future__ import annotations

import argparse
import sys

from boundaries.cli.commands import open_policies, require_good
from boundaries.cli.errors import EXIT_BAD, EXIT_FAIL, EXIT_OK, emit_json
from boundaries.core.diagnostics import Diagnostic


# -- lint ----------------------------------------------------------------------------------
def run_lint(args: argparse.Namespace) -> int:
    """`boundaries lint`: every problem of every file; exit 1 on errors."""
    found, result = open_policies(args)
    diags: tuple[Diagnostic, ...] = result.diagnostics
    errors = sum(d.is_error for d in diags)
    if args.json:
        emit_json([d.as_json() for d in diags])
    else:
        for d in diags:
            print(d.format())
        warnings = len(diags) - errors
        if not diags:
            n = len(result.policies.tiers) if result.policies else 0
            print(f"ok: {found.path} — no problems ({n} tiers)")
        else:
            print(f"{errors} error{'s' if errors != 1 else ''}, "
                  f"{warnings} warning{'s' if warnings != 1 else ''}")
    return EXIT_FAIL if errors else EXIT_OK


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
    errors = len(result.errors)
    print(f"  problems: {errors} error(s), {len(result.diagnostics) - errors} warning(s)")
    print("\nnext:")
    print("  boundaries check --from acme --at 18:20     decide a request")
    print("  boundaries week --tier maintenance          see a week of reachability")
    print("  boundaries lint / boundaries test           check the files and the checks")
    print("  boundaries COMMAND --help                   more, with examples")
    return EXIT_BAD if errors else EXIT_OK

"""What each subcommand does: load the set, call the engine, print."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from boundaries.cli.main import (
    EXIT_BAD,
    EXIT_FAIL,
    EXIT_OK,
    UsageError,
    emit_json,
    policy_folder_error,
)
from boundaries.core.diagnostics import Diagnostic, one_of, suggest
from boundaries.core.model import PolicySet
from boundaries.core.request import Decision
from boundaries.core.schema import CHANNELS, KINDS, URGENCIES
from boundaries.policy.discovery import Found
from boundaries.policy.result import LoadResult


def _load(args: argparse.Namespace, *, quiet_warnings: bool = False) -> tuple[Found, LoadResult]:
    from boundaries.policy.cache import open_policies

    found, result = open_policies(getattr(args, "policies", None))
    if not found.path.is_dir():
        raise policy_folder_error(found.path)
    if found.is_example:
        print(f"boundaries: using the example policy set ({found.path}); "
              "pass --policies DIR or set BOUNDARIES_POLICIES for your own", file=sys.stderr)
    return found, result


def _require_good(result: LoadResult, what: str = "the policy set") -> PolicySet:
    """The set, or exit 2 after printing its problems (lint-style) on stderr."""
    if result.ok and result.policies is not None:
        warnings = [d for d in result.diagnostics if not d.is_error]
        if warnings:
            print(f"boundaries: {len(warnings)} warning(s) in {what}; "
                  "run `boundaries lint` to see them", file=sys.stderr)
        return result.policies
    for d in result.diagnostics:
        print(d.format(), file=sys.stderr)
    n = len(result.errors)
    print(f"boundaries: {what} has {n} error{'s' if n != 1 else ''}; nothing decided",
          file=sys.stderr)
    raise SystemExit(EXIT_BAD)


def _enum(value: str, name: str, choices: tuple[str, ...]) -> str:
    v = value.strip().lower()
    if v not in choices:
        raise UsageError(f"unknown {name} `{value}`: use {one_of(choices)}",
                         suggest(v, choices))
    return v


# -- check ---------------------------------------------------------------------------------
def decide_from_args(args: argparse.Namespace, now: datetime, journal: Path | None):
    """Load the set, read the request from the arguments, add the journal's facts, decide.

    `journal`: the folder to read facts from (None or missing: no history).
    Returns (policies, request, decision); a bad set or request exits 2.
    """
    from boundaries.core.engine import decide
    from boundaries.core.request import NO_FACTS
    from boundaries.policy.checks import build_request
    from boundaries.policy.senders import SenderError
    from boundaries.policy.timeparse import TimeError

    fields = {
        "from": args.sender,
        "channel": _enum(args.channel, "channel", CHANNELS),
        "kind": _enum(args.kind, "kind", KINDS),
        "urgency": _enum(args.urgency, "urgency", URGENCIES),
        "at": args.at,
    }
    _, result = _load(args)
    ps = _require_good(result)
    try:
        req = build_request(ps, fields, now)
    except (SenderError, TimeError) as exc:
        raise UsageError(str(exc), exc.hint) from None
    facts = NO_FACTS
    if journal is not None and journal.is_dir():
        from boundaries.cli.journal import journal_facts

        facts, warnings = journal_facts(ps, req, journal)
        for w in warnings:
            print(w, file=sys.stderr)
    return ps, req, decide(ps, req, facts)


def run_check(args: argparse.Namespace, now: datetime) -> int:
    from boundaries.journal.store import journal_dir

    ps, req, d = decide_from_args(args, now, journal_dir(args.journal))
    if args.json:
        emit_json(d.as_json())
    else:
        print(format_decision(ps, d, req.channel))
    return EXIT_OK


def format_decision(ps: PolicySet, d: Decision, channel: str) -> str:
    """The human text of a decision."""
    from boundaries.core.engine import zone

    who = d.client or "unknown sender"
    if d.client_name and not d.discreet:
        who += f" ({d.client_name})"
    lines = [f"{d.decision.upper()}  {who} · tier {d.tier} · {channel} · "
             f"{d.at.strftime('%a %Y-%m-%d %H:%M')} {ps.me.timezone}"]
    lines.append("why:")
    width = max(len(r.text) for r in d.reasons) if d.reasons else 0
    for i, r in enumerate(d.reasons):
        mark = "▸" if i == 0 else " "
        lines.append(f"  {mark} {r.text:<{min(width, 70)}}  {r.source}")
    if d.next_window:
        s, e = d.next_window
        label = "now, until" if d.within_hours else "next window:"
        if d.within_hours:
            lines.append(f"reachable {label} {e.strftime('%H:%M')} ({ps.me.timezone})")
        else:
            lines.append(f"next window: {s.strftime('%a %Y-%m-%d %H:%M')}–{e.strftime('%H:%M')} "
                         f"({ps.me.timezone})")
        if d.sender_timezone != ps.me.timezone:
            tz = zone(d.sender_timezone)
            ls, le = s.astimezone(tz), e.astimezone(tz)
            lines.append(f"   their time: {ls.strftime('%a %Y-%m-%d %H:%M')}–"
                         f"{le.strftime('%H:%M')} ({d.sender_timezone})")
    else:
        lines.append("next window: none within a year")
    lines.append(f"callback: {d.callback}" + ("  (landline)" if d.landline else ""))
    lines.append(f"in writing: {'yes' if d.in_writing else 'no'}"
                 + ("  · extra effort" if d.extra_effort else "")
                 + ("  · discreet" if d.discreet else "")
                 + (f"  · holiday: {d.holiday}" if d.holiday else ""))
    for label, rep in (("reply", d.reply), ("confirm in writing", d.confirm)):
        if rep is not None:
            lines.append(f"{label} ({rep.locale}, {rep.key}):")
            lines += ["  " + ln for ln in rep.text.splitlines()]
    return "\n".join(lines)


# -- lint ----------------------------------------------------------------------------------
def run_lint(args: argparse.Namespace) -> int:
    found, result = _load(args)
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
    from boundaries.policy.checks import run_checks

    _, result = _load(args)
    ps = _require_good(result)
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


# -- week ----------------------------------------------------------------------------------
def run_week(args: argparse.Namespace, now: datetime) -> int:
    from boundaries.core.engine import zone
    from boundaries.core.week import render_grid, week_rows
    from boundaries.policy.senders import SenderError, resolve_sender
    from boundaries.policy.timeparse import TimeError, parse_at, parse_day

    _, result = _load(args)
    ps = _require_good(result)
    tz = zone(ps.me.timezone)
    try:
        if args.at and len(args.at.strip()) == 10:
            start_day = parse_day(args.at)
        else:
            start_day = (parse_at(args.at, tz, now) if args.at else now.astimezone(tz)).date()
    except (TimeError, ValueError) as exc:
        raise UsageError(f"bad --at: {exc}", "e.g. `--at 2026-01-12`") from None
    title = ""
    sender_tz = None
    if args.tier:
        if args.tier not in ps.tiers:
            raise UsageError(f"no tier `{args.tier}`", suggest(args.tier, ps.tiers)
                             or f"tiers: {', '.join(sorted(ps.tiers))}")
        tier = ps.tiers[args.tier]
        title = f"tier {tier.name}"
    else:
        try:
            sender = resolve_sender(ps, args.sender)
        except SenderError as exc:
            raise UsageError(str(exc), exc.hint) from None
        client = ps.clients.get(sender.client_id) if sender.client_id else None
        tier_name = client.tier if client else ps.me.unknown_tier
        if tier_name not in ps.tiers:
            raise UsageError(f"no tier `{tier_name}` for this sender")
        tier = ps.tiers[tier_name]
        title = f"{client.id if client else sender.raw} · tier {tier.name}"
        if client and client.timezone and client.timezone != ps.me.timezone:
            sender_tz = zone(client.timezone)
    names = ps.locale_names.get("en", {}).get("days") or (
        "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    today = now.astimezone(tz).date()
    print(f"{title} — {ps.me.timezone} (█ reachable, ▒ partly, · not)")
    print(render_grid(week_rows(ps, tier, start_day), names, today))
    if sender_tz is not None:
        print(f"\nthe same week in their time, {sender_tz.key}:")
        print(render_grid(week_rows(ps, tier, start_day, tz=sender_tz), names))
    return EXIT_OK


# -- overview (no subcommand) --------------------------------------------------------------
def run_overview(args: argparse.Namespace) -> int:
    found, result = _load(args)
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

"""`check` and `week`: one request decided, a week of reachable time."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from boundaries.cli.commands import open_policies, require_good
from boundaries.cli.errors import EXIT_OK, UsageError, emit_json
from boundaries.core.diagnostics import suggest
from boundaries.core.model import PolicySet
from boundaries.core.reasons import NO_WAY, no_way_text
from boundaries.core.request import Decision, Reason, Request
from boundaries.core.via import Via
from boundaries.core.vocabulary import CHANNELS, DAY_NAMES_EN, KINDS, URGENCIES
from boundaries.service import build_request, choice, decide_with_journal


# -- check ---------------------------------------------------------------------------------
def decide_from_args(args: argparse.Namespace, now: datetime,
                     journal: Path | None) -> tuple[PolicySet, Request, Decision]:
    """Read the request from the arguments, open the set, decide with the journal's facts.

    `journal`: the folder to read facts from (None or missing: no history). The words are
    checked before the set is opened; the journal's warnings go to stderr.
    """
    fields = {
        "from": args.sender,
        "channel": choice(args.channel, "channel", CHANNELS),
        "kind": choice(args.kind, "kind", KINDS),
        "urgency": choice(args.urgency, "urgency", URGENCIES),
        "at": args.at,
    }
    ps = require_good(open_policies(args).result)
    req = build_request(ps, fields, now)
    decided = decide_with_journal(ps, req, journal)
    for w in decided.warnings:
        print(w, file=sys.stderr)
    return ps, req, decided.decision


def run_check_command(args: argparse.Namespace, now: datetime) -> int:
    """`boundaries check`: decide one request and print it (or its JSON)."""
    from boundaries.journal.store import journal_dir

    ps, req, d = decide_from_args(args, now, journal_dir(args.journal))
    if args.json:
        emit_json(d.as_json())
    else:
        print(format_decision(ps, d, req.channel))
    return EXIT_OK


def format_decision(ps: PolicySet, d: Decision, channel: str) -> str:
    """The human text of a decision."""
    from boundaries.core.time import zone

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
        if s <= d.at < e:
            lines.append(f"reachable now, until {e.strftime('%H:%M')} ({ps.me.timezone})")
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
                 + (f"  · holiday: {d.holiday}" if d.holiday else "")
                 + (f"  · busy until {d.busy[1].strftime('%H:%M')}" if d.busy else ""))
    for label, rep in (("reply", d.reply), ("confirm in writing", d.confirm)):
        if rep is not None:
            lines.append(f"{label} ({rep.locale}, {rep.key}):")
            lines += ["  " + ln for ln in rep.text.splitlines()]
            lines.append(via_line(label, rep.via))
    return "\n".join(lines)


def via_line(label: str, via: Via | None, reasons: Sequence[Reason] | None = None) -> str:
    """`reply via SMS to +43 664 1234567` (numbers as people write them), or that no way
    reaches the sender: "(see why)" where the reasons are printed above, else with
    `reasons` (the decision's) the reason itself (`log`, which prints none)."""
    from boundaries.policy.phones import via_words

    if via is None:
        why = no_way_text(reasons or ())
        return f"{label}: {why}" if why else f"{label}: {NO_WAY} (see why)"
    return f"{label} via {via_words(via)}"


# -- week ----------------------------------------------------------------------------------
def run_week(args: argparse.Namespace, now: datetime) -> int:
    """`boundaries week`: seven days of a tier's (or a sender's) reachable time."""
    from boundaries.core.time import zone
    from boundaries.core.week import event_line, legend, render_grid, week_events, week_rows
    from boundaries.policy.senders import SenderError, resolve_sender
    from boundaries.policy.timeparse import TimeError, parse_at, parse_day

    ps = require_good(open_policies(args).result)
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
    names = ps.locale_names.get("en", {}).get("days") or DAY_NAMES_EN
    today = now.astimezone(tz).date()
    print(f"{title} — {ps.me.timezone} ({legend(ps)})")
    print(render_grid(week_rows(ps, tier, start_day), names, today))
    events = week_events(ps, start_day)
    if events:  # my own terminal: the summaries are shown here (the TUI hides them on F6)
        print(f"\ncalendar ({ps.me.timezone}):")
        for span in events:
            print(f"  {event_line(span, tz, names)}")
    if sender_tz is not None:
        print(f"\nthe same week in their time, {sender_tz.key}:")
        print(render_grid(week_rows(ps, tier, start_day, tz=sender_tz), names))
    return EXIT_OK

"""`log` and `report`, and the journal's facts for `check`."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, datetime
from pathlib import Path

from boundaries.cli.main import EXIT_OK, UsageError
from boundaries.core.model import PolicySet
from boundaries.core.request import Decision, Facts, Request, sender_key
from boundaries.journal.store import append, journal_dir, month_of, new_id, read


def journal_facts(ps: PolicySet, req: Request, folder: Path) -> tuple[Facts, list[str]]:
    """What the journal in `folder` says about this request, and warnings about bad lines."""
    from boundaries.core.engine import zone
    from boundaries.journal.facts import facts_for, months_needed

    tz = zone(ps.me.timezone)
    client = req.sender.client_id
    # only lines that can hold this sender or client matter: read() skips the others
    # unparsed, and never one that could hold it (escaped in JSON, say)
    needle = client if client else (req.sender.number or req.sender.raw.strip().casefold())
    entries, warnings = read(folder, months_needed(req.at, tz, ps.me.reply_once_days),
                             must_contain=needle)
    return facts_for(entries, req, client, tz, ps.me.reply_once_days), [
        w.format() for w in warnings]


def make_entry(ps: PolicySet, req: Request, d: Decision, outcome: str, minutes: int,
               note: str, now: datetime) -> dict:
    """A journal entry: the request, the decision and what I did."""
    return {
        "id": new_id(),
        "recorded_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "at": d.at.isoformat(),
        "from": req.sender.raw,
        "sender": sender_key(d.client, req.sender.number, req.sender.raw),
        "client": d.client,
        "channel": req.channel,
        "kind": req.kind,
        "urgency": req.urgency,
        "decision": d.decision,
        "tier": d.tier,
        "within_hours": d.within_hours,
        "reason": d.reasons[0].source if d.reasons else "builtin",
        "policy_hash": ps.fingerprint,
        "extra_effort": d.extra_effort,
        "reply_key": d.reply.key.removesuffix("-discreet") if d.reply else None,
        "outcome": outcome,
        "minutes": minutes,
        "note": note,
    }


def record(ps: PolicySet, req: Request, d: Decision, outcome: str, minutes: int, note: str,
           folder: Path, now: datetime) -> Path:
    """Append the entry for a decided request; returns the file it went to."""
    entry = make_entry(ps, req, d, outcome, minutes, note, now)
    return append(folder, entry, month_of(d.at))


def run_log(args: argparse.Namespace, now: datetime) -> int:
    from boundaries.cli.commands import _enum, decide_from_args, format_decision
    from boundaries.journal.schema import MAX_MINUTES
    from boundaries.journal.store import OUTCOMES

    outcome = _enum(args.outcome, "outcome", OUTCOMES)
    if not 0 <= args.minutes <= MAX_MINUTES:
        raise UsageError(f"--minutes must lie in 0–{MAX_MINUTES}", "the minutes spent on "
                         "this request, e.g. --minutes 15")
    folder = journal_dir(args.journal)
    ps, req, d = decide_from_args(args, now, folder)
    try:
        path = record(ps, req, d, outcome, args.minutes, args.note or "", folder, now)
    except OSError as exc:
        raise UsageError(f"could not write the journal {exc.filename or f'in {folder}'}: "
                         f"{exc.strerror or exc}",
                         "check the folder, or choose another with --journal DIR") from None
    print(format_decision(ps, d, req.channel).splitlines()[0])
    print(f"recorded: {outcome}" + (f", {args.minutes} min" if args.minutes else "")
          + f" → {path}")
    return EXIT_OK


def print_conflicts(folder: Path) -> None:
    """For `where`: each conflict copy in the journal folder and what to do with it."""
    from boundaries.core.text import visible
    from boundaries.journal.store import conflict_copies, only_in

    copies = conflict_copies(folder)
    if copies:
        print("  conflict copies made by a sync tool (read too, each entry counted once):")
    for path in copies:
        n = only_in(folder, path)
        advice = "nothing only here: delete it" if n == 0 else (
            f"{n} entr{'y' if n == 1 else 'ies'} only here: keep it (it is read), or move "
            "those lines into the original and delete it")
        print(f"    {visible(path.name, multiline=False)}: {advice}")


_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_months(spec: str | None, now: datetime, tzname: str) -> list[str]:
    """`YYYY-MM` or `YYYY-MM..YYYY-MM` (default: this month) as a list of months."""
    from boundaries.core.engine import zone
    from boundaries.journal.store import months_between
    from boundaries.policy.timeparse import MAX_YEAR, MIN_YEAR

    if not spec:
        return [month_of(now.astimezone(zone(tzname)))]
    first, _, last = spec.partition("..")
    last = last or first
    parsed = []
    for part in (first, last):
        m = _MONTH.match(part.strip())
        if not m or not 1 <= int(m.group(2)) <= 12:
            raise UsageError(f"`{part}` is not a month", "write YYYY-MM, or a range "
                             "YYYY-MM..YYYY-MM, e.g. `2026-01..2026-03`")
        if not MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
            raise UsageError(f"`{part}`: the year must lie in {MIN_YEAR}–{MAX_YEAR}",
                             "write YYYY-MM, e.g. `2026-01`")
        parsed.append(datetime(int(m.group(1)), int(m.group(2)), 1))
    if parsed[1] < parsed[0]:
        raise UsageError(f"the range {spec} ends before it starts")
    return months_between(parsed[0], parsed[1])


def run_report(args: argparse.Namespace, now: datetime) -> int:
    from boundaries.cli.commands import _load
    from boundaries.core.engine import zone
    from boundaries.journal.facts import in_months
    from boundaries.journal.report import build, render_csv, render_json, render_text

    _, result = _load(args)
    ps = result.policies if result.ok else None
    tzname = ps.me.timezone if ps else "UTC"
    months = parse_months(args.month, now, tzname)
    folder = journal_dir(args.journal)
    entries, warnings = read(folder, months)
    for w in warnings:
        print(w.format(), file=sys.stderr)
    if ps is not None:  # keep entries whose time (in my zone) lies in the months asked for
        entries = in_months(entries, months, zone(tzname))
    if args.client and ps is not None and args.client not in ps.clients:
        from boundaries.core.diagnostics import suggest

        raise UsageError(f"no client `{args.client}`", suggest(args.client, ps.clients))
    rows = build(entries, ps, len(months), args.client)
    if args.format == "csv":
        sys.stdout.write(render_csv(rows))
    elif args.format == "json":
        print(render_json(rows))
    else:
        span = months[0] if len(months) == 1 else f"{months[0]} – {months[-1]}"
        print(render_text(rows, f"Journal {span} ({folder})"))
    return EXIT_OK


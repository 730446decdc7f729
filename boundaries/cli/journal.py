"""`log` and `report`: recording a request with what I did (or, with `--import`, every call
of a FRITZ!Box call list export), and the figures per client."""

from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime
from pathlib import Path

from boundaries.cli.errors import EXIT_OK, UsageError
from boundaries.journal.store import journal_dir, month_of, read

MAX_BAD_SHOWN = 50  # bad lines of an export told one by one; the rest are counted
# `log`'s request options and their defaults: with --import the file gives them
_REQUEST_OPTIONS = (("sender", "--from", None), ("at", "--at", None),
                    ("channel", "--channel", "call"), ("kind", "--kind", "question"),
                    ("urgency", "--urgency", "normal"), ("outcome", "--outcome", None),
                    ("minutes", "--minutes", 0), ("note", "--note", ""))


def run_log(args: argparse.Namespace, now: datetime) -> int:
    """`boundaries log`: decide as `check` does, and append it with what I did; with
    `--import FILE.csv`, every call of a FRITZ!Box call list export (`run_log_import`)."""
    from boundaries.cli.check import decide_from_args, format_decision, via_line
    from boundaries.journal.schema import MAX_MINUTES
    from boundaries.journal.store import OUTCOMES
    from boundaries.service import JournalWriteError, choice, record

    if getattr(args, "import_file", None) is not None:
        return run_log_import(args, now)
    if not getattr(args, "sender", None) or not getattr(args, "outcome", None):
        raise UsageError("log needs --from and --outcome, or --import FILE.csv",
                         "e.g. `boundaries log --from acme --outcome answered --minutes 10`, "
                         "or `boundaries log --import FRITZ.Box_Anrufliste.csv`")
    outcome = choice(args.outcome, "outcome", OUTCOMES)
    if not 0 <= args.minutes <= MAX_MINUTES:
        raise UsageError(f"--minutes must lie in 0–{MAX_MINUTES}", "the minutes spent on "
                         "this request, e.g. --minutes 15")
    folder = journal_dir(args.journal)
    ps, req, d = decide_from_args(args, now, folder)
    try:
        path = record(ps, req, d, outcome, args.minutes, args.note or "", folder, now)
    except JournalWriteError as exc:
        raise UsageError(str(exc), "check the folder, or choose another with --journal DIR"
                         ) from None
    print(format_decision(ps, d, req.channel).splitlines()[0])
    for label, rep in (("reply", d.reply), ("confirm in writing", d.confirm)):
        if rep is not None:
            print(via_line(label, rep.via, d.reasons))  # no reasons above: the one why
    print(f"recorded: {outcome}" + (f", {args.minutes} min" if args.minutes else "")
          + f" → {path}")
    return EXIT_OK


def run_log_import(args: argparse.Namespace, now: datetime) -> int:
    """`boundaries log --import FILE.csv`: record a FRITZ!Box call list export, each call
    decided as `check` would have at its time; a call the journal holds already is not
    recorded again. Bad lines are `PATH:LINE: warning:`s; a file that is no export, exit 2."""
    from boundaries.cli.commands import open_policies, require_good
    from boundaries.cli.progress import Progress
    from boundaries.service import JournalWriteError, import_call_list

    given = [flag for dest, flag, default in _REQUEST_OPTIONS
             if getattr(args, dest, default) != default]
    if given:
        raise UsageError(f"--import takes every call from the file: leave out "
                         f"{', '.join(given)}",
                         "e.g. `boundaries log --import FRITZ.Box_Anrufliste.csv`")
    folder = journal_dir(args.journal)
    ps = require_good(open_policies(args).result)
    progress = Progress(None)

    def on_progress(done: int, total: int) -> None:
        progress.total = total
        progress.update(done, done)

    try:
        result = import_call_list(ps, args.import_file, folder, now,
                                  on_progress if progress.enabled else None)
    except JournalWriteError as exc:
        raise UsageError(str(exc), "check the folder, or choose another with --journal DIR"
                         ) from None
    finally:
        progress.close()
    for w in result.warnings:
        print(w, file=sys.stderr)
    for b in result.bad[:MAX_BAD_SHOWN]:
        print(b.format(), file=sys.stderr)
    if len(result.bad) > MAX_BAD_SHOWN:
        print(f"boundaries: … and {len(result.bad) - MAX_BAD_SHOWN:,} more bad lines",
              file=sys.stderr)
    print(import_summary(args.import_file, result, folder))
    return EXIT_OK


def import_summary(label: str, result, folder: Path) -> str:
    """The one line `log --import` ends with: imported (per outcome), already in the
    journal, skipped (per reason), bad lines, and where they went."""
    def counts(by: dict[str, int]) -> str:  # outcomes in their order, then the most first
        order = ("answered", "missed", "called-back")
        return ", ".join(f"{n:,} {why}" for why, n in sorted(by.items(), key=lambda x: (
            order.index(x[0]) if x[0] in order else len(order), -x[1], x[0])))

    imported = sum(result.recorded.values())
    skipped = sum(result.skipped.values())
    parts = [f"{imported:,} imported" + (f" ({counts(result.recorded)})" if imported else ""),
             f"{result.already:,} already in the journal",
             f"{skipped:,} skipped" + (f" ({counts(result.skipped)})" if skipped else "")]
    if result.bad:
        parts.append(f"{len(result.bad):,} bad line{'s' if len(result.bad) != 1 else ''}")
    return f"{label}: {', '.join(parts)} → {folder}"


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
    from boundaries.core.time import zone
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
    """`boundaries report`: per-client figures of the journal for some months."""
    from boundaries.cli.commands import open_policies
    from boundaries.core.time import zone
    from boundaries.journal.facts import in_months
    from boundaries.journal.report import build, render_csv, render_json, render_text

    result = open_policies(args).result
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


"""`boundaries replay`: arguments to sources, sets and outputs; the exit code."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from boundaries.cli.errors import EXIT_FAIL, EXIT_OK, UsageError
from boundaries.core.compiled import Row
from boundaries.core.model import PolicySet
from boundaries.replay.input import InputError, Source, journal_source, open_csv
from boundaries.replay.report import Example, Group, changes, summary
from boundaries.replay.run import CHANGE_COLUMNS, OUTPUT_COLUMNS, SetRun, Sink, replay
from boundaries.service.mail_replay import MailSource

MAX_BAD_SHOWN = 50


def _against(path: str) -> PolicySet:
    """The edited set of `--against`, or exit 2 with its diagnostics."""
    from boundaries.cli.commands import require_good
    from boundaries.service import load_set

    folder = Path(path)
    if not folder.is_dir():
        raise UsageError(f"--against {path}: no such policy folder",
                         "give the folder of the edited set, e.g. ../policies-new")
    return require_good(load_set(folder), f"the --against set {path}", path)


def _journal(args: argparse.Namespace, now: datetime, tzname: str) -> Source:
    from boundaries.cli.journal import parse_months
    from boundaries.core.time import zone
    from boundaries.journal.facts import in_months
    from boundaries.journal.store import journal_dir, read

    months = parse_months(args.journal, now, tzname)
    folder = journal_dir(args.journal_dir)
    entries, warnings = read(folder, months)
    for w in warnings:
        print(w.format(), file=sys.stderr)
    entries = in_months(entries, months, zone(tzname))
    span = months[0] if len(months) == 1 else f"{months[0]}..{months[-1]}"
    if not entries:
        raise UsageError(f"the journal has no entries for {span} ({folder})",
                         "record requests with `boundaries log` or the TUI (F9), or pass "
                         "--journal-dir DIR")
    return journal_source(entries, f"the journal {span}")


class _Skipped:
    """The messages `replay --maildir|--mbox` skipped, each told on stderr (the first
    MAX_BAD_SHOWN)."""

    def __init__(self) -> None:
        self.seen = 0
        self.progress: Any = None

    def __call__(self, path: str, why: str) -> None:
        if self.seen < MAX_BAD_SHOWN:
            if self.progress is not None:
                self.progress.close()
            print(f"{path}: warning: {why}; skipped", file=sys.stderr)
        self.seen += 1


def _mail(args: argparse.Namespace, runs: list[SetRun], skipped: _Skipped
          ) -> tuple[MailSource, Any]:
    """The Maildir's or the mbox's messages as rows (read first, with a progress bar of
    messages read), and a fresh progress bar for deciding them (shown only where that takes
    more than a second). A second set whose [mail.kinds] or
    addresses differ is told: each message keeps the kind and the no-reply rule the first
    set gives it."""
    from boundaries.cli.progress import Progress
    from boundaries.service.mail_replay import MailInput

    first = runs[0].ps.me
    for run in runs[1:]:
        me = run.ps.me
        if me.mail_kinds != first.mail_kinds or me.addresses != first.addresses:
            print(f"boundaries: warning: --against {args.against}: its me.toml's "
                  "[mail.kinds] or addresses differ; each message keeps the kind and the "
                  "no-reply rule the first set gives it", file=sys.stderr)
    reading = MailInput(maildir=args.maildir, mbox=args.mbox)
    progress = skipped.progress = Progress(reading.total)
    try:
        source = reading.source(runs[0].ps, skipped,
                                progress.update if progress.enabled else None)
    finally:
        progress.close()
    return source, Progress(None)


def _mail_lines(source: MailSource) -> str:
    """The summary's lines for mail: messages no reply may go to (by rule), and skipped."""
    from boundaries.service.mail_replay import TOLD

    rules = ", ".join(f"{rule} {n:,}" for rule, n in source.no_reply.most_common())
    why = ", ".join(f"{w} {n:,}" for w, n in source.skipped.most_common())
    n, skipped = source.no_reply.total(), source.skipped.total()
    told = any(source.skipped[w] for w in TOLD)
    return "\n".join([
        f"  no reply          {n:>7,}  message{'s' if n != 1 else ''} no reply may go to"
        + (f" ({rules})" if rules else ""),
        f"  messages skipped  {skipped:>7,}" + (f"  {why}" if why else "")
        + ("  (named on stderr)" if told else ""),
    ])


def _emitter(header: list[str], produced: tuple[str, ...], fmt: str):
    """Writes one output row: the input's columns passed through (those named like a
    produced column are replaced), then the produced fields, as CSV or JSON Lines."""
    keep = [i for i, h in enumerate(header) if h.strip().lower() not in produced]
    names = [header[i] for i in keep]
    whole = len(keep) == len(header)
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow([*names, *produced])

        def emit_csv(cells: list[str], fields: dict) -> None:
            kept = cells if whole else [cells[i] for i in keep]
            writer.writerow([*kept, *(_cell(v) for v in fields.values())])
        return emit_csv

    def emit_json(cells: list[str], fields: dict) -> None:
        obj = dict(zip(names, cells if whole else [cells[i] for i in keep], strict=True))
        obj.update(fields)
        sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    return emit_json


def _cell(value: object) -> str:
    """A field as a CSV cell: booleans as true/false, nothing as empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _decided_sink(run: SetRun, header: list[str], fmt: str, no_reply: int = -1,
                  reply_to: int = -1) -> Sink:
    """Every row with its decision (OUTPUT_COLUMNS). `no_reply`: the column of a mail row's
    no-reply rule (-1: none); a message with one gets no reply, so `via` is null, as `mail`
    sends nothing. `reply_to`: the column of a mail row's first Reply-To address (-1: none),
    where its reply goes rather than to `from` (sources.md §10)."""
    emit = _emitter(header, OUTPUT_COLUMNS, fmt)

    def via(cells, row: Row, channel: str) -> str | None:
        if no_reply >= 0 and cells[no_reply]:
            return None
        return run.via(row, channel, (cells[reply_to],) if reply_to >= 0 and cells[reply_to]
                       else ())

    def sink(cells, raw, t, channel, urgency, decided: list[Row]) -> None:
        row = decided[0]
        e = row.entry
        emit(cells, {
            "decision": row.verdict.decision,
            "client": e.client.id if e.client is not None else None,
            "tier": e.tier.name,
            "within_hours": row.sit.within_hours,
            "next_start": run.next_start(row) or None,
            "callback": e.callback,
            "in_writing": row.in_writing,
            "reason": run.reason(row, channel, urgency)[0],
            "via": via(cells, row, channel),
        })
    return sink


def _changes_sink(old: SetRun, new: SetRun, source: Source, fmt: str, shown: int,
                  groups: dict[tuple[str, str, str, str], Group]) -> Sink:
    """Group rows whose decision differs; with a format, write each changed row too
    (CHANGE_COLUMNS)."""
    emit = _emitter(source.header, CHANGE_COLUMNS, fmt) if fmt != "text" else None
    mail = isinstance(source, MailSource)

    def sink(cells, raw, t, channel, urgency, decided: list[Row]) -> None:
        a, b = decided
        if a.verdict.decision == b.verdict.decision:
            return
        where = source.where()
        old_src, old_text = old.reason(a, channel, urgency)
        new_src, new_text = new.reason(b, channel, urgency)
        key = (a.verdict.decision, b.verdict.decision, old_src, new_src)
        g = groups.get(key)
        if g is None:
            g = groups[key] = Group(old_text, new_text)
        g.count += 1
        if len(g.examples) < shown:
            g.examples.append(Example(where, raw.strip(), channel, old.local_text(t)))
        if emit is None:
            return
        line: int | str | None = where.rpartition(":")[2]
        if mail:
            line = None  # a message has no line: its `message` column names it
        elif line.isdigit():
            line = int(line)
        client = b.entry.client or a.entry.client
        emit(cells, {
            "line": line,
            "client": client.id if client is not None else None,
            "old_tier": a.entry.tier.name, "old_decision": a.verdict.decision,
            "old_reason": old_src,
            "new_tier": b.entry.tier.name, "new_decision": b.verdict.decision,
            "new_reason": new_src,
        })
    return sink


def run_replay(args: argparse.Namespace, now: datetime) -> int:
    """`boundaries replay`: decide every request of a file or the journal; with --against,
    what the edited set would decide differently."""
    from boundaries.cli.commands import open_policies, require_good
    from boundaries.cli.progress import Progress

    given = [name for name, value in (("a CSV file", args.file), ("--journal", args.journal),
                                      ("--maildir", args.maildir), ("--mbox", args.mbox))
             if value]
    if len(given) > 1:
        raise UsageError(f"give one thing to replay, not both {given[0]} and {given[1]}",
                         "a CSV file, --journal MONTH, --maildir DIR or --mbox FILE")
    if not given:
        raise UsageError("nothing to replay", "give a CSV file (columns from, at, and "
                         "optionally channel, kind, urgency), --journal YYYY-MM, "
                         "--maildir DIR or --mbox FILE")
    if args.show < 0:
        raise UsageError("--show cannot be negative")
    found, result = open_policies(args)
    ps = require_good(result)
    history = not args.no_history
    runs = [SetRun(ps, "the example set (shipped)" if found.is_example else str(found.path),
                   history)]
    if args.against:
        new = SetRun(_against(args.against), args.against, history)
        new.note = f" (in --against {args.against})"
        runs.append(new)
    skipped = _Skipped()
    try:
        if args.maildir or args.mbox:
            source, progress = _mail(args, runs, skipped)
        else:
            source = open_csv(args.file) if args.file else _journal(args, now, ps.me.timezone)
            progress = Progress(source.size)
    except InputError as exc:
        raise UsageError(str(exc), exc.hint) from None
    if skipped.seen > MAX_BAD_SHOWN:
        print(f"boundaries: … and {skipped.seen - MAX_BAD_SHOWN:,} more messages skipped",
              file=sys.stderr)
    bad_seen = 0

    def on_bad(where: str, message: str) -> None:
        nonlocal bad_seen
        if bad_seen < MAX_BAD_SHOWN:
            progress.close()
            print(f"{where}: error: {message}", file=sys.stderr)
        bad_seen += 1

    def on_unsorted(where: str, previous: str) -> None:
        progress.close()
        print(f"{where}: warning: earlier than the row before it ({previous}): budgets and "
              "repeats follow the file's order; sort the rows by time, or pass --no-history",
              file=sys.stderr)

    groups: dict[tuple[str, str, str, str], Group] = {}
    if len(runs) == 2:
        sink: Sink | None = _changes_sink(runs[0], runs[1], source, args.format,
                                          args.show, groups)
    elif args.format == "text":
        sink = None
    else:
        mail = isinstance(source, MailSource)
        sink = _decided_sink(runs[0], source.header, args.format,
                             source.header.index("no_reply") if mail else -1,
                             source.header.index("reply_to") if mail else -1)
    simulated = any(run.journal is not None for run in runs)
    try:
        totals = replay(source, runs, sink, on_bad, on_unsorted if simulated else None,
                        progress.update if progress.enabled else None)
    except InputError as exc:
        raise UsageError(str(exc), exc.hint) from None
    finally:  # also on Ctrl+C: leave a clean line behind
        progress.close()
    if totals.bad > MAX_BAD_SHOWN:
        print(f"boundaries: … and {totals.bad - MAX_BAD_SHOWN:,} more bad rows",
              file=sys.stderr)

    if not history:
        told = "off (--no-history): every row decided as if alone"
    elif simulated:
        told = "budgets and repeats simulated from these rows in time order"
        if totals.out_of_order:
            told += f"; {totals.out_of_order:,} rows out of time order"
    else:
        told = "not needed (no monthly budget and no repeat rule in the set)"
    if args.format == "text":
        if len(runs) == 2:
            print(changes(runs[0], runs[1], totals, source.label, groups, args.show, told))
        else:
            print(summary(runs[0], totals, source.label, told))
        if isinstance(source, MailSource):
            print(_mail_lines(source))
    if totals.bad and args.strict:
        return EXIT_FAIL
    if groups and args.fail_on_change:
        return EXIT_FAIL
    return EXIT_OK


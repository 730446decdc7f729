"""`log --import FILE.csv` (sources.md §8): a FRITZ!Box call list export into the journal,
each call decided as `check` would have at its time; a call the journal holds already is
not recorded again (`call_journal`)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from boundaries.service.call_journal import CALLBACK_LOOKBACK_DAYS, CALLED_BACK, CallIndex, owe
from boundaries.service.requests import JournalWriteError, make_entry

if TYPE_CHECKING:
    from boundaries.core.model import PolicySet
    from boundaries.journal.store import Entry

SKIPPED = {"rejected": "rejected by the box", "outgoing": "outgoing to a number that had "
           "not called", "unreached": "outgoing, not answered", "internal": "internal"}


class CallListImport(NamedTuple):
    """What `import_call_list` did: entries recorded per outcome, calls the journal held
    already, calls not recorded per reason (`SKIPPED`'s words), lines that are no call (as
    `LineWarning`s: `PATH:LINE`), the journal's own warnings, the journal files written."""

    recorded: dict[str, int]
    already: int
    skipped: dict[str, int]
    bad: list
    warnings: list[str]
    files: list[Path]


def import_call_list(ps: PolicySet, path: str, folder: Path, now: datetime,
                     progress=None) -> CallListImport:
    """Record a FRITZ!Box call list export in the journal in `folder`.

    Each incoming call is decided as `check` would have decided it at its time, with the
    journal's facts as they stood then (the entries up to it, this import's included):
    taken → `answered` with its minutes; missed, or taken by an answering machine →
    `missed`. An outgoing call that reached a number which called me (within
    CALLBACK_LOOKBACK_DAYS) since my last call to it → `called-back` with its minutes; any
    other outgoing call, and a call the box rejected, is skipped. The sender is `Rufnummer`
    (national numbers read with me.region; empty: withheld, the unknown tier decides),
    never `Eigene Rufnummer`. Each entry carries `source` and a stable `source_id`; a call
    the journal holds already — by its id, or recorded live or by hand from the same sender
    in the same minute — is not recorded again. `progress(done, total)` hears of each call.
    ExportError for a file that is no export; JournalWriteError."""
    from bisect import bisect_left, bisect_right, insort
    from collections import Counter
    from datetime import timedelta

    from boundaries.core.diagnostics import LineWarning
    from boundaries.core.engine import decide
    from boundaries.core.request import Request, sender_key
    from boundaries.core.time import zone
    from boundaries.core.vocabulary import REPEAT_WINDOW
    from boundaries.fsutil import exclusive_lock
    from boundaries.journal.facts import facts_for, month_bounds
    from boundaries.journal.store import Entry, append, month_of, months_between, read
    from boundaries.policy.senders import SenderError
    from boundaries.replay.fritz_export import SOURCE

    tz = zone(ps.me.timezone)
    calls, bad = _export_calls(path, tz, now)
    if not calls:
        return CallListImport({}, 0, {}, bad, [], [])
    recorded: Counter[str] = Counter()
    skipped: Counter[str] = Counter()
    files: set[Path] = set()
    already = 0
    back = max(REPEAT_WINDOW, timedelta(days=max(ps.me.reply_once_days,
                                                 CALLBACK_LOOKBACK_DAYS)))
    months = months_between((calls[0][0] - back).astimezone(tz), calls[-1][0].astimezone(tz))
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        with exclusive_lock(folder / SOURCE):  # two imports at once: one after the other
            entries, journal_warnings = read(folder, months)
            index = CallIndex(entries)  # by source id, and calls of other sources
            file_sids = {sid for _, _, sid in calls}
            walk = [e for e in entries if e.data.get("source_id") not in file_sids]
            history = list(entries)  # the facts as they stand, this import's added in
            owed: dict[str, bool] = {}  # sender -> called me since my last call to it
            w = 0
            for done, (at, row, sid) in enumerate(calls, start=1):
                if progress is not None:
                    progress(done, len(calls))
                while w < len(walk) and walk[w].at <= at:
                    owe(owed, walk[w].sender, walk[w].data)
                    w += 1
                if row.kind == "rejected" or row.number.startswith("**"):
                    skipped[SKIPPED["rejected" if row.kind == "rejected" else "internal"]] += 1
                    continue
                try:
                    sender = _caller(ps, row.number)
                except SenderError as exc:
                    bad.append(LineWarning(path, row.line, str(exc)))
                    continue
                key = sender_key(sender.client_id, sender.number, sender.raw)
                outgoing = row.kind == "outgoing"
                twin = index.twin(SOURCE, sid, key, at, outgoing)
                if twin is not None:
                    already += 1
                    owe(owed, key, twin.data)
                    continue
                if outgoing and not (row.minutes and row.number and owed.get(key)):
                    skipped[SKIPPED["outgoing" if row.minutes else "unreached"]] += 1
                    continue
                outcome = CALLED_BACK if outgoing else (
                    "answered" if row.kind == "answered" else "missed")
                req = Request(sender, at, "call")
                start = min(month_bounds(at, tz)[0], at - back)
                before = history[bisect_left(history, start, key=_at):
                                 bisect_right(history, at, key=_at)]
                d = decide(ps, req, facts_for(before, req, sender.client_id, tz,
                                              ps.me.reply_once_days))
                entry = make_entry(ps, req, d, outcome,
                                   0 if outcome == "missed" else row.minutes, "", now)
                entry.update(source=SOURCE, source_id=sid)
                written = append(folder, entry, month_of(d.at))
                files.add(written)
                insort(history, Entry(entry, d.at, written, 0), key=_at)
                owe(owed, key, entry)
                recorded[outcome] += 1
    except OSError as exc:
        raise JournalWriteError(folder, exc) from exc
    bad.sort(key=lambda b: b.line)
    return CallListImport(dict(recorded), already, dict(skipped), bad,
                          [x.format() for x in journal_warnings], sorted(files))


def _export_calls(path: str, tz, now: datetime) -> tuple[list, list]:
    """The export's calls as (at, CallRow, source id) in time order, and its bad lines."""
    from boundaries.core.diagnostics import LineWarning
    from boundaries.journal.schema import MAX_MINUTES
    from boundaries.policy.timeparse import TimeError, parse_at
    from boundaries.replay.fritz_export import BadLine, SourceIds, open_export

    reader = open_export(path)
    try:
        items = list(reader)
    finally:
        reader.close()
    ids = SourceIds()
    calls, bad = [], []
    for item in items:
        if isinstance(item, BadLine):
            bad.append(LineWarning(path, item.line, item.message))
            continue
        sid = ids.of(item)  # every call, in file order: the ids never shift
        try:  # read as `check --at` reads a time without offset: my wall clock
            at = parse_at(f"{item.wall:%Y-%m-%dT%H:%M}", tz, now)
        except TimeError as exc:
            bad.append(LineWarning(path, item.line, str(exc)))
            continue
        if item.minutes > MAX_MINUTES:
            bad.append(LineWarning(path, item.line, f"Dauer over {MAX_MINUTES:,} minutes"))
            continue
        calls.append((at, item, sid))
    calls.sort(key=lambda c: (c[0], -c[1].line))  # the export is newest first
    return calls, bad


def _at(entry: Entry) -> datetime:
    return entry.at


def _caller(ps: PolicySet, number: str):
    """The sender of a `Rufnummer`: a withheld number when it is empty, else the number read
    with me.region (SenderError when it is no phone number)."""
    from boundaries.core.echo import quoted
    from boundaries.policy.phones import looks_like_phone
    from boundaries.policy.senders import WITHHELD, SenderError, resolve_sender

    if not number:
        return WITHHELD
    if not looks_like_phone(number):
        raise SenderError(f"Rufnummer {quoted(number)} is not a phone number",
                          "the export's Rufnummer column holds the caller's number")
    return resolve_sender(ps, number)


__all__ = ["SKIPPED", "CallListImport", "import_call_list"]

"""The use cases every front end shares: open a policy set, build a request, decide it with
the journal's facts, record it.

Values in, values out: nothing here prints, exits or asks. A problem the user can fix is
raised as a `BoundariesError` (a message and a `hint`); `cli/` turns it into exit 2 and a
stderr line, the TUI into a notification. The loader, the journal store and the libraries
behind them are imported inside the functions that need them, so `check` starts no slower.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from boundaries.core.errors import BoundariesError, RequestError
from boundaries.policy.discovery import Found, discover
from boundaries.policy.result import LoadResult

if TYPE_CHECKING:
    from boundaries.core.diagnostics import Diagnostic
    from boundaries.core.model import PolicySet
    from boundaries.core.request import Decision, Facts, Request
    from boundaries.journal.store import Entry


# -- errors ----------------------------------------------------------------------------------
class PolicyFolderMissing(RequestError):
    """The policy folder chosen (named or discovered) is not a folder."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"policy folder `{path}` does not exist",
                         "pass --policies DIR with a folder that holds me.toml, or run "
                         "`boundaries init DIR`")
        self.path = path


class BadPolicySet(BoundariesError):
    """A set with errors, where a good one is needed: `diagnostics` are every problem found
    (errors and warnings, in file order)."""

    def __init__(self, what: str, diagnostics: tuple[Diagnostic, ...]) -> None:
        n = sum(d.is_error for d in diagnostics)
        super().__init__(f"{what} has {n} error{'s' if n != 1 else ''}; nothing decided")
        self.diagnostics = diagnostics


class JournalWriteError(BoundariesError):
    """The journal could not be written; `reason` is what the system said."""

    def __init__(self, folder: Path, reason: OSError) -> None:
        super().__init__(f"could not write the journal {reason.filename or f'in {folder}'}: "
                         f"{reason.strerror or reason}")
        self.folder = folder
        self.reason = reason


# -- opening a set ---------------------------------------------------------------------------
class Opened(NamedTuple):
    """A policy set as found and loaded (its `result` may hold errors)."""

    found: Found
    result: LoadResult

    @property
    def fell_back(self) -> bool:
        """Whether the shipped example set is used because no other set was found (not
        because it was named)."""
        return self.found.fell_back


def find_set(policies: str | os.PathLike | None = None) -> Found:
    """Which folder to use: `policies` if given, else the discovery order."""
    return discover(policies)


def load_set(path: Path, origin: str = "") -> LoadResult:
    """The set in `path` with its diagnostics, from the compiled cache when its files are
    unchanged, with its calendars attached (`with_calendars`)."""
    from boundaries.policy.cache import load_cached

    return with_calendars(load_cached(path, origin))


def peek_set(found: Found) -> LoadResult | None:
    """The set from the compiled cache if it holds the files as they are now, else None
    (fast: nothing is parsed)."""
    from boundaries.policy.cache import peek_cached

    result = peek_cached(found.path, found.origin)
    return None if result is None else with_calendars(result)


def with_calendars(result: LoadResult) -> LoadResult:
    """The set with me.toml's calendars opened for the engine (their files are read only
    where a request looks, and kept in the cache). A calendar that cannot be read is in
    `ps.calendar.problems`, not in the diagnostics: the set still decides, without it."""
    ps = result.policies
    if ps is None or not ps.me.calendars:
        return result
    from boundaries.sources.my_calendars import open_calendars

    return LoadResult(ps._replace(calendar=open_calendars(ps, calendar_cache())),
                      result.diagnostics)


def calendar_cache() -> Path | None:
    """Where expanded calendars are kept (None: caching is off)."""
    from boundaries.policy.cache import cache_dir

    folder = cache_dir()
    return None if folder is None else folder / "calendars"


def open_set(policies: str | os.PathLike | None = None) -> Opened:
    """Find the set and load it; a folder that is not there is `PolicyFolderMissing`."""
    found = find_set(policies)
    if not found.path.is_dir():  # before loading: nothing to read
        raise PolicyFolderMissing(found.path)
    return Opened(found, load_set(found.path, found.origin))


def good_policies(result: LoadResult, what: str = "the policy set") -> PolicySet:
    """The loaded set, or `BadPolicySet` if it has errors (warnings do not count)."""
    if result.ok and result.policies is not None:
        return result.policies
    raise BadPolicySet(what, result.diagnostics)


# -- a request -------------------------------------------------------------------------------
def choice(value: str, name: str, choices: tuple[str, ...]) -> str:
    """`value` as one of `choices` (trimmed, lower case), or a `RequestError` naming them."""
    from boundaries.core.diagnostics import NotAllowed, choose

    try:
        return choose(value, choices, fold=True)
    except NotAllowed as exc:
        raise RequestError(f"unknown {name} `{value}`: use {exc.allowed}", exc.hint) from None


def build_request(ps: PolicySet, fields: dict, now: datetime) -> Request:
    """A Request from a front end's fields (`from`, and optionally `channel`, `at`, `kind`,
    `urgency`; `at` absent: `now`). A sender or a time that cannot be read is a
    `RequestError` with a hint."""
    from boundaries.policy.checks import build_request as from_fields
    from boundaries.policy.senders import SenderError
    from boundaries.policy.timeparse import TimeError

    try:
        return from_fields(ps, fields, now)
    except (SenderError, TimeError) as exc:
        raise RequestError(str(exc), exc.hint) from None


# -- the journal's facts, and deciding -------------------------------------------------------
def journal_facts(ps: PolicySet, req: Request, folder: Path) -> tuple[Facts, list[str]]:
    """What the journal in `folder` says about this request, and warnings about bad lines.

    Reads only the months that can matter, and of them only the lines that can hold this
    sender or client (a one-off decision: `JournalCache` serves one that is asked again)."""
    from boundaries.core.time import zone
    from boundaries.journal.facts import facts_for, months_needed
    from boundaries.journal.store import read

    tz = zone(ps.me.timezone)
    client = req.sender.client_id
    # read() skips the other lines unparsed, and never one that could hold it (escaped in
    # JSON, say)
    needle = client if client else (req.sender.number or req.sender.raw.strip().casefold())
    entries, warnings = read(folder, months_needed(req.at, tz, ps.me.reply_once_days),
                             must_contain=needle)
    return facts_for(entries, req, client, tz, ps.me.reply_once_days), [
        w.format() for w in warnings]


class JournalCache:
    """A journal folder read a month at a time, each month kept until `clear()` (after a
    record): a front end that decides at every keystroke reads each month once."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self._months: dict[str, tuple[list[Entry], list]] = {}  # month -> (entries, warnings)

    def entries(self, months: list[str]) -> tuple[list[Entry], list[str]]:
        """Entries and warnings (formatted) of these months; none without a folder."""
        from boundaries.journal.store import read

        entries: list[Entry] = []
        warnings: list = []
        for month in months:
            if month not in self._months:
                if self.folder is None or not self.folder.is_dir():
                    self._months[month] = ([], [])
                else:
                    self._months[month] = read(self.folder, [month])
            e, w = self._months[month]
            entries += e
            warnings += w
        return entries, [x.format() for x in warnings]

    def facts(self, ps: PolicySet, req: Request) -> Facts:
        """What the journal says about `req` (budget used, repeats, replies sent)."""
        from boundaries.core.time import zone
        from boundaries.journal.facts import facts_for, months_needed

        tz = zone(ps.me.timezone)
        entries, _ = self.entries(months_needed(req.at, tz, ps.me.reply_once_days))
        return facts_for(entries, req, req.sender.client_id, tz, ps.me.reply_once_days)

    def clear(self) -> None:
        """Forget what was read: the next question reads the files again."""
        self._months.clear()


class Decided(NamedTuple):
    """A decision and the journal's facts it was made with (and warnings about bad lines)."""

    decision: Decision
    facts: Facts
    warnings: list[str]


def decide_with_journal(ps: PolicySet, req: Request, folder: Path | None) -> Decided:
    """Decide `req` with what the journal in `folder` knows (None or missing: no history)."""
    from boundaries.core.engine import decide
    from boundaries.core.request import NO_FACTS

    facts, warnings = NO_FACTS, []
    if folder is not None and folder.is_dir():
        facts, warnings = journal_facts(ps, req, folder)
    return Decided(decide(ps, req, facts), facts, warnings)


# -- recording -------------------------------------------------------------------------------
def make_entry(ps: PolicySet, req: Request, d: Decision, outcome: str, minutes: int,
               note: str, now: datetime) -> dict:
    """A journal entry: the request, the decision and what I did."""
    from boundaries.core.request import sender_key
    from boundaries.journal.store import new_id

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
    """Append the entry for a decided request to the journal in `folder`; returns the file it
    went to. A failed write is `JournalWriteError`."""
    from boundaries.journal.store import append, month_of

    entry = make_entry(ps, req, d, outcome, minutes, note, now)
    try:
        return append(folder, entry, month_of(d.at))
    except OSError as exc:
        raise JournalWriteError(folder, exc) from exc


__all__ = ["BadPolicySet", "Decided", "JournalCache", "JournalWriteError", "Opened",
           "PolicyFolderMissing", "build_request", "choice", "decide_with_journal", "find_set",
           "good_policies", "journal_facts", "load_set", "make_entry", "open_set", "peek_set",
           "record", "with_calendars"]


# -- importing a FRITZ!Box call list (sources.md §8: `log --import FILE.csv`) ----------------
CALLBACK_LOOKBACK_DAYS = 31  # an outgoing call calls back a call of the 31 days before it
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
            by_sid = {e.data["source_id"]: e for e in entries
                      if isinstance(e.data.get("source_id"), str)}
            # calls recorded live (`watch --log`) or by hand: (sender, minute, mine) -> them
            others: dict[tuple[str, int, bool], list] = {}
            for e in entries:
                if e.data.get("source") != SOURCE and _is_call(e.data):
                    others.setdefault(_slot(e.sender, e.at, e.data.get("outcome")),
                                      []).append(e)
            file_sids = {sid for _, _, sid in calls}
            walk = [e for e in entries if e.data.get("source_id") not in file_sids]
            history = list(entries)  # the facts as they stand, this import's added in
            owed: dict[str, bool] = {}  # sender -> called me since my last call to it
            w = 0
            for done, (at, row, sid) in enumerate(calls, start=1):
                if progress is not None:
                    progress(done, len(calls))
                while w < len(walk) and walk[w].at <= at:
                    _owe(owed, walk[w].sender, walk[w].data)
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
                twin = by_sid.get(sid)
                if twin is None:
                    near = others.get(_slot(key, at, "called-back" if outgoing else None))
                    twin = near.pop(0) if near else None
                if twin is not None:
                    already += 1
                    _owe(owed, key, twin.data)
                    continue
                if outgoing and not (row.minutes and row.number and owed.get(key)):
                    skipped[SKIPPED["outgoing" if row.minutes else "unreached"]] += 1
                    continue
                outcome = "called-back" if outgoing else (
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
                _owe(owed, key, entry)
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


def _is_call(data: dict) -> bool:
    return data.get("channel", "call") == "call"


def _slot(sender: str, at: datetime, outcome: str | None) -> tuple[str, int, bool]:
    """A call's sender, minute and direction (mine: `called-back`), to match a call recorded
    live or by hand."""
    return sender, int(at.timestamp() // 60), outcome == "called-back"


def _owe(owed: dict[str, bool], key: str, data: dict) -> None:
    """After a call in the journal: a call of mine (`called-back`) pays what I owed the
    sender; a call from the sender makes me owe one."""
    if _is_call(data):
        owed[key] = data.get("outcome") != "called-back"


def _caller(ps: PolicySet, number: str):
    """The sender of a `Rufnummer`: a withheld number when it is empty, else the number read
    with me.region (SenderError when it is no phone number)."""
    from boundaries.core.echo import quoted
    from boundaries.core.request import Sender
    from boundaries.policy.phones import looks_like_phone
    from boundaries.policy.senders import SenderError, resolve_sender

    if not number:
        return Sender(raw="", client_id=None, via="unknown")
    if not looks_like_phone(number):
        raise SenderError(f"Rufnummer {quoted(number)} is not a phone number",
                          "the export's Rufnummer column holds the caller's number")
    return resolve_sender(ps, number)

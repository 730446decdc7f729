"""A request from a front end's fields, decided with the journal's facts, and recorded."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from boundaries.core.errors import BoundariesError, RequestError

if TYPE_CHECKING:
    from boundaries.core.model import PolicySet
    from boundaries.core.request import Decision, Facts, Request
    from boundaries.journal.store import Entry


class JournalWriteError(BoundariesError):
    """The journal could not be written; `reason` is what the system said."""

    def __init__(self, folder: Path, reason: OSError) -> None:
        super().__init__(f"could not write the journal {reason.filename or f'in {folder}'}: "
                         f"{reason.strerror or reason}")
        self.folder = folder
        self.reason = reason


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
        self._stamps: dict[str, tuple] = {}  # month -> its files' names, sizes, mtimes

    def entries(self, months: list[str]) -> tuple[list[Entry], list[str]]:
        """Entries and warnings (formatted) of these months; none without a folder."""
        from boundaries.journal.store import read

        entries: list[Entry] = []
        warnings: list = []
        for month in months:
            if month not in self._months:
                self._stamps[month] = self._stamp(month)  # before reading: a write between
                if self.folder is None or not self.folder.is_dir():  # is seen next time
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
        self._stamps.clear()

    def drop_before(self, month: str) -> None:
        """Forget the months before `month` (YYYY-MM): a front end that runs for months
        keeps only those it still asks about."""
        for old in [m for m in self._months if m < month]:
            del self._months[old]
            self._stamps.pop(old, None)

    def refresh(self) -> None:
        """Forget each month whose journal files changed since they were read (another
        process, a sync tool or this one wrote), so that a front end that runs for days
        decides with the journal as it is: a listing and a stat per month, nothing read."""
        for month in list(self._months):
            if self._stamps.get(month) != self._stamp(month):
                del self._months[month]

    def _stamp(self, month: str) -> tuple:
        import os

        from boundaries.journal.store import files_for

        out = []
        for path in files_for(self.folder, [month]) if self.folder is not None else ():
            try:
                st = os.stat(path)
            except OSError:
                continue
            out.append((path.name, st.st_size, st.st_mtime_ns, st.st_ino))
        return tuple(out)


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
def make_entry(ps: PolicySet, req: Request, d: Decision, outcome: str | None, minutes: int,
               note: str, now: datetime) -> dict:
    """A journal entry: the request, the decision and what I did (`outcome` None: nothing
    to say, as for a message that came in)."""
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


__all__ = ["Decided", "JournalCache", "JournalWriteError", "build_request", "choice",
           "decide_with_journal", "journal_facts", "make_entry", "record"]

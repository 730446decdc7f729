"""What a phone source reports, decided as it comes and recorded when it ends (sources.md §8):
the use case behind `watch` (and the TUI's Incoming list).

`Incoming.take(event)` follows each call through the core's `CallBook` and says what there
is to show, as `Seen` values:

- a ring or a message is decided the moment it arrives, with the journal's facts (budgets,
  replies sent, repeats) and the rings and messages this session decided that the journal
  does not hold (yet): three rings in 15 minutes are a `repeat`, logged or not;
- a connect or an end carries the decision made at the ring; an end says `answered` (with
  minutes, rounded up) or `missed`; a message is `received`;
- with `log`, a finished call and a message (outcome `received`) are recorded in the
  journal (outcome, minutes, `source`, `source_id`) unless the journal holds that call
  already (`call_journal`: by its source id — a restart that reads the same events
  again — or, for a call, recorded by another source or
  by hand from the same sender in the same minute), under a lock with the journal read
  afresh, so two front ends that log the same box record each call once. My outgoing call
  that reached a number which called me since my last call to it is recorded `called-back`;
  another outgoing call is not recorded;
- a withheld number is decided as an unknown sender without a number; a `from` that is no
  client id, phone number or mail address as an unknown sender, as written;
- a duplicate (a source that repeats itself), and a connect or end of a call that never
  rang here, show nothing and are counted (`duplicates`, `ignored`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

# at the top, not in the functions: this module loads only for watch and the TUI (the
# service package imports it on first use), and each event passes these many times
from boundaries.core.calls import CallBook
from boundaries.core.engine import decide
from boundaries.core.request import Request, Sender, sender_key
from boundaries.core.time import zone
from boundaries.core.vocabulary import REPEAT_WINDOW
from boundaries.journal.facts import facts_for, months_needed
from boundaries.journal.schema import MAX_MINUTES, RECEIVED
from boundaries.journal.store import Entry, month_of, months_between
from boundaries.policy.phones import normalise
from boundaries.policy.senders import WITHHELD, SenderError, resolve_sender
from boundaries.service.call_journal import (
    CALLBACK_LOOKBACK_DAYS,
    CALLED_BACK,
    CallIndex,
    owed_call,
)
from boundaries.service.requests import JournalCache, JournalWriteError, make_entry

if TYPE_CHECKING:
    from boundaries.core.calls import Call, CallEvent, Step
    from boundaries.core.model import PolicySet
    from boundaries.core.request import Decision

RECORDED, ALREADY, SKIPPED, FAILED = "recorded", "already", "skipped", "failed"
MESSAGE_OUTCOME = RECEIVED  # a message in the journal (sources.md §8: "as received")
LOCK = "calls"  # the journal folder's `.calls.lock`: one front end records at a time
_SESSION = Path("(this session)")
_MAX_PENDING = 100  # per sender: `repeat` counts at most 100 (policy/schema.py)
_MAX_KEPT = 10_000  # decisions of calls that go on; senders resolved
REFRESH = 0.5  # seconds: how stale the journal may be for a decision (never for a record)


class Seen(NamedTuple):
    """One thing to show: `kind` is the core's step (`ring`, `message`, `connected`,
    `finished`, `dialing`) or `lost` (its end never came: not recorded); `event` what came
    in (None for `lost`); `call` the call so far; `sender` who called or wrote me, or whom I
    call; `request` and `decision` of a call to me or a message (None for my own calls);
    `outcome` at the end (`answered`, `missed`, `unanswered`; `received` for a message);
    `minutes`; `calling_back` for my own call: it returns calls of theirs; `logged` with
    `log`: RECORDED, ALREADY (the journal holds it), SKIPPED (nothing to record: my call
    to someone who had not called, or nobody answered), FAILED (`problem` says why)."""

    kind: str
    event: CallEvent | None
    call: Call
    sender: Sender
    request: Request | None = None
    decision: Decision | None = None
    outcome: str | None = None
    minutes: int = 0
    calling_back: bool = False
    logged: str | None = None
    path: Path | None = None
    problem: str = ""


class Incoming:
    """The calls of one session of `watch` (or the TUI): `take(event)` for each event,
    `tick()` now and then to let go of calls whose end never came."""

    def __init__(self, ps: PolicySet, folder: Path | None, *, log: bool = False,
                 clock: Callable[[], datetime], journal: JournalCache | None = None) -> None:
        self.ps = ps
        self.folder = folder
        self.log = log and folder is not None
        self.clock = clock
        self.tz = zone(ps.me.timezone)
        self.journal = journal if journal is not None else JournalCache(folder)
        self.book = CallBook(key=self._party_key)
        self.duplicates = 0  # events seen before
        self.ignored = 0  # a connect or end of a call that never rang here
        self.warnings: list[str] = []  # the journal's bad lines, each once: take them
        self._warned: set[str] = set()
        self._decided: OrderedDict[tuple[str, str], tuple[Request, Decision]] = OrderedDict()
        self._pending: dict[str, OrderedDict[tuple[str, str], Entry]] = {}  # sender -> rings
        self._senders: dict[str, Sender] = {}
        self._returns: OrderedDict[tuple[str, str], bool] = OrderedDict()  # my calls: back?
        self._newest: tuple[datetime, datetime] | None = None  # newest event's at, arrival
        self._looked: float | None = None  # when the journal's files were last looked at
        if ps.me.region:  # now, not at the first ring: my region's phone number metadata
            normalise("01234567", ps.me.region)  # (about 12 ms to load)

    # -- the way in --------------------------------------------------------------------
    def take(self, event: CallEvent) -> list[Seen]:
        """What `event` did: the calls it shows lost (by its time), then itself (nothing
        for a duplicate or an event of a call that never rang here)."""
        if self._newest is None or event.at >= self._newest[0]:
            if self._newest is not None and event.at.month != self._newest[0].month:
                self._let_go(event.at)
            self._newest = (event.at, self.clock())
        out = self._lost(self.book.expire(event.at))
        step = self.book.feed(event)
        seen = self._seen(event, step)
        if seen is not None:
            out.append(seen)
        return out

    def tick(self) -> list[Seen]:
        """Calls whose end never came (ringing for 10 minutes, talking for 12 hours), by the
        events' time: the newest event's time plus the time since it came."""
        if self._newest is None:
            return []
        at, arrived = self._newest
        return self._lost(self.book.expire(at + max(timedelta(0), self.clock() - arrived)))

    def _seen(self, event: CallEvent, step: Step) -> Seen | None:
        call = step.call
        if step.kind == "duplicate":
            self.duplicates += 1
            return None
        if step.kind == "ignored" or call is None:
            self.ignored += 1
            return None
        sender = self._sender(call.party)
        if call.direction == "out":
            return self._mine(event, step, call, sender)
        req, d = self._decision(call, sender)
        if step.kind == "ring":
            self._remember(call, req, d)
            return Seen("ring", event, call, sender, req, d)
        if step.kind == "connected":
            return Seen("connected", event, call, sender, req, d)
        if step.kind == "message":
            if not self.log:
                self._remember(call, req, d)
                return Seen("message", event, call, sender, req, d, MESSAGE_OUTCOME)
            logged, path, problem = self._record(call, req, d, MESSAGE_OUTCOME, 0)
            if logged == FAILED:  # not in the journal: it still counts for `repeat`
                self._remember(call, req, d)
            return Seen("message", event, call, sender, req, d, MESSAGE_OUTCOME, 0, False, logged,
                        path, problem)
        # finished: answered or missed
        self._decided.pop(call.key, None)
        outcome, minutes = call.outcome, _minutes(call)
        if not self.log:
            return Seen("finished", event, call, sender, req, d, outcome, minutes)
        logged, path, problem = self._record(call, req, d, outcome,
                                             minutes if outcome == "answered" else 0)
        if logged != FAILED:
            self._forget(call, req)
        return Seen("finished", event, call, sender, req, d, outcome, minutes, False, logged,
                    path, problem)

    def _mine(self, event: CallEvent, step: Step, call: Call, sender: Sender) -> Seen:
        """My own call: does it return theirs (this session's, or the journal's)?"""
        back = self._returns.get(call.key)
        if back is None:  # at its start: this session's calls, else the journal's
            back = bool(step.called_back) or self._owed(sender, call)
            self._returns[call.key] = back
            while len(self._returns) > _MAX_KEPT:
                self._returns.popitem(last=False)
        if step.kind != "finished":
            return Seen(step.kind, event, call, sender, calling_back=back)
        del self._returns[call.key]
        outcome, minutes = call.outcome, _minutes(call)
        if not self.log:
            return Seen("finished", event, call, sender, None, None, outcome, minutes, back)
        if not (back and call.answered):
            return Seen("finished", event, call, sender, None, None, outcome, minutes, back,
                        SKIPPED)
        req, d = self._decide(sender, call)  # as `log --import` records a call-back
        logged, path, problem = self._record(call, req, d, CALLED_BACK, minutes)
        return Seen("finished", event, call, sender, None, None, outcome, minutes, back,
                    logged, path, problem)

    def _lost(self, steps: list[Step]) -> list[Seen]:
        out = []
        for step in steps:
            call = step.call
            assert call is not None
            sender = self._sender(call.party)
            kept = self._decided.pop(call.key, None)
            req, d = kept if kept is not None else (None, None)
            out.append(Seen("lost", None, call, sender, req, d))
        return out

    # -- deciding ----------------------------------------------------------------------
    def _decision(self, call: Call, sender: Sender) -> tuple[Request, Decision]:
        """The decision made at the call's ring (or now, for a message or a call whose ring
        this session no longer holds)."""
        kept = self._decided.get(call.key)
        return kept if kept is not None else self._decide(sender, call)

    def _decide(self, sender: Sender, call: Call) -> tuple[Request, Decision]:
        req = Request(sender, call.started.astimezone(self.tz), call.channel,
                      call.kind or "question", call.urgency or "normal")
        return req, decide(self.ps, req, self._facts(req, call))

    def _facts(self, req: Request, call: Call):
        """The journal's facts for `req`, with this session's rings and messages the journal
        does not hold; the journal's copy of this very call (a restart that reads the same
        events again) left out."""
        self._refresh()
        entries, warnings = self.journal.entries(
            months_needed(req.at, self.tz, self.ps.me.reply_once_days))
        self._warn(warnings)
        source, sid = call.key
        journal = (e for e in entries
                   if e.data.get("source_id") != sid or e.data.get("source") != source)
        pending = self._pending.get(_key(req), {})
        session = (e for k, e in pending.items() if k != call.key)
        return facts_for(chain(journal, session), req, req.sender.client_id, self.tz,
                         self.ps.me.reply_once_days)

    def _remember(self, call: Call, req: Request, d: Decision) -> None:
        """Keep the decision for the call's later events, and the request for `repeat`
        until the journal holds it (or it is older than the repeat window)."""
        if call.ended is None:
            self._decided[call.key] = (req, d)
            while len(self._decided) > _MAX_KEPT:
                self._decided.popitem(last=False)
        key = _key(req)
        pending = self._pending.setdefault(key, OrderedDict())
        pending[call.key] = Entry({"sender": key, "client": req.sender.client_id,
                                   "channel": req.channel}, req.at, _SESSION, 0)
        horizon = req.at - REPEAT_WINDOW
        while pending and next(iter(pending.values())).at <= horizon:  # the oldest first
            pending.popitem(last=False)
        while len(pending) > _MAX_PENDING:
            pending.popitem(last=False)
        if len(self._pending) > _MAX_KEPT:  # senders whose rings are all old, else the first
            old = [k for k, p in self._pending.items()
                   if all(e.at <= horizon for e in p.values())]
            for k in old or list(self._pending)[:len(self._pending) - _MAX_KEPT // 2]:
                del self._pending[k]

    def _forget(self, call: Call, req: Request) -> None:
        """The call goes to the journal (or is there): its own entry counts from now on."""
        pending = self._pending.get(_key(req))
        if pending is not None:
            pending.pop(call.key, None)

    def _owed(self, sender: Sender, call: Call) -> bool:
        """Whether the journal says the number I call called me since my last call to it
        (this call's own entry, from a run before a restart, left out)."""
        if sender.number is None and sender.client_id is None:
            return False
        at = call.started
        start = at - timedelta(days=CALLBACK_LOOKBACK_DAYS)
        self._refresh()
        entries, warnings = self.journal.entries(
            months_between(start.astimezone(self.tz), at.astimezone(self.tz)))
        self._warn(warnings)
        source, sid = call.key
        return owed_call((e for e in entries if e.at >= start and (
            e.data.get("source_id") != sid or e.data.get("source") != source)),
            _sender_key(sender), at)

    # -- recording ---------------------------------------------------------------------
    def _record(self, call: Call, req: Request, d: Decision, outcome: str | None,
                minutes: int) -> tuple[str, Path | None, str]:
        """Append the call to the journal unless it holds it already: (RECORDED or ALREADY
        or FAILED, the file, the problem)."""
        from boundaries.fsutil import exclusive_lock
        from boundaries.journal.store import append

        assert self.folder is not None
        month = month_of(d.at)
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            with exclusive_lock(self.folder / LOCK):
                self.journal.refresh()  # what another front end recorded meanwhile
                entries, warnings = self.journal.entries([month])
                self._warn(warnings)
                twin = CallIndex(entries).twin(call.source, call.source_id, _key(req),
                                               req.at, outcome == CALLED_BACK,
                                               call=req.channel == "call")
                if twin is not None:
                    return ALREADY, twin.path, ""
                entry = make_entry(self.ps, req, d, outcome, min(minutes, MAX_MINUTES), "",
                                   self.clock())
                entry.update(source=call.source, source_id=call.source_id)
                self._looked = None  # the next decision sees this entry
                return RECORDED, append(self.folder, entry, month), ""
        except OSError as exc:
            return FAILED, None, str(JournalWriteError(self.folder, exc))

    def _let_go(self, now: datetime) -> None:
        """A new month: the journal's months no decision can ask for any more are let go
        (a month's budget, the call-back lookback, reply_once_days, and a month to spare)."""
        days = max(CALLBACK_LOOKBACK_DAYS, self.ps.me.reply_once_days) + 62
        self.journal.drop_before(month_of((now - timedelta(days=days)).astimezone(self.tz)))

    def _refresh(self) -> None:
        """Look at the journal's files again for a decision, at most every REFRESH seconds
        (a flood of events does not stat them for each; a record looks at once)."""
        now = time.monotonic()
        if self._looked is None or now - self._looked >= REFRESH:
            self.journal.refresh()
            self._looked = now

    # -- who ---------------------------------------------------------------------------
    def _sender(self, party: str | None) -> Sender:
        """Who `party` is: a client, a number, an address; withheld when None; an unknown
        sender as written when it is none of these."""
        if party is None:
            return WITHHELD
        found = self._senders.get(party)
        if found is None:
            try:
                found = resolve_sender(self.ps, party)
            except SenderError:
                found = Sender(raw=party, client_id=None, via="unknown")
            if len(self._senders) >= _MAX_KEPT:
                self._senders.clear()
            self._senders[party] = found
        return found

    def _party_key(self, party: str) -> str:
        """The book's way to tell parties apart: as the journal counts senders."""
        return _sender_key(self._sender(party))

    def _warn(self, warnings: Iterable[str]) -> None:
        for w in warnings:
            if w not in self._warned:
                self._warned.add(w)
                self.warnings.append(w)


def _sender_key(sender: Sender) -> str:
    return sender_key(sender.client_id, sender.number, sender.raw)


def _key(req: Request) -> str:
    return _sender_key(req.sender)


def _minutes(call: Call) -> int:
    """The call's minutes, at most the journal's maximum."""
    return min(call.minutes, MAX_MINUTES)


__all__ = ["ALREADY", "FAILED", "RECORDED", "SKIPPED", "Incoming", "Seen"]

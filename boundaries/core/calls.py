"""A call's life, from the events a phone source reports (sources.md §8; pure: no I/O, no clock).

A source (the event stream, the FRITZ!Box call monitor, KDE Connect) turns what it reads into
`CallEvent`s; a `CallBook` follows each call through them and says, per event, what happened
(a `Step`): a call rings (decide now), is answered, ends (record it), or a message arrives
(decide and record at once). A call is known by its source and the source's own id, so an
event the book has seen before (a call monitor that replays its lines after a reconnect, the
same line written twice) yields `duplicate`, never a second call.

    ring ──▶ connect ──▶ end      answered, minutes from connect to end, rounded up
    ring ──────────────▶ end      missed
    message                       one event: received
    outgoing ─▶ [connect] ─▶ end  my own call (a FRITZ!Box CALL): answered or unanswered

The book holds no clock: `expire(now)` is how a front end lets go of calls whose end never
came (the source dropped mid-call), and finished calls are forgotten `keep` after the newest
event's time, so a month of `watch` does not grow without bound.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import NamedTuple

EVENTS = ("ring", "connect", "end", "message", "outgoing")
STEPS = ("ring", "dialing", "connected", "finished", "message", "duplicate", "ignored", "lost")
_MICROSECONDS_PER_MINUTE = 60_000_000


class CallEvent(NamedTuple):
    """One thing a source reported about one call or message."""

    source: str  # the source's name: "events", "fritzbox", "kdeconnect"
    source_id: str  # the source's own id of the call (unique per call within the source)
    event: str  # one of EVENTS
    at: datetime  # aware
    from_: str | None = None  # ring, message: who, as the source wrote it; None = withheld
    to: str | None = None  # outgoing: whom I call
    channel: str = "call"  # a CHANNELS word
    kind: str | None = None  # a KINDS word, when the source knows it
    urgency: str | None = None  # an URGENCIES word, when the source knows it
    seconds: int | None = None  # end: talk time as the source counted it (the FRITZ!Box does)

    @property
    def key(self) -> tuple[str, str]:
        """What makes a call one call: the source and its id."""
        return (self.source, self.source_id)


class Call(NamedTuple):
    """A call (or message) as far as the book has followed it."""

    source: str
    source_id: str
    direction: str  # "in" (rang me, or a message to me) | "out" (my own call)
    channel: str
    party: str | None  # who called or wrote me, or whom I called; None = withheld
    started: datetime  # when it rang (or I dialled, or the message came)
    kind: str | None = None
    urgency: str | None = None
    connected: datetime | None = None
    ended: datetime | None = None
    seconds: int | None = None  # talk time the source reported at the end, if it did
    message: bool = False  # a message (SMS, chat): one event, no ringing

    @property
    def key(self) -> tuple[str, str]:
        return (self.source, self.source_id)

    @property
    def answered(self) -> bool:
        """Whether the call was taken: a connect was seen, or the source counted talk time
        (a monitor that reconnected mid-call saw the end but not the connect)."""
        return self.connected is not None or (self.seconds or 0) > 0

    @property
    def outcome(self) -> str:
        """`answered` | `missed` for a call to me, `answered` | `unanswered` for my own call,
        `received` for a message; `ringing` / `talking` while it goes on."""
        if self.ended is None:
            return "talking" if self.connected is not None else "ringing"
        if self.message:
            return "received"
        if self.answered:
            return "answered"
        return "missed" if self.direction == "in" else "unanswered"

    @property
    def minutes(self) -> int:
        """Minutes from connect to end, rounded up (0 unless it was answered and has ended);
        the source's own talk time when no connect was seen. Never negative."""
        if self.ended is None or not self.answered:
            return 0
        if self.connected is not None:
            micro = (self.ended - self.connected) // timedelta(microseconds=1)
        else:
            micro = (self.seconds or 0) * 1_000_000
        return max(0, -(-micro // _MICROSECONDS_PER_MINUTE))


class Step(NamedTuple):
    """What one event did.

    kind: `ring` (a call to me rings: decide and show it), `message` (decide, show and
    record it), `dialing` (I call someone: `called_back` holds their calls to me since my
    last call to them, here and again on its `finished` step), `connected`, `finished`
    (record it: `call.outcome`, `call.minutes`),
    `duplicate` (seen before: nothing to do), `ignored` (`reason` says why: an end or connect
    of a call that never rang here), `lost` (from `expire`: its end never came).
    """

    kind: str
    call: Call | None = None
    reason: str = ""
    called_back: tuple[Call, ...] = ()


def party_key(party: str) -> str:
    """The default way to tell two parties apart: digits and a leading + for numbers
    (`+43 664 1234567` is `+436641234567`), else the text case-folded. A front end that
    normalises numbers (E.164 with my region) passes its own."""
    text = party.strip()
    digits = "".join(c for c in text if c.isdigit())
    if digits and all(c.isdigit() or c in "+ ()./-" for c in text):
        return ("+" if text.startswith("+") else "") + digits
    return text.casefold()


class CallBook:
    """Every call and message that is going on, and the ones that ended lately.

    `feed(event) -> Step` is the only way in. Keyed by `(source, source_id)`: an event of a
    call the book has finished (or is following, for a second ring) is `duplicate`."""

    def __init__(self, *, key: Callable[[str], str] = party_key,
                 keep: timedelta = timedelta(days=2), max_finished: int = 100_000,
                 max_active: int = 10_000) -> None:
        self._key = key
        self._max_active = max_active
        self._keep = keep
        self._max_finished = max_finished
        self._active: dict[tuple[str, str], Call] = {}
        self._done: OrderedDict[tuple[str, str], datetime] = OrderedDict()
        self._calls_from: dict[str, list[Call]] = {}  # party -> calls to me since my last call
        self._back: dict[tuple[str, str], tuple[Call, ...]] = {}  # my calls going on
        self._newest: datetime | None = None
        self._pruned: datetime | None = None

    @property
    def active(self) -> tuple[Call, ...]:
        """Calls ringing or talking now, oldest first."""
        return tuple(self._active.values())

    def calls_from(self, party: str) -> tuple[Call, ...]:
        """Finished calls from `party` to me since my last call to them (the call-back list)."""
        return tuple(self._calls_from.get(self._key(party), ()))

    def seen(self, source: str, source_id: str) -> bool:
        """Whether the book follows or remembers this call."""
        key = (source, source_id)
        return key in self._active or key in self._done

    def feed(self, event: CallEvent) -> Step:
        """Take one event; say what it did."""
        self._note_time(event.at)
        key = event.key
        if key in self._done:
            return Step("duplicate", reason="this call has ended already")
        call = self._active.get(key)
        if event.event in ("ring", "outgoing"):
            return self._start(event) if call is None else Step(
                "duplicate", call, "this call is already ringing")
        if event.event == "message":
            if call is not None:
                return Step("duplicate", call, "this id is a call that goes on")
            msg = Call(event.source, event.source_id, "in", event.channel, event.from_,
                       event.at, event.kind, event.urgency, ended=event.at, message=True)
            self._finish(msg)
            return Step("message", msg)
        if call is None:
            return Step("ignored", reason=f"{event.event} of a call that never rang here")
        if event.event == "connect":
            if call.connected is not None:
                return Step("duplicate", call, "this call is connected already")
            call = call._replace(connected=max(event.at, call.started))
            self._active[key] = call
            return Step("connected", call)
        if event.event == "end":
            seconds = None if event.seconds is None else max(0, event.seconds)
            call = call._replace(ended=max(event.at, call.connected or call.started),
                                 seconds=seconds)
            del self._active[key]
            self._finish(call)
            return Step("finished", call, called_back=self._back.pop(key, ()))
        return Step("ignored", reason=f"unknown event {event.event!r}")

    def expire(self, now: datetime, *, ringing: timedelta = timedelta(minutes=10),
               talking: timedelta = timedelta(hours=12)) -> list[Step]:
        """Let go of calls whose end never came: ringing longer than `ringing`, talking
        longer than `talking`. Each is a `lost` step (not a missed call: the source may have
        dropped while it was answered); a late end of one is a `duplicate`."""
        out = []
        for key, call in list(self._active.items()):
            since, limit = ((call.connected, talking) if call.connected is not None
                            else (call.started, ringing))
            if now - since > limit:
                del self._active[key]
                self._back.pop(key, None)
                self._remember(key, now)
                out.append(Step("lost", call, "its end never came"))
        return out

    def _start(self, event: CallEvent) -> Step:
        outgoing = event.event == "outgoing"
        call = Call(event.source, event.source_id, "out" if outgoing else "in", event.channel,
                    event.to if outgoing else event.from_, event.at, event.kind,
                    event.urgency)
        self._active[event.key] = call
        if len(self._active) > self._max_active:  # a source that never ends its calls
            oldest = next(iter(self._active))
            del self._active[oldest]
            self._back.pop(oldest, None)
            self._remember(oldest, event.at)
        if not outgoing:
            return Step("ring", call)
        back: tuple[Call, ...] = ()
        if call.party is not None:
            back = tuple(self._calls_from.pop(self._key(call.party), ()))
        if back:
            self._back[event.key] = back
        return Step("dialing", call, called_back=back)

    def _finish(self, call: Call) -> None:
        assert call.ended is not None
        self._remember(call.key, call.ended)
        if call.direction == "in" and not call.message and call.party is not None:
            calls = self._calls_from.setdefault(self._key(call.party), [])
            calls.append(call)
            del calls[:-20]  # the last twenty are plenty for a call-back list

    def _remember(self, key: tuple[str, str], ended: datetime) -> None:
        self._done[key] = ended
        self._done.move_to_end(key)
        while len(self._done) > self._max_finished:
            self._done.popitem(last=False)

    def _note_time(self, at: datetime) -> None:
        if self._newest is not None and at <= self._newest:
            return
        self._newest = at
        horizon = at - self._keep
        while self._done:
            ended = next(iter(self._done.values()))
            if ended >= horizon:
                break
            self._done.popitem(last=False)
        if self._pruned is not None and at - self._pruned < timedelta(hours=1):
            return
        self._pruned = at
        for party, calls in list(self._calls_from.items()):
            calls[:] = [c for c in calls if c.ended is not None and c.ended >= horizon]
            if not calls:
                del self._calls_from[party]

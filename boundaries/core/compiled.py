"""A policy set compiled for replay: integer instants, per-day window tables, cached offsets.

Pure: no I/O. Every table is filled lazily from the engine's own functions (the same
`window_instances`, `day_open`, `verdict`, `callback_for`), so the compiled path decides
exactly as `decide` does, only without building datetimes, reasons or replies per request.
Instants are POSIX seconds (int or float).
"""

from __future__ import annotations

from bisect import bisect_right
from datetime import UTC, date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo

from boundaries.core.engine import (
    UNKNOWN_TIER,
    Verdict,
    away_on,
    callback_for,
    day_open,
    free_of,
    in_clock_window,
    in_writing_for,
    is_automated,
    tier_of,
    verdict,
)
from boundaries.core.model import Away, Client, PolicySet, Tier
from boundaries.core.reasons import Context, word_reason
from boundaries.core.replies import pick_reply
from boundaries.core.request import NO_FACTS, Facts, Sender, Situation, sender_key
from boundaries.core.time import resolve, window_instances, zone
from boundaries.core.via import Via, choose_via
from boundaries.core.vocabulary import KINDS

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_QUARTER = 900  # UTC offsets are memoized per quarter hour (no zone changes offset faster)
_MEMO_LIMIT = 1 << 16


class Offsets:
    """UTC offsets of one zone, memoized per quarter hour.

    A quarter hour in which the offset changes is never memoized, so the answer is exact:
    gap times move forward and fold times take their earlier occurrence, as in `core.time`.
    """

    __slots__ = ("_by_instant", "_by_wall", "tz")

    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self._by_instant: dict[int, int] = {}
        self._by_wall: dict[int, int] = {}

    def _at_instant(self, t: float) -> int:
        off = datetime.fromtimestamp(t, self.tz).utcoffset()
        return int(off.total_seconds()) if off is not None else 0

    def _at_wall(self, w: float) -> int:
        naive = datetime.fromtimestamp(w, UTC).replace(tzinfo=self.tz, fold=0)
        off = naive.utcoffset()
        return int(off.total_seconds()) if off is not None else 0

    @staticmethod
    def _memoized(table: dict[int, int], at, x: float) -> int:
        """`at(x)`, memoized per quarter hour when the offset holds for all of it."""
        key = int(x // _QUARTER)
        off = table.get(key)
        if off is None:
            first = key * _QUARTER
            off = at(first)
            if off != at(first + _QUARTER - 1):
                return at(x)
            table[key] = off
        return off

    def of_instant(self, t: float) -> int:
        """Seconds east of UTC at the instant `t`."""
        return self._memoized(self._by_instant, self._at_instant, t)

    def of_wall(self, w: float) -> int:
        """The offset that makes wall-clock seconds `w` (a naive time read as if UTC) an
        instant: `w - of_wall(w)`."""
        return self._memoized(self._by_wall, self._at_wall, w)


class CompiledTier:
    """One tier's windows as (start, end) POSIX seconds per day, filled on first use."""

    __slots__ = ("_days", "_free", "_is_open", "_stretches", "_tz", "clock_table",
                 "has_hours", "memo", "name", "plans", "tier")

    def __init__(self, ps: PolicySet, tier: Tier, tz: ZoneInfo) -> None:
        self.tier = tier
        self.name = tier.name if tier is not UNKNOWN_TIER else ps.me.unknown_tier
        self.has_hours = tier.has_hours and any(tier.week)
        # for `client_time` rules: per minute of the sender's day, which of those windows
        # hold it (as bits) -- all the verdict reads of the sender's clock
        clocks = sorted({str(v) for r in tier.rules for cond, v in r.when
                         if cond == "client_time"})
        self.clock_table: tuple[int, ...] | None = tuple(
            sum(1 << k for k, text in enumerate(clocks) if in_clock_window(text, minute))
            for minute in range(1440)) if clocks else None
        self._tz = tz
        self._is_open = day_open(ps, tier)
        self._days: dict[int, tuple[tuple[int, int], ...]] = {}
        self._free = free_of(ps)
        self._stretches: dict[tuple[int, int], list[tuple[float, float]]] = {}
        self.plans: dict[int, DayPlan] = {}  # local day ordinal -> its situations
        self.memo: dict[tuple, Verdict] = {}  # see Compiled.decide

    def windows(self, ordinal: int) -> tuple[tuple[int, int], ...]:
        """The open windows that start on this day (a closed day has none)."""
        found = self._days.get(ordinal)
        if found is None:
            day = date.fromordinal(ordinal)
            if not self.tier.week[day.weekday()] or not self._is_open(day):
                found = ()
            else:
                found = tuple((int(s.timestamp()), int(e.timestamp()))
                              for s, e in window_instances(self.tier.week, self._tz, day))
            self._days[ordinal] = found
        return found

    def containing(self, t: float, ordinal: int) -> tuple[int, int, int] | None:
        """(start day, start, end) of the window holding `t`; `ordinal` is t's local day."""
        for o in (ordinal - 1, ordinal):
            for start, end in self.windows(o):
                if start <= t < end:
                    return o, start, end
        return None

    def _first_free(self, start: int, end: int, t: float) -> tuple[int, int] | None:
        """The first free stretch of a window that ends after `t` (calendars cut it)."""
        if self._free is None:
            return (start, end) if end > t else None
        pieces = self._stretches.get((start, end))
        if pieces is None:
            pieces = self._stretches[(start, end)] = self._free(start, end)
        for s, e in pieces:
            if e > t:
                return int(s), int(e)
        return None

    def next_window(self, t: float, ordinal: int,
                    horizon_days: int = 366) -> tuple[int, int] | None:
        """The free stretch holding `t`, or else the next to start (as
        `core.time.next_window`: every window that ends after `t`, from the day before,
        until one starts after the earliest stretch found)."""
        if not self.has_hours:
            return None
        best: tuple[int, int] | None = None
        for o in range(ordinal - 1, ordinal + horizon_days + 1):
            for start, end in self.windows(o):
                if best is not None and start >= best[0]:
                    return best
                if end > t:
                    found = self._first_free(start, end, t)
                    if found is not None and (best is None or found[0] < best[0]):
                        best = found
        return best


class DayPlan(NamedTuple):
    """One local day of one tier cut where its situation changes (at window edges and at
    the edges of calendar spans).

    `situations[bisect_right(edges, t)]` is the situation of any `first <= t < last`, with
    `kinds[i]` its class for the verdict memo (within hours, holiday, away, busy as bits).
    """

    first: float
    last: float
    edges: list[int]
    situations: list[Situation]
    kinds: list[int]


class SenderEntry(NamedTuple):
    """Everything about one sender that does not depend on the request's time."""

    sender: Sender
    client: Client | None
    tier: CompiledTier
    offsets: Offsets | None  # the sender's zone when it differs from mine
    callback: str
    in_writing: frozenset[str]  # the kinds confirmed in writing
    key: str  # who, for counting repeats (the journal's sender key)


class Row(NamedTuple):
    """One decided request: the verdict and what replay reports about it.

    `sit` comes from the tier's day plan, shared by every request in the same stretch of
    the day, so its `sender_minute` is 0: the verdict was given the sender's real minute.
    """

    verdict: Verdict
    entry: SenderEntry
    t: float
    ordinal: int  # the request's day in my timezone
    sit: Situation
    in_writing: bool
    facts: Facts  # what history said (the reasons of a budget word it)


def _situation_class(sit: Situation) -> int:
    """What the verdict reads of a situation, as bits: within hours, holiday, away, busy."""
    return (sit.within_hours + 2 * (sit.holiday is not None) + 4 * (sit.away is not None)
            + 8 * (sit.busy is not None))


class Compiled:
    """A policy set prepared for deciding many requests quickly (see module docstring)."""

    def __init__(self, ps: PolicySet) -> None:
        self.ps = ps
        self.tz = zone(ps.me.timezone)
        self.offsets = Offsets(self.tz)
        self._zones: dict[str, Offsets] = {}
        self._tiers: dict[str | None, CompiledTier] = {}  # None: the built-in unknown tier
        self._dates: dict[int, tuple[date, str | None, Away | None]] = {}
        self.calendar = ps.calendar
        self._vias: dict[tuple[Sender, str, tuple[str, ...]], tuple[Via | None, bool]] = {}
        self._templates: dict[tuple[str, str, bool], bool] = {}

    def tier(self, tier: Tier) -> CompiledTier:
        """The compiled form of one of this set's tiers (or of the built-in unknown one)."""
        key = None if tier is UNKNOWN_TIER else tier.name
        found = self._tiers.get(key)
        if found is None:
            found = self._tiers[key] = CompiledTier(self.ps, tier, self.tz)
        return found

    def sender_entry(self, sender: Sender) -> SenderEntry:
        """What a sender brings to every one of its requests (cache it by sender)."""
        ps = self.ps
        client = ps.clients.get(sender.client_id) if sender.client_id else None
        tier = tier_of(ps, client)
        offsets = None
        if client is not None and client.timezone and client.timezone != ps.me.timezone:
            offsets = self._zones.get(client.timezone)
            if offsets is None:
                offsets = self._zones[client.timezone] = Offsets(zone(client.timezone))
        landline = sender.number if sender.line_type == "fixed" else None
        return SenderEntry(
            sender=sender,
            client=client,
            tier=self.tier(tier),
            offsets=offsets,
            callback=callback_for(ps, tier, client, landline)[0],
            in_writing=frozenset(k for k in KINDS if in_writing_for(tier, client, k)),
            key=sender_key(client.id if client else None, sender.number, sender.raw),
        )

    def day(self, ordinal: int) -> tuple[date, str | None, Away | None]:
        """The date, its public holiday and the time off that covers it."""
        found = self._dates.get(ordinal)
        if found is None:
            d = date.fromordinal(ordinal)
            found = self._dates[ordinal] = (d, self.ps.holidays.name(d), away_on(self.ps, d))
        return found

    def local_ordinal(self, t: float) -> int:
        """The day of instant `t` in my timezone, as a date ordinal."""
        return int((t + self.offsets.of_instant(t)) // 86400) + EPOCH_ORDINAL

    def situation_at(self, ct: CompiledTier, t: float, ordinal: int,
                     sender_minute: int = 0) -> Situation:
        """The situation of a request at `t` (local day `ordinal`) for this tier, exactly."""
        cont = ct.containing(t, ordinal)
        day, holiday, away = self.day(cont[0] if cont is not None else ordinal)
        month = self.day(ordinal)[0].month  # the request's own month, not the window's
        busy = None
        if self.calendar:
            away_span, busy = self.calendar.at(t)
            away = away or away_span
        return Situation(cont is not None, day, holiday, away, sender_minute, month, busy)

    def plan(self, ct: CompiledTier, ordinal: int) -> DayPlan:
        """The tier's situations over one local day (sender_minute left 0: see decide)."""
        d = date.fromordinal(ordinal)
        first = resolve(self.tz, d, 0).timestamp()
        last = resolve(self.tz, d, 1440).timestamp()
        cuts = {edge for o in (ordinal - 1, ordinal) for w in ct.windows(o) for edge in w}
        if self.calendar:
            cuts.update(edge for span in self.calendar.overlapping(first, last)
                        for edge in (span.start, span.end))
        edges = sorted(edge for edge in cuts if first < edge < last)
        sits = [self.situation_at(ct, at, ordinal) for at in [first, *edges]]
        kinds = [_situation_class(s) for s in sits]
        found = ct.plans[ordinal] = DayPlan(first, last, edges, sits, kinds)
        return found

    def decide(self, entry: SenderEntry, t: float, channel: str = "call",
               kind: str = "question", urgency: str = "normal", facts: Facts = NO_FACTS) -> Row:
        """Decide one request at instant `t`, as `engine.decide` would.

        The hot path of replay. The situation comes from the tier's plan of the day; the
        verdict is memoized per tier on everything it reads: the situation's class, the
        client's trust, channel, kind, urgency and the two facts (and, for a tier with
        `client_time` rules, which of their windows hold the sender's minute).
        """
        off = self.offsets._by_instant.get(int(t // _QUARTER))  # of_instant, inlined
        if off is None:
            off = self.offsets.of_instant(t)
        ordinal = int((t + off) // 86400) + EPOCH_ORDINAL
        ct = entry.tier
        plan = ct.plans.get(ordinal)
        if plan is None:
            plan = self.plan(ct, ordinal)
        if plan.first <= t < plan.last:
            i = bisect_right(plan.edges, t)
            sit = plan.situations[i]
            cls = plan.kinds[i]
        else:  # an instant past the day's end (a fold across midnight): no shortcut
            sit = self.situation_at(ct, t, ordinal)
            cls = _situation_class(sit)
        client = entry.client
        key: tuple = (cls, client.trust if client is not None else "ok", channel, kind,
                      urgency, facts.extra_effort_used, facts.recent_requests)
        minute = 0
        if ct.clock_table is not None:
            theirs = entry.offsets.of_instant(t) if entry.offsets is not None else off
            minute = int((t + theirs) % 86400) // 60
            key += (ct.clock_table[minute],)
        v = ct.memo.get(key)
        if v is None:
            if len(ct.memo) >= _MEMO_LIMIT:
                ct.memo.clear()
            real = sit._replace(sender_minute=minute) if minute else sit
            v = ct.memo[key] = verdict(ct.tier, client, channel, kind, urgency, real, facts)
        return Row(v, entry, t, ordinal, sit, kind in entry.in_writing, facts)

    def next_start(self, row: Row) -> int | None:
        """The start of the next window (the current one when within hours)."""
        nw = row.entry.tier.next_window(row.t, row.ordinal)
        return nw[0] if nw is not None else None

    def via(self, entry: SenderEntry, channel: str, reply_to: tuple[str, ...] = ()
            ) -> Via | None:
        """Where a reply to this sender on this channel goes, as `decide`'s `via` (§10)."""
        return self._via(entry, channel, reply_to)[0]

    def _via(self, entry: SenderEntry, channel: str, reply_to: tuple[str, ...] = ()
             ) -> tuple[Via | None, bool]:
        """The via, and whether the sender is a robot that gets no reply (memoized)."""
        key = (entry.sender, channel, reply_to)
        found = self._vias.get(key)
        if found is None:
            if len(self._vias) >= _MEMO_LIMIT:
                self._vias.clear()
            via = choose_via(channel, entry.sender, entry.client, entry.tier.tier.channels,
                             self.ps.phone_types, reply_to)[0]
            found = self._vias[key] = (via, is_automated(entry.sender.raw))
        return found

    def _has_template(self, key: str, entry: SenderEntry) -> bool:
        """Whether `decide` finds a template for `key` for this sender (any language of
        its chain, the discreet variant, the `busy` fallback)."""
        client, tier = entry.client, entry.tier.tier
        locale = (client.locale if client is not None else None) or self.ps.me.locale
        discreet = tier.discreet or bool(client is not None and client.discreet)
        memo = (key, locale, discreet)
        found = self._templates.get(memo)
        if found is None:
            found = self._templates[memo] = pick_reply(
                self.ps, key, locale, discreet, lambda _loc: {}) is not None
        return found

    def sends_via(self, row: Row, channel: str, reply_to: tuple[str, ...] = ()
                  ) -> Via | None:
        """The `via` of what `decide` would send for this row — its reply (a reply key with
        a template, not to a robot sender), else its written confirmation — or None when
        it sends nothing or nothing reaches the sender. `reply_to`: a mail's Reply-To
        addresses, as `Request.reply_to`. Replies withheld because one went out recently
        are not known here (replay keeps no record of replies sent)."""
        v, e = row.verdict, row.entry
        via, robot = self._via(e, channel, reply_to)
        reply = (v.decision != "answer" and v.reply_key is not None and not robot
                 and self._has_template(v.reply_key, e))
        if reply or (row.in_writing and self._has_template("confirm", e)):
            return via
        return None

    def reason_source(self, row: Row, channel: str, urgency: str) -> tuple[str, str]:
        """The deciding reason of a decided row: (PATH:LINE or builtin, its text)."""
        e = row.entry
        cx = Context(self.ps, e.tier.tier, e.client, urgency, channel, row.sit, row.facts,
                     e.sender.raw)
        r = word_reason(row.verdict.why[0], cx)
        return r.source, r.text

"""Replaying many requests against one policy set, or against two to see what an edit changes.

Streams its input: per row it keeps only counters, the sender cache and (with history)
the last 15 minutes of requests, so memory stays flat however long the file is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from boundaries.core.compiled import Compiled, Row, SenderEntry
from boundaries.core.echo import clip_cells, quoted
from boundaries.core.errors import BoundariesError
from boundaries.core.model import PolicySet
from boundaries.core.vocabulary import CHANNELS, KINDS, URGENCIES
from boundaries.journal.simulated import SimulatedJournal
from boundaries.policy.senders import WITHHELD, SenderError, resolve_sender
from boundaries.policy.timeparse import TimeError
from boundaries.replay.input import Source, Unreadable, parse_instant

OUTPUT_COLUMNS = ("decision", "client", "tier", "within_hours", "next_start", "callback",
                  "in_writing", "reason", "via")
CHANGE_COLUMNS = ("line", "client", "old_tier", "old_decision", "old_reason", "new_tier",
                  "new_decision", "new_reason")
_SENDER_CACHE_LIMIT = 200_000
_PROGRESS_EVERY = 1 << 13


class BadRow(BoundariesError):
    """A row that cannot be decided; it is reported, counted and skipped (its message says
    why, a hint folded in)."""


class SetRun:
    """One policy set deciding every row, with its own simulated history and counts."""

    def __init__(self, ps: PolicySet, label: str, history: bool) -> None:
        self.ps = ps
        self.label = label
        self.comp = Compiled(ps)
        self.journal = SimulatedJournal(ps) if history else None
        if self.journal is not None and not self.journal.active:
            self.journal = None  # nothing in this set depends on history
        self.senders: dict[str, SenderEntry | SenderError] = {}  # by `from` as written
        self.note = ""  # added to a bad sender's message (which set could not resolve it)
        self._iso: dict[int, str] = {}
        # (tier, decision, within hours, extra effort, callback never, in writing) -> rows
        self.counts: dict[tuple[str, str, bool, bool, bool, bool], int] = {}

    def entry(self, raw: str) -> SenderEntry:
        """The sender `raw` resolved against this set (cached), or BadRow."""
        found = self.senders.get(raw)
        if found is None:
            if len(self.senders) >= _SENDER_CACHE_LIMIT:
                self.senders.clear()
            try:
                # an empty `from` is a withheld number: the unknown tier decides (§8)
                sender = resolve_sender(self.ps, raw) if raw.strip() else WITHHELD
                found = self.comp.sender_entry(sender)
            except SenderError as exc:
                found = exc
            self.senders[raw] = found
        if isinstance(found, SenderError):
            raise BadRow(f"{found}" + (f" ({found.hint})" if found.hint else "") + self.note)
        return found

    def decide(self, entry: SenderEntry, t: float, channel: str, kind: str,
               urgency: str) -> Row:
        """Decide one row (in time order, when history is simulated) and count it."""
        if self.journal is None:
            row = self.comp.decide(entry, t, channel, kind, urgency)
        else:
            d = self.comp.day(self.comp.local_ordinal(t))[0]
            month = d.year * 12 + d.month
            client = entry.client.id if entry.client is not None else None
            facts = self.journal.facts(entry.key, client, t, month)
            row = self.comp.decide(entry, t, channel, kind, urgency, facts)
            self.journal.record(entry.key, client, t, month, row.verdict.extra_effort)
        key = (entry.tier.name, row.verdict.decision, row.sit.within_hours,
               row.verdict.extra_effort, entry.callback == "never", row.in_writing)
        self.counts[key] = self.counts.get(key, 0) + 1
        return row

    def next_start(self, row: Row) -> str:
        """The next window's start, ISO 8601 in my timezone, or empty."""
        start = self.comp.next_start(row)
        if start is None:
            return ""
        text = self._iso.get(start)
        if text is None:
            text = self._iso[start] = datetime.fromtimestamp(start, self.comp.tz).isoformat()
        return text

    def reason(self, row: Row, channel: str, urgency: str) -> tuple[str, str]:
        """The deciding reason's (source, text)."""
        return self.comp.reason_source(row, channel, urgency)

    def via(self, row: Row, channel: str, reply_to: tuple[str, ...] = ()) -> str | None:
        """Where the row's reply (else its confirmation) goes, as `sms:+436641234567`; None
        when it sends nothing or no way reaches the sender (sources.md §10). `reply_to`: a
        mail's Reply-To addresses."""
        found = self.comp.sends_via(row, channel, reply_to)
        return found.cell() if found is not None else None

    def _total(self, pick) -> Counter:
        out: Counter = Counter()
        for key, n in self.counts.items():
            out[pick(key)] += n
        return out

    @property
    def by_tier(self) -> Counter[tuple[str, str]]:
        """Rows per (tier, decision)."""
        return self._total(lambda k: (k[0], k[1]))

    def decisions(self) -> Counter[str]:
        """Rows per decision."""
        return self._total(lambda k: k[1])

    @property
    def decided(self) -> int:
        return sum(self.counts.values())

    def _rows_with(self, flag: int) -> int:
        """Rows whose count key holds True at `flag` (an index into the key, see counts)."""
        return sum(n for key, n in self.counts.items() if key[flag])

    @property
    def outside(self) -> int:
        """Rows outside their tier's hours."""
        return self.decided - self._rows_with(2)

    @property
    def effort(self) -> int:
        """Rows answered with extra effort."""
        return self._rows_with(3)

    @property
    def never(self) -> int:
        """Rows whose callback is `never`."""
        return self._rows_with(4)

    @property
    def writing(self) -> int:
        """Rows to confirm in writing."""
        return self._rows_with(5)

    def local_text(self, t: float) -> str:
        return datetime.fromtimestamp(t, self.comp.tz).strftime("%a %Y-%m-%d %H:%M")


class Totals(NamedTuple):
    rows: int
    bad: int
    out_of_order: int


_CHANNELS, _KINDS, _URGENCIES = frozenset(CHANNELS), frozenset(KINDS), frozenset(URGENCIES)


def _field(value: str, default: str, name: str, choices: tuple[str, ...]) -> str:
    """A channel, kind or urgency as written (any case, blank: the default), or BadRow."""
    if not value.strip():
        return default
    from boundaries.core.diagnostics import NotAllowed, choose

    try:
        return choose(value, choices, fold=True)
    except NotAllowed as exc:
        raise BadRow(f"unknown {name} {quoted(value)}: use {exc.allowed}") from None


Sink = Callable[[list[str], str, float, str, str, list[Row]], None]


def replay(source: Source, runs: list[SetRun], sink: Sink | None,
           on_bad: Callable[[str, str], None],
           on_unsorted: Callable[[str, str], None] | None = None,
           progress: Callable[[int, int | None], None] | None = None) -> Totals:
    """Decide every row of `source` with every run; hand decided rows to `sink`.

    `on_bad(where, message)` hears about each bad row; `on_unsorted(where, previous)` about
    the first row earlier than one before it (history then follows the file's order).
    InputError from the source (a file broken at a line) stops the replay.
    """
    idx = source.index
    i_from, i_at = idx["from"], idx["at"]
    i_ch, i_kind, i_urg = idx["channel"], idx["kind"], idx["urgency"]
    width = len(source.header)
    first = runs[0]
    single = len(runs) == 1
    senders = first.senders
    offsets = first.comp.offsets
    rows = bad = unsorted = 0
    last_t = float("-inf")
    last_where = ""
    try:
        for cells in source.rows:  # the hot loop: keep it lean
            if not cells:
                continue  # a blank line
            rows += 1
            if progress is not None and rows % _PROGRESS_EVERY == 0:
                progress(rows, source.position())
            try:
                if len(cells) != width:
                    if cells.__class__ is Unreadable:
                        raise BadRow(cells.message)
                    raise BadRow(f"{len(cells)} fields, the header has {width}")
                raw = cells[i_from]
                try:
                    t = parse_instant(cells[i_at], offsets)
                except TimeError as exc:
                    raise BadRow(f"{exc}" + (f" ({exc.hint})" if exc.hint else "")) from None
                channel = cells[i_ch] if i_ch >= 0 else "call"
                if channel not in _CHANNELS:
                    channel = _field(channel, "call", "channel", CHANNELS)
                kind = cells[i_kind] if i_kind >= 0 else "question"
                if kind not in _KINDS:
                    kind = _field(kind, "question", "kind", KINDS)
                urgency = cells[i_urg] if i_urg >= 0 else "normal"
                if urgency not in _URGENCIES:
                    urgency = _field(urgency, "normal", "urgency", URGENCIES)
                if single:
                    entry = senders.get(raw)
                    if entry.__class__ is not SenderEntry:
                        entry = first.entry(raw)
                else:
                    entries = [run.entry(raw) for run in runs]
            except BadRow as exc:
                bad += 1
                on_bad(source.where(), clip_cells(str(exc), cells))
                continue
            if single:
                row = first.decide(entry, t, channel, kind, urgency)
                if sink is not None:
                    sink(cells, raw, t, channel, urgency, [row])
            else:
                decided = [run.decide(e, t, channel, kind, urgency)
                           for run, e in zip(runs, entries, strict=True)]
                if sink is not None:
                    sink(cells, raw, t, channel, urgency, decided)
            if t < last_t:
                unsorted += 1
                if unsorted == 1 and on_unsorted is not None:
                    on_unsorted(source.where(), last_where)
            else:
                last_t = t
                if on_unsorted is not None:
                    last_where = source.where()
        if progress is not None:
            progress(rows, source.position())
    finally:
        source.close()
    return Totals(rows, bad, unsorted)

"""`watch`: follow the phone sources and decide every call and message as it comes in.

One line on stdout per thing to show, written as one piece and flushed as soon as the
sources have no more events at hand — a live ring's line at once, a file of 10,000 lines
in a few large writes (`_Watch._flush`): the summary
(`18:20:05  call     acme · LATER · outside hours …`), or with `--json` one JSON object a
line, `check --json`'s object plus `event`, `id`, `source` (and `outcome`, `minutes` at the
end). The sources' states, the lines they skipped and the journal's bad lines go to stderr,
`boundaries: …`. It runs until every source has ended (a file at its end) or SIGINT/SIGTERM
ends it, exit 0 both ways; a source that cannot be opened at the start is exit 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from boundaries.cli.errors import EXIT_OK, UsageError
from boundaries.core.model import PolicySet

SKIP_EVERY = 5.0  # seconds: a source's skipped lines told at most this often (and at the end)
_WORDS = {"ring": "call", "connected": "talking", "dialing": "calling", "lost": "lost"}


def run_watch(args: argparse.Namespace, now: datetime) -> int:
    """`boundaries watch`: the sources of the flags (or me.toml's `[sources]`), followed
    until they end or a signal ends it."""
    import asyncio

    from boundaries.cli.commands import open_policies, require_good
    from boundaries.core.time import zone
    from boundaries.journal.store import journal_dir
    from boundaries.service import Incoming, chosen_sources, open_sources

    ps = require_good(open_policies(args).result)
    specs = chosen_sources(ps, events=args.events, fritzbox=args.fritzbox,
                           kdeconnect=args.kdeconnect)
    if not specs:
        raise UsageError("watch needs a phone source", "give --events FILE (- for standard "
                         "input, or a FIFO), --fritzbox HOST[:PORT] or --kdeconnect, or name "
                         "them in me.toml: [sources] fritzbox = \"fritz.box\"")
    folder = journal_dir(args.journal)

    def clock() -> datetime:
        return datetime.now(UTC)

    states = _States()
    sources = open_sources(specs, ps, clock=clock, on_state=states.show)
    incoming = Incoming(ps, folder, log=args.log, clock=clock)
    watch = _Watch(ps, incoming, sources, json_lines=args.json, tz=zone(ps.me.timezone),
                   clock=clock)
    asyncio.run(watch.run())
    return EXIT_OK


class _States:
    """A source's state changes on stderr, once each (`connecting` again after `retrying`
    is left out: the retry line said it)."""

    def __init__(self) -> None:
        self._last: dict[str, str] = {}

    def show(self, state: Any) -> None:
        before = self._last.get(state.source)
        self._last[state.source] = state.state
        if state.state == "connecting" and before == "retrying":
            return
        print(f"boundaries: {state.describe()}", file=sys.stderr, flush=True)


class _Watch:
    """One run: each event decided (`Incoming`) and shown; skips and warnings on stderr."""

    def __init__(self, ps: PolicySet, incoming: Any, sources: list[Any], *, json_lines: bool,
                 tz: Any, clock: Any) -> None:
        self.ps, self.incoming, self.sources = ps, incoming, sources
        self.json_lines, self.tz, self.clock = json_lines, tz, clock
        self._skips: dict[int, tuple[int, float]] = {}  # source -> (count told, when)
        self._encoded: dict[int, tuple[Any, str]] = {}  # id(decision) -> it, its JSON
        self._loop: Any = None  # the running loop: stdout is flushed through it
        self._stop: Any = None
        self._flushing = False
        self._broken: BrokenPipeError | None = None

    async def run(self) -> None:
        import asyncio
        import signal

        from boundaries.service import follow

        loop = self._loop = asyncio.get_running_loop()
        stop = self._stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runner = asyncio.create_task(follow(self.sources, self.on_event, on_tick=self.on_tick))
        stopper = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (runner, stopper):
                task.cancel()
            await asyncio.gather(runner, stopper, return_exceptions=True)
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            self._loop = None  # from here on each line is flushed as it is written
            self.tell_skips(final=True)
        if self._broken is not None:
            raise self._broken  # main says goodbye
        if runner.done() and not runner.cancelled() and runner.exception() is not None:
            raise runner.exception()  # type: ignore[misc]  # BrokenPipe: main says goodbye
        sys.stdout.flush()

    def on_event(self, source: Any, event: Any) -> None:
        for seen in self.incoming.take(event):
            self.show(seen)
        self.tell_warnings()
        self.tell_skips()

    def on_tick(self) -> None:
        for seen in self.incoming.tick():
            self.show(seen)
        self.tell_skips()

    def show(self, seen: Any) -> None:
        if seen.problem:
            print(f"boundaries: error: {seen.problem}; not recorded", file=sys.stderr,
                  flush=True)
        if self.json_lines:
            line = self.encode(*json_parts(seen, self.tz, self.incoming.log))
        else:
            line = summary_line(seen, self.ps, self.tz, self.clock())
        sys.stdout.write(line + "\n")  # one write a line
        if self._loop is None:
            sys.stdout.flush()
        elif not self._flushing:  # flushed once the events at hand are done (`_flush`)
            self._flushing = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        """stdout flushed when the sources have no more events at hand: a live line at once
        (the loop runs this as soon as the source waits for its next line), a file or a
        pipe full of lines in a few large writes. A reader that went away ends the run."""
        self._flushing = False
        try:
            sys.stdout.flush()
        except BrokenPipeError as exc:
            self._broken = exc
            if self._stop is not None:
                self._stop.set()

    def encode(self, head: dict, decision: Any, rest: dict) -> str:
        """One line of JSON (`json_object`); the check object of a call is encoded once
        for its ring, connect and end (the reply's text is most of a line)."""
        parts = [",".join(f"{_string(k)}:{_string(v)}" for k, v in head.items())]
        if decision is not None:
            cached = self._encoded.get(id(decision))
            if cached is None or cached[0] is not decision:
                cached = self._encoded[id(decision)] = (decision,
                                                        _dumps(decision.as_json())[1:-1])
                if len(self._encoded) > 1000:
                    del self._encoded[next(iter(self._encoded))]
            parts.append(cached[1])
        if rest:
            parts.append(_dumps(rest)[1:-1])
        return "{" + ",".join(parts) + "}"

    def tell_warnings(self) -> None:
        while self.incoming.warnings:
            print(self.incoming.warnings.pop(0), file=sys.stderr, flush=True)

    def tell_skips(self, final: bool = False) -> None:
        """Each source's skipped lines, when there are new ones: at once the first time,
        then at most every SKIP_EVERY seconds, and at the end."""
        now = time.monotonic()
        for source in self.sources:
            count, words = _skipped(source)
            if not count:
                continue
            told, when = self._skips.get(id(source), (0, -SKIP_EVERY))
            if count != told and (final or now - when >= SKIP_EVERY):
                self._skips[id(source)] = (count, now)
                print(f"boundaries: {source.state.source}: {words}", file=sys.stderr,
                      flush=True)


def _skipped(source: Any) -> tuple[int, str]:
    """How many lines (or, from KDE Connect, signals) a source skipped, and in words."""
    skips = getattr(source, "skips", None)
    if skips is not None:
        return skips.count, skips.describe()
    count, last = getattr(source, "skipped", 0), getattr(source, "last_skip", None)
    words = f"{count} signal{'s' if count != 1 else ''} skipped"
    return count, words + (f" (last: {last})" if last else "")


# -- what is printed -----------------------------------------------------------------------
# one encoder for every line (json.dumps with options builds a new one per call)
_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_string = encode_basestring  # a str as JSON, as that encoder writes it (head's values)


def who(seen: Any, ps: PolicySet) -> str:
    """The client (with its name, unless discreet: as `check` says it), else the number or
    address, else `withheld`."""
    d = seen.decision
    client = d.client if d is not None else seen.sender.client_id
    if client:
        c = ps.clients.get(client)
        if c is None:
            return client
        tier = ps.tiers.get(c.tier)
        discreet = d.discreet if d is not None else bool(
            c.discreet or (tier is not None and tier.discreet))
        return client if discreet else f"{client} ({c.name})"
    return seen.sender.number or seen.sender.raw or "withheld"


def summary_line(seen: Any, ps: PolicySet, tz: Any, now: datetime) -> str:
    """One line: when, what, who, the verdict and its first reason (or how it ended)."""
    at = (seen.event.at if seen.event is not None else seen.call.started).astimezone(tz)
    when = at.strftime("%H:%M:%S" if at.date() == now.astimezone(tz).date()
                       else "%Y-%m-%d %H:%M:%S")
    kind = seen.kind
    if kind == "message":
        what = seen.call.channel
    elif kind == "finished":
        what = seen.outcome
    else:
        what = _WORDS.get(kind, kind)
    parts = [who(seen, ps)]
    d = seen.decision
    if kind in ("ring", "message") and d is not None:
        parts.append(d.decision.upper())
        if d.reasons:
            parts.append(d.reasons[0].text)
    if kind == "finished" and seen.minutes:
        parts.append(f"{seen.minutes} min")
    if seen.calling_back:
        parts.append("called back" if kind == "finished" else "calls back")
    if kind == "lost":
        parts.append("its end never came; not recorded")
    logged = {"recorded": "recorded", "already": "already in the journal",
              "failed": "not recorded"}.get(seen.logged or "")
    if logged:
        parts.append(logged)
    return f"{when}  {what:<10} " + " · ".join(parts)


def json_parts(seen: Any, tz: Any, log: bool) -> tuple[dict, Any, dict]:
    """A line's `event`, `id`, `source`; the decision whose `check --json` object follows
    (None for my own calls); and the rest: who (`from`, or `to` for my own call; null:
    withheld), at the end `outcome` and `minutes` (my own call: `called_back`; with --log,
    `logged`)."""
    call = seen.call
    head = {"event": seen.event.event if seen.event is not None else "lost",
            "id": call.source_id, "source": call.source}
    rest: dict = {}
    if seen.decision is None:
        rest.update(client=seen.sender.client_id, at=call.started.astimezone(tz).isoformat())
    rest["to" if call.direction == "out" else "from"] = call.party
    if seen.kind in ("finished", "message"):
        rest.update(outcome=seen.outcome, minutes=seen.minutes)
    if call.direction == "out":
        rest["called_back"] = seen.calling_back
    if log and seen.kind in ("finished", "message"):
        rest["logged"] = seen.logged
    return head, seen.decision, rest


def json_object(seen: Any, tz: Any, log: bool) -> dict:
    """The JSON object of a line: `check --json`'s object of the call's decision with
    `event`, `id`, `source` and the rest (`json_parts`)."""
    head, decision, rest = json_parts(seen, tz, log)
    return {**head, **(decision.as_json() if decision is not None else {}), **rest}


__all__ = ["json_object", "json_parts", "run_watch", "summary_line", "who"]

"""Which phone sources to follow, opened, and followed together (sources.md §8).

The sources come from the front end's flags (`--events FILE|-`, `--fritzbox HOST[:PORT]`,
`--kdeconnect`) or, when no flag names one, from me.toml's `[sources]`: a flag replaces the
whole table (`watch --events test.jsonl` reads the file, not the box me.toml names too).
`open_sources` opens each (an event stream that cannot be opened, an address that cannot be
one: a `SourceError`, said at the flag or at its `me.toml:LINE:COL`); `follow` runs them
side by side in the running event loop until every one has ended (a file at its end: a call
monitor never ends), handing each event to the front end as it comes.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from boundaries.core.errors import BoundariesError

if TYPE_CHECKING:
    from boundaries.core.calls import CallEvent
    from boundaries.core.model import PolicySet
    from boundaries.sources.calls.state import StateHook

KINDS = ("events", "fritzbox", "kdeconnect")
_FLAGS = {"events": "--events", "fritzbox": "--fritzbox", "kdeconnect": "--kdeconnect"}


class SourceError(BoundariesError):
    """A source that cannot be opened: exit 2 at the start, never later."""


class SourceSpec(NamedTuple):
    """A source to open: `kind` one of KINDS, `value` a path, `-`, `HOST[:PORT]` or empty;
    `origin` where it was named (`--events`, `me.toml:12:10`)."""

    kind: str
    value: str
    origin: str


def chosen_sources(ps: PolicySet, *, events: str | None = None, fritzbox: str | None = None,
                   kdeconnect: bool = False) -> list[SourceSpec]:
    """The flags' sources, or me.toml's `[sources]` when no flag names one (empty: none)."""
    flags = [SourceSpec(kind, value, _FLAGS[kind])
             for kind, value in (("events", events), ("fritzbox", fritzbox))
             if value is not None]
    if kdeconnect:
        flags.append(SourceSpec("kdeconnect", "", _FLAGS["kdeconnect"]))
    if flags:
        return flags
    from boundaries.policy.phone_sources import sources_in

    table = sources_in(Path(ps.root))
    out = []
    if table.events:
        out.append(SourceSpec("events", table.events, table.where.get("events", "me.toml")))
    if table.fritzbox:
        out.append(SourceSpec("fritzbox", table.fritzbox,
                              table.where.get("fritzbox", "me.toml")))
    if table.kdeconnect:
        out.append(SourceSpec("kdeconnect", "", table.where.get("kdeconnect", "me.toml")))
    return out


def open_sources(specs: list[SourceSpec], ps: PolicySet, *, clock: Callable[[], datetime],
                 on_state: StateHook | None = None) -> list[Any]:
    """Each source opened, to iterate with `async for` (CallEvents); `on_state` hears how
    each is doing. SourceError for one that cannot be opened (those opened before it are
    closed again)."""
    from boundaries.core.time import zone

    tz = zone(ps.me.timezone)
    opened: list[Any] = []
    try:
        for spec in specs:
            opened.append(_open(spec, tz, ps.me.region, clock, on_state))
    except BoundariesError as exc:
        for source in opened:
            close = getattr(source, "close", None)
            if close is not None:
                close()
        raise SourceError(f"{specs[len(opened)].origin}: {exc}", exc.hint) from None
    return opened


def _open(spec: SourceSpec, tz, region: str | None, clock: Callable[[], datetime],
          on_state: StateHook | None) -> Any:
    if spec.kind == "events":
        from boundaries.sources.calls.events import open_events

        return open_events(spec.value, clock=clock, tz=tz, on_state=on_state)
    if spec.kind == "fritzbox":
        from boundaries.sources.calls.fritzbox import FritzboxMonitor, parse_address

        host, port = parse_address(spec.value)
        return FritzboxMonitor(host, port, tz=tz, region=region, on_state=on_state,
                               clock=clock)
    from boundaries.sources.calls.kdeconnect import watch_kdeconnect

    return watch_kdeconnect(tz=tz, region=region, on_state=on_state)


async def follow(sources: list[AsyncIterable[CallEvent]],
                 on_event: Callable[[Any, CallEvent], None], *,
                 on_tick: Callable[[], None] | None = None, every: float = 5.0) -> None:
    """Every source's events, as they come, to `on_event(source, event)`, until every
    source has ended; `on_tick()` every `every` seconds meanwhile. Cancelling it ends the
    sources (each closes its file or connection). What `on_event` raises ends it too."""
    import asyncio  # here, not at the top: `check` never pays for asyncio
    import contextlib

    async def pump(source: AsyncIterable[CallEvent]) -> None:
        async for event in source:
            on_event(source, event)

    async def ticks() -> None:
        assert on_tick is not None
        while True:
            await asyncio.sleep(every)
            on_tick()

    pumps = [asyncio.create_task(pump(s)) for s in sources]
    ticker = asyncio.create_task(ticks()) if on_tick is not None else None
    try:
        await asyncio.gather(*pumps)
    finally:
        rest = [t for t in (*pumps, ticker) if t is not None and not t.done()]
        for task in rest:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.gather(*rest, return_exceptions=True)


__all__ = ["KINDS", "SourceError", "SourceSpec", "chosen_sources", "follow", "open_sources"]

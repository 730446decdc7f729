"""The event stream (sources.md §8): one JSON object a line, from a file, `-` or a FIFO.

    {"event": "ring", "id": "c17", "from": "+43 664 1234567", "channel": "call", "at": "…"}
    {"event": "connect", "id": "c17"}
    {"event": "end", "id": "c17"}
    {"event": "message", "id": "m3", "from": "+43 664 1234567", "channel": "sms"}
    {"event": "outgoing", "id": "c18", "to": "+43 664 1234567"}

`at` is optional (then: when the line arrived, from the `clock` the caller passes); a time
without an offset is my wall-clock time. `from` empty or absent is a withheld number. `kind`
and `urgency` are optional. A line that cannot be read is skipped and counted (`skips`),
never the end of the stream; a line longer than `max_line` is dropped as it arrives.

How it reads: pipes, FIFOs, terminals and sockets through an asyncio `StreamReader` on the
file descriptor (`loop.connect_read_pipe`), so nothing waits in a thread and cancelling the
reader ends it at once (a thread blocked in `read()` on a FIFO could not be woken); regular
files, which the event loop cannot watch, by plain reads of `CHUNK` bytes with a yield to the
loop between chunks. A FIFO is opened for reading and writing, so it never reaches an end
when a writer closes it: every call of an AGI script can open it, write a line and close it,
and `watch` goes on reading. A regular file or a pipe (`-`) is read to its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import selectors
import stat
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from boundaries.core.calls import EVENTS, CallEvent
from boundaries.core.echo import quoted
from boundaries.core.errors import BoundariesError
from boundaries.core.vocabulary import CHANNELS, KINDS, URGENCIES
from boundaries.policy.timeparse import MAX_YEAR, MIN_YEAR, TimeError, parse_at
from boundaries.sources.calls.lines import CHUNK, MAX_LINE, LineSplitter, Skips
from boundaries.sources.calls.state import SourceState, StateHook

SOURCE = "events"
MAX_ID = 200  # characters of an `id`
MAX_PARTY = 320  # characters of a `from` or `to` (a mail address is at most 320)
_DEFAULT_CHANNEL = {"message": "sms"}  # every other event: "call"


class EventsError(BoundariesError):
    """An event stream that cannot be opened (missing, a folder, not readable): exit 2."""


class LineError(ValueError):
    """A line that is no event; the message says why."""


def parse_event(text: str, *, arrived: datetime, tz: ZoneInfo,
                source: str = SOURCE) -> CallEvent:
    """One line as a `CallEvent`, or LineError. `arrived` is the `at` of a line without one."""
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise LineError("not JSON") from None
    if type(data) is not dict:
        raise LineError("not a JSON object")
    event = data.get("event")
    if event not in EVENTS:
        raise LineError(f"`event` must be one of {', '.join(EVENTS)}, not {_show(event)}")
    source_id = _id(data, event, arrived)
    at = arrived if data.get("at") is None else _at(data["at"], tz, arrived)
    channel = _word(data, "channel", CHANNELS) or _DEFAULT_CHANNEL.get(event, "call")
    party = _party(data, "to" if event == "outgoing" else "from")
    if event == "outgoing" and party is None:
        raise LineError("an outgoing call needs `to`: the number I call")
    return CallEvent(source=source, source_id=source_id, event=event, at=at,
                     from_=party if event != "outgoing" else None,
                     to=party if event == "outgoing" else None, channel=channel,
                     kind=_word(data, "kind", KINDS), urgency=_word(data, "urgency", URGENCIES))


def _id(data: dict, event: str, arrived: datetime) -> str:
    value = data.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and value.strip():
        if len(value) > MAX_ID:
            raise LineError(f"`id` is longer than {MAX_ID} characters")
        return value.strip()
    if value is None and event == "message":
        # a message is one event: without an id it is known by when it came, from whom, how
        at = data.get("at") if isinstance(data.get("at"), str) else arrived.isoformat()
        return f"{at}|{data.get('from') or ''}|{data.get('channel') or ''}"
    if value is None:
        raise LineError(f"a {event} needs an `id`: the one its call's other events name")
    raise LineError(f"`id` must be text or a whole number, not {_show(value)}")


def _at(value: object, tz: ZoneInfo, arrived: datetime) -> datetime:
    if not isinstance(value, str):
        raise LineError(f"`at` must be an ISO 8601 time, not {_show(value)}")
    try:  # the usual form, a time with its offset well inside the supported years, at once
        at = datetime.fromisoformat(value)
    except ValueError:
        at = None
    if at is not None and at.tzinfo is not None and MIN_YEAR < at.year < MAX_YEAR:
        return at.astimezone(tz)
    try:  # every other form, and the errors, as `check --at` reads them
        return parse_at(value, tz, arrived)
    except TimeError as err:
        raise LineError(f"`at`: {err}") from None


def _word(data: dict, key: str, allowed: tuple[str, ...]) -> str | None:
    value = data.get(key)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise LineError(f"`{key}` must be one of {', '.join(allowed)}, not {_show(value)}")
    return value


def _party(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise LineError(f"`{key}` must be text (a number or an address), not {_show(value)}")
    if len(value) > MAX_PARTY:
        raise LineError(f"`{key}` is longer than {MAX_PARTY} characters")
    return value.strip() or None


def _show(value: object) -> str:
    if isinstance(value, str):
        return quoted(value, 40)
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "a list"
    return quoted(json.dumps(value), 40)


def open_events(path: str | Path, *, clock: Callable[[], datetime], tz: ZoneInfo,
                source: str = SOURCE, on_state: StateHook | None = None,
                max_line: int = MAX_LINE, chunk: int = CHUNK) -> EventStream:
    """The event stream at `path` (`-`: standard input), opened now (EventsError if it
    cannot be); iterate it with `async for`. `clock()` gives the time a line arrived."""
    name = str(path)
    try:
        if name == "-":
            fd = os.dup(0)
        else:
            mode = os.stat(name).st_mode
            if stat.S_ISDIR(mode):
                raise EventsError(f"{name}: is a folder, not an event stream",
                                  "give a file, a FIFO (mkfifo) or `-` for standard input")
            flags = os.O_RDWR if stat.S_ISFIFO(mode) else os.O_RDONLY
            fd = os.open(name, flags | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        raise EventsError(f"{name}: cannot open the event stream: {err.strerror or err}",
                          "give a file, a FIFO (mkfifo) or `-` for standard input") from None
    return EventStream(fd, name, clock=clock, tz=tz, source=source, on_state=on_state,
                       max_line=max_line, chunk=chunk)


class EventStream:
    """An open event stream: `async for event in stream`. `skips` counts the lines it left
    out (and why the last one), `splitter.buffered` is the unfinished line it holds."""

    def __init__(self, fd: int, name: str, *, clock: Callable[[], datetime], tz: ZoneInfo,
                 source: str = SOURCE, on_state: StateHook | None = None,
                 max_line: int = MAX_LINE, chunk: int = CHUNK) -> None:
        self._fd: int | None = fd
        self.name = name
        self.source = source
        self._clock = clock
        self._tz = tz
        self._on_state = on_state
        self._chunk = chunk
        self.splitter = LineSplitter(max_line)
        self.skips = Skips()
        self.events = 0
        self.state = SourceState(f"{source} {name}", "reading")

    def __aiter__(self) -> AsyncIterator[CallEvent]:
        return self._run()

    def close(self) -> None:
        """Close the file descriptor (iteration does this itself when it ends)."""
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    async def _run(self) -> AsyncIterator[CallEvent]:
        if self._fd is None:
            return
        fd = self._fd
        state, detail = "stopped", ""  # unless it reaches its end: closed or cancelled
        self._report("reading")
        try:
            chunks = (_pipe_chunks(fd, self._chunk) if _watchable(fd)
                      else _file_chunks(fd, self._chunk))
            async with contextlib.aclosing(chunks):
                async for data in chunks:
                    for line in self.splitter.feed(data):
                        event = self._event(line.number, line.data)
                        if event is not None:
                            yield event
            for line in self.splitter.finish():
                event = self._event(line.number, line.data)
                if event is not None:
                    yield event
            state, detail = "ended", "end of input"
        except OSError as err:
            state, detail = "ended", f"cannot read: {err.strerror or err}"
        finally:
            self.close()
            self._report(state, detail)

    def _event(self, number: int, data: bytes | None) -> CallEvent | None:
        if data is None:
            self.skips.add(number, f"longer than {self.splitter.max_line:,} bytes")
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.skips.add(number, "not UTF-8")
            return None
        if not text.strip():
            return None  # a blank line is no event, and nothing wrong
        try:
            event = parse_event(text, arrived=self._clock(), tz=self._tz, source=self.source)
        except LineError as err:
            self.skips.add(number, str(err))
            return None
        self.events += 1
        return event

    def _report(self, state: str, detail: str = "") -> None:
        self.state = SourceState(f"{self.source} {self.name}", state, detail)
        if self._on_state is not None:
            self._on_state(self.state)


def _watchable(fd: int) -> bool:
    """Whether the event loop can wait on `fd` (a pipe, FIFO, terminal, socket); a regular
    file or `/dev/null` cannot be watched (epoll refuses them) and is read straight."""
    if stat.S_ISREG(os.fstat(fd).st_mode):
        return False
    with selectors.DefaultSelector() as probe:
        try:
            probe.register(fd, selectors.EVENT_READ)
        except (OSError, ValueError):
            return False
    return True


async def _file_chunks(fd: int, size: int) -> AsyncIterator[bytes]:
    """A regular file in chunks, yielding to the event loop between them."""
    while True:
        data = os.read(fd, size)
        if not data:
            return
        yield data
        await asyncio.sleep(0)


async def _pipe_chunks(fd: int, size: int) -> AsyncIterator[bytes]:
    """A pipe, FIFO, terminal or socket through an asyncio StreamReader; its own buffer is
    bounded by its `limit` (the transport pauses reading beyond twice that)."""
    loop = asyncio.get_running_loop()
    blocking = os.get_blocking(fd)  # the description may be shared (stdin): put it back
    reader = asyncio.StreamReader(limit=size, loop=loop)
    # the transport owns (and closes) a file object of its own on a duplicate of `fd`
    pipe = os.fdopen(os.dup(fd), "rb", buffering=0)
    transport, _ = await loop.connect_read_pipe(
        lambda: asyncio.StreamReaderProtocol(reader, loop=loop), pipe)
    try:
        while True:
            data = await reader.read(size)
            if not data:
                return
            yield data
    finally:
        transport.close()
        with contextlib.suppress(OSError):
            os.set_blocking(fd, blocking)

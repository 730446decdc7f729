"""The FRITZ!Box call monitor (sources.md §8): TCP port 1012, one line per call event.

    08.01.26 18:20:05;RING;0;06641234567;732123456;SIP0;      a call to me (CALLER, CALLEE, LINE)
    08.01.26 18:21:00;CALL;1;10;732123456;06641234567;SIP0;  my own call (EXT, CALLER, CALLEE)
    08.01.26 18:20:11;CONNECT;0;10;06641234567;              answered (EXT, NUMBER)
    08.01.26 18:26:40;DISCONNECT;0;389;                      ended (SECONDS talked)

Lines end in CRLF as the box sends them (a lone LF is read too). Times are the box's wall
clock, which is mine: read in my timezone; a box that lost its clock writes `01.01.70 …`,
and such a line's time is when it arrived. Numbers are as the box dials them, national
(`0732…`, `0664…`) or international (`0049…`): normalised to E.164 with my region; an empty
CALLER is a withheld number; internal numbers (`**610`) stay as written.

The box numbers its connections 0, 1, 2… and uses them again for the next calls, so a
call's source id is the connection id and the time of its RING or CALL line
(`0@2026-01-08T18:20:05`): two calls on connection 0 are two calls, the same RING line
sent again after a reconnect is the same call. CONNECT and DISCONNECT name only the
connection; `FritzboxCalls` remembers which call it is.

Why not fritzconnection's `FritzMonitor`: it reads in a thread into a `queue.Queue` (an
asyncio app would poll the queue or need a second thread), raises if the box is unreachable
at start, gives up after ten reconnects, and holds a line without a newline without bound.
What is needed here is small: an asyncio connection, bounded lines (`lines.LineSplitter`),
and a reconnect loop that never ends — `FritzboxMonitor`.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, tzinfo
from typing import NamedTuple

from boundaries.core.calls import CallEvent
from boundaries.core.echo import quoted
from boundaries.core.errors import BoundariesError
from boundaries.policy.phones import normalise
from boundaries.sources.calls.lines import MAX_LINE, Line, LineSplitter, Skips
from boundaries.sources.calls.state import RetryingSource, SourceState, StateHook

DEFAULT_PORT = 1012
SOURCE = "fritzbox"
WHAT = ("RING", "CALL", "CONNECT", "DISCONNECT")
_FIELDS = {"RING": 5, "CALL": 6, "CONNECT": 5, "DISCONNECT": 4}  # fields a line needs
_DIALLED = re.compile(r"\+?[0-9]+")
_TIME = re.compile(r"([0-9]{2})\.([0-9]{2})\.([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2})")
_COUNT = re.compile(r"[0-9]{1,9}")  # a connection id, a duration: ASCII digits only
LOST_CLOCK_BEFORE = 2000  # a box time before this year is a clock lost, not a call's time


class FritzboxError(BoundariesError):
    """A `--fritzbox` address that cannot be one (`HOST`, `HOST:PORT`, `[IPv6]:PORT`)."""


class LineError(ValueError):
    """A line that is no call monitor event; the message says why."""


class MonitorLine(NamedTuple):
    """One line as the box wrote it."""

    at: datetime  # the box's wall clock, in my timezone
    what: str  # RING | CALL | CONNECT | DISCONNECT
    connection: str  # the box's connection id (reused for later calls)
    number: str  # RING: the caller; CALL: whom I call; CONNECT: the other end; else ""
    seconds: int | None = None  # DISCONNECT: how long it was connected


def parse_address(text: str) -> tuple[str, int]:
    """`fritz.box` -> ("fritz.box", 1012); `192.168.178.1:1012`, `[fe80::1]:1012`, `fe80::1`."""
    raw = text.strip()
    hint = "give the box's name or address, e.g. `fritz.box` or `192.168.178.1:1012`"
    host, port = raw, str(DEFAULT_PORT)
    if raw.startswith("["):
        inside, sep, rest = raw[1:].partition("]")
        if not sep or (rest and not rest.startswith(":")):
            raise FritzboxError(f"{quoted(raw)} is not an address", hint)
        host, port = inside, rest[1:] or port
    elif raw.count(":") == 1:
        host, port = raw.split(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise FritzboxError(f"{quoted(raw)} is not an address with a port from 1 to 65535",
                            hint)
    return host, int(port)


def parse_monitor_line(text: str, tz: tzinfo) -> MonitorLine:
    """One call monitor line (without its line end), or LineError."""
    fields = text.split(";")
    if len(fields) < 3:
        raise LineError("not a call monitor line (fields separated by `;`)")
    what = fields[1]
    if what not in WHAT:
        raise LineError(f"unknown event {quoted(what, 20)}: not {', '.join(WHAT)}")
    if len(fields) < _FIELDS[what]:
        raise LineError(f"a {what} line has {_FIELDS[what]} fields, this one {len(fields)}")
    at = _box_time(fields[0], tz)
    connection = fields[2]
    if not _COUNT.fullmatch(connection):
        raise LineError(f"connection id {quoted(connection, 20)} is not a number")
    if what == "DISCONNECT":
        seconds = fields[3]
        if not _COUNT.fullmatch(seconds):
            raise LineError(f"duration {quoted(seconds, 20)} is not a number of seconds")
        return MonitorLine(at, what, connection, "", int(seconds))
    number = {"RING": fields[3], "CALL": fields[5], "CONNECT": fields[4]}[what].strip()
    return MonitorLine(at, what, connection, number)


def _box_time(text: str, tz: tzinfo) -> datetime:
    """`08.01.26 18:20:05` in my timezone; YY 00–69 is 20YY, 70–99 is 19YY: a box that lost
    its clock (after a power cut, until it reaches a time server) counts from `01.01.70
    00:00:00`, which is 1970, not 2070 (`FritzboxCalls` puts the arrival time in its place)."""
    m = _TIME.fullmatch(text)
    try:
        if m is None:
            raise ValueError(text)
        day, month, year, hour, minute, second = map(int, m.groups())
        century = 1900 if year >= 70 else 2000
        return datetime(century + year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        raise LineError(f"{quoted(text, 30)} is not a time DD.MM.YY HH:MM:SS") from None


def party(number: str, region: str | None) -> str | None:
    """The box's number as E.164 where it is one (`0664…`, `0049…`, with my region), None
    when withheld (empty), else as written (`**610`, an internal number)."""
    if not number:
        return None
    if _DIALLED.fullmatch(number) and number[0] in "+0":
        return normalise(number, region) or number
    return number


class FritzboxCalls:
    """Monitor lines into `CallEvent`s: which call each connection id belongs to now.

    A line whose time shows the box's clock lost (before LOST_CLOCK_BEFORE: `01.01.70`) has
    the time it `arrived` as its event's time; its call's source id keeps the box's own time,
    so the same line sent again after a reconnect is still the same call."""

    def __init__(self, *, region: str | None, source: str = SOURCE) -> None:
        self.region = region
        self.source = source
        self._open: dict[str, str] = {}  # connection id -> source id of its RING/CALL

    def event(self, line: MonitorLine, arrived: datetime | None = None) -> CallEvent | None:
        """The event `line` reports (at `arrived`, in my timezone, when the box's clock is
        lost); None for a CONNECT or DISCONNECT of a call that began before I was listening
        (its caller is unknown)."""
        at = line.at
        if at.year < LOST_CLOCK_BEFORE and arrived is not None:
            at = arrived.astimezone(line.at.tzinfo)
        if line.what in ("RING", "CALL"):
            source_id = f"{line.connection}@{line.at.replace(tzinfo=None).isoformat()}"
            self._open.pop(line.connection, None)
            self._open[line.connection] = source_id  # newest last
            if len(self._open) > 1000:  # the box has a handful; a stranger could send more
                del self._open[next(iter(self._open))]
            who = party(line.number, self.region)
            if line.what == "RING":
                return CallEvent(self.source, source_id, "ring", at, from_=who)
            return CallEvent(self.source, source_id, "outgoing", at, to=who)
        source_id = self._open.get(line.connection)
        if source_id is None:
            return None
        if line.what == "CONNECT":
            return CallEvent(self.source, source_id, "connect", at)
        del self._open[line.connection]
        return CallEvent(self.source, source_id, "end", at, seconds=line.seconds)


Sleep = Callable[[float], Awaitable[object]]


def _now() -> datetime:
    return datetime.now(UTC)


class FritzboxMonitor(RetryingSource):
    """`async for event in FritzboxMonitor(...)`: connects, yields events, and when the box
    refuses, drops or does not answer, says so (`state`, `on_state`) and tries again after
    `first_delay`, doubling to `max_delay`. It never raises and never ends by itself;
    cancelling the task that iterates it closes the connection and ends it."""

    def __init__(self, host: str, port: int = DEFAULT_PORT, *, tz: tzinfo,
                 region: str | None, source: str = SOURCE, on_state: StateHook | None = None,
                 first_delay: float = 1.0, max_delay: float = 60.0,
                 connect_timeout: float = 10.0, stable_after: float = 60.0,
                 sleep: Sleep = asyncio.sleep, max_line: int = MAX_LINE,
                 chunk: int = 4096, clock: Callable[[], datetime] = _now) -> None:
        self.host, self.port = host, port
        self._tz = tz
        self.calls = FritzboxCalls(region=region, source=source)
        self._on_state = on_state
        self.first_delay, self.max_delay = first_delay, max_delay
        self.connect_timeout = connect_timeout
        self.stable_after = stable_after  # a connection up this long resets the delay
        self._sleep = sleep
        self._clock = clock  # when a line arrived: the time of a line from a lost clock
        self._chunk = chunk
        self.splitter = LineSplitter(max_line)
        self.skips = Skips()
        self.unmatched = 0  # CONNECT/DISCONNECT lines of calls that began before I listened
        self.connections = 0  # how often it connected
        self._understood = False  # whether the last line was a call monitor line
        self.name = f"{source} {host}:{port}" if ":" not in host else f"{source} [{host}]:{port}"
        self.state = SourceState(self.name, "connecting")

    def __aiter__(self) -> AsyncIterator[CallEvent]:
        return self._run()

    async def _run(self) -> AsyncIterator[CallEvent]:
        loop = asyncio.get_running_loop()
        delay = self.first_delay
        try:
            while True:
                self._report("connecting")
                reason, useful, started = "", False, loop.time()
                try:
                    # asyncio.timeout, not wait_for: 3.11's wait_for loses a cancel that
                    # comes as the connection fails, and the loop would go on forever
                    async with asyncio.timeout(self.connect_timeout):
                        reader, writer = await asyncio.open_connection(
                            self.host, self.port, limit=self._chunk)
                except (OSError, ValueError) as err:
                    reason = self._reason(err)
                else:
                    self.connections += 1
                    _keepalive(writer)
                    self._report("connected")
                    try:
                        while True:
                            data = await reader.read(self._chunk)
                            if not data:
                                reason = "the box closed the connection"
                                break
                            for line in self.splitter.feed(data):
                                event = self._event(line)
                                useful = useful or self._understood
                                if event is not None:
                                    yield event
                    except OSError as err:
                        reason = self._reason(err)
                    finally:
                        writer.close()
                    if self.splitter.discard():
                        self.skips.add(self.splitter.lines + 1, "cut off by the dropped "
                                       "connection")
                    if useful or loop.time() - started >= self.stable_after:
                        delay = self.first_delay
                delay = await self._retry(reason, delay)
        finally:
            self._report("stopped")

    def _event(self, line: Line) -> CallEvent | None:
        self._understood = False
        if line.data is None:
            self.skips.add(line.number, f"longer than {self.splitter.max_line:,} bytes")
            return None
        try:
            parsed = parse_monitor_line(line.data.decode("utf-8"), self._tz)
        except UnicodeDecodeError:
            self.skips.add(line.number, "not UTF-8")
            return None
        except LineError as err:
            if line.data.strip():
                self.skips.add(line.number, str(err))
            return None
        self._understood = True
        event = self.calls.event(parsed, self._clock())
        if event is None:
            self.unmatched += 1
        return event

    def _reason(self, err: BaseException) -> str:
        if isinstance(err, ConnectionRefusedError):
            return "connection refused (is the call monitor on? dial #96*5*)"
        if isinstance(err, socket.gaierror):
            return f"cannot find {self.host}: {err.strerror or err}"
        if isinstance(err, TimeoutError) and err.errno is None:  # the timeout's, not a socket's
            return f"no answer in {self.connect_timeout:g} s"
        if isinstance(err, ConnectionResetError):
            return "the connection was reset"
        if isinstance(err, OSError):
            return err.strerror or str(err) or type(err).__name__
        return f"cannot connect to {quoted(self.host, 40)}: {err}"



def watch_fritzbox(host: str, port: int = DEFAULT_PORT, *, tz: tzinfo, region: str | None,
                   **options: object) -> FritzboxMonitor:
    """The call monitor at `host:port`, to iterate with `async for` (see FritzboxMonitor)."""
    return FritzboxMonitor(host, port, tz=tz, region=region, **options)  # type: ignore[arg-type]


def _keepalive(writer: asyncio.StreamWriter) -> None:
    """TCP keepalive, so a box that restarts without closing the connection is noticed in
    about two minutes rather than never (the monitor is silent between calls)."""
    sock = writer.get_extra_info("socket")
    if sock is None:
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in (("TCP_KEEPIDLE", 60), ("TCP_KEEPINTVL", 15), ("TCP_KEEPCNT", 4)):
            if hasattr(socket, name):
                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)

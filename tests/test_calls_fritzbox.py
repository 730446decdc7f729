"""The FRITZ!Box call monitor (sources/calls/fritzbox.py, sources.md §8), against a stand-in
box: a real asyncio TCP server on 127.0.0.1 that writes the box's lines (CRLF), drops the
connection and repeats lines. Delays are injected, so reconnecting takes no real time."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from boundaries.core.calls import CallBook
from boundaries.sources.calls.fritzbox import (
    DEFAULT_PORT,
    FritzboxCalls,
    FritzboxError,
    FritzboxMonitor,
    LineError,
    MonitorLine,
    parse_address,
    parse_monitor_line,
    party,
    watch_fritzbox,
)

DATA = Path(__file__).parent / "data" / "calls"
VIENNA = ZoneInfo("Europe/Vienna")
TIMEOUT = 10


class StandIn:
    """A call monitor: connection n writes `scripts[n]` (lines, CRLF added), then closes it
    if the script ends with CLOSE, else holds it open until the client goes."""

    CLOSE = object()
    RESET = object()  # close with a TCP reset, as a box that restarts may

    def __init__(self, scripts: list[list]) -> None:
        self.scripts = scripts
        self.connections = 0
        self.gone = asyncio.Event()  # a held connection saw the client close it
        self.server: asyncio.Server | None = None

    async def start(self, sock: socket.socket | None = None) -> int:
        if sock is not None:
            self.server = await asyncio.start_server(self._handle, sock=sock)
        else:
            self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        n = self.connections
        self.connections += 1
        script = self.scripts[n] if n < len(self.scripts) else []
        for item in script:
            if item is StandIn.CLOSE:
                writer.close()
                return
            if item is StandIn.RESET:
                writer.transport.abort()
                return
            writer.write(item if isinstance(item, bytes) else item.encode() + b"\r\n")
            await writer.drain()
        await reader.read()  # held open until the client closes its end
        self.gone.set()
        writer.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


class Delays:
    """The injected sleep: records each delay, and lets the loop run once."""

    def __init__(self, on_sleep=None) -> None:
        self.seen: list[float] = []
        self.on_sleep = on_sleep

    async def __call__(self, delay: float) -> None:
        self.seen.append(delay)
        if self.on_sleep is not None:
            await self.on_sleep(len(self.seen))
        await asyncio.sleep(0)


def monitor(port: int, **kw) -> FritzboxMonitor:
    kw.setdefault("sleep", Delays())
    return FritzboxMonitor("127.0.0.1", port, tz=VIENNA, region="AT", **kw)


async def take(mon: FritzboxMonitor, n: int) -> list:
    """The first `n` events, then stop the monitor (the consumer cancels it)."""
    async def run():
        out = []
        async for event in mon:
            out.append(event)
            if len(out) == n:
                return out
        return out

    return await asyncio.wait_for(run(), TIMEOUT)


def fixture_lines() -> list[str]:
    return (DATA / "fritzbox-monitor.txt").read_bytes().decode().split("\r\n")[:-1]


async def test_a_day_of_calls_answered_missed_withheld_and_my_own():
    box = StandIn([fixture_lines()])
    port = await box.start()
    try:
        events = await take(monitor(port), 12)
    finally:
        await box.close()
    book = CallBook()
    steps = [book.feed(e) for e in events]
    assert [s.kind for s in steps] == [
        "ring", "connected", "finished", "ring", "finished", "ring", "finished",
        "dialing", "connected", "finished", "ring", "finished"]
    done = [(s.call.source_id, s.call.direction, s.call.party, s.call.outcome, s.call.minutes)
            for s in steps if s.kind == "finished"]
    assert done == [
        ("0@2026-01-08T18:20:05", "in", "+436641234567", "answered", 7),  # 6 min 29 s
        ("0@2026-01-08T18:30:00", "in", "+43732987654", "missed", 0),  # id 0 again: a new call
        ("1@2026-01-08T18:40:00", "in", None, "missed", 0),  # an empty CALLER: withheld
        ("2@2026-01-08T19:00:00", "out", "+436641234567", "answered", 3),  # my call, 2:21
        ("0@2026-01-08T19:10:00", "in", "+49301234567", "missed", 0),  # 0049…: Germany
    ]
    dialing = steps[7]
    assert [c.source_id for c in dialing.called_back] == ["0@2026-01-08T18:20:05"]
    assert events[0].at == datetime(2026, 1, 8, 18, 20, 5, tzinfo=VIENNA)
    assert events[2].seconds == 389


async def test_a_dropped_connection_is_retried_and_its_replayed_lines_are_one_call():
    ring = "08.01.26 18:20:05;RING;0;06641234567;732123456;SIP0;"
    connect = "08.01.26 18:20:11;CONNECT;0;10;06641234567;"
    end = "08.01.26 18:22:11;DISCONNECT;0;120;"
    box = StandIn([[ring, connect, StandIn.CLOSE], [ring, connect, end]])
    port = await box.start()
    states = []
    delays = Delays()
    try:
        events = await take(monitor(port, on_state=states.append, sleep=delays), 5)
    finally:
        await box.close()
    book = CallBook()
    kinds = [book.feed(e).kind for e in events]
    assert kinds == ["ring", "connected", "duplicate", "duplicate", "finished"]
    assert [(s.state, s.detail) for s in states] == [
        ("connecting", ""), ("connected", ""),
        ("retrying", "the box closed the connection"),
        ("connecting", ""), ("connected", ""), ("stopped", "")]
    assert states[2].describe() == (f"fritzbox 127.0.0.1:{port}: retrying in 1 s: "
                                    "the box closed the connection")
    assert delays.seen == [1.0]
    assert box.connections == 2


async def test_a_reset_connection_is_retried_too():
    ring = "08.01.26 18:20:05;RING;0;;1;SIP0;"
    box = StandIn([[ring, StandIn.RESET], ["08.01.26 18:20:09;DISCONNECT;0;0;"]])
    port = await box.start()
    states = []
    try:
        events = await take(monitor(port, on_state=states.append), 2)
    finally:
        await box.close()
    assert [e.event for e in events] == ["ring", "end"]  # the box's id 0 is still that call
    assert [s.detail for s in states if s.state == "retrying"] in (
        ["the connection was reset"], ["the box closed the connection"])


async def test_the_same_call_twice_on_one_connection_is_one_call():
    lines = fixture_lines()[:3]
    box = StandIn([lines + lines])
    port = await box.start()
    try:
        events = await take(monitor(port), 4)  # the replayed DISCONNECT names no open call
    finally:
        await box.close()
    book = CallBook()
    assert [book.feed(e).kind for e in events] == ["ring", "connected", "finished",
                                                    "duplicate"]


async def test_garbage_and_overlong_lines_are_skipped_and_counted():
    ring = "08.01.26 18:20:05;RING;0;06641234567;732123456;SIP0;"
    box = StandIn([[
        "hello, this is no call monitor", "08.01.26 18:20:05;HANGUP;0;",
        "32.13.26 25:00:00;RING;0;;1;SIP0;",
        b"\xff\xfe;RING\r\n", b"9" * 200_000 + b"\r\n", "", ring]])
    port = await box.start()
    mon = monitor(port, max_line=1024)
    try:
        events = await take(mon, 1)
    finally:
        await box.close()
    assert [e.event for e in events] == ["ring"]
    assert mon.skips.count == 5  # the empty line is no event, and nothing wrong
    assert mon.skips.last == "line 5: longer than 1,024 bytes"
    assert mon.splitter.max_buffered <= 1025


async def test_unreachable_at_start_then_the_box_comes_up():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
    port = sock.getsockname()[1]
    box = StandIn([["08.01.26 18:20:05;RING;0;;732123456;SIP0;"]])

    async def box_comes_up(tries: int) -> None:
        if tries == 2:
            await box.start(sock)

    states = []
    delays = Delays(box_comes_up)
    try:
        events = await take(monitor(port, on_state=states.append, sleep=delays), 1)
    finally:
        await box.close()
    assert events[0].event == "ring" and events[0].from_ is None
    retrying = [s for s in states if s.state == "retrying"]
    assert [s.detail for s in retrying] == [
        "connection refused (is the call monitor on? dial #96*5*)"] * 2
    assert [s.retry_in for s in retrying] == [1.0, 2.0]
    assert states[-2:] == [states[-2]._replace(state="connected"), states[-1]]
    assert states[-1].state == "stopped"


async def test_backoff_doubles_to_a_cap_and_never_gives_up():
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    enough = asyncio.Event()

    async def count(tries: int) -> None:
        if tries == 10:
            enough.set()

    mon = monitor(port, sleep=Delays(count))
    task = asyncio.create_task(take(mon, 1))
    await asyncio.wait_for(enough.wait(), TIMEOUT)
    assert not task.done()  # ten refusals: still trying
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    sock.close()
    assert mon._sleep.seen[:10] == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0, 60.0, 60.0]
    assert mon.state.state == "stopped"


async def test_a_connection_that_brought_lines_resets_the_delay():
    ring = "08.01.26 18:20:05;RING;0;;1;SIP0;"
    box = StandIn([[StandIn.CLOSE], [StandIn.CLOSE], [ring, StandIn.CLOSE], [StandIn.CLOSE],
                   ["08.01.26 18:30:05;RING;1;;1;SIP0;"]])
    port = await box.start()
    mon = monitor(port)
    try:
        await take(mon, 2)
    finally:
        await box.close()
    assert mon._sleep.seen == [1.0, 2.0, 1.0, 2.0]


async def test_cancelling_closes_the_connection():
    box = StandIn([[]])
    port = await box.start()
    connected = asyncio.Event()
    mon = monitor(port, on_state=lambda s: s.state == "connected" and connected.set())
    task = asyncio.create_task(take(mon, 1))
    try:
        await asyncio.wait_for(connected.wait(), TIMEOUT)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await asyncio.wait_for(box.gone.wait(), TIMEOUT)  # the box saw it close
    finally:
        await box.close()
    assert mon.state.state == "stopped"


def test_reasons_a_user_can_act_on():
    """Without asking a name server (no network beyond loopback in tests): the words."""
    mon = watch_fritzbox("fritz.box", tz=VIENNA, region="AT", connect_timeout=5)
    assert mon._reason(socket.gaierror(-2, "Name or service not known")) == (
        "cannot find fritz.box: Name or service not known")
    assert mon._reason(TimeoutError()) == "no answer in 5 s"
    assert mon._reason(TimeoutError(110, "Connection timed out")) == "Connection timed out"
    assert mon._reason(ConnectionResetError(104, "reset")) == "the connection was reset"
    assert mon._reason(OSError(113, "No route to host")) == "No route to host"
    assert mon._reason(UnicodeError("label empty or too long")) == (
        "cannot connect to `fritz.box`: label empty or too long")


def test_watch_fritzbox_is_the_monitor_with_its_defaults():
    mon = watch_fritzbox("fritz.box", tz=VIENNA, region="AT")
    assert (mon.host, mon.port, mon.first_delay, mon.max_delay) == ("fritz.box", 1012, 1, 60)
    assert mon.state.describe() == "fritzbox fritz.box:1012: connecting"


# --- lines ---------------------------------------------------------------------------------

def test_parse_the_four_lines():
    ring = parse_monitor_line("08.01.26 18:20:05;RING;0;06641234567;732123456;SIP0;", VIENNA)
    assert ring == MonitorLine(datetime(2026, 1, 8, 18, 20, 5, tzinfo=VIENNA), "RING", "0",
                               "06641234567")
    call = parse_monitor_line("08.01.26 19:00:00;CALL;2;10;732123456;0732987654;SIP0;", VIENNA)
    assert (call.what, call.connection, call.number) == ("CALL", "2", "0732987654")
    connect = parse_monitor_line("08.01.26 19:00:09;CONNECT;2;10;0732987654;", VIENNA)
    assert (connect.what, connect.number) == ("CONNECT", "0732987654")
    end = parse_monitor_line("08.01.26 19:02:30;DISCONNECT;2;141;", VIENNA)
    assert (end.what, end.seconds) == ("DISCONNECT", 141)
    summer = parse_monitor_line("15.07.26 09:00:00;RING;0;;1;SIP0;", VIENNA)
    assert summer.at.utcoffset() == timedelta(hours=2)  # the box's clock is my wall clock


@pytest.mark.parametrize(("line", "reason"), [
    ("hello", "not a call monitor line"),
    ("08.01.26 18:20:05;HANGUP;0;", "unknown event `HANGUP`"),
    ("08.01.26 18:20:05;RING;0;0664", "a RING line has 5 fields, this one 4"),
    ("31.02.26 18:20:05;RING;0;;1;SIP0;", "`31.02.26 18:20:05` is not a time"),
    ("08.01.26 18:20:05;RING;x;;1;SIP0;", "connection id `x` is not a number"),
    ("08.01.26 18:20:05;DISCONNECT;0;-5;", "duration `-5` is not a number of seconds"),
    ("08.01.26 18:20:05;DISCONNECT;0;²;", "duration `²` is not a number of seconds"),
    ("08.01.26 18:20:05;DISCONNECT;٣;5;", "connection id `٣` is not a number"),
    ("٠٨.01.26 18:20:05;RING;0;;1;SIP0;", "is not a time DD.MM.YY HH:MM:SS"),
])
def test_parse_refuses_with_a_reason(line, reason):
    with pytest.raises(LineError) as err:
        parse_monitor_line(line, VIENNA)
    assert reason in str(err.value)


@pytest.mark.parametrize(("number", "region", "want"), [
    ("0732123456", "AT", "+43732123456"),
    ("06641234567", "AT", "+436641234567"),
    ("0049301234567", "AT", "+49301234567"),
    ("00436641234567", "DE", "+436641234567"),
    ("030123456", "DE", "+4930123456"),
    ("06641234567", None, "06641234567"),  # no region: as written
    ("", "AT", None),  # withheld
    ("**610", "AT", "**610"),  # an internal number
    ("611", "AT", "611"),
])
def test_numbers_normalised_with_my_region(number, region, want):
    assert party(number, region) == want


def test_the_source_id_is_the_connection_and_the_time_of_its_ring():
    calls = FritzboxCalls(region="AT")
    first = calls.event(parse_monitor_line("08.01.26 18:20:05;RING;0;;1;SIP0;", VIENNA))
    assert first.source_id == "0@2026-01-08T18:20:05" and first.source == "fritzbox"
    assert calls.event(parse_monitor_line("08.01.26 18:20:09;DISCONNECT;0;0;", VIENNA)
                       ).source_id == first.source_id
    # a CONNECT or DISCONNECT of a call that began before I listened: nothing to say
    assert calls.event(parse_monitor_line("08.01.26 18:21:00;DISCONNECT;3;40;", VIENNA)) is None


@given(st.integers(0, 99))
def test_two_digit_years_are_1970_to_2069(yy):
    line = parse_monitor_line(f"01.01.{yy:02d} 00:00:07;RING;0;;1;SIP0;", VIENNA)
    assert line.at.year == (1900 if yy >= 70 else 2000) + yy


def test_a_box_that_lost_its_clock_gives_the_arrival_time():
    """After a power cut the box counts from 01.01.70 until it finds a time server: the
    call is at the time its line arrived, and the same line again is the same call."""
    calls = FritzboxCalls(region="AT")
    arrived = datetime(2026, 1, 8, 18, 20, 30, tzinfo=ZoneInfo("UTC"))
    line = parse_monitor_line("01.01.70 00:03:12;RING;0;06641234567;1;SIP0;", VIENNA)
    assert line.at == datetime(1970, 1, 1, 0, 3, 12, tzinfo=VIENNA)
    ring = calls.event(line, arrived)
    assert ring.at == arrived and ring.at.tzinfo is VIENNA
    assert ring.source_id == "0@1970-01-01T00:03:12"
    later = arrived + timedelta(seconds=40)
    end = calls.event(parse_monitor_line("01.01.70 00:03:52;DISCONNECT;0;0;", VIENNA), later)
    assert (end.at, end.source_id) == (later, ring.source_id)
    assert calls.event(line, later).source_id == ring.source_id  # sent again: one call
    # a box whose clock is right keeps its own time, whatever the arrival
    good = calls.event(parse_monitor_line("08.01.26 18:20:05;RING;1;;1;SIP0;", VIENNA), later)
    assert good.at == datetime(2026, 1, 8, 18, 20, 5, tzinfo=VIENNA)


async def test_the_monitor_takes_a_lost_clocks_lines_at_their_arrival():
    box = StandIn([["01.01.70 00:00:41;RING;0;06641234567;732123456;SIP0;"]])
    port = await box.start()
    now = datetime(2026, 1, 8, 17, 20, 5, tzinfo=ZoneInfo("UTC"))
    mon = monitor(port, clock=lambda: now)
    try:
        (event,) = await take(mon, 1)
    finally:
        await box.close()
    assert event.event == "ring" and event.at == now and event.from_ == "+436641234567"


def test_open_connections_are_bounded():
    calls = FritzboxCalls(region="AT")
    for i in range(5000):
        calls.event(MonitorLine(datetime(2026, 1, 8, tzinfo=VIENNA), "RING", str(i), ""))
    assert len(calls._open) == 1000
    assert calls.event(MonitorLine(datetime(2026, 1, 8, tzinfo=VIENNA), "DISCONNECT", "4999",
                                   "", 0)) is not None


@pytest.mark.parametrize(("text", "want"), [
    ("fritz.box", ("fritz.box", DEFAULT_PORT)),
    ("192.168.178.1:1012", ("192.168.178.1", 1012)),
    (" fritz.box:2012 ", ("fritz.box", 2012)),
    ("[fe80::1]:1012", ("fe80::1", 1012)),
    ("[fe80::1]", ("fe80::1", DEFAULT_PORT)),
    ("fe80::1", ("fe80::1", DEFAULT_PORT)),
])
def test_parse_address(text, want):
    assert parse_address(text) == want


@pytest.mark.parametrize("text", ["", "fritz.box:", "fritz.box:0", "fritz.box:70000",
                                  "fritz.box:http", "[fe80::1", "[fe80::1]x", ":1012"])
def test_parse_address_refuses(text):
    with pytest.raises(FritzboxError) as err:
        parse_address(text)
    assert "fritz.box" in err.value.hint


_REAL_LINES = ["08.01.26 18:20:05;RING;0;06641234567;732123456;SIP0;",
               "08.01.26 18:20:11;CONNECT;0;10;06641234567;",
               "08.01.26 18:26:40;DISCONNECT;0;389;",
               "08.01.26 19:02:00;CALL;1;11;732123456;06641234567;SIP0;"]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789²٣.:; RINGCALDSOETX#*+"), max_size=80)
       | st.text(max_size=80)
       # real lines with one field changed: the well-formed branch is reached too
       | st.tuples(st.sampled_from(_REAL_LINES), st.integers(0, 6),
                   st.text(alphabet="0123456789", max_size=12)).map(
           lambda t: ";".join(t[2] if i == t[1] else f for i, f in enumerate(t[0].split(";")))))
@example("08.01.26 18:20:05;RING;0;06641234567;732123456;SIP0;")
def test_any_line_is_a_monitor_line_or_a_line_error(text):
    try:
        parsed = parse_monitor_line(text, VIENNA)
    except LineError as err:
        assert str(err)
    else:
        assert parsed.what in ("RING", "CALL", "CONNECT", "DISCONNECT")
        assert parsed.at.tzinfo is VIENNA


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2069, 12, 31, 23, 59)),
       st.integers(0, 99), st.from_regex(r"0[1-9]\d{6,10}", fullmatch=True),
       st.integers(0, 10**6))
def test_written_lines_read_back(at, conn, number, seconds):
    at = at.replace(microsecond=0)
    stamp = at.strftime("%d.%m.%y %H:%M:%S")
    ring = parse_monitor_line(f"{stamp};RING;{conn};{number};732123456;SIP0;", VIENNA)
    assert (ring.at.replace(tzinfo=None), ring.connection, ring.number) == (at, str(conn),
                                                                            number)
    end = parse_monitor_line(f"{stamp};DISCONNECT;{conn};{seconds};", VIENNA)
    assert end.seconds == seconds

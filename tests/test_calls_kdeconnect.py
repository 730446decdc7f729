"""KDE Connect, the mobile (sources/calls/kdeconnect.py, sources.md §8), through a private
session bus: `dbus-daemon` run by the test, and a stand-in kdeconnectd that owns
`org.kde.kdeconnect` and emits the real `callReceived(sss)` signal of the telephony plugin on
its real path and interface (tests/kdeconnect_standin.py). Waits are on the monitor's
states and events, each bounded by TIMEOUT; retry delays are injected."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boundaries.core.calls import CallBook, CallEvent
from boundaries.sources.calls.kdeconnect import (
    KdeConnectCalls,
    KdeConnectMonitor,
    SignalError,
    Telephony,
    caller,
    describe_devices,
    device_of,
    parse_signal,
    session_bus_address,
    watch_kdeconnect,
)
from boundaries.sources.calls.state import SourceState

from .kdeconnect_standin import (
    DBUS_DAEMON,
    SKIP_REASON,
    PrivateBus,
    StandInKdeConnect,
    Stranger,
    private_bus,
)

VIENNA = ZoneInfo("Europe/Vienna")
TIMEOUT = 10
PIXEL = "a1b2c3d4_pixel"
FAIRPHONE = "e5f6a7b8_fp5"
T0 = datetime(2026, 1, 8, 18, 20, 5, tzinfo=VIENNA)

needs_dbus = pytest.mark.skipif(DBUS_DAEMON is None, reason=SKIP_REASON)


class Clock:
    """18:20:05, then a second later at each reading."""

    def __init__(self) -> None:
        self.readings = 0

    def __call__(self) -> datetime:
        self.readings += 1
        return T0 + timedelta(seconds=self.readings - 1)


class Delays:
    """The injected sleep: records each delay; `on_sleep(n)` may act before the next try."""

    def __init__(self, on_sleep: Callable[[int], object] | None = None) -> None:
        self.seen: list[float] = []
        self.on_sleep = on_sleep

    async def __call__(self, delay: float) -> None:
        self.seen.append(delay)
        if self.on_sleep is not None:
            result = self.on_sleep(len(self.seen))
            if asyncio.iscoroutine(result):
                await result
        await asyncio.sleep(0)


class Watching:
    """A monitor iterated in a task: its states and events as they come."""

    def __init__(self, **kw) -> None:
        self.states: asyncio.Queue[SourceState] = asyncio.Queue()
        self.events: asyncio.Queue[CallEvent] = asyncio.Queue()
        self.seen: list[SourceState] = []
        kw.setdefault("clock", Clock())
        kw.setdefault("sleep", Delays())
        self.monitor = KdeConnectMonitor(tz=VIENNA, region="AT", on_state=self._state, **kw)
        self.task: asyncio.Task | None = None

    def _state(self, state: SourceState) -> None:
        self.seen.append(state)
        self.states.put_nowait(state)

    async def __aenter__(self) -> Watching:
        self.task = asyncio.create_task(self._run())
        return self

    async def _run(self) -> None:
        async for event in self.monitor:
            self.events.put_nowait(event)

    async def __aexit__(self, *exc) -> None:
        assert self.task is not None
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(self.task, TIMEOUT)

    async def until(self, state: str, words: str = "") -> SourceState:
        """The next state `state` whose detail has `words`."""
        async def wait() -> SourceState:
            while True:
                got = await self.states.get()
                if got.state == state and words in got.detail:
                    return got
        return await asyncio.wait_for(wait(), TIMEOUT)

    async def event(self) -> CallEvent:
        return await asyncio.wait_for(self.events.get(), TIMEOUT)

    async def events_(self, n: int) -> list[CallEvent]:
        return [await self.event() for _ in range(n)]


@pytest.fixture
def bus() -> Iterator[PrivateBus]:
    """A private session bus (dbus-daemon), stopped and removed after the test."""
    with private_bus() as private:
        yield private


@pytest.fixture(autouse=True)
def _no_user_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    """Never the user's own session bus: each test names the bus it uses."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)


# --- through the private bus ------------------------------------------------------------


@needs_dbus
async def test_a_ring_on_the_phone_rings_with_the_number_in_e164(bus):
    phone = await StandInKdeConnect(bus.address).start()
    try:
        async with Watching(address=bus.address) as w:
            state = await w.until("connected")
            assert state.describe() == ("kdeconnect: connected: 1 paired device (Pixel 7), "
                                        "1 reachable now")
            phone.ring(PIXEL, "0664 1234567", "Anna Gruber")
            ring = await w.event()
    finally:
        await phone.stop()
    assert ring == CallEvent("kdeconnect", f"{PIXEL}:+436641234567@2026-01-08T18:20:05",
                             "ring", T0, from_="+436641234567")
    assert w.monitor.devices == {PIXEL: "Pixel 7"}


@needs_dbus
async def test_a_missed_call_ends_the_ringing_call_missed(bus):
    phone = await StandInKdeConnect(bus.address).start()
    try:
        async with Watching(address=bus.address) as w:
            await w.until("connected")
            phone.ring(PIXEL, "+43 664 1234567")
            phone.missed(PIXEL, "+43 664 1234567")
            ring, end = await w.events_(2)
    finally:
        await phone.stop()
    assert (ring.event, end.event) == ("ring", "end")
    assert end.source_id == ring.source_id
    book = CallBook()
    book.feed(ring)
    step = book.feed(end)
    assert step.kind == "finished"
    assert (step.call.outcome, step.call.party, step.call.minutes) == ("missed", "+436641234567", 0)


@needs_dbus
async def test_a_missed_call_whose_ring_came_before_i_listened_rings_then_ends(bus):
    phone = await StandInKdeConnect(bus.address).start()
    try:
        async with Watching(address=bus.address) as w:
            await w.until("connected")
            phone.missed(PIXEL, "06641234567")
            ring, end = await w.events_(2)
    finally:
        await phone.stop()
    assert (ring.event, ring.from_, end.event) == ("ring", "+436641234567", "end")
    assert ring.at == end.at and ring.source_id == end.source_id


@needs_dbus
async def test_two_phones_each_their_own_call(bus):
    paired = {PIXEL: "Pixel 7", FAIRPHONE: "FP5"}
    phone = await StandInKdeConnect(bus.address, paired, reachable={FAIRPHONE}).start()
    try:
        async with Watching(address=bus.address) as w:
            state = await w.until("connected")
            assert state.detail == "2 paired devices (Pixel 7, FP5), 1 reachable now"
            phone.ring(PIXEL, "0664 1234567")
            phone.ring(FAIRPHONE, "0732 123456")
            phone.missed(FAIRPHONE, "0732 123456")
            events = await w.events_(3)
    finally:
        await phone.stop()
    pixel_ring, fp_ring, fp_end = events
    assert pixel_ring.source_id.startswith(f"{PIXEL}:+436641234567@")
    assert fp_ring.source_id.startswith(f"{FAIRPHONE}:+43732123456@")
    assert fp_end.event == "end" and fp_end.source_id == fp_ring.source_id  # not the Pixel's
    book = CallBook()
    for event in events:
        book.feed(event)
    assert [c.party for c in book.active] == ["+436641234567"]  # the Pixel still rings


@needs_dbus
async def test_kde_connect_not_running_at_start_then_starting(bus):
    async with Watching(address=bus.address) as w:
        waiting = await w.until("retrying", "KDE Connect is not running")
        assert waiting.describe().startswith(
            "kdeconnect: retrying in 1 s: KDE Connect is not running (nothing owns "
            "org.kde.kdeconnect on the session bus)")
        phone = await StandInKdeConnect(bus.address).start()
        try:
            await w.until("connected", "Pixel 7")
            phone.ring(PIXEL, "0664 1234567")
            assert (await w.event()).from_ == "+436641234567"
        finally:
            await phone.stop()
    assert w.monitor.connections == 1  # it waited on the bus, it did not reconnect


@needs_dbus
async def test_while_kde_connect_is_away_it_looks_again_with_backoff(bus):
    async with Watching(address=bus.address, first_delay=0.01, max_delay=0.04) as w:
        waits = [(await w.until("retrying", "not running")).retry_in for _ in range(4)]
    assert waits == [0.01, 0.02, 0.04, 0.04]
    assert w.monitor.connections == 1


@needs_dbus
async def test_kde_connect_quitting_and_coming_back(bus):
    phone = await StandInKdeConnect(bus.address).start()
    async with Watching(address=bus.address) as w:
        await w.until("connected")
        await phone.stop()
        await w.until("retrying", "KDE Connect is not running")
        phone = await StandInKdeConnect(bus.address, {FAIRPHONE: "FP5"}).start()
        try:
            await w.until("connected", "FP5")
            phone.ring(FAIRPHONE, "0664 7654321")
            assert (await w.event()).source_id.startswith(f"{FAIRPHONE}:+436647654321@")
        finally:
            await phone.stop()


@needs_dbus
async def test_the_session_bus_going_away_is_retried(bus):
    phone = await StandInKdeConnect(bus.address).start()
    restarted: list[StandInKdeConnect] = []

    async def bring_back(n: int) -> None:
        if n == 1:  # the first retry: a new bus at the same address, KDE Connect on it
            bus.start()
            restarted.append(await StandInKdeConnect(bus.address).start())

    try:
        async with Watching(address=bus.address, sleep=Delays(bring_back)) as w:
            await w.until("connected")
            bus.stop()
            # KDE Connect's connection may close first: then it says so before the bus's
            await w.until("retrying", "the session bus closed the connection")
            await w.until("connected")
            restarted[0].ring(PIXEL, "0664 1234567")
            assert (await w.event()).from_ == "+436641234567"
    finally:
        for p in (phone, *restarted):
            await p.stop()
    assert w.monitor.connections == 2


@needs_dbus
async def test_kde_connect_24_02_to_25_04_wrote_telepony(bus):
    phone = await StandInKdeConnect(bus.address, plugin="telepony").start()
    try:
        async with Watching(address=bus.address) as w:
            await w.until("connected")
            phone.ring(PIXEL, "0664 1234567")
            assert (await w.event()).source_id.startswith(f"{PIXEL}:")
    finally:
        await phone.stop()


@needs_dbus
async def test_a_withheld_number_and_unknown_events(bus):
    phone = await StandInKdeConnect(bus.address).start()
    try:
        async with Watching(address=bus.address) as w:
            await w.until("connected")
            phone.signal(PIXEL, "", "0664 1234567")  # an unknown telephony packet
            phone.ring(PIXEL, "unbekannte Nummer")  # the daemon's words, in German
            ring = await w.event()
    finally:
        await phone.stop()
    assert ring.from_ is None and ring.source_id == f"{PIXEL}:withheld@2026-01-08T18:20:05"
    assert (w.monitor.skipped, w.monitor.last_skip) == (1, "unknown telephony event ``")


@needs_dbus
async def test_a_stranger_on_the_bus_cannot_ring(bus):
    phone = await StandInKdeConnect(bus.address).start()
    stranger = await Stranger(bus.address).start()
    try:
        async with Watching(address=bus.address) as w:
            await w.until("connected")
            await stranger.fake_ring("0664 9999999")  # broadcast: the match rule drops it
            await stranger.fake_ring("0664 9999999", to=w.monitor.unique_name)  # to me alone
            phone.ring(PIXEL, "0664 1234567")
            ring = await w.event()
    finally:
        await stranger.stop()
        await phone.stop()
    assert ring.from_ == "+436641234567"
    assert w.monitor.strangers == 1


@needs_dbus
async def test_a_phone_paired_while_watching(bus):
    phone = await StandInKdeConnect(bus.address, {}).start()
    try:
        async with Watching(address=bus.address) as w:
            state = await w.until("connected")
            assert state.detail == ("KDE Connect has no paired device: pair the phone in "
                                    "KDE Connect")
            phone.pair(FAIRPHONE, "FP5")
            await w.until("connected", "1 paired device (FP5)")
            phone.ring(FAIRPHONE, "0664 1234567")
            assert (await w.event()).source_id.startswith(f"{FAIRPHONE}:")
    finally:
        await phone.stop()


@needs_dbus
async def test_cancelling_ends_it_and_closes_the_connection(bus):
    phone = await StandInKdeConnect(bus.address).start()
    try:
        async with Watching(address=bus.address) as w:
            await w.until("connected")
            name = w.monitor.unique_name
        assert w.seen[-1] == SourceState("kdeconnect", "stopped")
        # the monitor's connection is gone from the bus: the daemon sees the socket close on
        # its own time, so ask until it says so (bounded), rather than once
        deadline = asyncio.get_running_loop().time() + 5
        while (await phone.bus.call(_name_has_owner(name))).body != [False]:
            assert asyncio.get_running_loop().time() < deadline, f"{name} still on the bus"
            await asyncio.sleep(0.01)
    finally:
        await phone.stop()


def _name_has_owner(name: str):
    from dbus_fast import Message

    return Message(destination="org.freedesktop.DBus", path="/org/freedesktop/DBus",
                   interface="org.freedesktop.DBus", member="NameHasOwner", signature="s",
                   body=[name])


# --- no bus -------------------------------------------------------------------------------


async def test_no_session_bus_is_a_clear_state_and_retried_with_backoff():
    delays = Delays()
    mon = KdeConnectMonitor(tz=VIENNA, region="AT", sleep=delays, max_delay=4)
    states: list[SourceState] = []
    mon._on_state = states.append
    done = asyncio.Event()

    async def run() -> None:
        async for _ in mon:
            pass

    def stop_after(n: int) -> None:
        if n == 5:
            done.set()

    delays.on_sleep = stop_after
    task = asyncio.create_task(run())
    await asyncio.wait_for(done.wait(), TIMEOUT)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, TIMEOUT)
    assert delays.seen[:5] == [1, 2, 4, 4, 4]
    assert states[0].describe() == (
        "kdeconnect: retrying in 1 s: no session bus: DBUS_SESSION_BUS_ADDRESS is not set "
        "(run it in the desktop session, or set the variable)")
    assert states[-1].state == "stopped"
    assert mon.connections == 0


async def test_a_bus_address_with_no_bus_behind_it(tmp_path):
    address = f"unix:path={tmp_path}/nobus"
    async with Watching(address=address) as w:
        state = await w.until("retrying")
    assert state.detail == f"no session bus at `{address}`: No such file or directory"


async def test_a_bus_address_that_is_no_address():
    async with Watching(address="nonsense") as w:
        state = await w.until("retrying")
    assert state.detail.startswith("no session bus at `nonsense`: not a bus address")


def test_the_session_bus_from_the_environment(tmp_path):
    assert session_bus_address({"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/x"}) == (
        "unix:path=/run/x")
    assert session_bus_address({}) is None
    assert session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) is None  # no socket there
    (tmp_path / "bus").write_text("")
    assert session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) is None  # a file is no bus
    (tmp_path / "bus").unlink()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "bus"))
        assert session_bus_address({"XDG_RUNTIME_DIR": str(tmp_path)}) == (
            f"unix:path={tmp_path}/bus")


def test_watch_kdeconnect_passes_its_options():
    mon = watch_kdeconnect(tz=VIENNA, region="DE", address="unix:path=/x", first_delay=2.0)
    assert (mon.address, mon.first_delay, mon.calls.region) == ("unix:path=/x", 2.0, "DE")
    assert mon.state == SourceState("kdeconnect", "connecting")


# --- the signal, without a bus ------------------------------------------------------------


def test_the_device_is_in_the_plugins_path():
    assert device_of(f"/modules/kdeconnect/devices/{PIXEL}/telephony") == PIXEL
    assert device_of(f"/modules/kdeconnect/devices/{PIXEL}/telepony") == PIXEL
    for path in ("/modules/kdeconnect", f"/modules/kdeconnect/devices/{PIXEL}",
                 f"/modules/kdeconnect/devices/{PIXEL}/telephony/x",
                 "/other/kdeconnect/devices/x/t",
                 "/modules/kdeconnect/devices//telephony"):
        assert device_of(path) is None, path


def test_parse_signal_reads_what_the_daemon_sends():
    path = f"/modules/kdeconnect/devices/{PIXEL}/telephony"
    assert parse_signal(path, "sss", ["callReceived", " 0664 1234567 ", "Anna"]) == Telephony(
        PIXEL, "callReceived", "0664 1234567", "Anna")
    with pytest.raises(SignalError, match="not sss"):
        parse_signal(path, "ss", ["callReceived", "0664"])
    with pytest.raises(SignalError, match="unknown telephony event `sms`"):
        parse_signal(path, "sss", ["sms", "0664", "x"])
    with pytest.raises(SignalError, match="not a device"):
        parse_signal("/modules/kdeconnect", "sss", ["callReceived", "0664", "x"])
    with pytest.raises(SignalError, match="longer than 320"):
        parse_signal(path, "sss", ["callReceived", "1" * 321, "x"])


@pytest.mark.parametrize(("number", "e164"), [
    ("0664 1234567", "+436641234567"),
    ("+43 664 1234567", "+436641234567"),
    ("(0732) 12-34-56", "+43732123456"),
    ("0049 30 1234567", "+49301234567"),
    ("", None),
    ("unknown number", None),
    ("Unbekannte Nummer", None),
    ("*21#", "*21#"),  # no number phonenumbers knows: as written
    ("112", "112"),
])
def test_numbers_as_the_phone_gives_them(number, e164):
    assert caller(number, "AT") == e164


@given(st.text(max_size=40))
def test_caller_never_fails_and_withholds_only_text_without_digits(text):
    who = caller(text, "AT")
    assert (who is None) == (not any(c.isdigit() for c in text.strip()))


def test_describe_devices():
    assert describe_devices({PIXEL: "Pixel 7"}, ()) == (
        "1 paired device (Pixel 7), none reachable now")
    many = {f"d{i}": f"Phone {i}" for i in range(7)}
    assert describe_devices(many, ("d0", "stranger")) == (
        "7 paired devices (Phone 0, Phone 1, Phone 2, Phone 3, Phone 4, …), 1 reachable now")
    assert describe_devices({PIXEL: "  "}, ()).startswith(f"1 paired device ({PIXEL})")


def _signal(device: str, event: str, number: str) -> Telephony:
    return Telephony(device, event, number, number)


def test_a_call_followed_through_ring_talking_and_a_new_ring():
    calls = KdeConnectCalls(region="AT")
    ring, = calls.events(_signal(PIXEL, "callReceived", "0664 1234567"), T0)
    assert calls.events(_signal(PIXEL, "ringing", "0664 1234567"), T0) == []  # same second
    connect, = calls.events(_signal(PIXEL, "talking", "+436641234567"), T0 + timedelta(seconds=9))
    assert (connect.event, connect.source_id) == ("connect", ring.source_id)
    assert calls.events(_signal(FAIRPHONE, "talking", "0664 1234567"), T0) == []
    assert calls.unmatched == 1
    later = T0 + timedelta(minutes=20)  # the same caller again: a new call
    again, = calls.events(_signal(PIXEL, "callReceived", "0664 1234567"), later)
    assert again.event == "ring" and again.source_id != ring.source_id
    other, = calls.events(_signal(PIXEL, "callReceived", "0732 123456"), later)
    missed = calls.events(_signal(PIXEL, "missedCall", "0664 1234567"), later)
    assert [e.event for e in missed] == ["ring", "end"]  # its ring was let go by the new one
    assert missed[0].source_id not in (again.source_id, other.source_id)


events_ = st.lists(st.tuples(st.sampled_from([PIXEL, FAIRPHONE]),
                             st.sampled_from(["callReceived", "missedCall", "talking"]),
                             st.sampled_from(["0664 1234567", "0732 123456", ""]),
                             st.integers(0, 3)),
                   max_size=30)


@settings(max_examples=200, deadline=None)
@given(events_)
def test_any_signals_make_calls_the_book_can_follow(signals):
    """Whatever the order: every end and connect names a call that rang here, a ring never
    repeats a finished call, and each device has at most one ringing call."""
    calls = KdeConnectCalls(region="AT")
    book = CallBook()
    at = T0
    for device, event, number, seconds in signals:
        at += timedelta(seconds=seconds)
        for ev in calls.events(_signal(device, event, number), at):
            step = book.feed(ev)
            assert step.kind not in ("ignored", "duplicate"), (ev, step)
        assert len(calls._ringing) <= 2


def test_the_module_imports_no_dbus_library_until_it_runs():
    import subprocess
    import sys

    code = ("import sys; import boundaries.sources.calls.kdeconnect; "
            "print(any(m.startswith('dbus_fast') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True, cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "False"

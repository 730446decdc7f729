"""KDE Connect, the mobile (sources.md §8): the telephony plugin's signal on the session D-Bus.

The phone's KDE Connect app tells the desktop's daemon (`kdeconnectd`, bus name
`org.kde.kdeconnect`) when it rings; the daemon's telephony plugin, one object per paired
device at `/modules/kdeconnect/devices/<id>/telephony`, interface
`org.kde.kdeconnect.device.telephony`, says so with the signal

    callReceived(s event, s number, s contactName)

where `event` is `callReceived` (the phone rings) or `missedCall` (it stopped ringing and
nobody answered, or I declined); `number` is the phone's number as the phone shows it (often
national: `0664 1234567`) or, when the caller withheld it, the daemon's own words for that in
the desktop's language ("unknown number"); `contactName` is the name in the phone's address
book, else the number. (From kdeconnect-kde's `plugins/telephony`: the phone's `talking` and
the end of a call, `isCancel`, are never sent on: an answered call is seen ringing and
nothing after. KDE Connect 24.02 to 25.04 put the object at `…/<id>/telepony`, a typo fixed in
25.08; the match rule below names the interface and a path namespace, so both are heard.)

So: `callReceived` rings, `missedCall` ends the ringing call of that device and number as
missed (a ring first when its ring came before I listened); `ringing` is read as
`callReceived` and `talking` as connect, should a daemon ever send the phone's words; any
other event is skipped and counted. The signal has no time: an event's time is when it
arrived. A call's source id is the device, the number and the time it rang
(`a1b2c3:+436641234567@2026-01-08T18:20:05`). Numbers are normalised to E.164 with my
region; text with no digit is a withheld number.

`KdeConnectMonitor` connects to the session bus, listens for the signal of every device
(`path_namespace='/modules/kdeconnect/devices'`, from the owner of `org.kde.kdeconnect`
only), follows the daemon coming and going (`NameOwnerChanged`) and which devices are
paired, and says how it is doing through `SourceState`s; it never starts the daemon (its
calls carry NO_AUTOSTART). dbus-fast is imported when it runs, not when this module is.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import stat
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from datetime import datetime, tzinfo
from typing import Any, NamedTuple

from boundaries.core.calls import CallEvent
from boundaries.core.echo import clip, quoted
from boundaries.policy.phones import normalise
from boundaries.sources.calls.state import RetryingSource, SourceState, StateHook

SOURCE = "kdeconnect"
BUS_NAME = "org.kde.kdeconnect"
DAEMON_PATH = "/modules/kdeconnect"
DAEMON_INTERFACE = "org.kde.kdeconnect.daemon"
DEVICES_PATH = "/modules/kdeconnect/devices"
DEVICE_INTERFACE = "org.kde.kdeconnect.device"
TELEPHONY_INTERFACE = "org.kde.kdeconnect.device.telephony"
SIGNAL = "callReceived"
RINGS = ("callReceived", "ringing")  # the daemon's word, the phone's
MISSED = ("missedCall",)
TALKING = ("talking",)  # the phone's word for answered; today's daemon does not pass it on
MAX_PARTY = 320  # characters of a number, as in the event stream
MAX_DEVICES = 1000  # rings held open, one per device
_NUMBER = re.compile(r"[+(]?[0-9][0-9 ()./-]*")
_DBUS = "org.freedesktop.DBus"

RULES = (
    f"type='signal',sender='{BUS_NAME}',interface='{TELEPHONY_INTERFACE}',member='{SIGNAL}',"
    f"path_namespace='{DEVICES_PATH}'",
    f"type='signal',sender='{_DBUS}',interface='{_DBUS}',member='NameOwnerChanged',"
    f"arg0='{BUS_NAME}'",
    f"type='signal',sender='{BUS_NAME}',interface='{DAEMON_INTERFACE}',"
    f"member='deviceListChanged',path='{DAEMON_PATH}'",
    f"type='signal',sender='{BUS_NAME}',interface='{DEVICE_INTERFACE}',"
    f"member='pairStateChanged',path_namespace='{DEVICES_PATH}'",
)


class SignalError(ValueError):
    """A `callReceived` signal that is no call event; the message says why."""


class Telephony(NamedTuple):
    """One `callReceived` signal: which device, what happened, the number as sent."""

    device: str
    event: str
    number: str
    contact: str


def device_of(path: str) -> str | None:
    """The device id in a plugin's object path (`/modules/kdeconnect/devices/<id>/telephony`,
    or `…/telepony` as 24.02–25.04 wrote it), None for any other path."""
    parts = path.split("/")
    if len(parts) != 6 or "/".join(parts[:4]) != DEVICES_PATH or not parts[4] or not parts[5]:
        return None
    return parts[4]


def parse_signal(path: str, signature: str, body: list[Any]) -> Telephony:
    """A `callReceived` signal's path and body, or SignalError."""
    device = device_of(path)
    if device is None:
        raise SignalError(f"{quoted(path, 80)} is not a device's plugin object")
    if signature != "sss" or len(body) != 3:
        raise SignalError(f"{SIGNAL} has the arguments {quoted(signature, 20)}, not sss")
    event, number, contact = body
    if event not in RINGS + MISSED + TALKING:
        raise SignalError(f"unknown telephony event {quoted(event, 40)}")
    if len(number) > MAX_PARTY:
        raise SignalError(f"a number longer than {MAX_PARTY} characters")
    return Telephony(device, event, number.strip(), contact)


def caller(number: str, region: str | None) -> str | None:
    """The phone's number as E.164 where it is one (`0664 1234567`, `+43 664 1234567`, with my
    region); None for a withheld one (empty, or the daemon's "unknown number" in any
    language: text without a digit); else as written (a short code: `112`, `*21#`)."""
    text = number.strip()
    if not any(c.isdigit() for c in text):
        return None
    if _NUMBER.fullmatch(text) and text.lstrip("(")[0] in "+0":
        return normalise(text, region) or text
    return text


class KdeConnectCalls:
    """Signals into `CallEvent`s: the ringing call of each device, so that its `missedCall`
    ends that call. A phone rings one call at a time (a call waiting while I talk is no new
    ringing to Android), so a new ring on a device lets go of the one before: that call was
    answered or is lost, and the CallBook's `expire` lets go of it."""

    def __init__(self, *, region: str | None, source: str = SOURCE) -> None:
        self.region = region
        self.source = source
        self.unmatched = 0  # talking of a call that never rang here
        self._ringing: dict[str, _Ringing] = {}  # device -> its ringing (or talking) call
        self._issued: dict[str, int] = {}  # the latest ids' bases -> how many calls had it

    def events(self, signal: Telephony, at: datetime) -> list[CallEvent]:
        """What `signal`, arrived at `at`, reports: a ring; an end (missed), after a ring
        when its ring was not seen; a connect; or nothing."""
        who = caller(signal.number, self.region)
        open_ = self._ringing.get(signal.device)
        if open_ is not None and open_.who != who:
            open_ = None  # another caller's call
        if signal.event in RINGS:
            if open_ is not None and open_.base == _base(signal.device, who, at):
                return []  # the same signal again within the second: one call
            return [self._ring(signal.device, who, at)]
        if signal.event in TALKING:
            if open_ is None:
                self.unmatched += 1
                return []
            if open_.talking:
                return []
            self._ringing[signal.device] = open_._replace(talking=True)
            return [CallEvent(self.source, open_.source_id, "connect", at)]
        out = []  # missedCall
        if open_ is None:
            ring = self._ring(signal.device, who, at)
            out.append(ring)
            open_ = self._ringing[signal.device]
        del self._ringing[signal.device]
        out.append(CallEvent(self.source, open_.source_id, "end", at))
        return out

    def _ring(self, device: str, who: str | None, at: datetime) -> CallEvent:
        base = _base(device, who, at)
        count = self._issued.pop(base, 0) + 1
        self._issued[base] = count  # newest last
        source_id = base if count == 1 else f"{base}#{count}"  # ring, missed, ring in 1 s
        self._ringing.pop(device, None)
        self._ringing[device] = _Ringing(who, source_id, base)
        for held in (self._ringing, self._issued):
            if len(held) > MAX_DEVICES:
                del held[next(iter(held))]
        return CallEvent(self.source, source_id, "ring", at, from_=who)


class _Ringing(NamedTuple):
    """A device's call that rang and has not ended."""

    who: str | None
    source_id: str
    base: str  # the id before any `#2`: device, caller, the second it rang
    talking: bool = False


def _base(device: str, who: str | None, at: datetime) -> str:
    """`a1b2c3:+436641234567@2026-01-08T18:20:05`: device, caller, when it rang (my time)."""
    when = at.replace(tzinfo=None, microsecond=0).isoformat()
    return f"{device}:{who or 'withheld'}@{when}"


def session_bus_address(environ: Mapping[str, str] | None = None) -> str | None:
    """The session bus: `DBUS_SESSION_BUS_ADDRESS`, else `$XDG_RUNTIME_DIR/bus` where that
    socket exists (systemd's user bus, as libdbus and sd-bus find it); None when neither."""
    env = os.environ if environ is None else environ
    address = env.get("DBUS_SESSION_BUS_ADDRESS", "").strip()
    if address:
        return address
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime:
        path = os.path.join(runtime, "bus")
        with contextlib.suppress(OSError):
            if stat.S_ISSOCK(os.stat(path).st_mode):
                return f"unix:path={path}"
    return None


Sleep = Callable[[float], Awaitable[object]]


class KdeConnectMonitor(RetryingSource):
    """`async for event in KdeConnectMonitor(...)`: connects to the session bus, yields the
    events of every paired phone, and when there is no bus, the bus drops, or KDE Connect
    is not running, says so (`state`, `on_state`) and tries again after `first_delay`,
    doubling to `max_delay` (KDE Connect starting is noticed at once). It never raises and
    never ends by itself; cancelling the task that iterates it disconnects and ends it.

    `address` is the bus (default: `session_bus_address()` at each try); `clock()` the time
    a signal arrived (default: now, in `tz`)."""

    def __init__(self, *, tz: tzinfo, region: str | None, source: str = SOURCE,
                 address: str | None = None, on_state: StateHook | None = None,
                 first_delay: float = 1.0, max_delay: float = 60.0,
                 connect_timeout: float = 10.0, sleep: Sleep = asyncio.sleep,
                 clock: Callable[[], datetime] | None = None, max_queue: int = 1000) -> None:
        self._tz = tz
        self.address = address
        self.calls = KdeConnectCalls(region=region, source=source)
        self._on_state = on_state
        self.first_delay, self.max_delay = first_delay, max_delay
        self.connect_timeout = connect_timeout
        self._sleep = sleep
        self._clock = clock or (lambda: datetime.now(tz))
        self.max_queue = max_queue
        self.name = source
        self.state = SourceState(self.name, "connecting")
        self.connections = 0  # how often it connected to a bus
        self.devices: dict[str, str] = {}  # paired devices: id -> name
        self.reachable: tuple[str, ...] = ()  # paired devices reachable now
        self.skipped = 0  # signals that were no call event
        self.last_skip: str | None = None
        self.strangers = 0  # signals from anyone but KDE Connect: ignored
        self._reason, self._useful = "", False  # why the last session ended; KDE Connect seen
        self.unique_name: str | None = None  # my name on the bus while connected
        self._queue: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def __aiter__(self) -> AsyncIterator[CallEvent]:
        return self._run()

    async def _run(self) -> AsyncIterator[CallEvent]:
        delay = self.first_delay
        try:
            while True:
                address = self.address or session_bus_address()
                if address is None:
                    reason = ("no session bus: DBUS_SESSION_BUS_ADDRESS is not set (run it in "
                              "the desktop session, or set the variable)")
                else:
                    self._report("connecting", address)
                    bus, reason = await self._connect(address)
                    if bus is not None:
                        self.connections += 1
                        session = self._session(bus)
                        try:
                            async with contextlib.aclosing(session):
                                async for event in session:
                                    yield event
                        finally:
                            await _disconnect(bus)
                        reason = self._reason
                        if self._useful:  # KDE Connect was there: start over at 1 s
                            delay = self.first_delay
                delay = await self._retry(reason, delay)
        finally:
            self._report("stopped")

    async def _connect(self, address: str) -> tuple[Any, str]:
        """(the bus, "") or (None, why not)."""
        return await connect_bus(address, self.connect_timeout)

    async def _session(self, bus: Any) -> AsyncIterator[CallEvent]:
        """Events while `bus` is connected; sets `_reason` (why it ended) and `_useful`
        (whether KDE Connect was there)."""
        self._reason, self._useful = "the session bus closed the connection", False
        self._queue = queue = asyncio.Queue()
        gone = asyncio.ensure_future(bus.wait_for_disconnect())
        gone.add_done_callback(lambda f: queue.put_nowait(("closed", _ended(f))))
        bus.add_message_handler(self._on_message)
        self.unique_name = bus.unique_name
        try:
            for rule in RULES:
                await _call(bus, _DBUS, "/org/freedesktop/DBus", _DBUS, "AddMatch", "s", [rule])
            owner = await self._owner(bus)
            wait = self.first_delay
            while True:
                if owner is not None:
                    self._useful = True
                    await self._refresh(bus, owner)
                else:
                    self._report("retrying", "KDE Connect is not running (nothing owns "
                                 f"{BUS_NAME} on the session bus): start KDE Connect", wait)
                while True:
                    try:
                        async with asyncio.timeout(wait if owner is None else None):
                            item = await queue.get()
                    except TimeoutError:
                        owner = await self._owner(bus)  # look again, in case
                        wait = min(wait * 2, self.max_delay)
                        break
                    if item[0] == "closed":
                        if item[1]:
                            self._reason = f"the session bus connection failed: {item[1]}"
                        return
                    if item[0] == "owner":
                        owner, wait = item[1] or None, self.first_delay
                        break
                    if item[0] == "devices":
                        if owner is not None and queue.empty():
                            await self._refresh(bus, owner)
                        continue
                    _, sender, signal, at = item
                    if owner is None or sender != owner:
                        self.strangers += 1
                        continue
                    for event in self.calls.events(signal, at):
                        yield event
        except Exception as err:  # a call that failed as the bus went away, a refused rule
            if not gone.done():
                self._reason = f"the session bus failed: {err}"
        finally:
            bus.remove_message_handler(self._on_message)
            gone.cancel()
            self.unique_name = None

    def _on_message(self, msg: Any) -> None:
        """Every message the bus sends me: the ones I listen for go to the queue, in order
        (so a signal is judged by who owned the name when it came). Never raises."""
        from dbus_fast import MessageType

        if msg.message_type is not MessageType.SIGNAL or self._queue.qsize() >= self.max_queue:
            if msg.message_type is MessageType.SIGNAL:
                self._skip("too many signals at once")
            return
        if msg.interface == TELEPHONY_INTERFACE and msg.member == SIGNAL:
            try:
                signal = parse_signal(msg.path or "", msg.signature or "", list(msg.body))
            except SignalError as err:
                self._skip(str(err))
                return
            self._queue.put_nowait(("signal", msg.sender, signal, self._clock()))
        elif (msg.interface == _DBUS and msg.member == "NameOwnerChanged"
              and msg.sender == _DBUS and msg.signature == "sss" and msg.body[0] == BUS_NAME):
            self._queue.put_nowait(("owner", msg.body[2]))
        elif msg.member in ("deviceListChanged", "pairStateChanged"):
            self._queue.put_nowait(("devices",))

    def _skip(self, reason: str) -> None:
        self.skipped += 1
        self.last_skip = reason

    async def _owner(self, bus: Any) -> str | None:
        """Who owns `org.kde.kdeconnect` now (a unique name), None when nobody does."""
        reply = await _call(bus, _DBUS, "/org/freedesktop/DBus", _DBUS, "GetNameOwner", "s",
                            [BUS_NAME], missing_ok=True)
        return None if reply is None else str(reply[0])

    async def _refresh(self, bus: Any, owner: str) -> None:
        """The paired and reachable devices, and the state that names them."""
        try:
            names = await _call(bus, owner, DAEMON_PATH, DAEMON_INTERFACE, "deviceNames", "bb",
                                [False, True])
            reachable = await _call(bus, owner, DAEMON_PATH, DAEMON_INTERFACE, "devices",
                                    "bb", [True, True])
        except _CallError as err:
            self._report("connected", f"KDE Connect is running (its devices unknown: {err})")
            return
        self.devices = dict(names[0]) if names else {}
        self.reachable = tuple(reachable[0]) if reachable else ()
        self._report("connected", describe_devices(self.devices, self.reachable))



def describe_devices(devices: Mapping[str, str], reachable: tuple[str, ...]) -> str:
    """`2 paired phones (Pixel 7, FP5), 1 reachable now`; or how to pair one."""
    if not devices:
        return "KDE Connect has no paired device: pair the phone in KDE Connect"
    names = ", ".join(clip(n.strip() or d, 40) for d, n in list(devices.items())[:5])
    more = ", …" if len(devices) > 5 else ""
    noun = "paired device" if len(devices) == 1 else "paired devices"
    near = sum(1 for d in reachable if d in devices)
    where = "none reachable now" if not near else f"{near} reachable now"
    return f"{len(devices)} {noun} ({names}{more}), {where}"


class _CallError(Exception):
    """A method call that got an error reply."""


async def _call(bus: Any, destination: str, path: str, interface: str, member: str,
                signature: str, body: list[Any], *, missing_ok: bool = False) -> Any:
    """The reply's body; None for NameHasNoOwner when `missing_ok`; else _CallError."""
    from dbus_fast import Message, MessageFlag, MessageType

    reply = await bus.call(Message(destination=destination, path=path, interface=interface,
                                   member=member, signature=signature, body=body,
                                   flags=MessageFlag.NO_AUTOSTART))
    if reply.message_type is MessageType.ERROR:
        if missing_ok and reply.error_name == f"{_DBUS}.Error.NameHasNoOwner":
            return None
        text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
        raise _CallError(f"{member}: {reply.error_name}{': ' + text if text else ''}")
    return reply.body


def _ended(future: asyncio.Future) -> str:
    """Why the bus disconnected: empty when it just closed."""
    if future.cancelled():
        return ""
    err = future.exception()
    if err is None or isinstance(err, EOFError):  # EOFError: the bus closed the socket
        return ""
    return str(err) or type(err).__name__


async def _disconnect(bus: Any) -> None:
    """Close the connection and wait (briefly) until it is closed."""
    with contextlib.suppress(Exception):
        bus.disconnect()
        async with asyncio.timeout(2):
            await bus.wait_for_disconnect()


def watch_kdeconnect(*, tz: tzinfo, region: str | None,
                     **options: object) -> KdeConnectMonitor:
    """The paired phones through KDE Connect, to iterate with `async for` (see
    KdeConnectMonitor)."""
    return KdeConnectMonitor(tz=tz, region=region, **options)  # type: ignore[arg-type]


async def connect_bus(address: str, timeout: float) -> tuple[Any, str]:
    """A connection to the bus at `address`: (the bus, "") or (None, why not, worded for the
    user: "no session bus at 'unix:…': no answer in 5 s"). Shared by the call signal and the
    SMS send."""
    from dbus_fast import AuthError, InvalidAddressError
    from dbus_fast.aio import MessageBus

    try:  # a connect that fails closes its own socket
        bus = MessageBus(bus_address=address)
        async with asyncio.timeout(timeout):
            await bus.connect()
    except TimeoutError as err:
        why = f"no answer in {timeout:g} s" if err.errno is None else err.strerror or str(err)
    except OSError as err:
        why = err.strerror or str(err) or type(err).__name__
    except AuthError as err:
        why = f"the bus refused me: {err}"
    except InvalidAddressError as err:
        why = f"not a bus address: {err}"
    except Exception as err:  # dbus-fast: "any other connection error"
        why = str(err) or type(err).__name__
    else:
        return bus, ""
    return None, f"no session bus at {quoted(address, 80)}: {why}"

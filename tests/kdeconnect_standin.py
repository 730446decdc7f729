"""A private session bus and a stand-in KDE Connect daemon, for tests/test_calls_kdeconnect.py.

`PrivateBus` runs `dbus-daemon --nofork` with a configuration of its own (a socket in a
fresh temporary folder, no service activation), bounded in time and killed at the end.
`StandInKdeConnect` is what kdeconnectd puts on the bus: the name `org.kde.kdeconnect`, the
daemon at `/modules/kdeconnect` (`devices`, `deviceNames`, `deviceListChanged`) and each
paired device's telephony plugin at `/modules/kdeconnect/devices/<id>/telephony` (interface
`org.kde.kdeconnect.device.telephony`), which emits the real `callReceived(sss)` signal, and,
where asked, its SMS plugin at `…/<id>/sms` (`SmsPlugin`: the introspection XML Qt writes for
the `sendSms` of one KDE Connect release, and the calls it took), for tests/test_sms_send.py.

No `from __future__ import annotations` here: dbus-fast reads the D-Bus signatures from the
annotations at class creation.
"""

import asyncio
import contextlib
import select
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import pytest
from dbus_fast import Message, MessageType, Variant
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import DBusBool, DBusSignature
from dbus_fast.service import ServiceInterface, dbus_method, dbus_signal

DBUS_DAEMON = shutil.which("dbus-daemon")
SKIP_REASON = ("dbus-daemon is not installed (Debian: apt-get install dbus-daemon; "
               "`make test` installs it where it can)")
BUS_NAME = "org.kde.kdeconnect"

CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class PrivateBus:
    """A session bus of the test's own: `start()` gives its address, `stop()` ends it.
    `start()` again after `stop()` brings up a new bus at the same address."""

    def __init__(self) -> None:
        # a short folder: a socket path has at most 107 bytes, pytest's tmp_path can be longer
        self.folder = Path(tempfile.mkdtemp(prefix="bnd-dbus-"))
        self.socket = self.folder / "bus"
        self.config = self.folder / "session.conf"
        self.config.write_text(CONFIG.format(socket=self.socket), encoding="utf-8")
        self.address = f"unix:path={self.socket}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> str:
        assert DBUS_DAEMON is not None, SKIP_REASON
        with contextlib.suppress(FileNotFoundError):
            self.socket.unlink()
        self.proc = subprocess.Popen(
            [DBUS_DAEMON, f"--config-file={self.config}", "--nofork", "--print-address=1"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline().decode().strip() if ready else ""
        if not line:
            self.stop()
            raise RuntimeError(f"dbus-daemon did not start in {timeout:g} s")
        return self.address

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()

    def remove(self) -> None:
        """Stop it and remove its folder."""
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextlib.contextmanager
def private_bus() -> Iterator[PrivateBus]:
    """A private session bus for one test (the `bus` fixtures), stopped and removed after
    it; the test is skipped where dbus-daemon is not installed."""
    if DBUS_DAEMON is None:
        pytest.skip(SKIP_REASON)
    private = PrivateBus()
    try:
        private.start()
        yield private
    finally:
        private.remove()


class Daemon(ServiceInterface):
    """`org.kde.kdeconnect.daemon` at `/modules/kdeconnect`: the devices it knows."""

    def __init__(self, paired: dict[str, str], reachable: set[str]) -> None:
        super().__init__("org.kde.kdeconnect.daemon")
        self.paired = paired
        self.reachable = reachable

    def _ids(self, only_reachable: bool) -> list[str]:
        return [d for d in self.paired if not only_reachable or d in self.reachable]

    @dbus_method()
    def devices(self, onlyReachable: DBusBool,
                onlyPaired: DBusBool) -> Annotated[list[str], DBusSignature("as")]:
        return self._ids(onlyReachable)

    @dbus_method()
    def deviceNames(self, onlyReachable: DBusBool,
                    onlyPaired: DBusBool
                    ) -> Annotated[dict[str, str], DBusSignature("a{ss}")]:
        return {d: self.paired[d] for d in self._ids(onlyReachable)}

    @dbus_signal()
    def deviceListChanged(self) -> None:
        return None


class Telephony(ServiceInterface):
    """`org.kde.kdeconnect.device.telephony`: one device's telephony plugin."""

    def __init__(self) -> None:
        super().__init__("org.kde.kdeconnect.device.telephony")

    @dbus_signal()
    def callReceived(self, event: str, number: str,
                     contactName: str
                     ) -> Annotated[tuple[str, str, str], DBusSignature("sss")]:
        return event, number, contactName


SMS_INTERFACE = "org.kde.kdeconnect.device.sms"
_ARG = '      <arg name="{}" type="{}" direction="in"/>'
# sendSms as each release declares it (plugins/sms/smsplugin.h); Qt exports a method with a
# default argument twice, with and without it
SMS_FORMS = {
    "20.04": [[("phoneNumber", "s"), ("messageBody", "s")]],
    "20.08": [[("addresses", "v"), ("messageBody", "s"), ("subID", "x")],
              [("addresses", "v"), ("messageBody", "s")]],
    "20.08.3": [[("addresses", "v"), ("messageBody", "s"), ("subID", "x")],
                [("addresses", "v"), ("messageBody", "s")],
                [("address", "s"), ("messageBody", "s")]],
    "20.12": [[("addresses", "av"), ("textMessage", "s"), ("attachmentUrls", "av"),
               ("subID", "x")],
              [("addresses", "av"), ("textMessage", "s"), ("attachmentUrls", "av")]],
}
_OTHERS = """    <method name="requestAllConversations">
    </method>
    <method name="launchApp">
    </method>
"""
_STANDARD = """  <interface name="org.freedesktop.DBus.Properties">
    <method name="Get">
      <arg name="interface_name" type="s" direction="in"/>
      <arg name="property_name" type="s" direction="in"/>
      <arg name="value" type="v" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect">
      <arg name="xml_data" type="s" direction="out"/>
    </method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId">
      <arg name="machine_uuid" type="s" direction="out"/>
    </method>
  </interface>
"""


def sms_introspection(release: str) -> str:
    """The introspection XML of a device's SMS plugin object as Qt writes it for `release`
    (a key of SMS_FORMS; "none": an object without the SMS interface)."""
    methods = "".join(
        '    <method name="sendSms">\n' + "".join(_ARG.format(*a) + "\n" for a in args)
        + "    </method>\n" for args in SMS_FORMS.get(release, []))
    interface = (f'  <interface name="{SMS_INTERFACE}">\n{methods}{_OTHERS}  </interface>\n'
                 if release in SMS_FORMS else "")
    return ('<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"\n'
            '"http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">\n'
            f"<node>\n{interface}{_STANDARD}</node>\n")


def plain(value: object) -> object:
    """A D-Bus value as plain data, to compare: a variant as `("v", signature, value)`,
    a struct (unmarshalled as a tuple) and an array as a list."""
    if isinstance(value, Variant):
        return ("v", value.signature, plain(value.value))
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


class SmsPlugin:
    """The SMS plugin objects of a stand-in daemon, answered by hand (dbus-fast cannot
    export two methods of one name): `Introspect` gives `sms_introspection(release)`,
    `sendSms` in a shape the release has is recorded in `calls` (device, signature,
    `plain(body)`)
    and answered as Qt answers a void method, any other shape is refused with Qt's
    UnknownMethod; `fail` (an error name) refuses every send with that error, `hang`
    answers none."""

    def __init__(self, release: str, devices: set[str]) -> None:
        self.release = release
        self.devices = devices
        self.calls: list[tuple[str, str, list]] = []
        self.fail: str | None = None
        self.hang = False
        self.got_call = asyncio.Event()

    def handle(self, msg: Message) -> Message | bool | None:
        parts = (msg.path or "").split("/")
        if (msg.message_type is not MessageType.METHOD_CALL or len(parts) != 6
                or parts[:4] != ["", "modules", "kdeconnect", "devices"] or parts[5] != "sms"
                or parts[4] not in self.devices):
            return None
        if msg.member == "Introspect" and msg.interface in (
                None, "org.freedesktop.DBus.Introspectable"):
            return Message.new_method_return(msg, "s", [sms_introspection(self.release)])
        if msg.member != "sendSms" or msg.interface not in (None, SMS_INTERFACE):
            return None
        shapes = {"".join(t for _, t in args) for args in SMS_FORMS.get(self.release, [])}
        if msg.signature not in shapes:
            return Message.new_error(
                msg, "org.freedesktop.DBus.Error.UnknownMethod",
                f"No such method 'sendSms' in interface '{SMS_INTERFACE}' at object path "
                f"'{msg.path}' (signature '{msg.signature}')")
        self.calls.append((parts[4], msg.signature, plain(list(msg.body))))
        self.got_call.set()
        if self.hang:
            return True  # taken, never answered
        if self.fail is not None:
            return Message.new_error(msg, self.fail, "the phone refused it")
        return Message.new_method_return(msg)


class StandInKdeConnect:
    """kdeconnectd as the bus sees it, with `paired` devices (id -> name), each with a
    telephony plugin at `…/devices/<id>/<plugin>` (`telepony`: KDE Connect 24.02–25.04)
    and, with `sms` (a release of SMS_FORMS), an SMS plugin at `…/<id>/sms` for the
    devices `sms_devices` (default: all paired)."""

    def __init__(self, address: str, paired: dict[str, str] | None = None, *,
                 reachable: set[str] | None = None, plugin: str = "telephony",
                 sms: str | None = None, sms_devices: set[str] | None = None) -> None:
        self.address = address
        self.paired = dict(paired if paired is not None else {"a1b2c3d4_pixel": "Pixel 7"})
        self.daemon = Daemon(self.paired,
                             set(self.paired) if reachable is None else set(reachable))
        self.plugin = plugin
        self.phones: dict[str, Telephony] = {}
        self.sms = None if sms is None else SmsPlugin(
            sms, set(self.paired) if sms_devices is None else set(sms_devices))
        self.bus: MessageBus | None = None

    async def start(self) -> "StandInKdeConnect":
        self.bus = await MessageBus(bus_address=self.address).connect()
        if self.sms is not None:
            self.bus.add_message_handler(self.sms.handle)
        self.bus.export("/modules/kdeconnect", self.daemon)
        for device in self.paired:
            self._export(device)
        await self.bus.request_name(BUS_NAME)
        return self

    def _export(self, device: str) -> None:
        assert self.bus is not None
        phone = self.phones[device] = Telephony()
        self.bus.export(f"/modules/kdeconnect/devices/{device}/{self.plugin}", phone)

    def signal(self, device: str, event: str, number: str, contact: str | None = None) -> None:
        """The telephony plugin of `device` emits `callReceived(event, number, contact)`."""
        self.phones[device].callReceived(event, number, number if contact is None else contact)

    def ring(self, device: str, number: str, contact: str | None = None) -> None:
        """The phone rings: the daemon's event word is `callReceived`."""
        self.signal(device, "callReceived", number, contact)

    def missed(self, device: str, number: str, contact: str | None = None) -> None:
        self.signal(device, "missedCall", number, contact)

    def pair(self, device: str, name: str) -> None:
        """A phone is paired: its plugin appears and the daemon says its list changed."""
        self.paired[device] = name
        self.daemon.reachable.add(device)
        self._export(device)
        self.daemon.deviceListChanged()

    async def stop(self) -> None:
        """kdeconnectd quits: the name leaves the bus."""
        bus, self.bus = self.bus, None
        if bus is not None:
            bus.disconnect()
            with contextlib.suppress(EOFError, OSError):  # the bus went first
                await bus.wait_for_disconnect()


class Stranger:
    """Another program on the bus, which does not own `org.kde.kdeconnect`."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.bus: MessageBus | None = None

    async def start(self) -> "Stranger":
        self.bus = await MessageBus(bus_address=self.address).connect()
        return self

    async def fake_ring(self, number: str, *, to: str | None = None,
                        device: str = "a1b2c3d4_pixel") -> None:
        """A `callReceived` on a telephony path, broadcast or sent to `to` alone; returns
        once the bus has routed it (a round trip to the bus after it)."""
        assert self.bus is not None
        await self.bus.send(Message(
            message_type=MessageType.SIGNAL, destination=to,
            path=f"/modules/kdeconnect/devices/{device}/telephony",
            interface="org.kde.kdeconnect.device.telephony", member="callReceived",
            signature="sss", body=["callReceived", number, number]))
        await self.bus.call(Message(destination="org.freedesktop.DBus",
                                    path="/org/freedesktop/DBus",
                                    interface="org.freedesktop.DBus", member="GetId"))

    async def stop(self) -> None:
        bus, self.bus = self.bus, None
        if bus is not None:
            bus.disconnect()
            with contextlib.suppress(EOFError, OSError):  # the bus went first
                await bus.wait_for_disconnect()


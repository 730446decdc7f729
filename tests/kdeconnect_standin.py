"""A private session bus and a stand-in KDE Connect daemon, for tests/test_calls_kdeconnect.py.

`PrivateBus` runs `dbus-daemon --nofork` with a configuration of its own (a socket in a
fresh temporary folder, no service activation), bounded in time and killed at the end.
`StandInKdeConnect` is what kdeconnectd puts on the bus: the name `org.kde.kdeconnect`, the
daemon at `/modules/kdeconnect` (`devices`, `deviceNames`, `deviceListChanged`) and each
paired device's telephony plugin at `/modules/kdeconnect/devices/<id>/telephony` (interface
`org.kde.kdeconnect.device.telephony`), which emits the real `callReceived(sss)` signal.

No `from __future__ import annotations` here: dbus-fast reads the D-Bus signatures from the
annotations at class creation.
"""

import contextlib
import select
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Annotated

from dbus_fast import Message, MessageType
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


class StandInKdeConnect:
    """kdeconnectd as the bus sees it, with `paired` devices (id -> name), each with a
    telephony plugin at `…/devices/<id>/<plugin>` (`telepony`: KDE Connect 24.02–25.04)."""

    def __init__(self, address: str, paired: dict[str, str] | None = None, *,
                 reachable: set[str] | None = None, plugin: str = "telephony") -> None:
        self.address = address
        self.paired = dict(paired if paired is not None else {"a1b2c3d4_pixel": "Pixel 7"})
        self.daemon = Daemon(self.paired,
                             set(self.paired) if reachable is None else set(reachable))
        self.plugin = plugin
        self.phones: dict[str, Telephony] = {}
        self.bus: MessageBus | None = None

    async def start(self) -> "StandInKdeConnect":
        self.bus = await MessageBus(bus_address=self.address).connect()
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


"""An SMS sent through the paired phone: KDE Connect's SMS plugin on the session D-Bus.

The daemon (`org.kde.kdeconnect`) exports one SMS plugin object per paired device that has
it loaded, at `/modules/kdeconnect/devices/<id>/sms`, interface
`org.kde.kdeconnect.device.sms`. Its `sendSms` method has had three shapes (kdeconnect-kde's
`plugins/sms/smsplugin.h` and `.cpp`, read at each release):

- 1.x to 20.04: `sendSms(s phoneNumber, s messageBody)`;
- 20.08: `sendSms(v addresses, s messageBody, x subID = -1)`, the variant holding an array
  of ConversationAddress structs, `a(s)` (each struct marshalled as its one string, the
  address); 20.08.3 added `sendSms(s address, s messageBody)` back, because "something in
  the demarshalling of the address list is broken" (commit 674e826b);
- 20.12 on (today's too): `sendSms(av addresses, s textMessage, av attachmentUrls,
  x subID = -1)`, each address a variant holding the struct `(s)` (kdeconnect-cli puts
  `QVariant::fromValue(ConversationAddress(number))` into the list); no attachments.

Qt exports a method with a default argument twice, with and without it, so the object's
introspection lists each shape it takes; `choose_method` picks the one to call from those
(today's first, then the plain `ss`, then 20.08's), and `sms_arguments` builds its body.

The phone: the paired devices reachable now (`devices(true, true)`), in the daemon's order,
that have the SMS plugin; the first of them unless a device is named (its id or its name).
The daemon's reply says it handed the message to the phone; KDE Connect reports nothing
about delivery. Every call carries NO_AUTOSTART (a daemon started now would reach no phone
yet). Every failure is an `SmsError` with a hint. dbus-fast is imported when it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from typing import Any, NamedTuple

from boundaries.core.echo import clip, quoted
from boundaries.core.errors import BoundariesError
from boundaries.sources.calls.kdeconnect import (
    BUS_NAME,
    DAEMON_INTERFACE,
    DAEMON_PATH,
    DEVICES_PATH,
    connect_bus,
    session_bus_address,
)

CONNECT_TIMEOUT = 5.0  # s: a session bus answers at once, or not at all

SMS_INTERFACE = "org.kde.kdeconnect.device.sms"
METHOD = "sendSms"
# the shapes of sendSms, in the order they are preferred when a daemon offers several
NEW, NEW_SUB, OLD, V2008, V2008_SUB = "avsav", "avsavx", "ss", "vs", "vsx"
FORMS = (NEW, NEW_SUB, OLD, V2008, V2008_SUB)
DEFAULT_SUB_ID = -1  # the plugin's default: the phone's default SIM
TIMEOUT = 10.0  # seconds for the whole send: connect, find the phone, call
_DBUS = "org.freedesktop.DBus"
_INTROSPECTABLE = "org.freedesktop.DBus.Introspectable"
_HINT_DAEMON = ("start KDE Connect on this computer (kdeconnectd) with the phone paired and "
                "reachable; the reply stays a draft")
_HINT_SESSION = ("run boundaries in the desktop session where KDE Connect runs; the reply "
                 "stays a draft")
_HINT_REACH = ("bring the phone into the same network (or Bluetooth) and open KDE Connect on "
               "it; the reply stays a draft")


class SmsError(BoundariesError):
    """An SMS that could not be handed to the phone; the message says why, the hint what to
    do. `maybe_sent`: the daemon had the message and did not answer in time."""

    def __init__(self, message: str, hint: str | None = None, *,
                 maybe_sent: bool = False) -> None:
        super().__init__(message, hint)
        self.maybe_sent = maybe_sent


class SmsPhone(NamedTuple):
    """The phone an SMS goes through: its KDE Connect id and name, and the sendSms shape
    its daemon takes."""

    device: str
    name: str
    form: str


class SmsSent(NamedTuple):
    """An SMS the daemon took: to which number, through which phone, by which shape."""

    to: str
    device: str
    name: str
    form: str


def plugin_path(device: str) -> str:
    """`/modules/kdeconnect/devices/<id>/sms`."""
    return f"{DEVICES_PATH}/{device}/sms"


def choose_method(signatures: Iterable[str]) -> str | None:
    """The sendSms shape to call among the input signatures a plugin offers, or None."""
    offered = set(signatures)
    return next((form for form in FORMS if form in offered), None)


def sms_arguments(form: str, number: str, text: str) -> list[Any]:
    """The body of `sendSms` in the shape `form`, to one number, with `text` and nothing
    attached (the default SIM)."""
    from dbus_fast import Variant

    if form == OLD:
        return [number, text]
    if form in (V2008, V2008_SUB):
        body: list[Any] = [Variant("a(s)", [[number]]), text]
    elif form in (NEW, NEW_SUB):
        body = [[Variant("(s)", [number])], text, []]
    else:
        raise ValueError(f"unknown sendSms shape {form!r}")
    return [*body, DEFAULT_SUB_ID] if form.endswith("x") else body


def sms_signatures(xml: str) -> list[str] | None:
    """The input signatures of `sendSms` in a plugin object's introspection XML; None when
    the object has no SMS interface (or the XML cannot be read)."""
    from dbus_fast.introspection import Node

    try:
        node = Node.parse(xml)
    except Exception:  # InvalidIntrospectionError, or XML that is no XML
        return None
    for interface in node.interfaces:
        if interface.name == SMS_INTERFACE:
            return [m.in_signature for m in interface.methods if m.name == METHOD]
    return None


class _CallError(Exception):
    def __init__(self, name: str, text: str) -> None:
        super().__init__(f"{name}{': ' + text if text else ''}")
        self.name = name


async def _call(bus: Any, path: str, interface: str, member: str, signature: str = "",
                body: list[Any] | None = None, *, destination: str = BUS_NAME) -> list[Any]:
    """A method call's reply body, or _CallError with the error's name and text."""
    from dbus_fast import Message, MessageFlag, MessageType

    reply = await bus.call(Message(destination=destination, path=path, interface=interface,
                                   member=member, signature=signature, body=body or [],
                                   flags=MessageFlag.NO_AUTOSTART))
    if reply is None:
        raise _CallError(f"{_DBUS}.Error.Disconnected", "the bus closed the connection")
    if reply.message_type is MessageType.ERROR:
        text = reply.body[0] if reply.body and isinstance(reply.body[0], str) else ""
        raise _CallError(reply.error_name or "an error", clip(text, 200))
    return list(reply.body)


async def _connect(address: str | None) -> Any:
    address = address or session_bus_address()
    if address is None:
        raise SmsError("no session bus: DBUS_SESSION_BUS_ADDRESS is not set", _HINT_SESSION)
    bus, why = await connect_bus(address, CONNECT_TIMEOUT)
    if bus is None:
        raise SmsError(why, _HINT_SESSION)
    return bus


async def _phone(bus: Any, device: str | None) -> SmsPhone:
    """The phone to send through (see the module docstring), or SmsError."""
    # that someone owns the name (NameHasNoOwner: KDE Connect is not running); the calls
    # below go to the well-known name
    await _call(bus, "/org/freedesktop/DBus", _DBUS, "GetNameOwner", "s", [BUS_NAME],
                destination=_DBUS)
    try:
        names = dict((await _call(bus, DAEMON_PATH, DAEMON_INTERFACE, "deviceNames", "bb",
                                  [False, True]))[0])
        reachable = list((await _call(bus, DAEMON_PATH, DAEMON_INTERFACE, "devices", "bb",
                                      [True, True]))[0])
    except _CallError as err:
        raise SmsError(f"KDE Connect did not say which phones are paired: {err}",
                       _HINT_DAEMON) from None
    if not names:
        raise SmsError("KDE Connect has no paired device",
                       "pair the phone in KDE Connect; the reply stays a draft")
    if device is not None:
        wanted = device.strip().casefold()
        ids = [d for d in names if wanted in (d.casefold(), str(names[d]).strip().casefold())]
        if not ids:
            raise SmsError(f"KDE Connect has no paired device {quoted(device, 60)} (paired: "
                           f"{_names(names, names)})", "name a paired phone by its name or id")
        if ids[0] not in reachable:
            raise SmsError(f"{_name(ids[0], names)} is paired but not reachable now",
                           _HINT_REACH)
        candidates = ids[:1]
    else:
        candidates = [d for d in reachable if d in names]
        if not candidates:
            raise SmsError(f"no paired phone is reachable now (paired: {_names(names, names)})",
                           _HINT_REACH)
    seen: list[str] = []
    for d in candidates:
        try:
            (xml,) = await _call(bus, plugin_path(d), _INTROSPECTABLE, "Introspect")
        except _CallError:
            continue  # no such object: the plugin is not loaded for this device
        signatures = sms_signatures(str(xml))
        if signatures is None:
            continue
        form = choose_method(signatures)
        if form is None:
            seen.append(f"{_name(d, names)}: {', '.join(signatures) or 'none'}")
            continue
        return SmsPhone(d, str(names.get(d, d)), form)
    if seen:
        raise SmsError("KDE Connect's SMS plugin has no sendSms this program knows "
                       f"({'; '.join(seen)}; known: {', '.join(FORMS)})",
                       "update boundaries, or KDE Connect; the reply stays a draft")
    which = _names({d: names[d] for d in candidates}, names)
    raise SmsError(f"{which}: KDE Connect's SMS plugin is not loaded",
                   "turn on the SMS plugin for the phone in KDE Connect's settings and allow "
                   "SMS in the phone's KDE Connect app; the reply stays a draft")


def _name(device: str, names: dict) -> str:
    return clip(str(names.get(device, "")).strip() or device, 40)


def _names(ids: Iterable[str], names: dict) -> str:
    shown = [_name(d, names) for d in ids]
    return ", ".join(shown[:5]) + (", …" if len(shown) > 5 else "")


async def _with_bus(address: str | None, timeout: float, work: Any) -> Any:
    """`await work(bus)` on a fresh connection, closed after; the whole bounded by
    `timeout` seconds."""
    stage = {"sending": False}
    bus = None
    try:
        async with asyncio.timeout(timeout):
            bus = await _connect(address)
            return await work(bus, stage)
    except TimeoutError:
        if stage["sending"]:
            raise SmsError(f"KDE Connect did not answer in {timeout:g} s",
                           "the SMS may have gone: look on the phone before sending it again",
                           maybe_sent=True) from None
        raise SmsError(f"KDE Connect did not answer in {timeout:g} s", _HINT_DAEMON) from None
    except _CallError as err:
        if err.name in (f"{_DBUS}.Error.NameHasNoOwner", f"{_DBUS}.Error.ServiceUnknown"):
            raise SmsError("KDE Connect is not running (nobody owns org.kde.kdeconnect on "
                           "the session bus)", _HINT_DAEMON) from None
        raise SmsError(f"KDE Connect failed: {err}", _HINT_DAEMON) from None
    except SmsError:
        raise
    except Exception as err:  # the bus went away during a call (EOFError, OSError, …)
        raise SmsError(f"the session bus failed: {err or type(err).__name__}",
                       "look on the phone whether the SMS went; the reply stays a draft",
                       maybe_sent=stage["sending"]) from None
    finally:
        if bus is not None:
            with contextlib.suppress(Exception):
                bus.disconnect()


async def find_phone(*, address: str | None = None, device: str | None = None,
                     timeout: float = TIMEOUT) -> SmsPhone:
    """The phone an SMS would go through now (for a dialog to name it), or SmsError.
    `address`: the bus (default: the session bus); `device`: a paired device's id or name
    (default: the first reachable one with the SMS plugin)."""
    async def work(bus: Any, stage: dict) -> SmsPhone:
        return await _phone(bus, device)
    return await _with_bus(address, timeout, work)


async def send_sms(number: str, text: str, *, address: str | None = None,
                   device: str | None = None, timeout: float = TIMEOUT) -> SmsSent:
    """Hand `text` to the paired phone to send to `number` (E.164, as given), in the shape
    its KDE Connect takes. Returns what was sent through which phone; SmsError when it
    could not (no bus, no KDE Connect, no paired or reachable phone, no SMS plugin, the
    call refused, no answer within `timeout` seconds — then `maybe_sent`)."""
    async def work(bus: Any, stage: dict) -> SmsSent:
        phone = await _phone(bus, device)
        stage["sending"] = True
        try:
            await _call(bus, plugin_path(phone.device), SMS_INTERFACE, METHOD, phone.form,
                        sms_arguments(phone.form, number, text))
        except _CallError as err:
            raise SmsError(f"KDE Connect did not take the SMS for {phone.name}: {err}",
                           "look at KDE Connect on the phone; the reply stays a draft"
                           ) from None
        return SmsSent(number, phone.device, phone.name, phone.form)
    return await _with_bus(address, timeout, work)


__all__ = ["FORMS", "METHOD", "NEW", "NEW_SUB", "OLD", "SMS_INTERFACE", "TIMEOUT", "V2008",
           "V2008_SUB", "SmsError", "SmsPhone", "SmsSent", "choose_method", "find_phone",
           "plugin_path", "send_sms", "sms_arguments", "sms_signatures"]

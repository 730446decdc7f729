"""Where a reply goes: its channel and address (sources.md §10), chosen from what the
request, the client and the tier already say. Pure: the line types come from the loader.

The candidates, in order (the first whose channel is among the tier's `channels` wins, else
the first of them; none: no way, and a sentence saying why):

- a mail: mail to its first `Reply-To` address, else to its `From` address (a request
  typed as `--channel email --from ADDRESS`: that address; one naming a client: the
  client's first address);
- a chat: chat to the sender (its number, or the address it wrote from; a client named by
  id: the client's first number that can receive SMS, a messenger's number);
- an SMS: SMS back to the number it came from (it wrote from it, whatever its line type),
  then mail to the client's first address;
- a call from a number that can receive SMS (mobile, or fixed-or-mobile as US numbers
  are): SMS to that number, then mail to the client's first address;
- a call from a landline, or from a number that could not be classified: mail to the
  client's first address;
- a request naming a client id (SMS or call): SMS to the client's first number that can
  receive SMS, then mail to its first address;
- a call or SMS from a mail address (typed so): mail to that address;
- a withheld number: none.

A mail that came from a number or a client id adds, after its own candidate, those of its
sender as a call would (decided here: the spec names only a mail's addresses).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import NamedTuple, Protocol

VIA_CHANNELS = ("sms", "email", "chat")
SMS_LINES = frozenset({"mobile", "fixed-or-mobile"})  # line types that can receive an SMS


class Via(NamedTuple):
    """How a reply goes out: `sms`, `email` or `chat`, to an E.164 number or an address."""

    channel: str
    to: str

    def as_json(self) -> dict:
        return {"channel": self.channel, "to": self.to}

    def cell(self) -> str:
        """The via as one CSV cell: `sms:+436641234567`."""
        return f"{self.channel}:{self.to}"


class _Sender(Protocol):  # core.request.Sender (not imported: request imports this module)
    raw: str
    client_id: str | None
    via: str
    number: str | None
    line_type: str | None


class _Client(Protocol):  # core.model.Client: what the choice reads of it
    id: str
    phones: tuple[str, ...]
    emails: tuple[str, ...]


def can_receive_sms(line_type: str | None) -> bool:
    """Whether a number of this line type can take an SMS (an unclassified one cannot)."""
    return line_type in SMS_LINES


def _first_sms_number(client: _Client, line_types: Mapping) -> str | None:
    for number in client.phones:
        if can_receive_sms(line_types.get(number)):
            return number
    return None


def _client_mail(client: _Client | None) -> list[Via]:
    return [Via("email", client.emails[0])] if client is not None and client.emails else []


def _is_address(sender: _Sender) -> bool:
    return sender.via == "email"


def candidates(channel: str, sender: _Sender, client: _Client | None,
               line_types: Mapping, reply_to: Sequence[str] = ()) -> list[Via]:
    """Every way a reply could reach the sender, best first (see the module docstring).

    `line_types`: E.164 -> line type of the client's numbers (`PolicySet.phone_types`)."""
    out: list[Via] = []
    if channel == "email":
        if reply_to:
            out.append(Via("email", reply_to[0].strip()))
        elif _is_address(sender):
            out.append(Via("email", sender.raw.strip()))
        else:
            out += _client_mail(client)
    elif channel == "chat":
        if sender.number:
            out.append(Via("chat", sender.number))
        elif _is_address(sender):
            out.append(Via("chat", sender.raw.strip()))
        elif client is not None and sender.via == "id":
            number = _first_sms_number(client, line_types)
            if number is not None:
                out.append(Via("chat", number))
        if out:
            return out  # a chat is answered in the chat (§10 names no other way)
    if sender.number:
        if channel == "sms" or can_receive_sms(sender.line_type):
            out.append(Via("sms", sender.number))
        out += _client_mail(client)
    elif client is not None and sender.via == "id":
        number = _first_sms_number(client, line_types)
        if number is not None:
            out.append(Via("sms", number))
        out += _client_mail(client)
    elif _is_address(sender):
        out.append(Via("email", sender.raw.strip()))
    return _unique(out)


def _unique(vias: Iterable[Via]) -> list[Via]:
    seen: set[tuple[str, str]] = set()
    out = []
    for v in vias:
        key = (v.channel, v.to.casefold())
        if key not in seen:
            seen.add(key)
            out.append(v)
    return out


def no_way(sender: _Sender, client: _Client | None) -> str:
    """Why no reply can reach the sender, as a sentence without a capital or a full stop."""
    if sender.number:
        if sender.line_type == "fixed":
            what = f"{sender.number} is a landline"
        else:
            what = f"{sender.number} could not be classified as a mobile number"
        return f"{what} and no address is known" + (
            f" for client {client.id}" if client is not None else "")
    if client is not None:
        return (f"client {client.id} has no number that can receive SMS and no address is "
                "known")
    if not sender.raw.strip():
        return "the number was withheld"
    return f"{sender.raw.strip()} is no number or address a reply can go to"


def choose_via(channel: str, sender: _Sender, client: _Client | None, tier_channels:
               Sequence[str], line_types: Mapping, reply_to: Sequence[str] = ()
               ) -> tuple[Via | None, str | None]:
    """The way the reply goes (§10): the first candidate whose channel the tier takes, else
    the first candidate; with none, (None, why) — "+43732999999 is a landline and no
    address is known"."""
    found = candidates(channel, sender, client, line_types, reply_to)
    if not found:
        return None, no_way(sender, client)
    for v in found:
        if v.channel in tier_channels:
            return v, None
    return found[0], None


__all__ = ["SMS_LINES", "VIA_CHANNELS", "Via", "can_receive_sms", "candidates", "choose_via",
           "no_way"]

"""Resolving who a request came from: client id, phone number or mail address."""

from __future__ import annotations

from collections.abc import Mapping

from boundaries.core.errors import BoundariesError
from boundaries.core.model import Client, PolicySet
from boundaries.core.request import Sender
from boundaries.policy.phones import line_type, looks_like_phone, normalise


class SenderError(BoundariesError, ValueError):
    """A sender that cannot be a client id, a number or an address."""


def _literal_e164(text: str) -> str | None:
    """`+43 732 123456` or `0043 732 123456` -> `+43732123456`; None for national forms."""
    digits = "".join(c for c in text if c.isdigit())
    if text.lstrip().startswith("+"):
        return "+" + digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    return None


def folded_index(clients: Mapping[str, Client]) -> dict[str, str]:
    """Case-folded client ids and names -> client id; an id wins over a name, and the first
    client in the file over a later one."""
    out = {c.name.casefold(): c.id for c in reversed(list(clients.values()))}
    out.update({cid.casefold(): cid for cid in reversed(list(clients))})
    return out


WITHHELD = Sender(raw="", client_id=None, via="unknown")  # a call without a number (§8)


def resolve_sender(ps: PolicySet, raw: str) -> Sender:
    """Match `raw` to a client by id, then by mail, then by phone number (E.164)."""
    text = raw.strip()
    if not text:
        raise SenderError("empty sender", "give a client id, a phone number or a mail address")
    if text in ps.clients:
        return Sender(raw=text, client_id=text, via="id")
    folded = text.casefold()
    index = ps.folded_names or folded_index(ps.clients)
    if folded in index:
        return Sender(raw=text, client_id=index[folded], via="id")
    if "@" in text:
        local, _, domain = text.rpartition("@")
        if not local or not domain or " " in text:
            raise SenderError(f"`{text}` is not a mail address", "e.g. `office@example.com`")
        return Sender(raw=text, client_id=ps.email_index.get(text.casefold()), via="email")
    if looks_like_phone(text):
        literal = _literal_e164(text)
        if literal in ps.phone_types:  # a client's number written in full: no parsing needed
            return Sender(raw=text, client_id=ps.phone_index[literal], via="phone",
                          number=literal, line_type=ps.phone_types[literal])
        e164 = normalise(text, ps.me.region)
        if e164 is None:
            raise SenderError(f"`{text}` is not a phone number I can read",
                              "write it with +country code, e.g. `+43 664 1234567`")
        return Sender(raw=text, client_id=ps.phone_index.get(e164), via="phone", number=e164,
                      line_type=line_type(e164))
    from boundaries.core.diagnostics import suggest

    hint = suggest(text, ps.clients)
    if hint is None:
        names = {c.name: c.id for c in ps.clients.values()}
        by_name = suggest(text, names)
        hint = by_name and f"{by_name} (client ids: {', '.join(sorted(ps.clients))})"
    raise SenderError(f"`{text}` is no client id, phone number or mail address",
                      hint or f"client ids: {', '.join(sorted(ps.clients)) or 'none'}")

"""A mail message as a request: its headers, decoded, and why a reply may not go to it.

The readers in `sources/mail/` turn a file's header block into a `MailMessage`; the no-reply
rules (`core/mail_rules.py`) and the service's mail use case read only this value, never a
file.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple


class MailMessage(NamedTuple):
    """One message's headers, decoded: everything deciding and answering it needs.

    Addresses are bare (`anna@example.at`, no display name, no angle brackets) as written;
    compare them with `same_address`. Message-IDs keep their angle brackets.
    """

    path: str  # where it was read: a file, `-`, or `MBOX#N`
    message_id: str | None  # `<…@…>`, or None when the message has none
    from_address: str | None  # the first `From` address; None: no usable From
    from_name: str  # its display name, "" when none
    reply_to: tuple[str, ...]  # the `Reply-To` addresses
    recipients: tuple[str, ...]  # To, Cc, Bcc, Resent-To, Resent-Cc, Resent-Bcc addresses
    subject: str  # decoded (RFC 2047), unfolded; "" when none
    date: datetime | None  # the `Date` header, aware; None when missing or unreadable
    delivered: datetime | None  # when it arrived (a Maildir file's mtime, an mbox From_ line)
    references: tuple[str, ...]  # the `References` Message-IDs, in order
    in_reply_to: str | None  # the `In-Reply-To` Message-ID
    headers: Mapping[str, tuple[str, ...]]  # lower-cased name -> its values, decoded text
    digest: str  # sha256 hex of the raw header block: the key of a message without an id

    @property
    def key(self) -> str:
        """What the journal remembers this message by: its Message-ID, else its digest."""
        return self.message_id if self.message_id else f"sha256:{self.digest}"

    @property
    def when(self) -> datetime | None:
        """The request's time: its `Date`, else when it was delivered."""
        return self.date if self.date is not None else self.delivered

    def header(self, name: str) -> str | None:
        """The first value of header `name` (any case), or None."""
        values = self.headers.get(name.lower())
        return values[0] if values else None


class Suppressed(NamedTuple):
    """Why no reply may go to a message: the rule (`list`, `auto-submitted`, …) and the
    header that showed it (`List-Id`, …; None where no header did, as for a sender who had
    a reply recently)."""

    rule: str
    header: str | None
    text: str  # the reason, worded for a human: "no reply to a mailing list (List-Id)"

    def as_json(self) -> dict:
        return {"rule": self.rule, "header": self.header}


def same_address(a: str, b: str) -> bool:
    """Whether two bare addresses name the same mailbox (case-insensitive, as users expect;
    RFC 5321 leaves the local part's case to the receiving host, and hosts ignore it)."""
    return a.strip().casefold() == b.strip().casefold()


__all__ = ["MailMessage", "Suppressed", "same_address"]

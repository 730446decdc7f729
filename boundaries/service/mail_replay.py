"""Mail as requests to replay (issue 16 part 7): `replay --maildir DIR`, `replay --mbox FILE`.

Every message of a Maildir (`new/` and `cur/`) or an mbox file becomes one replay row, made
as `mail` makes its request (`service.mail`): `from` its From address, `at` its Date (else
when it was delivered: the Maildir file's modification time, the mbox `From ` line's date),
channel `email`, the kind its Subject has in `[mail.kinds]`, urgency `normal`. Beside them:
`message` (the file, or `MBOX#N`), `message_id`, `reply_to` (its first `Reply-To` address,
where a reply goes before `from`: the `via` column names it, as `mail` answers there), and
`no_reply`, the no-reply rule of the
message's headers (`list`, `auto-submitted`, …; `core.mail_rules`), empty when a reply may
go — replay compares decisions, and a message no reply may go to keeps its decision, as in
`mail`. `replied-recently` plays no part: replay sends nothing.

Two kinds of message are no request and are left out, counted in `skipped` without a word:
mail from one of my own `addresses` (the Sent mail of a Google Takeout "All mail" export, my
own copies in a shared folder) — `mail` would decide it and let no reply go (`from-me`), but
in a replay it would count as a request from a stranger — and a message Thunderbird has
deleted or moved away but not yet compacted out of the mbox file (`X-Mozilla-Status` with
its expunged bit, 0x0008): no longer in the folder, and the moved one is replayed where it
went.

The rows come in time order (their `at`, then the order read), so simulated budgets and
repeats follow the mail as it came whatever order the files lie in: the messages' headers
are read first, keeping each row's few cells (about half a kilobyte a message), then
replayed. A message that cannot be read, or has neither a Date nor a delivery time, is
handed to `on_skip(path, why)` and counted in `skipped`; nothing of the mail is changed
(the readers open every file read-only).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from boundaries.replay.input import InputError, Source

if TYPE_CHECKING:
    from boundaries.core.mail import MailMessage
    from boundaries.core.model import PolicySet

COLUMNS = ("message", "message_id", "from", "at", "channel", "kind", "reply_to", "no_reply")
UNREADABLE, NO_TIME, FROM_ME, DELETED = "unreadable", "no time", "from me", "deleted"
TOLD = (UNREADABLE, NO_TIME)  # the skipped that `on_skip` hears of, one by one
_EXPUNGED = 0x0008  # Thunderbird's X-Mozilla-Status flag of a deleted (or moved) message
PROGRESS_EVERY = 256  # messages read between two calls of `on_progress`

Progress = Callable[[int, int | None], None]  # (messages read, done of `total`)


class MailSource(Source):
    """A `Source` of mail rows, with the messages' no-reply rules counted (`no_reply`:
    rule -> messages) and the messages skipped (`skipped`: UNREADABLE, NO_TIME, FROM_ME,
    DELETED -> messages)."""

    no_reply: Counter[str]


class MailInput:
    """A Maildir folder or an mbox file to replay. A Maildir is listed at once (`total`: its
    message files, for a progress bar); an mbox's `total` is None. InputError for a folder
    that is no Maildir."""

    def __init__(self, *, maildir: str | None = None, mbox: str | None = None) -> None:
        if (maildir is None) == (mbox is None):
            raise ValueError("give a Maildir or an mbox")
        self.maildir = Path(maildir) if maildir is not None else None
        self.mbox = Path(mbox) if mbox is not None else None
        self.label = maildir if maildir is not None else mbox  # as the user wrote it
        self.total: int | None = None
        if self.maildir is not None:
            from boundaries.sources.mail.maildir import MaildirError, list_maildir

            try:
                self.total = len(list_maildir(self.maildir))
            except MaildirError as exc:
                raise InputError(str(exc), exc.hint) from None
        elif self.mbox.is_dir():
            raise InputError(f"{mbox}: is a folder, not an mbox file",
                             "a Maildir (a folder with new/ and cur/) is read with --maildir")

    def source(self, ps: PolicySet, on_skip: Callable[[str, str], None],
               on_progress: Progress | None = None) -> MailSource:
        """Every message read (its headers only) and made a row with `ps`'s `[mail.kinds]`
        and addresses, in time order. InputError for an mbox that cannot be opened or is no
        mbox, or a file that cannot be read on."""
        from boundaries.core.mail_rules import suppression

        kinds, mine = ps.me.mail_kinds, ps.me.addresses
        no_reply: Counter[str] = Counter()
        skipped: Counter[str] = Counter()
        rows: list[tuple[float, int, list[str]]] = []
        read = 0
        for item in self._items():
            read += 1
            if on_progress is not None and read % PROGRESS_EVERY == 0:
                on_progress(read, read if self.total is not None else None)
            message = getattr(item, "message", None)
            if message is None:  # a MailSkip
                skipped[UNREADABLE] += 1
                on_skip(item.path, item.warning)
                continue
            when = message.when
            if when is None:
                skipped[NO_TIME] += 1
                on_skip(item.path, "no Date header, and no delivery time: no time to "
                                   "replay it at")
                continue
            if _from_me(message, mine):
                skipped[FROM_ME] += 1
                continue
            if _expunged(message):
                skipped[DELETED] += 1
                continue
            found = suppression(message, mine)
            rule = found.rule if found is not None else ""
            if rule:
                no_reply[rule] += 1
            rows.append((when.timestamp(), read, _cells(item.path, message, kinds, rule)))
        if on_progress is not None:
            on_progress(read, read if self.total is not None else None)
        rows.sort(key=_time_then_order)
        here = [str(self.label)]

        def cells() -> Iterator[list[str]]:
            for _, _, row in rows:
                here[0] = row[0]
                yield row

        source = MailSource(str(self.label), list(COLUMNS), cells(), lambda: here[0],
                            self.total, (lambda: self.total or 0) if self.total else None,
                            rows.clear)
        source.skipped = skipped
        source.no_reply = no_reply
        return source

    def _items(self) -> Iterator:
        """The reader's MailItems and MailSkips; its errors as InputError."""
        from boundaries.core.errors import BoundariesError

        try:
            if self.maildir is not None:
                from boundaries.sources.mail.maildir import maildir_messages

                yield from maildir_messages(self.maildir)
            else:
                from boundaries.sources.mail.mbox import mbox_messages

                assert self.mbox is not None
                yield from mbox_messages(self.mbox)
        except BoundariesError as exc:  # MaildirError, MboxError
            raise InputError(str(exc), exc.hint) from None
        except OSError as exc:
            raise InputError(f"{self.label}: cannot be read: {exc.strerror or exc}") from None


def _from_me(message: MailMessage, mine: tuple[str, ...]) -> bool:
    from boundaries.core.mail import same_address

    sender = message.from_address
    return sender is not None and any(same_address(sender, a) for a in mine)


def _expunged(message: MailMessage) -> bool:
    """Whether Thunderbird marked the message deleted (it stays in the file until the
    folder is compacted)."""
    status = message.header("x-mozilla-status")
    if not status:
        return False
    try:
        return bool(int(status.strip(), 16) & _EXPUNGED)
    except ValueError:
        return False


def _time_then_order(row: tuple[float, int, list[str]]) -> tuple[float, int]:
    return row[0], row[1]


def _cells(path: str, message: MailMessage, kinds: tuple, rule: str) -> list[str]:
    """One message's row (COLUMNS); its `when` is known."""
    from boundaries.service.mail import mail_kind

    assert message.when is not None
    return [path, message.message_id or "", message.from_address or "",
            message.when.replace(microsecond=0).isoformat(), "email",
            mail_kind(message.subject, kinds), message.reply_to[0] if message.reply_to else "",
            rule]


__all__ = ["COLUMNS", "DELETED", "FROM_ME", "NO_TIME", "TOLD", "UNREADABLE", "MailInput",
           "MailSource"]

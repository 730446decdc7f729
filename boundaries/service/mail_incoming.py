"""New mail in a Maildir, decided as it comes, for the TUI's Incoming list (sources.md §9),
and the reply the user edited written into Drafts when they ask for it.

`mail --maildir` (`service/mail.py`'s `MailRun`) decides, drafts and records each message
at once; the TUI only shows and waits for a key. So here:

- `scan_maildir` (no journal, no policies: it may run in a thread) lists the Maildir and
  reads the headers of the messages not seen before in this session that were delivered
  (the file's modification time) since a given instant — today's mail; older files are
  remembered by their unique names and never read.
- `MailIncoming.decide` decides one message as `mail --maildir` would — the same request,
  the same facts, the same no-reply rules (`decide_mail`) — and writes nothing. A message
  the journal holds already (a `mail --watch` beside the TUI decided it) is decided
  without its own entry (which would count as a reply to itself) and says so (`before`).
- `MailIncoming.save` writes the replies as the user left them — complete messages,
  threaded to the original — into the Drafts Maildir and records the message in the
  journal as `mail --maildir` records a drafted one (a draft counts as a reply for
  `reply_once_days`, and no other run drafts it again), under the journal folder's mail
  lock, unless the journal holds it already.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Container
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from boundaries.service.mail import (
    OUTCOME,
    MailDecided,
    MailSetupError,
    decide_mail,
    hold_mail_lock,
)
from boundaries.service.mail_memory import SOURCE
from boundaries.service.requests import JournalCache, JournalWriteError, make_entry

if TYPE_CHECKING:
    from boundaries.core.mail import MailMessage
    from boundaries.core.model import PolicySet
    from boundaries.journal.store import Entry

REPLIED, DECIDED = "replied", "decided"  # what the journal held of a message at its arrival
_SAVES = itertools.count(1)  # this process's drafts: part of each one's Message-ID


class Scan(NamedTuple):
    """One look at a Maildir: `items` the new messages (`sources.mail.maildir.MailItem`),
    `skipped` (path, why) of files that are no readable message, `names` every unique name
    listed (to pass as `seen` next time)."""

    items: list
    skipped: list[tuple[str, str]]
    names: set[str]


def scan_maildir(folder: Path, seen: Container[str], since: float) -> Scan:
    """The messages of `folder` whose unique names are not in `seen`, delivered at or after
    `since` (a POSIX time), headers only, oldest first. MaildirError for a folder that is
    no Maildir (or cannot be listed). Reads, never writes; safe to run in a thread."""
    from boundaries.sources.mail.maildir import MailSkip, maildir_messages

    listed = _listing(folder)
    names = set(listed)
    passed = {name for name, mtime in listed.items() if mtime < since or name in seen}
    if len(passed) == len(names):  # nothing new: one listing, no message read
        return Scan([], [], names)
    items, skipped = [], []
    for item in maildir_messages(folder, known=passed):
        if isinstance(item, MailSkip):
            skipped.append((item.path, item.warning))
        else:
            items.append(item)
    return Scan(items, skipped, names)


def _listing(folder: Path) -> dict[str, float]:
    """Unique name -> modification time of each message file in `new/` and `cur/`: a
    listing and a stat each, without the paths `list_maildir` makes (a look at 10,000
    files with nothing new: 25 ms rather than 60). MaildirError as `list_maildir` says it."""
    from boundaries.sources.mail.maildir import scan_maildir, unique_name

    return {unique_name(name): mtime for mtime, name, _ in scan_maildir(folder)}


class MailSeen(NamedTuple):
    """A message decided: `decided` (None when no request can be made of its From:
    `problem` says why), and `before` — REPLIED or DECIDED when the journal held it at
    that moment (decided by another run: drafted or sent, or decided without a reply),
    else None."""

    message: MailMessage
    decided: MailDecided | None
    before: str | None = None
    problem: str = ""


class Saved(NamedTuple):
    """What `save` did: the drafts written, the journal file the message went into (None:
    not recorded — `already` when the journal held it, else `problem` says why)."""

    written: tuple[Path, ...]
    recorded: Path | None
    already: bool = False
    problem: str = ""


class MailIncoming:
    """The mail of one TUI session: each message decided with the app's `JournalCache`."""

    def __init__(self, ps: PolicySet, folder: Path | None, journal: JournalCache, *,
                 clock: Callable[[], datetime]) -> None:
        self.ps = ps
        self.folder = folder
        self.journal = journal
        self.clock = clock
        self.warnings: list[str] = []  # the journal's bad lines, each once: take them
        self._warned: set[str] = set()

    def decide(self, msg: MailMessage) -> MailSeen:
        """`msg` decided now, as `mail --maildir` would decide it; nothing written."""
        from boundaries.core.errors import RequestError
        from boundaries.core.time import zone
        from boundaries.journal.facts import facts_for, months_needed
        from boundaries.service.mail import mail_request

        ps, now = self.ps, self.clock()
        try:
            req = mail_request(ps, msg, now)
        except RequestError as exc:
            return MailSeen(msg, None, None, str(exc).removeprefix(f"{msg.path}: "))
        tz = zone(ps.me.timezone)
        entries, warnings = self.journal.entries(
            months_needed(req.at, tz, ps.me.reply_once_days))
        self._warn(warnings)
        own = _own(entries, msg.key)
        others = (e for e in entries if e not in own)
        facts = facts_for(others, req, req.sender.client_id, tz, ps.me.reply_once_days)
        before = None
        if own:
            before = REPLIED if any(e.data.get("reply_key") for e in own) else DECIDED
        return MailSeen(msg, decide_mail(ps, msg, facts, now, request=req), before)

    def save(self, m: MailDecided, reply: str | None, confirm: str | None,
             drafts: Path) -> Saved:
        """Write `reply` and `confirm` (the texts as the user left them; None: not that
        one) as drafts answering `m`'s message into the Maildir `drafts`, and record the
        message — once: not when the journal holds it already. Each draft gets a Message-ID
        of its own (a draft the user edited is a message of theirs, not the one `mail
        --maildir` would have written). A `BoundariesError` (DraftError, MailSetupError)
        when nothing could be written; a journal that cannot take the entry is `problem`.
        Reads the journal itself, not through the shared cache, so it may run in a thread
        (the caller clears the cache afterwards)."""
        import contextlib

        from boundaries.core.time import zone
        from boundaries.journal.store import append, month_of
        from boundaries.sources.mail.compose import (
            confirmation_message,
            make_message_id,
            reply_message,
            reply_token,
        )
        from boundaries.sources.mail.drafts import write_drafts

        ps = self.ps
        if not ps.me.addresses:
            raise MailSetupError("no address of mine to send the reply from",
                                 'name it in me.toml: addresses = ["martin@huber-it.example"]')
        now = self.clock()
        me, msg, d = ps.me.addresses[0], m.message, m.decision
        blobs = []
        for what, text, make in (("reply", reply, reply_message),
                                 ("confirm", confirm, confirmation_message)):
            if text is None:
                continue
            token = reply_token(msg, f"{what}.{now.strftime('%Y%m%dT%H%M%S')}.{next(_SAVES)}")
            blobs.append(make(msg, text, my_name=ps.me.name, my_address=me,
                              discreet=d.discreet, date=now.astimezone(zone(ps.me.timezone)),
                              message_id=make_message_id(me, token)).as_bytes())
        if self.folder is None:
            return Saved(tuple(write_drafts(drafts, blobs)), None)
        with contextlib.ExitStack() as held:
            try:
                hold_mail_lock(held, self.folder)
            except JournalWriteError as exc:  # the draft still goes where the user asked
                return Saved(tuple(write_drafts(drafts, blobs)), None, False, str(exc))
            month = month_of(d.at)
            # read afresh, and not through the app's cache: this may run in a thread
            entries, _ = JournalCache(self.folder).entries([month])
            written = tuple(write_drafts(drafts, blobs))
            if _own(entries, msg.key):
                return Saved(written, None, True)
            if reply is None:
                d = d._replace(reply=None)  # no reply written: none is recorded
            entry = make_entry(ps, m.request, d, OUTCOME, 0, "", now)
            entry.update(source=SOURCE, source_id=msg.key)
            try:
                path = append(self.folder, entry, month)
            except OSError as exc:
                return Saved(written, None, False, str(JournalWriteError(self.folder, exc)))
            return Saved(written, path)

    def _warn(self, warnings: list[str]) -> None:
        for w in warnings:
            if w not in self._warned:
                self._warned.add(w)
                self.warnings.append(w)


def _own(entries: list[Entry], key: str) -> list[Entry]:
    """The journal's entries of the message with this key (`mail --maildir` records one)."""
    return [e for e in entries
            if e.data.get("source") == SOURCE and e.data.get("source_id") == key]


__all__ = ["DECIDED", "REPLIED", "MailIncoming", "MailSeen", "Saved", "Scan", "scan_maildir"]

"""A mail message decided, and its reply drafted or sent (sources.md §9): the use case behind
`boundaries mail` (and the TUI's Incoming list).

- `decide_mail`: a `MailMessage` as a request — channel `email`, the sender its `From`
  address resolved as `check --from ADDRESS` resolves it, at its `Date` (else when it was
  delivered, else now), the kind from `[mail.kinds]` — decided with the journal's facts;
  then the no-reply guard (`core.mail_rules`: its header rules, then `replied-recently`, a
  reply of any key to this sender within `reply_once_days`). A suppressed message keeps its
  decision, with `reply` and `confirm` null and the rule's reason added; any other gets its
  reply (and the written confirmation, where the decision asks for one) as complete
  messages from my name and first address.
- `MailRun.take`: one message of a Maildir, unless the journal holds it already (its
  Message-ID, else the hash of its headers, as the entry's `source_id`, `source` "mail"):
  decided with the journal and this run's mail, its messages written into the Drafts
  Maildir or piped to `[mail] sendmail`, and recorded once (outcome `received`, with the
  reply's key when a reply was drafted or sent: a draft counts as a reply for
  `reply_once_days`). A send that fails keeps the reply as a draft; with no drafts folder
  the message is not recorded, so the next run tries again.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from boundaries.core.errors import BoundariesError
from boundaries.service.requests import JournalWriteError, make_entry

if TYPE_CHECKING:
    from email.message import EmailMessage

    from boundaries.core.mail import MailMessage, Suppressed
    from boundaries.core.model import PolicySet
    from boundaries.core.request import Decision, Facts, Request
    from boundaries.journal.store import Entry

SOURCE = "mail"  # the journal's `source` of a decided mail
OUTCOME = "received"  # a mail that came in: I did nothing (yet) but draft or send a reply
SEND_TIMEOUT = 60.0  # seconds a sendmail may take for one message
# what `MailRun.take` did with a message
DRAFTED, SENT, KEPT, NO_REPLY, NOTHING, ALREADY, UNSENT, HELD, PREVIEW = (
    "drafted", "sent", "kept", "no-reply", "nothing", "already", "unsent", "held", "preview")


class MailSetupError(BoundariesError):
    """What `mail` needs and me.toml does not say (my address, a sendmail, a Drafts)."""


class MailDecided(NamedTuple):
    """A message decided: the request made of it, the decision (with the no-reply rule's
    reason added when `suppressed`), and the messages to send — `reply` and `confirm` None
    where there is none, or none may go (`note` says why, when the decision has text but
    no message could be made of it)."""

    message: MailMessage
    request: Request
    decision: Decision
    suppressed: Suppressed | None
    reply: EmailMessage | None
    confirm: EmailMessage | None
    to: str  # where a reply goes: the Reply-To addresses, else the From address
    note: str = ""

    def as_json(self) -> dict:
        """`check --json`'s object plus `mail`: to, suppressed, the messages as text."""
        return {**self.decision.as_json(), "mail": {
            "to": self.to,
            "suppressed": self.suppressed.as_json() if self.suppressed else None,
            "message": message_text(self.reply),
            "confirm_message": message_text(self.confirm)}}


def message_text(message: EmailMessage | None) -> str | None:
    """A message as RFC 5322 text (None stays None)."""
    return None if message is None else message.as_string()


# -- a message as a request ----------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _kind_patterns(kinds: tuple[tuple[str, tuple[str, ...]], ...]
                   ) -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((kind, re.compile("|".join(rf"(?<!\w){re.escape(w)}(?!\w)" for w in words),
                                   re.IGNORECASE)) for kind, words in kinds if words)


def mail_kind(subject: str, kinds: tuple[tuple[str, tuple[str, ...]], ...]) -> str:
    """The kind `[mail.kinds]` gives a Subject: the first kind, in file order, one of whose
    words (or phrases) is in it as whole words, any case; else `question`."""
    for kind, pattern in _kind_patterns(kinds):
        if pattern.search(subject):
            return kind
    return "question"


def mail_request(ps: PolicySet, msg: MailMessage, now: datetime) -> Request:
    """The request a message is: from its `From` address (a client's address, else an
    unknown sender), at its `when` (else `now`), channel `email`, its kind from the Subject,
    urgency `normal`, its `Reply-To` where the reply goes. A From that is no address is a
    `RequestError`."""
    from boundaries.core.errors import RequestError
    from boundaries.core.request import Request
    from boundaries.core.time import zone
    from boundaries.policy.senders import SenderError, resolve_sender

    try:
        sender = resolve_sender(ps, msg.from_address or "")
    except SenderError as exc:
        raise RequestError(f"{msg.path}: {exc}", exc.hint) from None
    if sender.via != "email":  # a From like `acme@`: never a client id by accident
        raise RequestError(f"{msg.path}: `{msg.from_address}` is not a mail address")
    at = msg.when or now
    return Request(sender, at.astimezone(zone(ps.me.timezone)), "email",
                   mail_kind(msg.subject, ps.me.mail_kinds), "normal", reply_to=msg.reply_to)


def decide_mail(ps: PolicySet, msg: MailMessage, facts: Facts, now: datetime, *,
                send: bool = False, request: Request | None = None) -> MailDecided:
    """Decide `msg` (as `request`, when the caller made it already) with the journal's
    `facts`, guard it with the no-reply rules, and make its reply and confirmation (`send`:
    marked `Auto-Submitted: auto-replied`, as a message `--send` sends)."""
    from boundaries.core.engine import decide
    from boundaries.core.mail_rules import (
        replied_recently,
        replied_recently_suppressed,
        suppression,
    )
    from boundaries.core.request import Reason
    from boundaries.core.time import zone

    req = request if request is not None else mail_request(ps, msg, now)
    d = decide(ps, req, facts)
    suppressed = suppression(msg, ps.me.addresses)
    if suppressed is None and (d.reply is not None or d.confirm is not None):
        last = replied_recently(facts.replies_sent, None, req.at, ps.me.reply_once_days)
        if last is not None:
            suppressed = replied_recently_suppressed(last, ps.me.reply_once_days,
                                                     zone(ps.me.timezone))
    to = reply_to(msg)
    if suppressed is not None:
        d = d._replace(reply=None, confirm=None,
                       reasons=(*d.reasons, Reason(suppressed.text, "builtin")))
        return MailDecided(msg, req, d, suppressed, None, None, to)
    if d.reply is None and d.confirm is None:
        return MailDecided(msg, req, d, None, None, None, to)
    if not ps.me.addresses:
        return MailDecided(msg, req, d, None, None, None, to,
                           "no reply message: me.toml names no `addresses` to send it from")
    reply = confirm = None
    if d.reply is not None:
        reply = _compose(ps, msg, d, d.reply.text, "reply", now, send)
    if d.confirm is not None:
        confirm = _compose(ps, msg, d, d.confirm.text, "confirm", now, send)
    return MailDecided(msg, req, d, None, reply, confirm, to)


def _compose(ps: PolicySet, msg: MailMessage, d: Decision, text: str, what: str,
             now: datetime, send: bool) -> EmailMessage:
    """The reply (or the confirmation) to `msg`, dated now in my timezone. Its Message-ID
    comes from the original's key, so the same message always gets the same reply's id (a
    draft made twice, after a crash between the draft and the journal, is one message to
    a mail client)."""
    from boundaries.core.time import zone
    from boundaries.sources.mail.compose import (
        confirmation_message,
        make_message_id,
        reply_message,
        reply_token,
    )

    me = ps.me.addresses[0]
    make = reply_message if what == "reply" else confirmation_message
    return make(msg, text, my_name=ps.me.name, my_address=me, discreet=d.discreet,
                date=now.astimezone(zone(ps.me.timezone)),
                message_id=make_message_id(me, reply_token(msg, what)), auto_submitted=send)


def reply_to(msg: MailMessage) -> str:
    """Whom a reply goes to, as `mail --json` says it: the Reply-To addresses, else From,
    each once (the reply's own `To` says it as written into the message)."""
    found: dict[str, str] = {}
    for address in msg.reply_to or (msg.from_address or "",):
        if address:
            found.setdefault(address.casefold(), address)
    return ", ".join(found.values())


# -- the journal: what was decided, and the facts -----------------------------------------
class MailJournal:
    """The journal as a run over a Maildir reads it: the `source_id`s of the mail it holds
    (all months, read once), and each month's entries indexed by sender and client (read
    when a message first asks for the month), with this run's records added as they go."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.warnings: list[str] = []
        self._keys: set[str] | None = None
        self._tz: Any = None  # my timezone: the months are mine, as the journal's files
        self._months: set[str] = set()
        # (sender, month) and (client, month) -> entries: a decision looks at its months only
        self._by_sender: dict[tuple[str, str], list[Entry]] = {}
        self._by_client: dict[tuple[str, str], list[Entry]] = {}

    def holds(self, key: str) -> bool:
        """Whether a mail with this key (`MailMessage.key`) was decided before."""
        if self._keys is None:
            self._keys = set()
            for e in self._read(None, must_contain=SOURCE):
                if e.data.get("source") == SOURCE and isinstance(e.data.get("source_id"), str):
                    self._keys.add(e.data["source_id"])
        return key in self._keys

    def facts(self, ps: PolicySet, req: Request) -> Facts:
        """What the journal (and this run) says about `req`: budget, repeats, replies."""
        from boundaries.core.request import sender_key
        from boundaries.core.time import zone
        from boundaries.journal.facts import facts_for, months_needed

        self._tz = tz = zone(ps.me.timezone)
        months = months_needed(req.at, tz, ps.me.reply_once_days)
        for month in months:
            if month not in self._months:
                self._months.add(month)
                for e in self._read([month]):
                    self._index(e)
        client = req.sender.client_id
        key = sender_key(client, req.sender.number, req.sender.raw)
        mine: dict[int, Entry] = {}
        for month in months:
            mine.update((id(e), e) for e in self._by_sender.get((key, month), ()))
            if client is not None:
                mine.update((id(e), e) for e in self._by_client.get((client, month), ()))
        return facts_for(mine.values(), req, client, tz, ps.me.reply_once_days)

    def add(self, entry: Entry) -> None:
        """An entry this run recorded: it counts for what comes next (a month not read yet
        will be read with it)."""
        if self._keys is not None and entry.data.get("source") == SOURCE:
            self._keys.add(entry.data["source_id"])
        if self._tz is not None and self._month(entry) in self._months:
            self._index(entry)

    def clear(self) -> None:
        """Forget what was read (another front end may have written): read again."""
        self._keys = None
        self._months.clear()
        self._by_sender.clear()
        self._by_client.clear()

    def _month(self, e: Entry) -> str:
        local = e.at.astimezone(self._tz)
        return f"{local.year:04d}-{local.month:02d}"

    def _index(self, e: Entry) -> None:
        month = self._month(e)
        self._by_sender.setdefault((e.sender, month), []).append(e)
        if e.client:
            self._by_client.setdefault((e.client, month), []).append(e)

    def _read(self, months: list[str] | None, must_contain: str | None = None) -> list[Entry]:
        from boundaries.journal.store import read

        if self.folder is None or not self.folder.is_dir():
            return []
        entries, warnings = read(self.folder, months, must_contain=must_contain)
        self.warnings += [w.format() for w in warnings]
        return entries


# -- a run over a Maildir ------------------------------------------------------------------
class SeenFiles:
    """The files of one Maildir that a run with one journal decided, by their unique names
    (a name without its `:2,` flags: the same in `new/` and `cur/`), kept in the cache
    folder between runs, so that a run with nothing new lists the Maildir and reads no
    message. Only a shortcut: without it (no cache, `BOUNDARIES_CACHE=off`, a lost file)
    every message is read and the journal says what was decided before — the same result."""

    def __init__(self, maildir: Path, journal: Path | None) -> None:
        self.path = _seen_path(maildir, journal)
        self.names: set[str] = set()
        self._added = False
        if self.path is not None:
            with contextlib.suppress(OSError, ValueError):
                self.names = set(self.path.read_text(encoding="utf-8",
                                                     errors="surrogateescape").split("\n"))
            self.names.discard("")

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def add(self, name: str) -> None:
        if name not in self.names:
            self.names.add(name)
            self._added = True

    def save(self) -> None:
        """Write the names (atomically, 0600) if any were added; a cache that cannot be
        written is no error: the next run reads the messages instead."""
        from boundaries.fsutil import atomic_write_in

        if self.path is None or not self._added:
            return
        data = "".join(f"{n}\n" for n in sorted(self.names)).encode("utf-8", "surrogateescape")
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write_in(self.path.parent, self.path.name, lambda fh: fh.write(data),
                            mode=0o600, sync_folder=False)
            self._added = False


def _seen_path(maildir: Path, journal: Path | None) -> Path | None:
    """`<cache>/mail/<hash of the Maildir's and the journal's real paths>.seen`, or None
    when caching is off."""
    import os

    from boundaries.policy.cache import ENV_CACHE, cache_dir

    base = cache_dir()
    if base is None:
        return None
    folder = (base if os.environ.get(ENV_CACHE) else base.parent) / "mail"
    key = f"{os.path.realpath(maildir)}\0{os.path.realpath(journal) if journal else ''}"
    return folder / f"{hashlib.sha256(key.encode('utf-8', 'surrogateescape')).hexdigest()}.seen"


class Handled(NamedTuple):
    """What a run did with one message: `done` is DRAFTED, SENT, KEPT (not sent: drafted
    instead), NO_REPLY (a rule forbids one), NOTHING (the decision has no message to send),
    ALREADY (decided before: nothing done), UNSENT (not sent and no Drafts: not recorded,
    tried again next run), HELD (UNSENT earlier in this session: not tried again until the
    next run) or PREVIEW (no Drafts and no --send: shown, not recorded).
    `decided` is None for ALREADY; `written` the drafts; `problem` a failed send or a
    journal that could not be written."""

    message: MailMessage
    done: str
    decided: MailDecided | None = None
    written: tuple[Path, ...] = ()
    problem: str = ""
    recorded: Path | None = None


class MailRun:
    """One run of `mail --maildir` (or `--watch`): each message `take`n once.

    `drafts`: the Drafts Maildir (None: none); `sendmail`: the command `--send` pipes to
    (None: draft only). Without either, messages are decided and shown, nothing written."""

    def __init__(self, ps: PolicySet, journal: Path | None, *, drafts: Path | None,
                 sendmail: str | None, clock: Callable[[], datetime]) -> None:
        if (drafts is not None or sendmail is not None) and not ps.me.addresses:
            raise MailSetupError("no address of mine to send replies from",
                                 'name it in me.toml: addresses = ["martin@huber-it.example"]')
        self.ps, self.folder, self.drafts, self.sendmail = ps, journal, drafts, sendmail
        self.clock = clock
        self.journal = MailJournal(journal)
        self.writes = drafts is not None or sendmail is not None
        self._unsent: set[str] = set()  # not sent, no Drafts: not tried again this session
        self._unrecorded: set[str] = set()  # drafted or sent, but the journal failed

    def take(self, msg: MailMessage) -> Handled:
        """Decide `msg` unless it was decided before, write or send its messages, record."""
        if msg.key in self._unsent:
            return Handled(msg, HELD)
        if self.journal.holds(msg.key) or msg.key in self._unrecorded:
            return Handled(msg, ALREADY)
        now = self.clock()
        req = mail_request(self.ps, msg, now)
        m = decide_mail(self.ps, msg, self.journal.facts(self.ps, req), now,
                        send=self.sendmail is not None, request=req)
        if not self.writes:
            return Handled(msg, PREVIEW, m)
        if m.reply is None and m.confirm is None:
            recorded, problem = self._record(m, m.decision)
            return Handled(msg, NO_REPLY if m.suppressed else NOTHING, m, (), problem,
                           recorded)
        written: list[Path] = []
        problems: list[str] = []
        went = {}  # reply, confirm -> whether it was sent or drafted
        for what, message in (("reply", m.reply), ("confirm", m.confirm)):
            if message is None:
                continue
            if self.sendmail is not None:
                problem = self._send(message)
                went[what] = not problem
                if not problem:
                    continue
                problems.append(problem)
                if self.drafts is None:
                    continue
                del message["Auto-Submitted"]  # the user sends the draft: a reply of theirs
            written.append(self._draft(message))
            went[what] = True
        if not any(went.values()):  # nothing went anywhere: tried again at the next run
            self._unsent.add(msg.key)
            return Handled(msg, UNSENT, m, (), "; ".join(problems))
        decision = m.decision
        if not went.get("reply", True):
            decision = decision._replace(reply=None)  # no reply went: none is recorded
        done = DRAFTED if self.sendmail is None else KEPT if written else SENT
        recorded, problem = self._record(m, decision)
        if problem:  # not remembered: at least not drafted or sent again this session
            self._unrecorded.add(msg.key)
            problems.append(problem)
        return Handled(msg, done, m, tuple(written), "; ".join(problems), recorded)

    def _send(self, message: EmailMessage) -> str:
        from boundaries.sources.mail.send import SendError, send_mail

        assert self.sendmail is not None
        try:
            send_mail(self.sendmail, message.as_bytes(), SEND_TIMEOUT)
        except SendError as exc:
            return f"{_not_sent(message)}: {exc}"
        return ""

    def _draft(self, message: EmailMessage) -> Path:
        from boundaries.sources.mail.drafts import write_draft

        assert self.drafts is not None
        return write_draft(self.drafts, message.as_bytes())

    def _record(self, m: MailDecided, decision: Decision) -> tuple[Path | None, str]:
        """The message in the journal, once: (the file, "") or (None, the problem)."""
        from boundaries.journal.store import Entry, append, month_of

        if self.folder is None:
            return None, ""
        entry = make_entry(self.ps, m.request, decision, OUTCOME, 0, "", self.clock())
        entry.update(source=SOURCE, source_id=m.message.key)
        try:
            path = append(self.folder, entry, month_of(decision.at))
        except OSError as exc:
            return None, str(JournalWriteError(self.folder, exc))
        self.journal.add(Entry({k: v for k, v in entry.items() if v is not None},
                               decision.at, path, 0))
        return path, ""

    def refresh(self) -> None:
        """Read the journal afresh at the next message (`--watch`, when mail arrives)."""
        self.journal.clear()


def _not_sent(message: EmailMessage) -> str:
    return f"{message['Subject']} not sent to {message['To']}"


def decide_one(ps: PolicySet, msg: MailMessage, journal: Path | None, now: datetime
               ) -> tuple[MailDecided, list[str]]:
    """`mail FILE`: one message decided with the journal's facts (nothing written), and the
    journal's warnings."""
    mj = MailJournal(journal)
    req = mail_request(ps, msg, now)
    m = decide_mail(ps, msg, mj.facts(ps, req), now, request=req)
    return m, mj.warnings


__all__ = ["ALREADY", "DRAFTED", "HELD", "KEPT", "NOTHING", "NO_REPLY", "OUTCOME", "PREVIEW",
           "SENT", "SOURCE", "UNSENT", "Handled", "MailDecided", "MailJournal", "MailRun",
           "MailSetupError", "SeenFiles", "decide_mail", "decide_one", "mail_kind",
           "mail_request", "message_text"]

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

import functools
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from boundaries.core.errors import BoundariesError
from boundaries.journal.schema import RECEIVED
from boundaries.service.mail_memory import SOURCE, MailJournal, SeenFiles
from boundaries.service.requests import JournalWriteError, make_entry

if TYPE_CHECKING:
    import contextlib
    from email.message import EmailMessage

    from boundaries.core.mail import MailMessage, Suppressed
    from boundaries.core.model import PolicySet
    from boundaries.core.request import Decision, Facts, Request, Sender

OUTCOME = RECEIVED  # a mail that came in: I did nothing (yet) but draft or send a reply
# `MailDecided.note` without an address of mine in me.toml
NO_ADDRESS_OF_MINE = "no reply message: me.toml names no `addresses` to send it from"
SEND_TIMEOUT = 60.0  # seconds a sendmail may take for one message
LOCK = "mail"  # the journal folder's `.mail.lock`: one run decides and records at a time
# what `MailRun.take` did with a message
DRAFTED, SENT, KEPT, NO_REPLY, NOTHING, ALREADY, UNSENT, HELD, PREVIEW, SKIPPED = (
    "drafted", "sent", "kept", "no-reply", "nothing", "already", "unsent", "held", "preview",
    "skipped")


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


def mail_request(ps: PolicySet, msg: MailMessage, now: datetime,
                 senders: dict[str, Sender] | None = None) -> Request:
    """The request a message is: from its `From` address (a client's address, else an
    unknown sender), at its `when` (else `now`), channel `email`, its kind from the Subject,
    urgency `normal`, its `Reply-To` where the reply goes. A From that is no address is a
    `RequestError`. `senders`: a run's addresses resolved before (of one policy set), which
    this adds to."""
    from boundaries.core.errors import RequestError
    from boundaries.core.request import Request
    from boundaries.core.time import zone
    from boundaries.policy.senders import SenderError, resolve_sender

    address = msg.from_address or ""
    try:
        sender = senders.get(address) if senders is not None else None
        if sender is None:
            sender = resolve_sender(ps, address)
            if senders is not None and len(address) <= 320:  # RFC 5321's longest address
                senders[address] = sender
    except SenderError as exc:
        raise RequestError(f"{msg.path}: {exc}", exc.hint) from None
    if sender.via != "email":  # a From like `acme@`: never a client id by accident
        raise RequestError(f"{msg.path}: `{msg.from_address}` is not a mail address")
    at = msg.when or now
    return Request(sender, at.astimezone(zone(ps.me.timezone)), "email",
                   mail_kind(msg.subject, ps.me.mail_kinds), "normal", reply_to=msg.reply_to)


def decide_mail(ps: PolicySet, msg: MailMessage, facts: Facts, now: datetime, *,
                send: bool = False, request: Request | None = None,
                replied: datetime | None = None) -> MailDecided:
    """Decide `msg` (as `request`, when the caller made it already) with the journal's
    `facts`, guard it with the no-reply rules, and make its reply and confirmation (`send`:
    marked `Auto-Submitted: auto-replied`, as a message `--send` sends). `replied`: when,
    by the clock, a reply last went to this sender (a reply drafted now to old mail is a
    reply now: `replied-recently` counts it from `now` too)."""
    from boundaries.core.engine import decide
    from boundaries.core.mail_rules import (
        replied_recently,
        replied_recently_suppressed,
        suppression,
    )
    from boundaries.core.reasons import robot_reason
    from boundaries.core.request import Reason
    from boundaries.core.time import zone

    req = request if request is not None else mail_request(ps, msg, now)
    d = decide(ps, req, facts)
    suppressed = suppression(msg, ps.me.addresses)
    if suppressed is None and (d.reply is not None or d.confirm is not None):
        last = replied_recently(facts.replies_sent, None, req.at, ps.me.reply_once_days)
        if last is None and replied is not None:
            last = replied_recently({"": replied}, None, now, ps.me.reply_once_days)
        if last is not None:
            suppressed = replied_recently_suppressed(last, ps.me.reply_once_days,
                                                     zone(ps.me.timezone))
    to = reply_to(msg)
    if suppressed is not None:  # its reason, and not the engine's robot reason beside it
        robot = robot_reason(req.sender.raw)
        d = d._replace(reply=None, confirm=None, reasons=(
            *(r for r in d.reasons if r != robot), Reason(suppressed.text, "builtin")))
        return MailDecided(msg, req, d, suppressed, None, None, to)
    if d.reply is None and d.confirm is None:
        return MailDecided(msg, req, d, None, None, None, to)
    if not ps.me.addresses:
        return MailDecided(msg, req, d, None, None, None, to, NO_ADDRESS_OF_MINE)
    from boundaries.sources.mail.compose import reply_recipients

    try:
        reply_recipients(msg)
    except BoundariesError:  # no address a mail can go to (a non-ASCII local part, say)
        return MailDecided(msg, req, d, None, None, None, to,
                           f"no reply message: `{to}` is no address a reply can be sent to")
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


# -- a run over a Maildir ------------------------------------------------------------------
class Handled(NamedTuple):
    """What a run did with one message: `done` is DRAFTED, SENT, KEPT (not sent: drafted
    instead), NO_REPLY (a rule forbids one), NOTHING (the decision has no message to send),
    ALREADY (decided before: nothing done), UNSENT (not sent and no Drafts: not recorded,
    tried again next run), HELD (UNSENT earlier in this session: not tried again until the
    next run), PREVIEW (no Drafts and no --send: shown, not recorded) or SKIPPED (no
    request can be made of its From: `problem` says why).
    `decided` is None for ALREADY; `written` the drafts; `problem` a failed send or a
    journal that could not be written."""

    message: MailMessage
    done: str
    decided: MailDecided | None = None
    written: tuple[Path, ...] = ()
    problem: str = ""
    recorded: Path | None = None


class _Plan:
    """A message decided in a batch, its drafts still to be written, its entry to record."""

    def __init__(self, m: MailDecided, done: str) -> None:
        self.m, self.done = m, done
        self.entry: dict | None = None
        self.month = ""
        self.drafts: list[EmailMessage] = []
        self.written: list[Path] = []
        self.problems: list[str] = []
        self.recorded: Path | None = None
        self.flushed = False  # recorded (or tried) before the batch's end


class MailRun:
    """One run of `mail --maildir` (or `--watch`): each message taken once, in batches.

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
        self._senders: dict[str, Sender] = {}  # From addresses resolved with `_senders_of`
        self._senders_of = ps

    def take(self, msg: MailMessage) -> Handled:
        """Decide `msg` unless it was decided before, write or send its messages, record."""
        return self.take_many([msg])[0]

    def take_many(self, messages: list[MailMessage]) -> list[Handled]:
        """`take` for each message, in order (each sees the replies of those before it),
        with their drafts written together — all their data synced at once, then each shown
        in `cur/` — and then each recorded. A From no request can be made of is SKIPPED.
        Under the journal folder's mail lock, with the journal looked at afresh: two runs
        (a watch and the TUI, two machines' timers on one synced folder) never decide one
        message twice. A journal folder that cannot be made is `JournalWriteError`."""
        if not self.writes or self.folder is None:
            return self._take_many(messages)
        import contextlib

        with contextlib.ExitStack() as held:
            hold_mail_lock(held, self.folder)
            self.journal.sync()  # what another run recorded meanwhile: never decided twice
            try:
                return self._take_many(messages)
            finally:
                self.journal.mark()

    def _take_many(self, messages: list[MailMessage]) -> list[Handled]:
        from boundaries.core.errors import RequestError

        plans: list[_Plan | Handled] = []
        try:
            for msg in messages:
                try:
                    plan = self._plan(msg)
                except RequestError as exc:
                    plan = Handled(msg, SKIPPED, problem=str(exc).removeprefix(
                        f"{msg.path}: "))
                plans.append(plan)
                if isinstance(plan, _Plan) and plan.done == SENT:  # recorded at once: a
                    self._flush(plans)  # kill or a power cut later never sends it twice
            todo = [p for p in plans if isinstance(p, _Plan) and p.drafts]
            if todo:
                from boundaries.sources.mail.compose import message_bytes
                from boundaries.sources.mail.drafts import write_drafts

                assert self.drafts is not None
                paths = iter(write_drafts(self.drafts, [message_bytes(d) for p in todo
                                                        for d in p.drafts]))
                for p in todo:
                    p.written = [next(paths) for _ in p.drafts]
        except BaseException:  # what was sent (or needs no draft) is recorded: never twice
            self._flush(plans)
            raise
        self._record([p for p in plans if isinstance(p, _Plan) and p.entry is not None
                      and not p.flushed])
        return [p if isinstance(p, Handled) else self._finish(p) for p in plans]

    def _flush(self, plans: list[_Plan | Handled]) -> None:
        """Record now the planned entries that wait for no draft (and are not recorded)."""
        ready = [p for p in plans if isinstance(p, _Plan) and p.entry is not None
                 and not p.drafts and not p.flushed]
        for p in ready:
            p.flushed = True
        self._record(ready)

    def _plan(self, msg: MailMessage) -> _Plan | Handled:
        """Decide; send what is to be sent; what goes into Drafts, and the entry to record
        (counted at once for the messages after it)."""
        if msg.key in self._unsent:
            return Handled(msg, HELD)
        if self.journal.holds(msg.key) or msg.key in self._unrecorded:
            return Handled(msg, ALREADY)
        now = self.clock()
        if self._senders_of is not self.ps:  # another policy set: resolved afresh
            self._senders, self._senders_of = {}, self.ps
        req = mail_request(self.ps, msg, now, self._senders)
        from boundaries.core.request import sender_key

        s = req.sender
        m = decide_mail(self.ps, msg, self.journal.facts(self.ps, req), now,
                        send=self.sendmail is not None, request=req,
                        replied=self.journal.replied_at(sender_key(s.client_id, s.number,
                                                                   s.raw)))
        if not self.writes:
            return Handled(msg, PREVIEW, m)
        if m.reply is None and m.confirm is None:  # none went: none is recorded
            return self._planned(_Plan(m, NO_REPLY if m.suppressed else NOTHING),
                                 m.decision._replace(reply=None, confirm=None))
        plan = _Plan(m, DRAFTED if self.sendmail is None else SENT)
        went = {}  # reply, confirm -> whether it was sent or goes into Drafts
        for what, message in (("reply", m.reply), ("confirm", m.confirm)):
            if message is None:
                continue
            if self.sendmail is not None:
                problem = self._send(message, what, msg)
                went[what] = not problem
                if not problem:
                    continue
                plan.problems.append(problem)
                if self.drafts is None:
                    continue
                plan.done = KEPT
                del message["Auto-Submitted"]  # the user sends the draft: a reply of theirs
            plan.drafts.append(message)
            went[what] = True
        if not any(went.values()):  # nothing went anywhere: tried again at the next run
            self._unsent.add(msg.key)
            return Handled(msg, UNSENT, m, (), "; ".join(plan.problems))
        decision = m.decision
        if not went.get("reply", True):
            decision = decision._replace(reply=None)  # no reply went: none is recorded
        return self._planned(plan, decision)

    def _planned(self, plan: _Plan, decision: Decision) -> _Plan:
        from boundaries.journal.store import Entry, month_of

        if self.folder is not None:
            m = plan.m
            plan.month = month_of(decision.at)
            plan.entry = make_entry(self.ps, m.request, decision, OUTCOME, 0, "", self.clock())
            plan.entry.update(source=SOURCE, source_id=m.message.key)
            self.journal.add(Entry({k: v for k, v in plan.entry.items() if v is not None},
                                   decision.at, self.folder, 0))
        return plan

    def _record(self, plans: list[_Plan]) -> None:
        """The planned entries in the journal, a month's together (one write, one fsync):
        each plan's file, or the problem (then not drafted or sent again this session)."""
        from boundaries.journal.store import append_many

        by_month: dict[str, list[_Plan]] = {}
        for plan in plans:
            by_month.setdefault(plan.month, []).append(plan)
        for month, group in by_month.items():
            try:
                path = append_many(self.folder, {month: [p.entry for p in group]})[month]
            except OSError as exc:
                problem = str(JournalWriteError(self.folder, exc))
                for p in group:
                    self._unrecorded.add(p.m.message.key)
                    p.problems.append(problem)
                continue
            for p in group:
                p.recorded = path

    def _finish(self, plan: _Plan) -> Handled:
        """What was done with a planned message: its drafts, its journal file or problem."""
        m = plan.m
        return Handled(m.message, plan.done, m, tuple(plan.written), "; ".join(plan.problems),
                       plan.recorded)

    def _send(self, message: EmailMessage, what: str, original: MailMessage) -> str:
        from boundaries.sources.mail.compose import message_bytes
        from boundaries.sources.mail.send import SendError, send_mail

        assert self.sendmail is not None
        try:
            send_mail(self.sendmail, message_bytes(message), SEND_TIMEOUT)
        except SendError as exc:
            return f"{_not_sent(message, what, original)}: {exc}"
        return ""

    def refresh(self) -> None:
        """Read the journal afresh where it changed (`--watch`, when mail arrives)."""
        self.journal.sync()


def hold_mail_lock(held: contextlib.ExitStack, folder: Path) -> None:
    """The journal folder's mail lock (LOCK) taken into `held`, the folder made if need be:
    one run decides and records at a time. A folder that cannot be made or locked is
    `JournalWriteError`."""
    from boundaries.fsutil import exclusive_lock

    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        held.enter_context(exclusive_lock(folder / LOCK))
    except OSError as exc:
        raise JournalWriteError(folder, exc) from None


def _not_sent(message: EmailMessage, what: str, original: MailMessage) -> str:
    """Which message was not sent, by the file it answers (never its Subject: this line
    goes to stderr, and `mail --watch`'s stderr into the system's log)."""
    which = "the reply" if what == "reply" else "the written confirmation"
    return f"{which} to {original.path} not sent to {message['To']}"


def decide_one(ps: PolicySet, msg: MailMessage, journal: Path | None, now: datetime
               ) -> tuple[MailDecided, list[str]]:
    """`mail FILE`: one message decided with the journal's facts (nothing written), and the
    journal's warnings."""
    mj = MailJournal(journal)
    req = mail_request(ps, msg, now)
    m = decide_mail(ps, msg, mj.facts(ps, req), now, request=req)
    return m, mj.warnings


__all__ = ["ALREADY", "DRAFTED", "HELD", "KEPT", "NOTHING", "NO_ADDRESS_OF_MINE",
           "NO_REPLY", "OUTCOME", "PREVIEW",
           "SENT", "SKIPPED", "SOURCE", "UNSENT", "Handled", "MailDecided", "MailJournal",
           "MailRun", "MailSetupError", "SeenFiles", "decide_mail", "decide_one",
           "hold_mail_lock", "mail_kind", "mail_request", "message_text"]

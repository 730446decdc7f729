"""An SMS reply sent through the paired phone (sources.md §10): the use case behind the TUI's
"send as SMS", after the user has confirmed the number and the exact text.

`send_sms_reply` must only be called after that confirmation: it sends what it is given,
to `decision.reply.via` when that is an SMS (the exact E.164 number the core chose), and to
nobody else. Before anything goes out it refuses (`SmsReplyError`) a decision whose reply
goes by mail or chat or nowhere, an empty text or one with control characters, a journal
folder that cannot be made, and a second send for the same request: the request's key
(its sender and the second it came in, `request_key`) is remembered for the session, and
the journal holds it across runs and devices (an entry with `source` "sms-reply",
`source_id` the key), looked up under the journal folder's `.sms-reply.lock`. The same text
to the same number twice in a session is refused too (a form decided again at another
time is another key).

A send that fails (`SmsError` from `sources.calls.kdeconnect_sms`: no bus, no KDE Connect,
no paired reachable phone, no SMS plugin, the daemon refusing it, no answer) records
nothing and is raised, so the front end keeps the reply as a draft. A send that went is
recorded in the journal (`sms_entry`: the decision's fields as `make_entry` writes them,
with `channel` "sms", no `outcome`, and the reply's key, so that `reply_once_days` holds
for the next request of that sender; never the text); when that write fails, the SMS has
gone all the same: the result says so in `problem`, and the session still refuses a second
send.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from boundaries.core.errors import BoundariesError
from boundaries.journal.facts import REPLY_SOURCE, is_reply
from boundaries.service.requests import JournalWriteError, make_entry

if TYPE_CHECKING:
    from boundaries.core.model import PolicySet
    from boundaries.core.request import Decision, Request
    from boundaries.core.via import Via
    from boundaries.sources.calls.kdeconnect_sms import SmsPhone, SmsSent

SOURCE = REPLY_SOURCE  # "sms-reply": the journal entry of an SMS reply sent
LOCK = "sms-reply"  # the journal folder's `.sms-reply.lock`
MAX_TEXT = 2000  # characters: about 13 SMS; more is no reply but a paste gone wrong
_E164 = re.compile(r"\+[1-9][0-9]{5,14}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")

SmsSender = Callable[[str, str], Awaitable["SmsSent"]]


class SmsReplyError(BoundariesError):
    """An SMS reply refused before anything was sent; the message says why."""


class SmsReplySent(NamedTuple):
    """An SMS reply that went: to which number, through which phone (KDE Connect's id and
    name, the sendSms shape), the request's key, and the journal file its entry went to
    (None, and `problem` says why, when the journal could not be written)."""

    to: str
    device: str
    device_name: str
    form: str
    key: str
    journal: Path | None
    problem: str = ""


_SESSION: set[str] = set()  # request keys and (number, text) digests sent by this process


def sms_target(decision: Decision) -> Via | None:
    """Where the decision's reply goes as an SMS (`reply.via` when its channel is `sms`),
    else None: the front end offers "send as SMS" only for this."""
    reply = decision.reply
    if reply is None or reply.via is None or reply.via.channel != "sms":
        return None
    return reply.via


def request_key(req: Request, decision: Decision) -> str:
    """One request: its sender and the second it came in, in my time
    (`number:+436641234567@2026-01-08T18:20:05+01:00`)."""
    from boundaries.core.request import sender_key

    who = sender_key(decision.client, req.sender.number, req.sender.raw)
    return f"{who}@{decision.at.replace(microsecond=0).isoformat()}"


def sms_entry(ps: PolicySet, req: Request, decision: Decision, now: datetime) -> dict:
    """The journal entry of an SMS reply sent for `req` (see the module docstring)."""
    entry = make_entry(ps, req, decision, None, 0, "", now)
    entry.update(channel="sms", extra_effort=False, source=SOURCE,
                 source_id=request_key(req, decision))
    return entry


def sent_before(decision: Decision, key: str, folder: Path) -> str | None:
    """When the journal in `folder` recorded an SMS reply for the request `key` (the entry's
    `recorded_at`, on my clock: `Thu 2026-01-08 18:20`), else None."""
    from boundaries.journal.store import month_of, read

    if not folder.is_dir():
        return None
    entries, _ = read(folder, [month_of(decision.at)], must_contain=key)
    for e in entries:
        if is_reply(e.data) and e.data.get("source_id") == key:
            when = e.at
            with contextlib.suppress(ValueError):
                when = datetime.fromisoformat(str(e.data.get("recorded_at")))
            if when.tzinfo is None:
                when = e.at
            return when.astimezone(decision.at.tzinfo).strftime("%a %Y-%m-%d %H:%M")
    return None


def already_sent(req: Request, decision: Decision, folder: Path | None) -> str | None:
    """Why no SMS reply may go for this request any more (one went in this session, or the
    journal holds one), else None: for a front end to grey out its "send"."""
    key = request_key(req, decision)
    if key in _SESSION:
        return "an SMS reply to this request went in this session"
    when = sent_before(decision, key, folder) if folder is not None else None
    return None if when is None else f"an SMS reply to this request went at {when}"


def check_text(text: str) -> None:
    """An SMS text that can go: not empty, no control characters but line breaks and tabs,
    at most MAX_TEXT characters; else SmsReplyError."""
    if not text.strip():
        raise SmsReplyError("the SMS text is empty", "write the reply, or keep it as a draft")
    if len(text) > MAX_TEXT:
        raise SmsReplyError(f"the SMS text has {len(text)} characters, more than {MAX_TEXT}",
                            "shorten the reply")
    bad = _CONTROL.search(text)
    if bad is not None:
        raise SmsReplyError(f"the SMS text holds the control character U+{ord(bad[0]):04X}",
                            "remove it from the reply")


async def send_sms_reply(ps: PolicySet, req: Request, decision: Decision, text: str, *,
                         folder: Path, now: datetime, sender: SmsSender | None = None
                         ) -> SmsReplySent:
    """Send `text` as the SMS reply to `req` (decided as `decision`) through the paired
    phone, once, and record it in the journal in `folder`. Call it only after the user
    confirmed the number (`sms_target(decision).to`) and this exact text.

    `sender(number, text)` hands the SMS to the phone (default: KDE Connect on the session
    bus, `kdeconnect_sms.send_sms`). Raises `SmsReplyError` when it refuses before sending,
    `SmsError` when the send failed (nothing recorded: the reply stays a draft)."""
    from boundaries.fsutil import exclusive_lock
    from boundaries.journal.store import append, month_of

    via = sms_target(decision)
    if via is None:
        way = decision.reply.via if decision.reply is not None else None
        raise SmsReplyError(
            "this reply goes by no SMS" + (f": it goes by {way.channel} to {way.to}"
                                           if way is not None else ""),
            "a mail reply becomes a draft" if way is not None and way.channel == "email"
            else "copy the reply and send it yourself")
    if not _E164.fullmatch(via.to):
        raise SmsReplyError(f"{via.to} is no number an SMS can go to", None)
    check_text(text)
    key = request_key(req, decision)
    digest = "text:" + hashlib.sha256(f"{via.to}\n{text}".encode()).hexdigest()
    if key in _SESSION:
        raise SmsReplyError(f"an SMS reply to this request already went to {via.to} in this "
                            "session", "nothing is sent twice")
    if digest in _SESSION:
        raise SmsReplyError(f"this text already went to {via.to} in this session",
                            "nothing is sent twice")
    with contextlib.ExitStack() as held:
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            held.enter_context(exclusive_lock(folder / LOCK, on_wait=_busy))
        except OSError as exc:
            raise JournalWriteError(folder, exc) from exc
        when = sent_before(decision, key, folder)
        if when is not None:
            _SESSION.add(key)
            raise SmsReplyError(f"an SMS reply to this request already went to {via.to} "
                                f"(recorded {when})", "nothing is sent twice")
        _SESSION.update((key, digest))
        try:
            sent = await (sender or _kdeconnect)(via.to, text)
        except Exception:  # it did not go (or, after a timeout, maybe: the hint says so)
            _SESSION.difference_update((key, digest))
            raise
        # cancelled (the front end quitting) while the phone had it: kept as sent
        entry = sms_entry(ps, req, decision, now)
        try:
            path: Path | None = append(folder, entry, month_of(decision.at))
            problem = ""
        except OSError as exc:
            path, problem = None, str(JournalWriteError(folder, exc))
    return SmsReplySent(via.to, sent.device, sent.name, sent.form, key, path, problem)


def _busy() -> None:
    raise SmsReplyError("another boundaries is sending an SMS reply from this journal just "
                        "now", "try again in a moment")


async def _kdeconnect(number: str, text: str) -> SmsSent:
    from boundaries.sources.calls.kdeconnect_sms import send_sms

    return await send_sms(number, text)


async def sms_phone(device: str | None = None) -> SmsPhone:
    """The phone an SMS reply would go through now (KDE Connect's id and name), for the
    confirmation dialog to show; `SmsError` when there is none (see `send_sms_reply`)."""
    from boundaries.sources.calls.kdeconnect_sms import find_phone

    return await find_phone(device=device)


def forget_session() -> None:
    """Forget what this process sent (for tests; the journal still remembers)."""
    _SESSION.clear()


__all__ = ["LOCK", "MAX_TEXT", "SOURCE", "SmsReplyError", "SmsReplySent", "SmsSender",
           "already_sent", "check_text", "forget_session", "request_key", "send_sms_reply",
           "sent_before", "sms_entry", "sms_phone", "sms_target"]

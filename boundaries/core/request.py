"""An incoming request, the facts the journal adds, and the decision about it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import NamedTuple

from boundaries.core.calendar import CalendarSpan
from boundaries.core.model import Away
from boundaries.core.via import Via


class Sender(NamedTuple):
    """Who a request came from, resolved against clients.toml."""

    raw: str
    client_id: str | None
    via: str  # "id" | "phone" | "email" | "unknown"
    number: str | None = None  # E.164, when the request came from a phone number
    line_type: str | None = None  # "fixed" | "mobile" | "fixed-or-mobile" | "other"


def sender_key(client: str | None, number: str | None, raw: str) -> str:
    """Who a request came from, for counting repeats: the client, else the number or address."""
    if client:
        return f"client:{client}"
    if number:
        return f"number:{number}"
    return f"raw:{raw.strip().casefold()}"


class Request(NamedTuple):
    sender: Sender
    at: datetime  # aware
    channel: str = "call"
    kind: str = "question"
    urgency: str = "normal"
    reply_to: tuple[str, ...] = ()  # a mail's Reply-To addresses: where its reply goes (§10)


class Facts(NamedTuple):
    """What history adds. Without a journal: nothing used, this request alone."""

    extra_effort_used: int = 0  # extra-effort answers of this client in the request's month
    recent_requests: int = 1  # requests of this sender in the repeat window, this one included
    replies_sent: Mapping[str, datetime] = {}  # reply key -> when it last went to this sender


NO_FACTS = Facts()


class Situation(NamedTuple):
    """Calendar facts about one request, computed before any rule is looked at.

    The engine computes them with datetimes (`engine.situation`); replay computes the same
    values from integer instants (`compiled.py`). Both must agree on every field.
    """

    within_hours: bool
    day: date  # the day the request belongs to (a window's start day, else its own date)
    holiday: str | None
    away: Away | CalendarSpan | None  # [[away]] of the day, else calendar time off now
    sender_minute: int  # minutes after midnight on the sender's own clock
    month: int  # the request's calendar month in my timezone (the budget's month)
    busy: CalendarSpan | None = None  # the calendar event that makes me busy now


class Reason(NamedTuple):
    text: str
    source: str  # "PATH:LINE" or "builtin"

    def as_json(self) -> dict:
        return {"text": self.text, "source": self.source}


class ReplyText(NamedTuple):
    locale: str
    key: str
    text: str
    via: Via | None = None  # how it goes out (§10); None: no way reaches the sender

    def as_json(self) -> dict:
        return {"locale": self.locale, "key": self.key, "text": self.text,
                "via": self.via.as_json() if self.via is not None else None}


class Decision(NamedTuple):
    """Everything §5's JSON carries, plus context for humans (TUI, text output)."""

    decision: str
    client: str | None
    tier: str
    at: datetime  # in my timezone
    within_hours: bool
    next_window: tuple[datetime, datetime] | None  # in my timezone
    extra_effort: bool
    callback: str
    in_writing: bool
    reasons: tuple[Reason, ...]
    reply: ReplyText | None
    confirm: ReplyText | None
    # context, not part of the JSON contract
    client_name: str | None = None
    discreet: bool = False
    holiday: str | None = None
    away: str | None = None
    sender_timezone: str = "UTC"
    sender_locale: str = "en"
    landline: bool = False
    busy: tuple[datetime, datetime, str] | None = None  # start, end (my zone), PATH:LINE
    busy_summary: str = ""  # private: reasons and the TUI (masked by F6) only
    via: Via | None = None  # where a reply or confirmation goes (both carry it), or None

    def as_json(self) -> dict:
        """The object `check --json` prints."""
        nw = None
        if self.next_window is not None:
            nw = {"start": self.next_window[0].isoformat(), "end": self.next_window[1].isoformat()}
        return {
            "decision": self.decision,
            "client": self.client,
            "tier": self.tier,
            "at": self.at.isoformat(),
            "within_hours": self.within_hours,
            "next_window": nw,
            "extra_effort": self.extra_effort,
            "callback": self.callback,
            "in_writing": self.in_writing,
            "reasons": [r.as_json() for r in self.reasons],
            "reply": self.reply.as_json() if self.reply else None,
            "confirm": self.confirm.as_json() if self.confirm else None,
            "busy": None if self.busy is None else {
                "start": self.busy[0].isoformat(), "end": self.busy[1].isoformat(),
                "source": self.busy[2]},
        }

"""Facts the journal adds to a decision (pure: entries in, Facts out)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from boundaries.core.request import Facts, Request, sender_key
from boundaries.core.time import localize
from boundaries.core.vocabulary import REPEAT_WINDOW
from boundaries.journal.store import SPENT, Entry, month_of, months_between

# the entry of a reply I sent (service/sms.py: an SMS through the phone): it counts for
# `reply_once_days`, never as a request (no repeat here, no request in the report)
REPLY_SOURCE = "sms-reply"


def is_reply(data: dict) -> bool:
    """Whether a journal entry records a reply I sent rather than a request."""
    return data.get("source") == REPLY_SOURCE


def month_bounds(at: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """Start of `at`'s calendar month in my timezone, and of the next one."""
    local = at.astimezone(tz)
    start = localize(datetime(local.year, local.month, 1), tz)
    y, m = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    return start, localize(datetime(y, m, 1), tz)


def in_months(entries: list[Entry], months: list[str], tz: ZoneInfo) -> list[Entry]:
    """The entries whose time, in my timezone, lies in the months `months[0]..months[-1]`."""
    first = month_bounds(datetime.fromisoformat(months[0] + "-15").replace(tzinfo=tz), tz)
    last = month_bounds(datetime.fromisoformat(months[-1] + "-15").replace(tzinfo=tz), tz)
    return [e for e in entries if first[0] <= e.at < last[1]]


def months_needed(at: datetime, tz: ZoneInfo, reply_once_days: int) -> list[str]:
    """The journal months that can hold facts about a request at `at`."""
    local = at.astimezone(tz)
    back = max(REPEAT_WINDOW, timedelta(days=reply_once_days))
    return months_between((local - back).astimezone(tz), local)


def facts_for(entries: Iterable[Entry], req: Request, client: str | None, tz: ZoneInfo,
              reply_once_days: int = 0) -> Facts:
    """Extra effort spent this month by the client, repeats in 15 minutes, replies sent."""
    key = sender_key(client, req.sender.number, req.sender.raw)
    start, end = month_bounds(req.at, tz)
    used = 0
    recent = 1  # the request being decided
    sent: dict[str, datetime] = {}
    since = req.at - REPEAT_WINDOW
    for e in entries:
        d = e.data
        if (client is not None and d.get("client") == client and d.get("extra_effort")
                and d.get("outcome") in SPENT and start <= e.at < end):
            used += 1
        if d.get("sender") == key:
            if since < e.at <= req.at and not is_reply(d):
                recent += 1
            reply = d.get("reply_key")
            if reply and e.at <= req.at and (reply not in sent or e.at > sent[reply]):
                sent[reply] = e.at
    return Facts(extra_effort_used=used, recent_requests=recent, replies_sent=sent)


__all__ = ["REPLY_SOURCE", "facts_for", "is_reply", "month_bounds", "month_of", "months_needed"]

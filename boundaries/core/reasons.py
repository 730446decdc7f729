"""The wording of reasons: a deciding token of the engine's verdict as a sentence, with the
file and line it comes from (pure). The engine decides; this module only says why."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import NamedTuple

from boundaries.core.calendar import CalendarSpan
from boundaries.core.hours import summarize_week
from boundaries.core.model import Away, Client, PolicySet, Rule, Tier
from boundaries.core.request import Facts, Reason, Situation
from boundaries.core.time import zone
from boundaries.core.vocabulary import BUILTIN, MONTH_NAMES_EN
from boundaries.core.wording import human_channels

_CHANNEL_NOUN = {"call": "a call is", "sms": "SMS is", "email": "mail is", "chat": "chat is"}


class Context(NamedTuple):
    """What wording a reason needs besides its token."""

    ps: PolicySet
    tier: Tier
    client: Client | None
    urgency: str
    channel: str
    sit: Situation
    facts: Facts
    sender: str  # as the request named it


def word_reason(token: tuple, cx: Context) -> Reason:
    """A deciding reason token worded, with the file and line it comes from."""
    kind = token[0]
    ps, tier, sit = cx.ps, cx.tier, cx.sit
    if kind == "rule":
        rule: Rule = token[1]
        return Reason(rule.note or f"rule {rule.index + 1}: {rule.decide}", rule.source)
    if kind == "effort":
        return _effort_reason(token[1], cx)
    if kind == "hours":
        return _hours_reason(tier, sit)
    if kind == "later":
        if sit.away is not None:
            return _away_reason(sit.away, ps)
        if sit.busy is not None:
            return busy_reason(sit.busy, ps)
        if sit.holiday is not None and not tier.on_holidays:
            return Reason(f"public holiday: {sit.holiday} ({ps.me.holidays}); tier {tier.name} "
                          "is off on holidays", ps.me.sources.get("holidays", BUILTIN))
        return _hours_reason(tier, sit)
    if kind == "away":
        assert sit.away is not None
        return _away_reason(sit.away, ps)
    if kind == "busy":
        assert sit.busy is not None
        return busy_reason(sit.busy, ps)
    if kind == "channel":
        allowed = human_channels(tier.channels, "en") or "none"
        return Reason(f"{_CHANNEL_NOUN[cx.channel]} not among the channels of tier {tier.name} "
                      f"(allowed: {allowed})", tier.sources.get("channels", BUILTIN))
    # unknown-tier
    return Reason(f"unknown sender {cx.sender!r} and no tier `{ps.me.unknown_tier}` for "
                  "unknown senders: later, call back on request",
                  ps.me.sources.get("unknown_tier", BUILTIN))


def unknown_sender_reason(ps: PolicySet, tier: Tier, sender: str) -> Reason:
    """Why an unknown sender is treated as the set's unknown tier."""
    return Reason(f"unknown sender: no client matches {sender!r}; tier {tier.name}",
                  ps.me.sources.get("unknown_tier", BUILTIN))


def client_callback_reason(client: Client, callback: str) -> Reason:
    """The client narrows the tier's callback."""
    return Reason(f"callback {callback}: set for client {client.id}",
                  client.sources.get("callback", client.source))


def tier_callback_reason(tier: Tier, callback: str) -> Reason:
    """The tier's callback is more restrictive than `always`."""
    return Reason(f"callback {callback}: set for tier {tier.name}",
                  tier.sources.get("callback", BUILTIN))


def landline_reason(ps: PolicySet, landline: str) -> Reason:
    """A fixed line is never called back (`callback_landlines = false`)."""
    return Reason(f"callback never: {landline} is a landline and landlines are "
                  "never called back", ps.me.sources.get("callback_landlines", BUILTIN))


NO_WAY = "no way to reach the sender"  # how `no_way_reason` starts


def no_way_text(reasons: Sequence[Reason]) -> str | None:
    """The decision's reason that no way reaches the sender (`no_way_reason`'s text), or
    None."""
    return next((r.text for r in reasons if r.text.startswith(NO_WAY)), None)


def no_way_reason(client: Client | None, why_not: str) -> Reason:
    """No way reaches the sender (§10): the reply and the confirmation have no channel and
    address. `why_not` from `core.via.choose_via`; the source is the client's table."""
    return Reason(f"{NO_WAY}: {why_not}",
                  client.source if client is not None and client.source else BUILTIN)


def client_in_writing_reason(client: Client) -> Reason:
    """Every request of this client is confirmed in writing."""
    return Reason(f"every request of {client.id} is confirmed in writing",
                  client.sources.get("in_writing", client.source))


def kind_in_writing_reason(tier: Tier, kind: str) -> Reason:
    """This kind of request is confirmed in writing in the tier."""
    return Reason(f"a {kind} is confirmed in writing", tier.sources.get("in_writing", BUILTIN))


def robot_reason(sender: str) -> Reason:
    """No automatic reply to a robot or a mailing list."""
    return Reason(f"no automatic reply to {sender}: it looks like a robot or a "
                  "mailing list", BUILTIN)


def replied_recently_reason(ps: PolicySet, key: str, last: datetime) -> Reason:
    """The same reply went to this sender less than `reply_once_days` ago."""
    days = ps.me.reply_once_days
    return Reason(f"reply `{key}` already sent to this sender on "
                  f"{last.astimezone(zone(ps.me.timezone)).strftime('%Y-%m-%d %H:%M')}; "
                  f"once in {days} days", ps.me.sources.get("reply_once_days", BUILTIN))


def _effort_reason(grant: str, cx: Context) -> Reason:
    tier, client, facts = cx.tier, cx.client, cx.facts
    ee = tier.extra_effort
    src = ee.sources
    if grant == "allowed":
        return Reason(f"extra effort is not allowed for tier {tier.name}",
                      src.get("allowed", src.get("table", tier.path + ":1")))
    if grant == "trust":
        assert client is not None
        return Reason(f"extra effort withheld: trust revoked for {client.id}",
                      client.sources.get("trust", client.source))
    if grant == "urgency":
        return Reason(
            f"extra effort needs urgency {ee.min_urgency} or more; this request is {cx.urgency}",
            src.get("min_urgency", src.get("table", BUILTIN)))
    month = MONTH_NAMES_EN[cx.sit.month - 1]
    if grant == "budget":
        return Reason(f"budget used: {facts.extra_effort_used} of {ee.per_month} in {month}",
                      src.get("per_month", BUILTIN))
    if ee.per_month is None:
        budget = "no monthly limit"
    else:
        budget = f"{facts.extra_effort_used + 1} of {ee.per_month} used in {month}"
    return Reason(f"extra effort granted: {cx.urgency} request ({budget})",
                  src.get("table", src.get("allowed", BUILTIN)))


@lru_cache(maxsize=256)
def _week_summary(week: tuple) -> str:
    return summarize_week(week)


def _hours_reason(tier: Tier, sit: Situation) -> Reason:
    summary = _week_summary(tier.week)
    src = tier.day_sources[sit.day.weekday()]
    if sit.within_hours:
        return Reason(f"within reachability hours ({summary})", src)
    if not tier.has_hours:
        return Reason(f"tier {tier.name} has no reachability hours", tier.sources.get("hours",
                                                                                       BUILTIN))
    return Reason(f"outside reachability hours ({summary})", src)


def _away_reason(a: Away | CalendarSpan, ps: PolicySet) -> Reason:
    if isinstance(a, CalendarSpan):
        return _span_reason("away", a, ps)
    why = f": {a.reason}" if a.reason else ""
    return Reason(f"away{why} ({a.start.isoformat()} – {a.end.isoformat()})", a.source)


def busy_reason(span: CalendarSpan, ps: PolicySet) -> Reason:
    """A calendar event makes me busy: its summary and span, at its BEGIN:VEVENT line."""
    return _span_reason("busy", span, ps)


def span_wording(span: CalendarSpan, tz_name: str) -> tuple[str, str]:
    """("until 15:00", "2026-12-02 14:00–15:00") of a span in my timezone: whole days
    (midnight to midnight) as inclusive dates, a same-day span with one date."""
    tz = zone(tz_name)
    start = datetime.fromtimestamp(span.start, tz)
    end = datetime.fromtimestamp(span.end, tz)
    midnight = (start.hour, start.minute, end.hour, end.minute) == (0, 0, 0, 0)
    if midnight and end > start:
        last = (end - timedelta(days=1)).date()
        days = start.date().isoformat() + ("" if last == start.date()
                                           else f" – {last.isoformat()}")
        return f"until {end.date().isoformat()}", days
    until = f"until {end:%H:%M}" if end.date() == start.date() else f"until {end:%Y-%m-%d %H:%M}"
    if end.date() == start.date():
        return until, f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return until, f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def _span_reason(kind: str, span: CalendarSpan, ps: PolicySet) -> Reason:
    until, when = span_wording(span, ps.me.timezone)
    what = f": {span.summary}" if span.summary else ""
    return Reason(f"{kind} {until}{what} ({when}, calendar)", span.source)

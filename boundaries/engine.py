"""The decision: pure, no I/O, no clock. Calendar facts first, then rules, then defaults."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from .hours import parse_window, summarize_week
from .model import CALLBACK_RANK, URGENCY_RANK, Away, Client, PolicySet, Rule, Tier
from .request import NO_FACTS, Decision, Facts, Reason, ReplyText, Request
from .templates import render
from .timecalc import containing_window, next_window
from .wording import human_channels, human_next

BUILTIN = "builtin"
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_CHANNEL_NOUN = {"call": "a call is", "sms": "SMS is", "email": "mail is", "chat": "chat is"}
_UNKNOWN_TIER = Tier(name="unknown", channels=("call", "sms", "email", "chat"),
                     callback="on-request")


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@lru_cache(maxsize=1024)
def _client_window(text: str) -> tuple[int, int]:
    return parse_window(text)


class Situation(NamedTuple):
    """Calendar facts about one request, computed before any rule is looked at."""

    local: datetime
    within_hours: bool
    day: date  # the day the request belongs to (a window's start day, else its own date)
    holiday: str | None
    away: Away | None
    sender_local: datetime


def _away_on(ps: PolicySet, day: date) -> Away | None:
    for a in ps.me.away:
        if a.start <= day <= a.end:
            return a
    return None


def situation(ps: PolicySet, tier: Tier, req: Request, sender_tz: ZoneInfo) -> Situation:
    """Local time, within hours, holiday, away and the sender's clock for `req`."""
    tz = zone(ps.me.timezone)
    local = req.at.astimezone(tz)
    is_open = _day_open(ps, tier)
    cont = containing_window(tier.week, tz, local, is_open)
    day = cont[0] if cont else local.date()
    return Situation(
        local=local,
        within_hours=cont is not None,
        day=day,
        holiday=ps.holidays.name(day),
        away=_away_on(ps, day),
        sender_local=req.at.astimezone(sender_tz),
    )


def _day_open(ps: PolicySet, tier: Tier):
    holidays = ps.holidays
    if tier.on_holidays:
        if not ps.me.away:
            return lambda day: True
        return lambda day: _away_on(ps, day) is None
    return lambda day: holidays.name(day) is None and _away_on(ps, day) is None


def _in_clock_window(text: str, local: datetime) -> bool:
    start, end = _client_window(text)
    minute = local.hour * 60 + local.minute
    return start <= minute < end or start <= minute + 1440 < end


def _holds(value: object, actual: object) -> bool:
    if isinstance(value, (list, tuple)):
        return actual in value
    return actual == value


def rule_applies(rule: Rule, req: Request, sit: Situation, trust: str, facts: Facts) -> bool:
    """Whether every condition of the rule's `when` holds."""
    for cond, value in rule.when:
        if cond == "hours":
            ok = sit.within_hours == (value == "in")
        elif cond == "channel":
            ok = _holds(value, req.channel)
        elif cond == "kind":
            ok = _holds(value, req.kind)
        elif cond == "urgency":
            ok = _holds(value, req.urgency)
        elif cond == "trust":
            ok = trust == value
        elif cond == "holiday":
            ok = (sit.holiday is not None) == value
        elif cond == "away":
            ok = (sit.away is not None) == value
        elif cond == "client_time":
            ok = _in_clock_window(str(value), sit.sender_local)
        elif cond == "repeat":
            ok = facts.recent_requests >= int(value)  # type: ignore[call-overload]
        else:  # unknown conditions are rejected by the loader
            ok = False
        if not ok:
            return False
    return True


def _grant_extra_effort(
    ps: PolicySet, tier: Tier, client: Client | None, req: Request, sit: Situation, facts: Facts
) -> tuple[bool, Reason]:
    """Is extra effort (an answer outside hours) granted? With the reason either way."""
    ee = tier.extra_effort
    src = ee.sources
    if not ee.allowed:
        return False, Reason(f"extra effort is not allowed for tier {tier.name}",
                             src.get("allowed", src.get("table", tier.path + ":1")))
    if client is not None and client.trust == "revoked":
        return False, Reason(f"extra effort withheld: trust revoked for {client.id}",
                             client.sources.get("trust", client.source))
    if URGENCY_RANK[req.urgency] < URGENCY_RANK[ee.min_urgency]:
        return False, Reason(
            f"extra effort needs urgency {ee.min_urgency} or more; this request is {req.urgency}",
            src.get("min_urgency", src.get("table", BUILTIN)))
    month = _MONTHS_EN[sit.local.month - 1]
    if ee.per_month is not None and facts.extra_effort_used >= ee.per_month:
        return False, Reason(f"budget used: {facts.extra_effort_used} of {ee.per_month} in {month}",
                             src.get("per_month", BUILTIN))
    if ee.per_month is None:
        budget = "no monthly limit"
    else:
        budget = f"{facts.extra_effort_used + 1} of {ee.per_month} used in {month}"
    return True, Reason(f"extra effort granted: {req.urgency} request ({budget})",
                        src.get("table", src.get("allowed", BUILTIN)))


def _later_key(tier: Tier, sit: Situation) -> str:
    """The reply key of a `later`: away, holiday or after-hours."""
    if sit.away is not None:
        return "away"
    if sit.holiday is not None and not tier.on_holidays:
        return "holiday"
    return "after-hours"


def _hours_reason(ps: PolicySet, tier: Tier, sit: Situation) -> Reason:
    summary = summarize_week(tier.week)
    src = tier.day_sources[sit.day.weekday()]
    if sit.within_hours:
        return Reason(f"within reachability hours ({summary})", src)
    if not tier.has_hours:
        return Reason(f"tier {tier.name} has no reachability hours", tier.sources.get("hours",
                                                                                       BUILTIN))
    return Reason(f"outside reachability hours ({summary})", src)


def _holiday_reason(ps: PolicySet, tier: Tier, sit: Situation) -> Reason:
    return Reason(
        f"public holiday: {sit.holiday} ({ps.me.holidays}); tier {tier.name} is off on holidays",
        ps.me.sources.get("holidays", BUILTIN))


def _away_reason(ps: PolicySet, sit: Situation) -> Reason:
    a = sit.away
    assert a is not None
    why = f": {a.reason}" if a.reason else ""
    return Reason(f"away{why} ({a.start.isoformat()} – {a.end.isoformat()})", a.source)


def _later_reason(ps: PolicySet, tier: Tier, sit: Situation) -> Reason:
    if sit.away is not None:
        return _away_reason(ps, sit)
    if sit.holiday is not None and not tier.on_holidays:
        return _holiday_reason(ps, tier, sit)
    return _hours_reason(ps, tier, sit)


def _rule_reason(rule: Rule) -> Reason:
    text = rule.note or f"rule {rule.index + 1}: {rule.decide}"
    return Reason(text, rule.source)


def decide(ps: PolicySet, req: Request, facts: Facts = NO_FACTS) -> Decision:
    """Decide `req` against the policy set `ps`, given the journal's `facts`."""
    me = ps.me
    tz = zone(me.timezone)
    client = ps.clients.get(req.sender.client_id) if req.sender.client_id else None
    reasons: list[Reason] = []
    if client is not None:
        tier = ps.tiers[client.tier]
        sender_tz = zone(client.timezone) if client.timezone else tz
        sender_locale = client.locale or me.locale
        trust = client.trust
    else:
        found = ps.tiers.get(me.unknown_tier)
        tier = found if found is not None else _UNKNOWN_TIER
        sender_tz, sender_locale, trust = tz, me.locale, "ok"
    sit = situation(ps, tier, req, sender_tz)

    decision: str
    reply_key: str | None = None
    extra_effort = False
    deciding: list[Reason] = []
    if client is None and tier is _UNKNOWN_TIER:
        decision = "later"
        reply_key = _later_key(tier, sit)
        deciding.append(Reason(
            f"unknown sender {req.sender.raw!r} and no tier `{me.unknown_tier}` for unknown "
            "senders: later, call back on request", me.sources.get("unknown_tier", BUILTIN)))
    else:
        if client is None:
            reasons.append(Reason(f"unknown sender: no client matches {req.sender.raw!r}; "
                                  f"tier {tier.name}", me.sources.get("unknown_tier", BUILTIN)))
        rule = next((r for r in tier.rules if rule_applies(r, req, sit, trust, facts)), None)
        if rule is not None:
            decision, reply_key = rule.decide, rule.reply
            if decision == "answer" and not sit.within_hours:
                granted, why = _grant_extra_effort(ps, tier, client, req, sit, facts)
                if granted:
                    extra_effort = True
                    deciding += [_rule_reason(rule), why]
                else:
                    decision = "later"
                    reply_key = _later_key(tier, sit)
                    deciding += [why, _rule_reason(rule), _later_reason(ps, tier, sit)]
            else:
                deciding.append(_rule_reason(rule))
                if decision == "decline" and reply_key is None:
                    reply_key = "declined"
                elif decision == "later" and reply_key is None:
                    reply_key = _later_key(tier, sit)
        elif req.channel not in tier.channels:
            decision, reply_key = "decline", "wrong-channel"
            allowed = human_channels(tier.channels, "en") or "none"
            deciding.append(Reason(
                f"{_CHANNEL_NOUN[req.channel]} not among the channels of tier {tier.name} "
                f"(allowed: {allowed})", tier.sources.get("channels", BUILTIN)))
        elif sit.away is not None:
            decision, reply_key = "later", "away"
            deciding.append(_away_reason(ps, sit))
        elif sit.within_hours:
            decision = "answer"
            deciding.append(_hours_reason(ps, tier, sit))
        else:
            granted, why = _grant_extra_effort(ps, tier, client, req, sit, facts)
            if granted:
                decision, extra_effort = "answer", True
                deciding += [why, _hours_reason(ps, tier, sit)]
            else:
                decision = "later"
                reply_key = _later_key(tier, sit)
                deciding += [_later_reason(ps, tier, sit), why]
    reasons[0:0] = deciding

    # callback: the most restrictive of tier, client and the landline rule
    callback = tier.callback
    landline = req.sender.number is not None and req.sender.line_type == "fixed"
    if client is not None and client.callback is not None and (
            CALLBACK_RANK[client.callback] > CALLBACK_RANK[callback]):
        callback = client.callback
        reasons.append(Reason(f"callback {callback}: set for client {client.id}",
                              client.sources.get("callback", client.source)))
    elif CALLBACK_RANK[callback] > 0 and tier is not _UNKNOWN_TIER:
        reasons.append(Reason(f"callback {callback}: set for tier {tier.name}",
                              tier.sources.get("callback", BUILTIN)))
    if landline and not me.callback_landlines:
        callback = "never"
        reasons.append(Reason(f"callback never: {req.sender.number} is a landline and "
                              "landlines are never called back",
                              me.sources.get("callback_landlines", BUILTIN)))

    in_writing = False
    if client is not None and client.in_writing:
        in_writing = True
        reasons.append(Reason(f"every request of {client.id} is confirmed in writing",
                              client.sources.get("in_writing", client.source)))
    elif req.kind in tier.in_writing:
        in_writing = True
        reasons.append(Reason(f"a {req.kind} is confirmed in writing",
                              tier.sources.get("in_writing", BUILTIN)))

    discreet = tier.discreet or bool(client is not None and client.discreet)
    nw = next_window(tier.week, tz, sit.local, _day_open(ps, tier)) if tier.has_hours else None
    nw_local = (nw[0].astimezone(tz), nw[1].astimezone(tz)) if nw else None

    # a reply that defers must not promise "right now": when a rule sends me away within
    # hours, the reply speaks of the window after the current one
    reply_window = nw_local
    if decision != "answer" and nw is not None and nw[0] <= req.at:
        after = next_window(tier.week, tz, nw[1], _day_open(ps, tier))
        reply_window = (after[0].astimezone(tz), after[1].astimezone(tz)) if after else None
    def values(locale: str) -> dict[str, str]:  # worded in the template's own language
        return _values(ps, tier, client, req, reply_window, sender_tz, locale, discreet)

    # an answer carries no reply (§5), whoever decided it
    reply = None
    if reply_key is not None and decision != "answer":
        reply = pick_reply(ps, reply_key, sender_locale, discreet, values)
    if reply is not None and reply_key is not None:
        withheld = _withhold_reply(ps, req, facts, reply_key)
        if withheld is not None:
            reply = None
            reasons.append(withheld)
    confirm = pick_reply(ps, "confirm", sender_locale, discreet, values) if in_writing else None

    return Decision(
        decision=decision,
        client=client.id if client else None,
        tier=tier.name if tier is not _UNKNOWN_TIER else me.unknown_tier,
        at=sit.local,
        within_hours=sit.within_hours,
        next_window=nw_local,
        extra_effort=extra_effort,
        callback=callback,
        in_writing=in_writing,
        reasons=tuple(reasons),
        reply=reply,
        confirm=confirm,
        client_name=client.name if client else None,
        discreet=discreet,
        holiday=sit.holiday,
        away=(sit.away.reason or "away") if sit.away else None,
        sender_timezone=sender_tz.key,
        sender_locale=sender_locale,
        landline=landline,
    )


def _values(ps: PolicySet, tier: Tier, client: Client | None, req: Request,
            nw: tuple[datetime, datetime] | None, sender_tz: ZoneInfo, locale: str,
            discreet: bool) -> dict[str, str]:
    start = nw[0] if nw else None
    start_s = start.astimezone(sender_tz) if start else None
    return {
        "next": human_next(start, req.at, sender_tz, locale, ps.locale_names),
        "next_date": start_s.date().isoformat() if start_s else "",
        "next_time": f"{start_s.hour:02d}:{start_s.minute:02d}" if start_s else "",
        "my_name": "" if discreet else ps.me.name,
        "client_name": "" if discreet or client is None else client.name,
        "channels": human_channels(tier.channels, locale),
    }


_AUTOMATED = re.compile(
    r"^(no-?reply|do-?not-?reply|mailer-daemon|postmaster|bounces?|notifications?|"
    r"automated|daemon|listserv|majordomo)([+._-][^@]*)?@|"
    r"^[^@]*(-bounces|-request|-owner)(\+[^@]*)?@|^owner-[^@]*@", re.IGNORECASE)


def is_automated(sender: str) -> bool:
    """A sender that looks like a robot or a mailing list (noreply@, mailer-daemon@, …)."""
    return bool(_AUTOMATED.match(sender.strip()))


def _withhold_reply(ps: PolicySet, req: Request, facts: Facts, key: str) -> Reason | None:
    """Why the reply must not go out (a robot, or sent recently), or None."""
    if "@" in req.sender.raw and is_automated(req.sender.raw):
        return Reason(f"no automatic reply to {req.sender.raw}: it looks like a robot or a "
                      "mailing list", BUILTIN)
    days = ps.me.reply_once_days
    last = facts.replies_sent.get(key)
    if days and last is not None and req.at - last < timedelta(days=days):
        return Reason(f"reply `{key}` already sent to this sender on "
                      f"{last.astimezone(zone(ps.me.timezone)).strftime('%Y-%m-%d %H:%M')}; "
                      f"once in {days} days", ps.me.sources.get("reply_once_days", BUILTIN))
    return None


_SPACE_BEFORE_PUNCT = re.compile(r"[ \t]+([,.;:!?])")
_DOUBLE_SPACE = re.compile(r"(?<=\S)[ \t]{2,}")


def locale_chain(ps: PolicySet, sender_locale: str) -> list[str]:
    """Sender's locale, then mine, then en, without repeats."""
    out: list[str] = []
    for loc in (sender_locale, ps.me.locale, "en"):
        if loc not in out:
            out.append(loc)
    return out


def pick_reply(ps: PolicySet, key: str, sender_locale: str, discreet: bool,
               values: Callable[[str], dict[str, str]]) -> ReplyText | None:
    """The template for `key` (its `-discreet` variant first when discreet), rendered with
    placeholders worded in the language of the template that was found."""
    for loc in locale_chain(ps, sender_locale):
        table = ps.replies.get(loc)
        if not table:
            continue
        chosen = key
        tpl = table.get(key + "-discreet") if discreet else None
        if tpl is not None:
            chosen = key + "-discreet"
        else:
            tpl = table.get(key)
        if tpl is None:
            continue
        filled = values(loc)
        text = render(tpl.text, filled)
        if discreet or not filled.get("client_name"):
            text = _DOUBLE_SPACE.sub(" ", _SPACE_BEFORE_PUNCT.sub(r"\1", text))
        return ReplyText(loc, chosen, text.strip())
    return None

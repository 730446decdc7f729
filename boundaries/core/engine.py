"""The decision: pure, no I/O, no clock. Calendar facts first, then rules, then defaults.

This module goes from a request's situation to a verdict; `reasons` words why, and
`replies` picks and renders what the sender is told."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo

from boundaries.core import reasons as why
from boundaries.core.calendar import CalendarSpan
from boundaries.core.hours import parse_window
from boundaries.core.mail_rules import is_robot_address, replied_recently
from boundaries.core.model import Away, Client, PolicySet, Rule, Tier
from boundaries.core.reasons import Context, word_reason
from boundaries.core.replies import pick_reply, placeholder_values
from boundaries.core.request import NO_FACTS, Decision, Facts, Reason, Request, Situation
from boundaries.core.time import Free, containing_window, next_window, zone
from boundaries.core.via import choose_via
from boundaries.core.vocabulary import CALLBACK_RANK, CHANNELS, URGENCY_RANK

# the tier of an unknown sender when the set has no tier file of that name
UNKNOWN_TIER = Tier(name="unknown", channels=CHANNELS, callback="on-request")


@lru_cache(maxsize=1024)
def _client_window(text: str) -> tuple[int, int]:
    return parse_window(text)


def away_on(ps: PolicySet, day: date) -> Away | None:
    """The time off that covers `day`, or None."""
    for a in ps.me.away:
        if a.start <= day <= a.end:
            return a
    return None


def situation(ps: PolicySet, tier: Tier, at: datetime, sender_tz: ZoneInfo) -> Situation:
    """Within hours, holiday, away, busy and the sender's clock for a request at `at`.

    Away is the day's `[[away]]`, else calendar time off at that instant; busy is the
    calendar event I am in at that instant (§6)."""
    tz = zone(ps.me.timezone)
    local = at.astimezone(tz)
    cont = containing_window(tier.week, tz, local, day_open(ps, tier))
    day = cont[0] if cont else local.date()
    theirs = at.astimezone(sender_tz)
    away_span, busy = ps.calendar.at(at.timestamp()) if ps.calendar else (None, None)
    return Situation(
        within_hours=cont is not None,
        day=day,
        holiday=ps.holidays.name(day),
        away=away_on(ps, day) or away_span,
        sender_minute=theirs.hour * 60 + theirs.minute,
        month=local.month,
        busy=busy,
    )


def free_of(ps: PolicySet) -> Free | None:
    """The calendar's free stretches, for the next-window search (None: no calendars)."""
    return ps.calendar.free_stretches if ps.calendar else None


def day_open(ps: PolicySet, tier: Tier) -> Callable[[date], bool]:
    """Whether the tier's windows that start on a day count (no holiday off, no time off)."""
    holidays = ps.holidays
    if tier.on_holidays:
        if not ps.me.away:
            return lambda day: True
        return lambda day: away_on(ps, day) is None
    return lambda day: holidays.name(day) is None and away_on(ps, day) is None


def away_label(away: Away | CalendarSpan | None) -> str | None:
    """What a decision says of time off: `[[away]]`'s reason or the event's summary
    (private: masked in the TUI), else "away"; None when I am not away."""
    if away is None:
        return None
    text = away.reason if isinstance(away, Away) else away.summary
    return text or "away"


def in_clock_window(text: str, minute: int) -> bool:
    """Whether a `client_time` window (`HH:MM-HH:MM`) holds this minute of the day."""
    start, end = _client_window(text)
    return start <= minute < end or start <= minute + 1440 < end


def _holds(value: object, actual: object) -> bool:
    if isinstance(value, (list, tuple)):
        return actual in value
    return actual == value


def rule_applies(rule: Rule, channel: str, kind: str, urgency: str, sit: Situation,
                 trust: str, facts: Facts) -> bool:
    """Whether every condition of the rule's `when` holds."""
    for cond, value in rule.when:
        if cond == "hours":
            ok = sit.within_hours == (value == "in")
        elif cond == "channel":
            ok = _holds(value, channel)
        elif cond == "kind":
            ok = _holds(value, kind)
        elif cond == "urgency":
            ok = _holds(value, urgency)
        elif cond == "trust":
            ok = trust == value
        elif cond == "holiday":
            ok = (sit.holiday is not None) == value
        elif cond == "away":
            ok = (sit.away is not None) == value
        elif cond == "busy":
            ok = (sit.busy is not None) == value
        elif cond == "client_time":
            ok = in_clock_window(str(value), sit.sender_minute)
        elif cond == "repeat":
            ok = facts.recent_requests >= int(value)  # type: ignore[call-overload]
        else:  # unknown conditions are rejected by the loader
            ok = False
        if not ok:
            return False
    return True


def grant_extra_effort(tier: Tier, client: Client | None, urgency: str,
                       facts: Facts) -> str:
    """Extra effort (an answer outside hours): `granted`, or what withholds it
    (`allowed`, `trust`, `urgency`, `budget`)."""
    ee = tier.extra_effort
    if not ee.allowed:
        return "allowed"
    if client is not None and client.trust == "revoked":
        return "trust"
    if URGENCY_RANK[urgency] < URGENCY_RANK[ee.min_urgency]:
        return "urgency"
    if ee.per_month is not None and facts.extra_effort_used >= ee.per_month:
        return "budget"
    return "granted"


class Verdict(NamedTuple):
    """The decision without its wording: what was decided, and the deciding reasons as
    tokens (first the one that decided); `decide` words them, replay needs only sources."""

    decision: str
    reply_key: str | None
    extra_effort: bool
    why: tuple[tuple, ...]


def verdict(tier: Tier, client: Client | None, channel: str, kind: str, urgency: str,
            sit: Situation, facts: Facts) -> Verdict:
    """§3: an unknown sender without a tier of its own waits; else the tier's rules, then
    the built-in defaults, then extra effort. `tier` comes from `tier_of`."""
    if tier is UNKNOWN_TIER:
        return Verdict("later", _later_key(tier, sit), False, (("unknown-tier",),))
    trust = client.trust if client is not None else "ok"
    for rule in tier.rules:
        if rule_applies(rule, channel, kind, urgency, sit, trust, facts):
            break
    else:
        rule = None
    if rule is not None:
        if rule.decide == "answer" and not sit.within_hours:
            grant = grant_extra_effort(tier, client, urgency, facts)
            if grant == "granted":
                return Verdict("answer", rule.reply, True, (("rule", rule), ("effort", grant)))
            return Verdict("later", _later_key(tier, sit), False,
                           (("effort", grant), ("rule", rule), ("later",)))
        reply_key = rule.reply
        if rule.decide == "decline" and reply_key is None:
            reply_key = "declined"
        elif rule.decide == "later" and reply_key is None:
            reply_key = _later_key(tier, sit)
        return Verdict(rule.decide, reply_key, False, (("rule", rule),))
    if channel not in tier.channels:
        return Verdict("decline", "wrong-channel", False, (("channel",),))
    if sit.away is not None:
        return Verdict("later", "away", False, (("away",),))
    if sit.busy is not None:
        return Verdict("later", "busy", False, (("busy",),))
    if sit.within_hours:
        return Verdict("answer", None, False, (("hours",),))
    grant = grant_extra_effort(tier, client, urgency, facts)
    if grant == "granted":
        return Verdict("answer", None, True, (("effort", grant), ("hours",)))
    return Verdict("later", _later_key(tier, sit), False, (("later",), ("effort", grant)))


def _later_key(tier: Tier, sit: Situation) -> str:
    """The reply key of a `later`: away, busy, holiday or after-hours."""
    if sit.away is not None:
        return "away"
    if sit.busy is not None:
        return "busy"
    if sit.holiday is not None and not tier.on_holidays:
        return "holiday"
    return "after-hours"


def callback_for(ps: PolicySet, tier: Tier, client: Client | None,
                 landline: str | None) -> tuple[str, list[Reason]]:
    """The most restrictive of tier, client and the landline rule, with its reasons;
    `landline` is the number the request came from when that is a fixed line."""
    callback = tier.callback
    reasons = []
    if client is not None and client.callback is not None and (
            CALLBACK_RANK[client.callback] > CALLBACK_RANK[callback]):
        callback = client.callback
        reasons.append(why.client_callback_reason(client, callback))
    elif CALLBACK_RANK[callback] > 0 and tier is not UNKNOWN_TIER:
        reasons.append(why.tier_callback_reason(tier, callback))
    if landline is not None and not ps.me.callback_landlines:
        callback = "never"
        reasons.append(why.landline_reason(ps, landline))
    return callback, reasons


def in_writing_for(tier: Tier, client: Client | None, kind: str) -> Reason | None:
    """Why this request must be confirmed in writing, or None when it need not be."""
    if client is not None and client.in_writing:
        return why.client_in_writing_reason(client)
    if kind in tier.in_writing:
        return why.kind_in_writing_reason(tier, kind)
    return None


def tier_of(ps: PolicySet, client: Client | None) -> Tier:
    """The client's tier; for an unknown sender the unknown tier (or the built-in one)."""
    if client is not None:
        return ps.tiers[client.tier]
    found = ps.tiers.get(ps.me.unknown_tier)
    return found if found is not None else UNKNOWN_TIER


def decide(ps: PolicySet, req: Request, facts: Facts = NO_FACTS) -> Decision:
    """Decide `req` against the policy set `ps`, given the journal's `facts`."""
    me = ps.me
    tz = zone(me.timezone)
    client = ps.clients.get(req.sender.client_id) if req.sender.client_id else None
    tier = tier_of(ps, client)
    if client is not None:
        sender_tz = zone(client.timezone) if client.timezone else tz
        sender_locale = client.locale or me.locale
    else:
        sender_tz, sender_locale = tz, me.locale
    sit = situation(ps, tier, req.at, sender_tz)
    v = verdict(tier, client, req.channel, req.kind, req.urgency, sit, facts)
    cx = Context(ps, tier, client, req.urgency, req.channel, sit, facts, req.sender.raw)
    reasons = [word_reason(token, cx) for token in v.why]
    if client is None and tier is not UNKNOWN_TIER:
        reasons.append(why.unknown_sender_reason(ps, tier, req.sender.raw))

    landline = req.sender.number is not None and req.sender.line_type == "fixed"
    callback, why_callback = callback_for(ps, tier, client,
                                          req.sender.number if landline else None)
    reasons += why_callback
    why_writing = in_writing_for(tier, client, req.kind)
    if why_writing is not None:
        reasons.append(why_writing)
    in_writing = why_writing is not None
    decision, reply_key, extra_effort = v.decision, v.reply_key, v.extra_effort
    local = req.at.astimezone(tz)

    discreet = tier.discreet or bool(client is not None and client.discreet)
    free = free_of(ps)
    nw = next_window(tier.week, tz, local, day_open(ps, tier), free=free) if tier.has_hours \
        else None
    nw_local = (nw[0].astimezone(tz), nw[1].astimezone(tz)) if nw else None

    # a reply that defers must not promise "right now": when a rule sends me away within
    # hours, the reply speaks of the window after the current one
    reply_window = nw_local
    if decision != "answer" and nw is not None and nw[0] <= req.at:
        after = next_window(tier.week, tz, nw[1], day_open(ps, tier), free=free)
        reply_window = (after[0].astimezone(tz), after[1].astimezone(tz)) if after else None
    reply_start = reply_window[0] if reply_window else None

    worded: dict[str, dict[str, str]] = {}  # the reply and the confirmation share them

    def values(locale: str) -> dict[str, str]:  # worded in the template's own language
        found = worded.get(locale)
        if found is None:
            found = worded[locale] = placeholder_values(ps, tier, client, req.at, reply_start,
                                                        sender_tz, locale, discreet)
        return found

    # an answer carries no reply (§5), whoever decided it
    reply = None
    if reply_key is not None and decision != "answer":
        reply = pick_reply(ps, reply_key, sender_locale, discreet, values)
    if reply is not None:
        # by the key of the template sent, as the journal records it (a `busy` that fell
        # back to `after-hours` is the after-hours text again)
        withheld = _withhold_reply(ps, req, facts, reply.key.removesuffix("-discreet"))
        if withheld is not None:
            reply = None
            reasons.append(withheld)
    confirm = pick_reply(ps, "confirm", sender_locale, discreet, values) if in_writing else None
    # how the reply and the confirmation go out (§10): one way for both
    via, why_not = choose_via(req.channel, req.sender, client, tier.channels, ps.phone_types,
                              req.reply_to)
    if reply is not None:
        reply = reply._replace(via=via)
    if confirm is not None:
        confirm = confirm._replace(via=via)
    if via is None and (reply is not None or confirm is not None):
        reasons.append(why.no_way_reason(client, why_not or ""))

    return Decision(
        decision=decision,
        client=client.id if client else None,
        tier=tier.name if tier is not UNKNOWN_TIER else me.unknown_tier,
        at=local,
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
        away=away_label(sit.away),
        sender_timezone=sender_tz.key,
        sender_locale=sender_locale,
        landline=landline,
        busy=None if sit.busy is None else (
            datetime.fromtimestamp(sit.busy.start, tz), datetime.fromtimestamp(sit.busy.end, tz),
            sit.busy.source),
        busy_summary=sit.busy.summary if sit.busy is not None else "",
        via=via,
    )


def is_automated(sender: str) -> bool:
    """A sender address that looks like a robot or a mailing list (noreply@, mailer-daemon@,
    …): the robot table of `core.mail_rules`, the one list mail's no-reply rules use."""
    return "@" in sender and is_robot_address(sender)


def _withhold_reply(ps: PolicySet, req: Request, facts: Facts, key: str) -> Reason | None:
    """Why the reply must not go out (a robot, or sent recently), or None."""
    if is_automated(req.sender.raw):
        return why.robot_reason(req.sender.raw)
    last = replied_recently(facts.replies_sent, key, req.at, ps.me.reply_once_days)
    if last is not None:
        return why.replied_recently_reason(ps, key, last)
    return None

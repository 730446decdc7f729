"""The decision rules of §3, one test per path and per rule condition."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from boundaries.core.engine import decide
from boundaries.core.request import Facts
from boundaries.policy.load import load
from boundaries.service import build_request

VIENNA = ZoneInfo("Europe/Vienna")
NOW = datetime(2026, 1, 8, 12, 0, tzinfo=VIENNA)

MAINT = """\
description = "Wartungsvertrag"
channels = ["call", "sms", "email"]
callback = "on-request"

[hours]
mon-fri = ["08:00-12:00", "13:00-17:00"]

[extra_effort]
allowed = false
"""

PREMIUM = """\
[hours]
mon-fri = "07:30-18:00"
fri = "07:30-15:00"

[extra_effort]
allowed = true
per_month = 3
min_urgency = "urgent"

[[rules]]
when = { hours = "out", urgency = ["urgent", "emergency"], channel = "call" }
decide = "answer"
note = "urgent calls after hours"
"""

UNKNOWN = """\
channels = ["sms", "email"]
callback = "never"

[hours]
mon-fri = "09:00-16:00"
"""

DISCREET = """\
discreet = true
callback = "on-request"

[hours]
mon-fri = "09:00-17:00"
"""

NIGHT = """\
on_holidays = true

[hours]
mon-fri = "22:00-06:00"
"""

CLIENTS = """\
[clients.acme]
name = "ACME Abrechnung GmbH"
tier = "maint"
phones = ["+43 732 123456", "0664 1234567"]
emails = ["office@acme.example"]
trust = "revoked"
in_writing = true

[clients.stahl]
name = "Stahlwerk AG"
tier = "premium"
phones = ["+43 664 5550101", "+43 732 5550102"]
callback = "on-request"

[clients.tanaka]
name = "Tanaka KK"
tier = "premium"
timezone = "Asia/Tokyo"
locale = "en"
emails = ["tanaka@partner.example"]

[clients.praxis]
name = "Praxis Dr. Berger"
tier = "discreet"
phones = ["+43 732 778899", "+43 660 7788990"]

[clients.nacht]
name = "Rechenzentrum"
tier = "night"
"""

DE = """\
after-hours = "Guten Tag, ich melde mich {next}. Viele Grüße, {my_name}"
after-hours-discreet = "Guten Tag, ich melde mich {next}."
holiday = "Heute ist Feiertag; ich melde mich {next}."
away = "Ich bin im Urlaub und ab {next} wieder da."
wrong-channel = "Bitte erreichen Sie mich per {channels}."
declined = "Das kann ich leider nicht annehmen; gern per {channels}."
confirm = "Wie besprochen, {client_name}: bitte kurz schriftlich bestätigen. {my_name}"
confirm-discreet = "Wie besprochen: bitte kurz schriftlich bestätigen."
"""

EN = """\
after-hours = "Hello {client_name}, I will get back to you {next} ({next_date} {next_time})."
urgent-ok = "I am on it, {client_name}."
"""

ME_AWAY = """\
name = "Martin Huber"
timezone = "Europe/Vienna"
locale = "de"
holidays = "AT-4"
callback_landlines = false

[[away]]
from = 2026-08-03
to = 2026-08-14
reason = "Sommerurlaub"
"""


@pytest.fixture
def ps(write_set):
    root = write_set({
        "tiers/maint.toml": MAINT, "tiers/premium.toml": PREMIUM,
        "tiers/unknown.toml": UNKNOWN, "tiers/discreet.toml": DISCREET,
        "tiers/night.toml": NIGHT, "clients.toml": CLIENTS,
        "replies/de.toml": DE, "replies/en.toml": EN,
    }, me=ME_AWAY)
    result = load(root)
    assert not result.errors, [d.format() for d in result.errors]
    return result.policies


def ask(ps, sender, at, facts=None, **kw):
    fields = {"from": sender, "at": at, **kw}
    return decide(ps, build_request(ps, fields, NOW), facts or Facts())


# -- built-in defaults, in order --------------------------------------------------------------
def test_seed_story_after_hours_call_is_later_with_next_window(ps):
    d = ask(ps, "+43 732 123456", "2026-01-08T18:20")
    assert d.decision == "later"
    assert d.client == "acme" and d.tier == "maint"
    assert not d.within_hours
    assert d.next_window[0].isoformat() == "2026-01-09T08:00:00+01:00"
    assert d.next_window[1].isoformat() == "2026-01-09T12:00:00+01:00"
    assert d.reply.key == "after-hours" and "morgen ab 08:00" in d.reply.text
    assert d.reasons[0].source == "tiers/maint.toml:6"
    assert "outside reachability hours (Mon–Fri 08:00–12:00, 13:00–17:00)" in d.reasons[0].text


def test_within_hours_answers_with_no_reply(ps):
    d = ask(ps, "acme", "2026-01-08T09:15")
    assert d.decision == "answer" and d.within_hours and d.reply is None
    assert d.next_window[0].isoformat() == "2026-01-08T08:00:00+01:00"  # the current window


def test_lunch_break_is_outside_hours(ps):
    d = ask(ps, "acme", "2026-01-08T12:30")
    assert d.decision == "later"
    assert d.next_window[0].isoformat() == "2026-01-08T13:00:00+01:00"
    assert "heute ab 13:00" in d.reply.text


def test_channel_not_in_tier_declines_with_wrong_channel(ps):
    d = ask(ps, "+43 699 1112223", "2026-01-08T10:00", channel="call")
    assert d.decision == "decline" and d.client is None and d.tier == "unknown"
    assert d.reply.key == "wrong-channel"
    assert d.reply.text == "Bitte erreichen Sie mich per SMS oder E-Mail."
    assert d.reasons[0].source == "tiers/unknown.toml:1"


def test_away_is_later_with_away_reply_even_within_hours(ps):
    d = ask(ps, "acme", "2026-08-05T10:00")
    assert d.decision == "later" and d.reply.key == "away"
    assert d.away == "Sommerurlaub"
    assert d.reasons[0].source == "me.toml:7"
    assert d.next_window[0].date().isoformat() == "2026-08-17"  # first Monday after


def test_public_holiday_is_later_with_holiday_reply(ps):
    d = ask(ps, "acme", "2026-01-06T10:00")  # Heilige Drei Könige
    assert d.decision == "later" and d.reply.key == "holiday"
    assert d.holiday == "Heilige Drei Könige"
    assert d.next_window[0].isoformat() == "2026-01-07T08:00:00+01:00"


def test_holiday_reply_only_when_tier_is_off_on_holidays(ps):
    # night tier has on_holidays = true: 2026-01-06 is a Tuesday, its night window is open
    d = ask(ps, "nacht", "2026-01-06T23:00")
    assert d.decision == "answer" and d.holiday == "Heilige Drei Könige"


def test_extra_effort_granted_outside_hours(ps):
    d = ask(ps, "stahl", "2026-01-08T20:00", channel="sms", urgency="urgent")
    assert d.decision == "answer" and d.extra_effort
    assert "1 of 3 used in January" in d.reasons[0].text


def test_extra_effort_needs_min_urgency(ps):
    d = ask(ps, "stahl", "2026-01-08T20:00", channel="sms", urgency="normal")
    assert d.decision == "later" and not d.extra_effort
    assert any("needs urgency urgent" in r.text for r in d.reasons)


def test_extra_effort_budget_used_up(ps):
    d = ask(ps, "stahl", "2026-01-08T20:00", channel="sms", urgency="urgent",
            facts=Facts(extra_effort_used=3))
    assert d.decision == "later"
    assert any(r.text == "budget used: 3 of 3 in January" for r in d.reasons)


def test_extra_effort_not_allowed_for_tier(ps):
    d = ask(ps, "acme", "2026-01-08T20:00", urgency="emergency")
    assert d.decision == "later"
    assert d.reasons[1].text == "extra effort is not allowed for tier maint"


def test_revoked_trust_gets_no_extra_effort(write_set):
    root = write_set({"tiers/premium.toml": PREMIUM, "clients.toml": """
        [clients.x]
        name = "X"
        tier = "premium"
        trust = "revoked"
        """})
    ps = load(root).policies
    d = ask(ps, "x", "2026-01-08T20:00", channel="sms", urgency="emergency")
    assert d.decision == "later"
    assert any("trust revoked" in r.text and r.source == "clients.toml:5" for r in d.reasons)


# -- rules ---------------------------------------------------------------------------------------
def test_rule_answer_outside_hours_with_extra_effort(ps):
    d = ask(ps, "tanaka@partner.example", "2026-01-08T21:00", channel="call", urgency="urgent")
    assert d.decision == "answer" and d.extra_effort
    assert d.reasons[0].text == "urgent calls after hours"
    assert d.reasons[0].source == "tiers/premium.toml:10"
    assert d.reply is None  # an answer carries no reply (§5), a rule's or the defaults'


def test_rule_answer_with_reply_is_warned_about(load_set):
    result = load_set({"tiers/t.toml": """
        [extra_effort]
        allowed = true
        [[rules]]
        when = { urgency = "urgent" }
        decide = "answer"
        reply = "urgent-ok"
        """})
    warning = next(d for d in result.diagnostics if "never sent" in d.message)
    assert (warning.path, warning.line, warning.col) == ("tiers/t.toml", 7, 1)  # `reply`


def test_rule_answer_not_granted_becomes_later_and_says_why(ps):
    d = ask(ps, "tanaka@partner.example", "2026-01-08T21:00", channel="call", urgency="urgent",
            facts=Facts(extra_effort_used=3))
    assert d.decision == "later"
    assert d.reasons[0].text == "budget used: 3 of 3 in January"
    assert d.reasons[1].source == "tiers/premium.toml:10"
    assert d.reply.key == "after-hours"


@pytest.mark.parametrize(("when", "request_kw", "holds"), [
    ('{ hours = "in" }', {"at": "2026-01-08T10:00"}, True),
    ('{ hours = "in" }', {"at": "2026-01-08T20:00"}, False),
    ('{ hours = "out" }', {"at": "2026-01-08T20:00"}, True),
    ('{ channel = "sms" }', {"channel": "sms"}, True),
    ('{ channel = ["sms", "chat"] }', {"channel": "call"}, False),
    ('{ kind = "complaint" }', {"kind": "complaint"}, True),
    ('{ kind = ["change", "billing"] }', {"kind": "question"}, False),
    ('{ urgency = "emergency" }', {"urgency": "emergency"}, True),
    ('{ urgency = ["urgent"] }', {"urgency": "normal"}, False),
    ('{ trust = "revoked" }', {"from": "bad"}, True),
    ('{ trust = "revoked" }', {}, False),
    ('{ trust = "ok" }', {}, True),
    ('{ holiday = true }', {"at": "2026-01-06T10:00"}, True),
    ('{ holiday = true }', {"at": "2026-01-07T10:00"}, False),
    ('{ holiday = false }', {"at": "2026-01-07T10:00"}, True),
    ('{ away = true }', {"at": "2026-08-04T10:00"}, True),
    ('{ away = true }', {"at": "2026-08-18T10:00"}, False),
    # the sender (Tokyo, +9h in winter) at 10:00 Vienna is 18:00 in Tokyo
    ('{ client_time = "08:00-17:00" }', {"from": "tokyo", "at": "2026-01-08T10:00"}, False),
    ('{ client_time = "17:00-20:00" }', {"from": "tokyo", "at": "2026-01-08T10:00"}, True),
    ('{ client_time = "22:00-07:00" }', {"from": "tokyo", "at": "2026-01-08T22:30"}, True),
    ('{ client_time = "22:00-07:00" }', {"from": "tokyo", "at": "2026-01-08T23:30"}, False),
    ('{ repeat = 2 }', {}, False),
])
def test_each_rule_condition(write_set, when, request_kw, holds):
    root = write_set({
        "tiers/t.toml": f"""
            [hours]
            mon-fri = "09:00-17:00"

            [[rules]]
            when = {when}
            decide = "decline"
            note = "the rule"
            """,
        "clients.toml": """
            [clients.good]
            name = "Good"
            tier = "t"
            [clients.bad]
            name = "Bad"
            tier = "t"
            trust = "revoked"
            [clients.tokyo]
            name = "Tokyo"
            tier = "t"
            timezone = "Asia/Tokyo"
            """,
    }, me=ME_AWAY)
    result = load(root)
    assert not result.errors, [d.format() for d in result.errors]
    kw = {"from": "good", "at": "2026-01-08T10:00", "channel": "email", **request_kw}
    d = ask(result.policies, kw.pop("from"), kw.pop("at"), **kw)
    assert (d.reasons[0].text == "the rule") is holds
    if holds:
        assert d.decision == "decline" and d.reasons[0].source == "tiers/t.toml:5"


def test_repeat_condition_counts_facts(write_set):
    root = write_set({"tiers/t.toml": """
        [hours]
        mon-fri = "09:00-17:00"
        [[rules]]
        when = { repeat = 3 }
        decide = "later"
        note = "calls again and again"
        """, "clients.toml": '[clients.a]\nname = "A"\ntier = "t"\n'})
    ps = load(root).policies
    assert ask(ps, "a", "2026-01-08T10:00", facts=Facts(recent_requests=2)).decision == "answer"
    d = ask(ps, "a", "2026-01-08T10:00", facts=Facts(recent_requests=3))
    assert d.decision == "later" and d.reasons[0].text == "calls again and again"


def test_first_matching_rule_wins(write_set):
    root = write_set({"tiers/t.toml": """
        [hours]
        daily = "00:00-24:00"
        [[rules]]
        when = { channel = "sms" }
        decide = "later"
        note = "first"
        [[rules]]
        when = { channel = ["sms", "call"] }
        decide = "decline"
        note = "second"
        """, "clients.toml": '[clients.a]\nname = "A"\ntier = "t"\n'})
    ps = load(root).policies
    assert ask(ps, "a", "2026-01-08T10:00", channel="sms").reasons[0].text == "first"
    d = ask(ps, "a", "2026-01-08T10:00", channel="call")
    assert d.decision == "decline" and d.reasons[0].text == "second"


def test_rule_decline_without_reply_uses_declined(write_set):
    root = write_set({"tiers/t.toml": """
        [[rules]]
        decide = "decline"
        """, "clients.toml": '[clients.a]\nname = "A"\ntier = "t"\n',
        "replies/de.toml": DE})
    d = ask(load(root).policies, "a", "2026-01-08T10:00")
    assert d.decision == "decline" and d.reply.key == "declined"


# -- callback ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("sender", "expected"), [
    ("acme", "on-request"),              # tier on-request, no number: landline rule silent
    ("+43 664 1234567", "on-request"),   # acme's mobile
    ("+43 732 123456", "never"),         # acme's landline while callback_landlines = false
    ("stahl", "on-request"),             # client narrows tier's "always"
    ("+43 664 5550101", "on-request"),
    ("+43 732 5550102", "never"),
    ("tanaka@partner.example", "always"),
    ("+1 212 555 0123", "never"),        # unknown: tier unknown says never
])
def test_callback_most_restrictive(ps, sender, expected):
    assert ask(ps, sender, "2026-01-08T10:00", channel="sms").callback == expected


def test_landline_rule_off_when_landlines_may_be_called(write_set):
    me = ME_AWAY.replace("callback_landlines = false", "callback_landlines = true")
    root = write_set({"tiers/t.toml": '[hours]\nmon-fri = "09:00-17:00"\n',
                      "clients.toml": '[clients.a]\nname = "A"\ntier = "t"\n'
                                      'phones = ["+43 732 123456"]\n'}, me=me)
    d = ask(load(root).policies, "+43 732 123456", "2026-01-08T10:00")
    assert d.callback == "always" and d.landline


def test_us_number_is_not_treated_as_landline(write_set):
    root = write_set({"tiers/t.toml": '[hours]\nmon-fri = "09:00-17:00"\n',
                      "clients.toml": '[clients.a]\nname = "A"\ntier = "t"\n'
                                      'phones = ["+1 212 555 0123"]\n'})
    d = ask(load(root).policies, "+1 212 555 0123", "2026-01-08T10:00")
    assert d.callback == "always" and not d.landline


# -- in writing ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("sender", "kind", "expected"), [
    ("acme", "question", True),     # client in_writing = true
    ("stahl", "question", False),
    ("stahl", "change", True),      # default in_writing kinds
    ("stahl", "billing", True),
    ("stahl", "complaint", True),
    ("stahl", "task", False),
])
def test_in_writing(ps, sender, kind, expected):
    d = ask(ps, sender, "2026-01-08T10:00", kind=kind)
    assert d.in_writing is expected
    assert (d.confirm is not None) is expected


# -- replies ---------------------------------------------------------------------------------------
def test_discreet_reply_uses_discreet_variant_and_holds_no_names(ps):
    d = ask(ps, "praxis", "2026-01-08T18:00", kind="change")
    assert d.discreet and d.reply.key == "after-hours-discreet"
    assert d.confirm.key == "confirm-discreet"
    for text in (d.reply.text, d.confirm.text):
        assert "Martin" not in text and "Berger" not in text and "Praxis" not in text


def test_discreet_without_variant_blanks_names(write_set):
    root = write_set({"tiers/d.toml": DISCREET,
                      "clients.toml": '[clients.p]\nname = "Praxis Berger"\ntier = "d"\n',
                      "replies/en.toml": EN}, me=ME_AWAY.replace('locale = "de"', 'locale = "en"'))
    d = ask(load(root).policies, "p", "2026-01-08T18:00")
    assert d.reply.key == "after-hours"
    assert "Berger" not in d.reply.text and "Martin" not in d.reply.text
    assert d.reply.text.startswith("Hello, I will get back to you tomorrow from 09:00")


def test_reply_in_senders_locale_and_timezone(ps):
    d = ask(ps, "tanaka", "2026-01-08T18:20", channel="email")
    assert d.reply.locale == "en"
    # next window 2026-01-09 07:30 Vienna = 15:30 Tokyo; it is already 02:20 on the 9th there
    assert d.reply.text == ("Hello Tanaka KK, I will get back to you today from 15:30 "
                            "(2026-01-09 15:30).")


def test_locale_falls_back_to_mine_then_en(ps):
    # tanaka speaks en; `holiday` only exists in de (mine)
    d = ask(ps, "tanaka", "2026-01-06T10:00", channel="email")
    assert d.reply.locale == "de" and d.reply.key == "holiday"


def test_reply_null_when_no_template_in_any_language(write_set):
    root = write_set({"tiers/t.toml": '[hours]\nmon-fri = "09:00-17:00"\n',
                      "clients.toml": '[clients.a]\nname = "A"\ntier = "t"\n',
                      "replies/en.toml": 'confirm = "ok"\n'})
    d = ask(load(root).policies, "a", "2026-01-08T20:00")
    assert d.decision == "later" and d.reply is None


def test_unknown_sender_without_unknown_tier_is_later_on_request(write_set):
    root = write_set({"tiers/t.toml": '[hours]\nmon-fri = "09:00-17:00"\n'})
    d = ask(load(root).policies, "someone@else.example", "2026-01-08T10:00")
    assert d.decision == "later" and d.client is None and d.callback == "on-request"
    assert d.next_window is None


def test_overnight_window_belongs_to_its_start_day(ps):
    assert ask(ps, "nacht", "2026-01-05T23:30").decision == "answer"   # Monday night
    d = ask(ps, "nacht", "2026-01-06T03:00")  # Tuesday 03:00: Monday's window
    assert d.decision == "answer"
    assert d.next_window[0].isoformat() == "2026-01-05T22:00:00+01:00"
    assert ask(ps, "nacht", "2026-01-10T23:00").decision == "later"    # Saturday
    assert ask(ps, "nacht", "2026-01-10T03:00").decision == "answer"   # Friday's night


def test_json_carries_every_contract_field(ps):
    d = ask(ps, "acme", "2026-01-08T18:20")
    obj = d.as_json()
    assert list(obj) == ["decision", "client", "tier", "at", "within_hours", "next_window",
                         "extra_effort", "callback", "in_writing", "reasons", "reply", "confirm",
                         "busy"]
    assert obj["busy"] is None  # no calendars: never busy
    assert obj["at"] == "2026-01-08T18:20:00+01:00"


def test_later_within_hours_reply_names_the_following_window(write_set):
    root = write_set({"tiers/t.toml": """
        [hours]
        mon-fri = "09:00-17:00"
        [[rules]]
        when = { kind = "task" }
        decide = "later"
        """, "clients.toml": '[clients.a]\nname = "A"\ntier = "t"\n',
        "replies/de.toml": DE})
    d = ask(load(root).policies, "a", "2026-01-08T10:00", kind="task")
    assert d.decision == "later" and d.within_hours
    assert d.next_window[0].isoformat() == "2026-01-08T09:00:00+01:00"  # the contract's field
    assert "morgen ab 09:00 Uhr" in d.reply.text                         # not "gleich jetzt"


def test_overlapping_windows_join_without_losing_time(write_set):
    root = write_set({"tiers/t.toml": """
        [hours]
        mon = ["07:00-09:00", "08:00-08:00"]
        """, "clients.toml": '[clients.a]\nname = "A"\ntier = "t"\n'})
    ps = load(root).policies
    # Monday 07:00 to Tuesday 08:00 is one window: Tuesday 07:30 is still reachable
    d = ask(ps, "a", "2026-01-06T07:30")
    assert d.decision == "answer"
    assert d.next_window[1].isoformat() == "2026-01-06T08:00:00+01:00"

"""The no-reply rules of sources.md §9 (RFC 3834 §2, RFC 5230 §4.5): each on its own, with the
header that showed it, in the spec's order; and the engine's robot senders from the same table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundaries.core.engine import decide, is_automated
from boundaries.core.mail import MailMessage
from boundaries.core.mail_rules import (
    RULE_NAMES,
    RULES,
    is_robot_address,
    replied_recently,
    replied_recently_suppressed,
    suppression,
)
from boundaries.core.request import Facts
from boundaries.core.text import visible
from boundaries.policy.load import load
from boundaries.service import build_request

from .test_engine import CLIENTS, DE, EN, MAINT, ME_AWAY, PREMIUM, UNKNOWN

ME = ("martin@huber-it.example", "office@huber-it.example")
VIENNA = ZoneInfo("Europe/Vienna")


def mail(*, sender: str | None = "anna@stahl.example", to: tuple[str, ...] = (ME[0],),
         **headers: str | tuple[str, ...]) -> MailMessage:
    """A message as a reader would give it; keyword headers use `_` for `-`
    (`List_Id="<x>"`), a tuple for a header written more than once."""
    hs: dict[str, tuple[str, ...]] = {}
    for name, value in headers.items():
        hs[name.replace("_", "-").lower()] = value if isinstance(value, tuple) else (value,)
    if sender is not None:
        hs.setdefault("from", (sender,))
    if to:
        hs.setdefault("to", (", ".join(to),))
    return MailMessage(
        path="new/1", message_id="<1@stahl.example>", from_address=sender, from_name="",
        reply_to=(), recipients=to, subject="Frage", date=None, delivered=None,
        references=(), in_reply_to=None, headers=hs, digest="0" * 64)


def test_an_ordinary_mail_to_me_gets_a_reply():
    assert suppression(mail(), ME) is None


def test_the_rule_names_are_the_stable_ones_in_the_spec_order():
    assert RULE_NAMES == ("auto-submitted", "precedence", "list", "auto-response-suppress",
                          "null-return-path", "robot-sender", "from-me", "not-for-me",
                          "x-loop", "replied-recently")
    assert [r.name for r in RULES] == list(RULE_NAMES[:-1])


# -- each rule on its own, with its header -------------------------------------------------
@pytest.mark.parametrize(("headers", "rule", "header", "words"), [
    ({"Auto_Submitted": "auto-replied"}, "auto-submitted", "Auto-Submitted",
     "no reply to an automatic message (Auto-Submitted: auto-replied)"),
    ({"Auto_Submitted": "auto-generated; owner-email=x@y.example"}, "auto-submitted",
     "Auto-Submitted", "automatic message"),
    ({"Precedence": "bulk"}, "precedence", "Precedence",
     "no reply to bulk mail (Precedence: bulk)"),
    ({"Precedence": "list"}, "precedence", "Precedence", "Precedence: list"),
    ({"Precedence": "junk"}, "precedence", "Precedence", "Precedence: junk"),
    ({"List_Id": "Team <team.lists.example>"}, "list", "List-Id",
     "no reply to a mailing list (List-Id: Team <team.lists.example>)"),
    ({"X_Auto_Response_Suppress": "All"}, "auto-response-suppress",
     "X-Auto-Response-Suppress", "the sender asked for none (X-Auto-Response-Suppress: All)"),
    ({"X_Auto_Response_Suppress": "DR, RN, NRN, OOF, AutoReply"}, "auto-response-suppress",
     "X-Auto-Response-Suppress", "OOF"),
    ({"Return_Path": "<>"}, "null-return-path", "Return-Path",
     "no reply to a bounce or a notification (Return-Path: <>)"),
    ({"Return_Path": "< >"}, "null-return-path", "Return-Path", "Return-Path: < >"),
    ({"X_Loop": "martin@huber-it.example"}, "x-loop", "X-Loop",
     "already passed through me (X-Loop: martin@huber-it.example)"),
    ({"X_Loop": "Office <OFFICE@huber-it.example>"}, "x-loop", "X-Loop", "X-Loop"),
])
def test_each_rule_names_itself_and_its_header(headers, rule, header, words):
    s = suppression(mail(**headers), ME)
    assert s is not None
    assert (s.rule, s.header) == (rule, header)
    assert s.as_json() == {"rule": rule, "header": header}
    assert words in s.text


@pytest.mark.parametrize("name", ["List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe",
                                  "List-Post", "List-Owner", "List-Archive"])
def test_any_list_header_is_a_mailing_list(name):
    s = suppression(mail(**{name.replace("-", "_"): "<mailto:x@lists.example>"}), ME)
    assert s is not None and (s.rule, s.header) == ("list", name)
    assert s.text.startswith(f"no reply to a mailing list ({name}: ")


@pytest.mark.parametrize("value", ["no", "No", "NO ; reason=none", " no",
                                   "no (written by a person)", "(comment) no"])
def test_auto_submitted_no_is_a_person(value):
    assert suppression(mail(Auto_Submitted=value), ME) is None


@pytest.mark.parametrize("value", ["first-class", "normal", "", "bulkier"])
def test_other_precedences_are_people(value):
    assert suppression(mail(Precedence=value), ME) is None


@pytest.mark.parametrize("value", ["bulk (Mailchimp)", "(x) list", "junk(y)"])
def test_a_comment_beside_a_precedence_is_no_part_of_it(value):
    # RFC 5322 allows a comment wherever it allows folding white space
    s = suppression(mail(Precedence=value), ME)
    assert s is not None and s.rule == "precedence"


@pytest.mark.parametrize("value", ["DR, RN", "AutoReply", "oofy", ""])
def test_auto_response_suppress_without_oof_or_all_lets_a_reply_go(value):
    assert suppression(mail(X_Auto_Response_Suppress=value), ME) is None


@pytest.mark.parametrize("value", ["ALL", "oof", "rn oof", "DR,OOF", "DR;All"])
def test_auto_response_suppress_in_any_case_and_separator(value):
    s = suppression(mail(X_Auto_Response_Suppress=value), ME)
    assert s is not None and s.rule == "auto-response-suppress"


def test_a_real_return_path_is_no_null_return_path():
    assert suppression(mail(Return_Path="<anna@stahl.example>"), ME) is None


@pytest.mark.parametrize("sender", [
    "MAILER-DAEMON@mx.example", "mailer-daemon@mx.example", "postmaster@mx.example",
    "LISTSERV@lists.example", "Majordomo@lists.example", "users-request@lists.example",
    "owner-users@lists.example", "noreply@bank.example", "NoReply@bank.example",
    "no-reply@x.example", "do-not-reply@x.example", "DoNotReply@x.example",
    # the engine's older words, kept in the same table
    "news-bounces@list.example", "bounce@x.example", "notifications@github.example",
    "automated@x.example", "daemon@x.example", "team-owner@list.example",
    "noreply+tag@shop.example", "notifications.github@x.example",
])
def test_robot_senders(sender):
    s = suppression(mail(sender=sender), ME)
    assert s is not None and (s.rule, s.header) == ("robot-sender", "From")
    assert s.text == f"no reply to a robot or a mailing list (From: {sender})"
    assert is_automated(sender)  # the engine's heuristic is this same table


def test_a_robot_envelope_sender_in_return_path():
    s = suppression(mail(Return_Path="<owner-users@lists.example>"), ME)
    assert s is not None and (s.rule, s.header) == ("robot-sender", "Return-Path")


@pytest.mark.parametrize("sender", ["anna@stahl.example", "replies@person.example",
                                    "noreplying@x.example", "requester@x.example",
                                    "postmasters-friend@x.example", "owner@x.example"])
def test_people_are_no_robots(sender):
    assert suppression(mail(sender=sender), ME) is None
    assert not is_automated(sender)


def test_phone_numbers_are_never_robots_for_the_engine():
    assert not is_automated("+43 732 123456")
    assert not is_automated("postmaster")  # the engine reads addresses only
    assert is_robot_address("MAILER-DAEMON")  # mail: a From without a domain


def test_mail_from_me():
    s = suppression(mail(sender="Martin@Huber-IT.example", to=("anna@stahl.example",)), ME)
    assert s is not None and (s.rule, s.header) == ("from-me", "From")
    assert s.text == "no reply to my own mail (From: Martin@Huber-IT.example)"


def test_mail_not_for_me():
    s = suppression(mail(to=("news@other.example",)), ME)
    assert s is not None and (s.rule, s.header) == ("not-for-me", "To")
    assert s.text == "no reply to mail not addressed to me (To: news@other.example)"


@pytest.mark.parametrize("to", [("office@huber-it.example",),
                                ("x@y.example", "MARTIN@huber-it.example")])
def test_any_of_my_addresses_in_any_recipient_is_for_me(to):
    assert suppression(mail(to=to), ME) is None


def test_a_cc_to_me_is_for_me():
    m = mail(to=("x@y.example", ME[0]))._replace(headers={"from": ("anna@stahl.example",),
                                                          "to": ("x@y.example",),
                                                          "cc": (ME[0],)})
    assert suppression(m, ME) is None


def test_not_for_me_names_the_header_there_is():
    m = mail(to=())._replace(recipients=("news@other.example",),
                             headers={"from": ("a@b.example",), "cc": ("news@other.example",)})
    s = suppression(m, ME)
    assert s is not None and (s.rule, s.header) == ("not-for-me", "Cc")
    s = suppression(mail(to=()), ME)  # no recipient at all (a Bcc its server removed)
    assert s is not None and s.rule == "not-for-me" and s.text.endswith("(To: none)")


def test_not_for_me_is_off_without_addresses():
    m = mail(to=("news@other.example",), X_Loop="martin@huber-it.example")
    assert suppression(m, ()) is None  # and X-Loop names nobody of mine
    assert suppression(mail(sender="martin@huber-it.example"), ()) is None


def test_an_x_loop_of_someone_else_lets_a_reply_go():
    assert suppression(mail(X_Loop="helpdesk@stahl.example"), ME) is None


# -- the order ---------------------------------------------------------------------------
def test_the_first_rule_that_holds_wins_in_the_spec_order():
    every = dict(Auto_Submitted="auto-generated", Precedence="bulk", List_Id="<l.example>",
                 X_Auto_Response_Suppress="OOF", Return_Path="<>",
                 X_Loop="martin@huber-it.example")
    m = mail(sender="martin@huber-it.example", to=("x@y.example",), **every)
    seen = []
    for name in ["Auto_Submitted", "Precedence", "List_Id", "X_Auto_Response_Suppress",
                 "Return_Path"]:
        s = suppression(m, ME)
        assert s is not None
        seen.append(s.rule)
        every.pop(name)
        m = mail(sender="martin@huber-it.example", to=("x@y.example",), **every)
    s = suppression(m, ME)
    assert s is not None
    seen.append(s.rule)  # from me, before not for me and X-Loop
    m = mail(sender="anna@stahl.example", to=("x@y.example",), **every)
    seen.append(suppression(m, ME).rule)  # type: ignore[union-attr]
    m = mail(sender="anna@stahl.example", **every)
    seen.append(suppression(m, ME).rule)  # type: ignore[union-attr]
    assert seen == ["auto-submitted", "precedence", "list", "auto-response-suppress",
                    "null-return-path", "from-me", "not-for-me", "x-loop"]
    # a robot sender comes after the null return path and before mail from me
    robot = mail(sender="noreply@x.example", to=("x@y.example",), Return_Path="<>")
    assert suppression(robot, ME).rule == "null-return-path"  # type: ignore[union-attr]
    robot = mail(sender="noreply@x.example", to=("x@y.example",))
    assert suppression(robot, ME).rule == "robot-sender"  # type: ignore[union-attr]


# -- what a reason shows ------------------------------------------------------------------
def test_a_long_or_hostile_header_value_is_shown_short_and_harmless():
    s = suppression(mail(List_Id="x" * 500 + "\x1b]0;pwned\x07"), ME)
    assert s is not None
    assert "\x1b" not in s.text and "\x07" not in s.text
    assert len(s.text) < 150 and "characters" in s.text


@given(st.text(max_size=80))
def test_any_header_text_makes_a_one_line_reason(value):
    s = suppression(mail(Precedence="bulk", List_Id=value), ME)
    assert s is not None and s.rule == "precedence"
    s = suppression(mail(List_Id=value), ME)
    assert s is not None and s.rule == "list"
    assert "\n" not in s.text and "\r" not in s.text
    assert visible(s.text, multiline=False) == s.text  # nothing a terminal would obey


@given(st.sampled_from(["Auto-Submitted", "AUTO-SUBMITTED", "auto-submitted"]),
       st.sampled_from(["auto-replied", "AUTO-REPLIED", "Auto-Generated"]))
def test_values_are_read_in_any_case(name, value):
    # the reader lower-cases names (MailMessage.headers); values in any case count
    from boundaries.sources.mail.read import parse_headers

    read = parse_headers(f"From: anna@stahl.example\nTo: {ME[0]}\n{name}: {value}\n\n"
                         .encode(), "new/1", None)
    assert suppression(read, ME).rule == "auto-submitted"  # type: ignore[union-attr]
    assert suppression(mail(Auto_Submitted=value), ME).rule == "auto-submitted"  # type: ignore[union-attr]


# -- replied recently ---------------------------------------------------------------------
AT = datetime(2026, 1, 14, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(("days_ago", "days", "held"), [
    (2, 3, True), (4, 3, False), (3, 3, False), (1, 0, False)])
def test_replied_recently_within_the_days(days_ago, days, held):
    sent = {"after-hours": AT - timedelta(days=days_ago)}
    last = replied_recently(sent, "after-hours", AT, days)
    assert (last is not None) is held
    assert replied_recently(sent, "holiday", AT, days) is None  # another reply: not this one


def test_replied_recently_any_reply_and_its_reason():
    sent = {"after-hours": AT - timedelta(days=5), "busy": AT - timedelta(days=1)}
    last = replied_recently(sent, None, AT, 3)
    assert last == AT - timedelta(days=1)
    s = replied_recently_suppressed(last, 3, VIENNA)
    assert (s.rule, s.header) == ("replied-recently", None)
    assert s.as_json() == {"rule": "replied-recently", "header": None}
    assert s.text == ("no second reply within 3 days: one went to this sender on "
                      "2026-01-13 19:00")
    assert replied_recently({}, None, AT, 3) is None


# -- the engine, through the same table ---------------------------------------------------
@pytest.fixture
def ps(write_set):
    root = write_set({"tiers/maint.toml": MAINT, "tiers/premium.toml": PREMIUM,
                      "tiers/unknown.toml": UNKNOWN, "tiers/discreet.toml": MAINT,
                      "tiers/night.toml": MAINT, "clients.toml": CLIENTS,
                      "replies/de.toml": DE, "replies/en.toml": EN}, me=ME_AWAY)
    return load(root).policies


@pytest.mark.parametrize(("sender", "withheld"), [
    ("LISTSERV@lists.example", True), ("users-request@lists.example", True),
    ("donotreply@shop.example", True), ("anna@person.example", False)])
def test_the_engine_withholds_replies_to_robot_addresses_of_a_typed_request(ps, sender,
                                                                            withheld):
    req = build_request(ps, {"from": sender, "at": "2026-01-08T20:00", "channel": "email"},
                        datetime(2026, 1, 1, tzinfo=VIENNA))
    d = decide(ps, req, Facts())
    assert d.decision == "later"
    assert (d.reply is None) is withheld
    if withheld:
        assert "robot or a mailing list" in d.reasons[-1].text

"""Where a reply goes (sources.md §10): every candidate rule of the choice, the tier's
channels preferring one way over another, no way at all and its reason, and the same `via`
in `check --json`, `check`'s text, `log` and `replay --format csv|json`."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from boundaries.core.engine import decide
from boundaries.core.request import Request, Sender
from boundaries.core.via import Via, candidates, choose_via
from boundaries.policy.load import load
from boundaries.policy.phones import classify, international
from boundaries.policy.senders import WITHHELD, resolve_sender

from .cli_helpers import run

ME = """\
name = "Martin Huber"
timezone = "Europe/Vienna"
locale = "en"
"""

STD = """\
channels = ["call", "sms", "email", "chat"]
in_writing = ["change"]
[hours]
mon-fri = "09:00-17:00"
"""

MAIL_FIRST = """\
channels = ["email", "call"]
in_writing = ["change"]
[hours]
mon-fri = "09:00-17:00"
"""

CLIENTS = """\
[clients.acme]
name = "ACME"
tier = "std"
phones = ["+43 732 123456", "+43 664 1234567"]   # office landline, then the boss's mobile
emails = ["office@acme.example", "boss@acme.example"]

[clients.landonly]
name = "Land Only"
tier = "std"
phones = ["+43 732 555555"]

[clients.landmail]
name = "Land and Mail"
tier = "std"
phones = ["+43 732 777777"]
emails = ["chefin@landmail.example"]

[clients.usa]
name = "US Partner"
tier = "std"
phones = ["+1 201 555 0123"]

[clients.mailfirst]
name = "Mail First"
tier = "mailfirst"
phones = ["+43 664 7654321"]
emails = ["it@mailfirst.example"]

[clients.voip]
name = "VoIP Only"
tier = "std"
phones = ["+43 720 123456"]
"""

EN = """\
after-hours = "Hello, I will get back to you {next}."
declined = "Hello, I cannot take this on; reach me by {channels}."
wrong-channel = "Hello, please reach me by {channels}."
confirm = "Hello, as agreed: …"
"""

AFTER_HOURS = "2026-01-08T18:20"  # a Thursday evening: `later`, with a reply
IN_HOURS = "2026-01-08T10:00"  # within hours: `answer`, no reply


@pytest.fixture
def policies(write_set) -> Path:
    return write_set({"tiers/std.toml": STD, "tiers/mailfirst.toml": MAIL_FIRST,
                      "tiers/unknown.toml": STD, "clients.toml": CLIENTS,
                      "replies/en.toml": EN}, me=ME)


@pytest.fixture
def ps(policies):
    result = load(policies)
    assert not result.errors, [d.format() for d in result.errors]
    return result.policies


def via_of(ps, sender: str, channel: str = "call", reply_to: tuple[str, ...] = ()):
    """choose_via for a sender as `check --from` resolves it."""
    s = resolve_sender(ps, sender) if sender else WITHHELD
    client = ps.clients.get(s.client_id) if s.client_id else None
    tier = ps.tiers[client.tier if client else "unknown"]
    return choose_via(channel, s, client, tier.channels, ps.phone_types, reply_to)


def check_json(capsys, policies: Path, sender: str, at: str = AFTER_HOURS, *extra: str):
    code, out, err = run(capsys, "check", "--policies", str(policies), "--from", sender,
                         "--at", at, "--json", *extra)
    assert code == 0, err
    return json.loads(out)


# -- the candidates, rule by rule ---------------------------------------------------------
def test_a_mail_is_answered_at_its_reply_to(ps):
    assert via_of(ps, "office@acme.example", "email",
                  reply_to=("tickets@acme.example", "cc@acme.example")) == (
        Via("email", "tickets@acme.example"), None)


def test_a_mail_without_reply_to_is_answered_at_its_from(ps):
    assert via_of(ps, "Office@ACME.example", "email") == (Via("email", "Office@ACME.example"),
                                                         None)


def test_a_typed_email_goes_to_the_address_typed(capsys, policies):
    d = check_json(capsys, policies, "someone@elsewhere.example", AFTER_HOURS,
                   "--channel", "email")
    assert d["reply"]["via"] == {"channel": "email", "to": "someone@elsewhere.example"}


def test_a_mail_from_a_client_named_by_id_goes_to_its_first_address(ps):
    assert via_of(ps, "acme", "email")[0] == Via("email", "office@acme.example")


def test_a_chat_is_answered_in_the_chat(ps):
    assert via_of(ps, "+43 732 123456", "chat")[0] == Via("chat", "+43732123456")
    assert via_of(ps, "someone@matrix.example", "chat")[0] == Via("chat",
                                                                   "someone@matrix.example")


def test_an_sms_is_answered_by_sms_to_its_number(ps):
    assert via_of(ps, "+43 664 9998877", "sms")[0] == Via("sms", "+436649998877")
    # it wrote from a landline, so a text reaches it back (decided where §10 is silent)
    assert via_of(ps, "+43 732 123456", "sms")[0] == Via("sms", "+43732123456")


def test_a_call_from_a_mobile_gets_an_sms(ps):
    assert classify("+43 664 1234567", None) == ("+436641234567", "mobile")
    assert via_of(ps, "+43 664 1234567")[0] == Via("sms", "+436641234567")
    assert via_of(ps, "+43 664 9998877")[0] == Via("sms", "+436649998877")  # unknown too


def test_a_us_number_is_fixed_line_or_mobile_and_gets_an_sms(ps):
    assert classify("+1 201 555 0123", None) == ("+12015550123", "fixed-or-mobile")
    assert via_of(ps, "+1 201 555 0123")[0] == Via("sms", "+12015550123")
    assert via_of(ps, "usa")[0] == Via("sms", "+12015550123")


def test_a_call_from_a_landline_gets_mail_to_the_clients_first_address(ps):
    assert via_of(ps, "+43 732 777777") == (Via("email", "chefin@landmail.example"), None)
    assert via_of(ps, "+43 732 123456")[0] == Via("email", "office@acme.example")


def test_a_call_from_a_landline_without_an_address_has_no_way(ps):
    assert via_of(ps, "+43 732 999999") == (
        None, "+43732999999 is a landline and no address is known")
    assert via_of(ps, "+43 732 555555") == (
        None, "+43732555555 is a landline and no address is known for client landonly")


def test_a_number_that_cannot_be_classified_cannot_take_an_sms(ps):
    assert classify("+43 720 123456", None)[1] == "other"  # VoIP: no mobile, no landline
    assert via_of(ps, "+43 720 123456") == (
        None, "+43720123456 could not be classified as a mobile number and no address is "
              "known for client voip")


def test_a_client_named_by_id_gets_an_sms_to_its_first_mobile_then_mail(ps):
    # acme's first number is the landline: the mobile after it takes the SMS
    assert candidates("call", resolve_sender(ps, "acme"), ps.clients["acme"],
                      ps.phone_types) == [Via("sms", "+436641234567"),
                                          Via("email", "office@acme.example")]
    assert via_of(ps, "landmail")[0] == Via("email", "chefin@landmail.example")
    assert via_of(ps, "landonly") == (
        None, "client landonly has no number that can receive SMS and no address is known")


def test_the_tiers_channels_prefer_mail_over_sms(ps):
    # a mobile would get an SMS, but tier mailfirst takes only email and calls
    s = resolve_sender(ps, "+43 664 7654321")
    assert candidates("call", s, ps.clients["mailfirst"], ps.phone_types)[0].channel == "sms"
    assert via_of(ps, "+43 664 7654321")[0] == Via("email", "it@mailfirst.example")
    assert via_of(ps, "mailfirst")[0] == Via("email", "it@mailfirst.example")


def test_the_first_candidate_wins_when_the_tier_takes_none_of_them(ps):
    sender = Sender("+43 664 1112223", None, "phone", "+436641112223", "mobile")
    assert choose_via("call", sender, None, ("call",), {}) == (Via("sms", "+436641112223"),
                                                              None)


def test_a_withheld_number_has_no_way(ps):
    assert via_of(ps, "") == (None, "the number was withheld")


# -- the decision ---------------------------------------------------------------------------
def test_check_json_carries_via_inside_reply_and_confirm(capsys, policies):
    d = check_json(capsys, policies, "+43 664 1234567", AFTER_HOURS, "--kind", "change")
    assert d["reply"] == {"locale": "en", "key": "after-hours",
                          "text": d["reply"]["text"],
                          "via": {"channel": "sms", "to": "+436641234567"}}
    assert d["confirm"]["key"] == "confirm"
    assert d["confirm"]["via"] == {"channel": "sms", "to": "+436641234567"}


def test_a_confirmation_of_an_answer_says_where_it_goes(capsys, policies):
    d = check_json(capsys, policies, "+43 732 777777", IN_HOURS, "--kind", "change")
    assert d["decision"] == "answer" and d["reply"] is None
    assert d["confirm"]["via"] == {"channel": "email", "to": "chefin@landmail.example"}


def test_no_way_is_null_with_a_reason(capsys, policies):
    d = check_json(capsys, policies, "+43 732 999999")
    assert d["reply"]["via"] is None
    assert {"text": "no way to reach the sender: +43732999999 is a landline and no address "
                    "is known", "source": "builtin"} in d["reasons"]


def test_no_way_to_a_client_points_at_its_table(capsys, policies):
    d = check_json(capsys, policies, "landonly")
    assert d["reply"]["via"] is None
    [reason] = [r for r in d["reasons"] if r["text"].startswith("no way")]
    assert reason["source"] == "clients.toml:7"  # [clients.landonly]


def test_an_answer_without_anything_to_send_names_no_way(capsys, policies):
    d = check_json(capsys, policies, "+43 732 999999", IN_HOURS)
    assert d["decision"] == "answer" and d["reply"] is None and d["confirm"] is None
    assert not any(r["text"].startswith("no way") for r in d["reasons"])


def test_the_engine_reads_a_mails_reply_to_from_the_request(ps):
    sender = resolve_sender(ps, "office@acme.example")
    at = datetime(2026, 1, 8, 17, 20, tzinfo=UTC)
    d = decide(ps, Request(sender, at, "email", reply_to=("tickets@acme.example",)))
    assert d.reply.via == d.via == Via("email", "tickets@acme.example")


def test_check_text_says_how_the_reply_goes(capsys, policies):
    code, out, err = run(capsys, "check", "--policies", str(policies), "--from", "acme",
                         "--at", AFTER_HOURS, "--kind", "change")
    assert code == 0, err
    assert "reply via SMS to +43 664 1234567" in out.splitlines()
    assert "confirm in writing via SMS to +43 664 1234567" in out.splitlines()
    code, out, err = run(capsys, "check", "--policies", str(policies), "--from",
                         "+43 732 999999", "--at", AFTER_HOURS)
    assert "reply: no way to reach the sender (see why)" in out.splitlines()
    assert "+43732999999 is a landline and no address is known" in out


def test_international_format_is_for_people():
    assert international("+436641234567") == "+43 664 1234567"
    assert international("+12015550123") == "+1 201-555-0123"


def test_log_prints_where_the_reply_goes(capsys, policies, tmp_path):
    code, out, err = run(capsys, "log", "--policies", str(policies), "--journal",
                         str(tmp_path / "journal"), "--from", "+43 732 777777", "--at",
                         AFTER_HOURS, "--outcome", "missed")
    assert code == 0, err
    assert out.splitlines()[1] == "reply via mail to chefin@landmail.example"


def test_log_says_why_no_way_reaches_the_sender(capsys, policies, tmp_path):
    """`log` prints no reasons, so its via line names the reason itself (no "see why")."""
    code, out, err = run(capsys, "log", "--policies", str(policies), "--journal",
                         str(tmp_path / "journal"), "--from", "+43 732 999999", "--at",
                         AFTER_HOURS, "--outcome", "missed")
    assert code == 0, err
    assert out.splitlines()[1] == ("reply: no way to reach the sender: +43732999999 is a "
                                   "landline and no address is known")
    assert "see why" not in out


# -- replay ---------------------------------------------------------------------------------
REQUESTS = [
    ("acme", AFTER_HOURS, "call", "question"),
    ("acme", IN_HOURS, "call", "change"),  # an answer with a confirmation
    ("+43 664 1234567", AFTER_HOURS, "sms", "question"),
    ("+43 732 123456", AFTER_HOURS, "call", "question"),
    ("+43 732 999999", AFTER_HOURS, "call", "question"),  # no way
    ("+43 720 123456", AFTER_HOURS, "call", "question"),  # cannot be classified
    ("+1 201 555 0123", AFTER_HOURS, "call", "question"),
    ("+43 664 7654321", AFTER_HOURS, "call", "question"),  # mail preferred
    ("office@acme.example", AFTER_HOURS, "email", "question"),
    ("noreply@shop.example", AFTER_HOURS, "email", "question"),  # a robot: no reply
    ("+43 732 123456", AFTER_HOURS, "chat", "question"),
    ("", AFTER_HOURS, "call", "question"),  # withheld
    ("landmail", IN_HOURS, "call", "question"),  # an answer: nothing sent
]


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_replays_via_column_equals_checks(capsys, policies, tmp_path, fmt):
    path = tmp_path / "requests.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["from", "at", "channel", "kind"])
        w.writerows(REQUESTS)
    code, out, err = run(capsys, "replay", str(path), "--policies", str(policies),
                         "--no-history", "--format", fmt)
    assert code == 0, err
    if fmt == "csv":
        got = [row["via"] for row in csv.DictReader(io.StringIO(out))]
    else:
        got = [json.loads(line)["via"] or "" for line in out.splitlines()]
    want = []
    for who, at, channel, kind in REQUESTS:
        if not who:
            want.append("")  # `check` needs a sender: a withheld number has no way
            continue
        d = check_json(capsys, policies, who, at, "--channel", channel, "--kind", kind)
        sent = d["reply"] or d["confirm"]
        via = sent["via"] if sent else None
        want.append(f"{via['channel']}:{via['to']}" if via else "")
    assert got == want
    assert got[:4] == ["sms:+436641234567", "sms:+436641234567", "sms:+436641234567",
                       "email:office@acme.example"]
    assert got[4:6] == ["", ""] and got[9] == "" and got[-1] == ""


def test_watch_json_lines_carry_via(capsys, policies, tmp_path):
    events = tmp_path / "events.jsonl"
    events.write_text("\n".join(json.dumps(e) for e in [
        {"event": "ring", "id": "c1", "from": "+43 664 1234567", "channel": "call",
         "at": "2026-01-08T18:20:05+01:00"},
        {"event": "end", "id": "c1", "at": "2026-01-08T18:20:30+01:00"},
        {"event": "message", "id": "m1", "from": "+43 732 999999", "channel": "sms",
         "at": "2026-01-08T18:21:00+01:00"},
        {"event": "ring", "id": "c2", "from": "+43 732 999999", "channel": "call",
         "at": "2026-01-08T18:22:00+01:00"},
    ]) + "\n", encoding="utf-8")
    code, out, err = run(capsys, "watch", "--policies", str(policies), "--events",
                         str(events), "--json")
    assert code == 0, err
    ring, end, message, landline = (json.loads(line) for line in out.splitlines())
    assert ring["reply"]["via"] == end["reply"]["via"] == {"channel": "sms",
                                                           "to": "+436641234567"}
    assert message["reply"]["via"] == {"channel": "sms", "to": "+43732999999"}  # it texted
    assert landline["reply"]["via"] is None
    assert any(r["text"] == "no way to reach the sender: +43732999999 is a landline and no "
               "address is known" for r in landline["reasons"])

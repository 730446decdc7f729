"""A reply's bytes as drafts and sendmail get them (`compose.message_bytes`): exactly what
`email` writes for the message (`as_bytes`), for any subject, name, address list, thread and
body — only written without `email`'s generator — and the same headers and body whether a
run made the message first or again (what it keeps for the run changes nothing)."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from boundaries.core.mail import MailMessage
from boundaries.sources.mail.compose import message_bytes, reply_message

WHEN = datetime(2026, 1, 8, 20, 15, tzinfo=ZoneInfo("Europe/Vienna"))
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
ADDRESS = st.sampled_from(["anna@stahl.example", "k.tanaka@tanaka-systems.example",
                           "anna@müller.example", "x@y", "no-address", ""])
SENDER = st.sampled_from(["anna@stahl.example", "anna@müller.example", "x@y"])


def original(subject: str, name: str, from_address: str, reply_to: tuple[str, ...],
             refs: tuple[str, ...]) -> MailMessage:
    return MailMessage(path="new/1", message_id="<CAF1x@mail.gmail.example>",
                       from_address=from_address, from_name=name,
                       reply_to=reply_to, recipients=(), subject=subject, date=None,
                       delivered=None, references=refs, in_reply_to=None, headers={},
                       digest="ab" * 32)


def make(orig: MailMessage, text: str, name: str, discreet: bool, auto: bool) -> EmailMessage:
    return reply_message(orig, text, my_name=name, my_address="martin@huber-it.example",
                         discreet=discreet, date=WHEN,
                         message_id="<reply.1.boundaries@huber-it.example>",
                         auto_submitted=auto)


@settings(max_examples=300, deadline=None)
@given(TEXT, TEXT, TEXT, SENDER, st.lists(ADDRESS, max_size=3).map(tuple),
       st.lists(st.sampled_from(["<a@b>", "<" + "x" * 90 + "@outlook.example>", "bad"]),
                max_size=4).map(tuple), st.booleans(), st.booleans())
def test_a_replys_bytes_are_what_email_writes(subject, text, name, sender, reply_to, refs,
                                             discreet, auto):
    orig = original(subject, name, sender, reply_to, refs)
    msg = make(orig, text, name, discreet, auto)
    assert message_bytes(msg) == msg.as_bytes()
    again = make(orig, text, name, discreet, auto)  # made a second time in the same run
    assert message_bytes(again) == msg.as_bytes()


def test_a_reply_whose_auto_submitted_was_taken_away_is_written_without_it():
    msg = make(original("Frage", "Anna", "anna@stahl.example", (), ()), "Danke.", "Martin",
               False, True)
    del msg["Auto-Submitted"]  # a failed send kept as a draft: a reply of mine
    assert message_bytes(msg) == msg.as_bytes()
    assert b"Auto-Submitted" not in message_bytes(msg)


def test_a_message_email_made_otherwise_is_written_by_email():
    msg = EmailMessage(policy=policy.default)
    msg["Subject"] = "Grüße"
    msg.set_content("Hallo Jürgen")
    assert message_bytes(msg) == msg.as_bytes()
    back = email.message_from_bytes(message_bytes(msg), policy=policy.default)
    assert back["Subject"] == "Grüße"

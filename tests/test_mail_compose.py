"""The reply as a complete RFC 5322 message (sources.md §9): threading, the one reply prefix,
Reply-To first, a discreet From, encodings that round-trip, and no header injection."""

from __future__ import annotations

import email
from datetime import datetime
from email import policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundaries.core.errors import BoundariesError
from boundaries.core.mail import MailMessage
from boundaries.sources.mail.compose import (
    REFERENCES_KEPT,
    confirmation_message,
    make_message_id,
    references,
    reply_message,
    reply_subject,
    reply_token,
)

VIENNA = ZoneInfo("Europe/Vienna")
WHEN = datetime(2026, 1, 8, 20, 15, tzinfo=VIENNA)
MID = "<boundaries.reply.1@huber-it.example>"


def original(**kw) -> MailMessage:
    base = dict(path="new/1", message_id="<CAF1x@mail.gmail.example>",
                from_address="anna@stahl.example", from_name="Anna Stahl", reply_to=(),
                recipients=("martin@huber-it.example",), subject="Frage zum Server",
                date=None, delivered=None, references=(), in_reply_to=None, headers={},
                digest="ab" * 32)
    base.update(kw)
    return MailMessage(**base)


def reply(orig: MailMessage | None = None, text: str = "Danke, ich melde mich morgen.",
          **kw) -> EmailMessage:
    args = dict(my_name="Martin Huber", my_address="martin@huber-it.example", discreet=False,
                date=WHEN, message_id=MID)
    args.update(kw)
    return reply_message(orig or original(), text, **args)


def parsed(msg: EmailMessage) -> EmailMessage:
    """The message as a mail client reads it back from its bytes."""
    return email.message_from_bytes(msg.as_bytes(), policy=policy.default)


def test_a_complete_reply():
    m = parsed(reply())
    assert m["From"] == "Martin Huber <martin@huber-it.example>"
    assert m["To"] == "anna@stahl.example"
    assert m["Subject"] == "Re: Frage zum Server"
    assert m["In-Reply-To"] == "<CAF1x@mail.gmail.example>"
    assert m["References"] == "<CAF1x@mail.gmail.example>"
    assert m["Message-ID"] == MID
    assert m["Date"] == "Thu, 08 Jan 2026 20:15:00 +0100"
    assert m["MIME-Version"] == "1.0"
    assert m.get_content_type() == "text/plain"
    assert m.get_content_charset() == "utf-8"
    assert m.get_content() == "Danke, ich melde mich morgen.\n"
    assert m["Auto-Submitted"] is None  # a draft: I send it myself


def test_sent_by_boundaries_it_says_auto_replied():
    assert parsed(reply(auto_submitted=True))["Auto-Submitted"] == "auto-replied"


# -- threading ---------------------------------------------------------------------------
def test_references_are_the_originals_plus_its_message_id():
    o = original(references=("<root@a.example>", "<two@b.example>"),
                 in_reply_to="<two@b.example>")
    m = parsed(reply(o))
    assert m["References"].split() == ["<root@a.example>", "<two@b.example>",
                                       "<CAF1x@mail.gmail.example>"]
    assert m["In-Reply-To"] == "<CAF1x@mail.gmail.example>"


def test_a_message_id_longer_than_a_line_is_written_as_it_is_never_encoded():
    # Outlook's ids run past 78 characters; an encoded word there breaks every thread
    long_id = "<VI1PR07MB63502F1A8C3D4E5B6A7C8D9EB0A1@VI1PR07MB6350.eurprd07.prod.outlook.example>"
    msg = reply(original(message_id=long_id, references=("<root@huber-it.example>",)))
    for text in (msg.as_bytes().decode("ascii"), msg.as_string()):
        assert f"In-Reply-To: {long_id}\n" in text.replace("\r\n", "\n")
        assert "=?" not in text.split("\n\n", 1)[0]
    back = parsed(msg)
    assert back["In-Reply-To"] == long_id
    assert back["References"].split() == ["<root@huber-it.example>", long_id]


def test_without_references_the_in_reply_to_starts_the_chain():
    m = parsed(reply(original(in_reply_to="<prev@a.example>")))
    assert m["References"].split() == ["<prev@a.example>", "<CAF1x@mail.gmail.example>"]


def test_a_long_thread_keeps_its_root_and_the_latest():
    refs = tuple(f"<m{i}@thread.example>" for i in range(60))
    ids = parsed(reply(original(references=refs)))["References"].split()
    assert len(ids) == REFERENCES_KEPT
    assert ids[0] == "<m0@thread.example>"
    assert ids[-2:] == ["<m59@thread.example>", "<CAF1x@mail.gmail.example>"]


def test_an_original_without_message_id_still_gets_a_reply():
    m = parsed(reply(original(message_id=None)))
    assert m["In-Reply-To"] is None and m["References"] is None
    assert m["Subject"] == "Re: Frage zum Server"


# -- the subject's one reply prefix --------------------------------------------------------
@pytest.mark.parametrize(("subject", "expected"), [
    ("Frage", "Re: Frage"),
    ("Re: Frage", "Re: Frage"),
    ("RE: Frage", "RE: Frage"),
    ("re: Frage", "re: Frage"),
    ("AW: Terminverschiebung", "AW: Terminverschiebung"),  # German Outlook
    ("Aw: Terminverschiebung", "Aw: Terminverschiebung"),
    ("Re: Re: Frage", "Re: Re: Frage"),  # no third prefix, and no rewrite of the thread
    ("Re[2]: Frage", "Re[2]: Frage"),
    ("Re:Frage", "Re:Frage"),
    ("Fwd: Frage", "Re: Fwd: Frage"),
    ("Reise nach Linz", "Re: Reise nach Linz"),  # a word starting with "Re" is no prefix
    ("Area: 51", "Re: Area: 51"),
    ("", "Re:"),
])
def test_one_reply_prefix(subject, expected):
    assert reply_subject(subject) == expected
    assert parsed(reply(original(subject=subject)))["Subject"] == expected


def test_a_german_subject_with_umlauts_round_trips():
    subject = "Änderung der Öffnungszeiten für nächste Woche — bitte um Rückmeldung " * 2
    m = reply(original(subject=subject.strip()))
    raw = m.as_bytes()
    assert raw.isascii()  # RFC 2047 encoded words, folded
    assert all(len(line) <= 78 for line in raw.split(b"\n\n", 1)[0].split(b"\n"))
    assert parsed(m)["Subject"] == "Re: " + subject.strip()
    assert b"\nSubject: Re: =?utf-8?" in raw  # the ASCII prefix as it is, as mail clients do


def test_a_japanese_subject_round_trips():
    m = reply(original(subject="お見積もりについて (Angebot 2026-01)"))
    assert m.as_bytes().isascii()
    assert parsed(m)["Subject"] == "Re: お見積もりについて (Angebot 2026-01)"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")),
               min_size=1, max_size=120).map(str.strip).filter(bool))
def test_any_printable_subject_round_trips(subject):
    m = parsed(reply(original(subject=subject)))
    assert " ".join(m["Subject"].split()) == " ".join(reply_subject(subject).split())


# -- recipients and From -----------------------------------------------------------------
def test_reply_to_comes_first_all_of_it():
    o = original(reply_to=("support@stahl.example", "anna.stahl@stahl.example"))
    assert parsed(reply(o))["To"] == "support@stahl.example, anna.stahl@stahl.example"


def test_an_unusable_reply_to_falls_back_to_from():
    assert parsed(reply(original(reply_to=("not an address",))))["To"] == "anna@stahl.example"


def test_an_internationalised_domain_is_written_in_its_idna_form():
    m = reply(original(from_address="anna@müller.example"), my_address="martin@hüber.example",
              message_id=make_message_id("martin@hüber.example", "t1"))
    raw = m.as_bytes()
    assert raw.isascii() and b"=?" not in raw.split(b"\nSubject:")[0]
    p = parsed(m)
    assert p["To"] == "anna@xn--mller-kva.example"
    assert p["From"].addresses[0].addr_spec == "martin@xn--hber-0ra.example"
    assert p["Message-ID"] == "<t1@xn--hber-0ra.example>"


def test_a_non_ascii_local_part_cannot_be_answered_but_says_so():
    with pytest.raises(BoundariesError, match="no address to reply to"):
        reply(original(from_address="jürgen@stahl.example"))
    o = original(from_address="jürgen@stahl.example", reply_to=("office@stahl.example",))
    assert parsed(reply(o))["To"] == "office@stahl.example"


def test_no_address_at_all_is_a_clear_error():
    with pytest.raises(BoundariesError, match="no address to reply to"):
        reply(original(from_address=None))


def test_discreet_from_is_my_address_without_my_name():
    m = reply(discreet=True, message_id=make_message_id("martin@huber-it.example", "t1"))
    raw = m.as_bytes()
    assert parsed(m)["From"] == "martin@huber-it.example"
    assert b"Martin" not in raw and b"Huber " not in raw


def test_my_name_with_umlauts_is_encoded():
    m = reply(my_name="Jürgen Österreicher")
    assert m.as_bytes().isascii()
    assert parsed(m)["From"] == "Jürgen Österreicher <martin@huber-it.example>"


# -- no header injection -------------------------------------------------------------------
HEADERS = ["From", "To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
           "Content-Type", "Content-Transfer-Encoding", "MIME-Version"]


@pytest.mark.parametrize("evil", [
    "Hi\r\nBcc: victim@evil.example", "Hi\nBcc: victim@evil.example",
    "Hi\rBcc: victim@evil.example",
    # an encoded word left in a subject the reader decoded (the sender encoded it twice):
    # Python 3.11's email decodes it again and writes its line break raw, unless we do first
    "=?utf-8?q?Hi=0ABcc:_victim@evil.example?=",
    "a =?utf-8?q?Hi=0D=0ABcc:_victim@evil.example?= b",
    '"=?utf-8?q?Hi=0ABcc:_victim@evil.example?="',
    "=?utf-8?b?PT91dGYtOD9xP0hpPTBBQmNjOl92aWN0aW1AZXZpbC5leGFtcGxlPz0=?=",  # three times
    "=?x-unknown?q?Hi=0ABcc:_victim@evil.example?=",  # a charset no one knows
])
def test_cr_lf_in_a_subject_or_name_never_makes_a_header(evil):
    m = parsed(reply(original(subject=evil), my_name=evil))
    assert list(m.keys()) == HEADERS  # no Bcc, nothing added
    assert "victim@evil.example" in m["Subject"]  # kept, as text on the one line
    assert "\n" not in m["Subject"] and "\r" not in m["Subject"]
    assert "\n" not in str(m["From"]) and m["From"].addresses[0].addr_spec == (
        "martin@huber-it.example")


@given(st.text(max_size=60), st.text(max_size=30))
def test_no_subject_or_name_adds_a_header(subject, name):
    raw = reply(original(subject=subject), my_name=name).as_bytes()
    head = raw.split(b"\n\n", 1)[0].split(b"\n")
    assert [line.split(b":")[0].decode() for line in head if line[:1] not in (b" ", b"\t")] \
        == HEADERS


def test_a_body_line_that_looks_like_a_header_stays_in_the_body():
    m = parsed(reply(text="\nBcc: x@evil.example\n"))
    assert m["Bcc"] is None and "Bcc: x@evil.example" in m.get_content()


def test_a_german_body_is_quoted_printable_and_an_ascii_one_7bit():
    de = reply(text="Grüß Gott, ich bin ab Montag wieder erreichbar.")
    assert de["Content-Transfer-Encoding"] == "quoted-printable"
    assert de.as_bytes().isascii()
    assert parsed(de).get_content() == "Grüß Gott, ich bin ab Montag wieder erreichbar.\n"
    assert reply(text="Thank you.")["Content-Transfer-Encoding"] == "7bit"


# -- Message-ID ----------------------------------------------------------------------------
def test_message_id_from_my_domain():
    assert make_message_id("martin@huber-it.example", "abc.123") == "<abc.123@huber-it.example>"
    assert make_message_id(" Martin@Mail.Huber-IT.example ", "x") == "<x@Mail.Huber-IT.example>"


def test_a_message_id_needs_a_domain_and_a_clean_token():
    with pytest.raises(BoundariesError, match="no domain"):
        make_message_id("martin", "x")
    for bad in ["a b", "a>b", "", ".x", "a@b", "x\n"]:
        with pytest.raises(ValueError):
            make_message_id("martin@huber-it.example", bad)


def test_reply_tokens_are_stable_per_original_and_part():
    o = original()
    assert reply_token(o) == reply_token(o)
    assert reply_token(o) != reply_token(o, "confirm")
    assert reply_token(o) != reply_token(original(message_id="<other@x.example>"))
    assert reply_token(original(message_id=None)) != reply_token(original(message_id=None,
                                                                          digest="cd" * 32))
    mid = make_message_id("martin@huber-it.example", reply_token(o))
    assert parsed(reply(o, message_id=mid))["Message-ID"] == mid


def test_the_written_confirmation_is_a_second_message_of_the_same_form():
    o = original(reply_to=("support@stahl.example",))
    r = parsed(reply(o))
    c = parsed(confirmation_message(o, "Bestätigt: Einsatz am Montag, 9:00.",
                                    my_name="Martin Huber", my_address="martin@huber-it.example",
                                    discreet=False, date=WHEN,
                                    message_id="<boundaries.confirm.1@huber-it.example>"))
    for h in ("From", "To", "Subject", "In-Reply-To", "References", "Date"):
        assert c[h] == r[h], h
    assert c["Message-ID"] != r["Message-ID"]
    assert c.get_content() == "Bestätigt: Einsatz am Montag, 9:00.\n"


@given(st.lists(st.from_regex(r"<[a-z0-9.]{1,30}@[a-z]{1,20}\.example>", fullmatch=True),
                max_size=30),
       st.lists(st.from_regex(r"[a-z]{1,20}@[a-z]{1,20}\.example", fullmatch=True),
                min_size=1, max_size=8))
def test_long_references_and_recipients_fold_into_short_lines(refs, to):
    m = reply(original(references=tuple(refs), reply_to=tuple(to)))
    raw = m.as_bytes()
    head = raw.split(b"\n\n", 1)[0].split(b"\n")
    assert all(len(line) <= 78 for line in head)
    p = parsed(m)
    assert p["References"].split() == list(references(original(references=tuple(refs))))
    assert [a.addr_spec for a in p["To"].addresses] == list(dict.fromkeys(to))
    assert parsed(p).as_bytes() == raw  # what a client reads back, it writes the same


def test_the_message_object_can_still_be_edited():
    """The TUI edits a draft: the EmailMessage behaves as email's own."""
    m = reply()
    m.replace_header("Subject", "Re: Frage (Montag)")
    m.set_content("Neuer Text, öffentlich.\n", charset="utf-8")
    p = parsed(m)
    assert p["Subject"] == "Re: Frage (Montag)"
    assert p.get_content() == "Neuer Text, öffentlich.\n"
    assert p["In-Reply-To"] == "<CAF1x@mail.gmail.example>"


@given(st.text(max_size=150), st.text(max_size=40))
def test_any_subject_and_name_make_short_lines_that_read_back_the_same(subject, name):
    m = reply(original(subject=subject), my_name=name)
    raw = m.as_bytes()
    assert raw.isascii()
    assert all(len(line) <= 78 for line in raw.split(b"\n\n", 1)[0].split(b"\n"))
    p = parsed(m)
    assert p["Subject"] == reply_subject(subject)
    assert parsed(p).as_bytes() == raw


@pytest.mark.parametrize("evil", ["<\x1b]52;c;ZXZpbA==\x07@x.example>", "<a\x00b@x.example>",
                                  "<a@x.example\x7f>"])
def test_a_message_id_with_control_characters_is_not_copied_into_the_reply(evil):
    # an escape sequence or a NUL in a header of the draft: a terminal showing the draft
    # obeys it, a server refuses the NUL; such an id threads nothing anyway
    raw = reply(original(message_id=evil, references=(evil, "<root@a.example>"))).as_bytes()
    head = raw.split(b"\n\n", 1)[0]
    assert not any((c < 0x20 and c not in b"\n") or c == 0x7f for c in head)
    assert parsed(reply(original(message_id=evil)))["In-Reply-To"] is None
    assert b"References: <root@a.example>\n" in head


def test_a_utf8_message_id_is_not_copied_and_the_reply_can_be_written():
    # RFC 6532 mail may carry one; copied raw, the reply could not be written as bytes
    # (an internal error that ended every `mail --maildir` run at this message)
    msg = reply(original(message_id="<äbc@x.example>", references=("<äbc@x.example>",)))
    from boundaries.sources.mail.compose import message_bytes

    head = message_bytes(msg).split(b"\n\n", 1)[0]
    assert head.isascii() and b"In-Reply-To" not in head and b"References" not in head

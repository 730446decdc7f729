"""Reading mail (sources/mail/read.py, maildir.py, mbox.py; sources.md §9, issue 16 part 1):
the header block of real mailers' messages decoded, dates in every form mailers write, a huge
message read only as far as its headers, a Maildir listed as the format says and never
changed, an mbox streamed."""

from __future__ import annotations

import hashlib
import mailbox
import os
import shutil
import stat
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, getaddresses
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from boundaries.core.errors import BoundariesError
from boundaries.sources.mail import maildir as maildir_mod
from boundaries.sources.mail import read as read_mod
from boundaries.sources.mail.maildir import (
    MaildirError,
    MailItem,
    MailSkip,
    flags_of,
    maildir_messages,
)
from boundaries.sources.mail.mbox import MboxError, mbox_messages
from boundaries.sources.mail.read import (
    MAX_HEADER,
    MailReadError,
    decode_words,
    parse_date,
    parse_headers,
    read_message,
)

DATA = Path(__file__).parent / "data" / "mail"
ME = "martin@huber-it.example"


def tz(hours: float) -> timezone:
    return timezone(timedelta(hours=hours))


# name: (from, display name, subject, Date, Message-ID's start, recipients, Reply-To)
FIXTURES = {
    "thunderbird-de.eml": (
        "chef@baeckerei-mayr.example", "Josef Mayr",
        "Kassensystem zeigt seit heute früh eine Fehlermeldung beim Tagesabschluss",
        datetime(2026, 12, 1, 19, 42, 17, tzinfo=tz(1)), "<5b7e2f0a-", (ME,), ()),
    "outlook-aw-de.eml": (
        "office@acme.example", "Leitner Sabine", "AW: Rechnung November 2026",
        datetime(2026, 12, 2, 6, 58, 11, tzinfo=UTC), "<VI1PR07MB63502F1A",
        (ME, "buchhaltung@acme.example"), ()),
    "gmail.eml": (
        "accounts@hartley.example", "Hartley & Sons Accounts", "Question about invoice 2026-117",
        datetime(2026, 12, 1, 17, 5, 1, tzinfo=UTC), "<CAJ8xQv3", (ME,),
        ("james.hartley@hartley.example",)),
    "apple-mail.eml": (
        "sekretariat@gruber-partner.example", "Jürgen Gruber",
        "Dringend: Prüfung der Verträge bis Freitag",
        datetime(2026, 12, 1, 21, 14, 7, tzinfo=tz(1)), "<8F3C1D2E-", (ME,), ()),
    "mailman-list.eml": (
        "florian.eder@posteo.example", "Florian Eder",
        "[LUG-Linz] Treffen im Dezember: Vortrag zu NixOS?",
        datetime(2026, 12, 1, 20, 3, 41, tzinfo=tz(1)), "<87h6x2k9qz",
        ("lug-linz@lists.lug-linz.example",), ()),
    "google-groups.eml": (
        "teresa.brandstetter@gmail.example", "Teresa Brandstetter",
        "Wer hilft beim Linuxday-Stand mit?", datetime(2026, 12, 1, 5, 22, 31, tzinfo=tz(-8)),
        "<3f9d2c71-", ("oss-linz@googlegroups.com",), ("oss-linz@googlegroups.com",)),
    "postfix-bounce.eml": (
        "MAILER-DAEMON@mx.huber-it.example", "Mail Delivery System",
        "Undelivered Mail Returned to Sender", datetime(2026, 12, 1, 18, 20, 5, tzinfo=tz(1)),
        "<20261201172005.", (ME,), ()),
    "exchange-oof.eml": (
        "it@stahlwerk.example", "Thomas Gruber",
        "Automatische Antwort: Update Leitstand-Server am Samstag",
        datetime(2026, 12, 2, 7, 1, 12, tzinfo=UTC), "<AM9PR08MB7120E3F4", (ME,), ()),
    "exchange-ticket-notification.eml": (
        "leitstand@stahlwerk.example", "Stahlwerk IT Service Desk",
        "[Ticket #48213] Zugang VPN-Gateway aktualisiert",
        datetime(2026, 12, 2, 5, 30, tzinfo=UTC), "<AM9PR08MB71201A2B", (ME,), ()),
    "newsletter.eml": (
        "newsletter@elektro-news.example", "Elektro Großhandel Wels",
        "Dezember-Angebote: 20 % auf USV-Anlagen", datetime(2026, 12, 1, 9, 0, 43, tzinfo=UTC),
        "<a1b2c3d4", ("office@huber-it.example",), ("service@elektro-news.example",)),
    "noreply.eml": (
        "no-reply@portal.stahlwerk.example", "Stahlwerk Lieferantenportal",
        "Ihre Rechnung 2026-118 wurde freigegeben", datetime(2026, 12, 2, 2, 15, 7, tzinfo=tz(1)),
        "<20261202011507.", (ME,), ()),
    "japanese-partner.eml": (
        "k.tanaka@tanaka-systems.example", "田中 健一", "12月リリースの日程について",
        datetime(2026, 12, 2, 10, 15, 32, tzinfo=tz(9)), "<20261202101532.", (ME,), ()),
    "broken-charset.eml": (
        "j.bauer@bauer-metall.example", "Jörg Bauer", "Angebot für 2027",
        datetime(2026, 12, 1, 16, 48, 19, tzinfo=tz(1)), "<000001db4401$", (ME,), ()),
    "no-date.eml": (
        "noc@rz-linz.example", "Nachtschicht RZ Linz-Süd",
        "Wartungsfenster heute Nacht: Storage-Umzug", None, "<a7c3e1f0-", (ME,), ()),
    "no-message-id.eml": (
        "ordination@praxis-berger.example", "Praxis Dr. Berger", "Drucker in der Anmeldung",
        datetime(2026, 12, 1, 7, 12, 38, tzinfo=tz(1)), None, (ME,), ()),
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_each_fixture_reads_as_its_mailer_wrote_it(name):
    sender, display, subject, date, msgid, recipients, reply_to = FIXTURES[name]
    m = read_message(DATA / name)
    assert m.path == str(DATA / name)
    assert (m.from_address, m.from_name, m.subject) == (sender, display, subject)
    assert m.date == date
    if date is not None:  # the sender's own offset is kept, not only the instant
        assert m.date.utcoffset() == date.utcoffset()
    if msgid is None:
        assert m.message_id is None
        assert m.key == f"sha256:{m.digest}"
    else:
        assert m.message_id.startswith(msgid) and m.message_id.endswith(">")
        assert m.key == m.message_id
    assert m.recipients == recipients
    assert m.reply_to == reply_to
    assert m.delivered is None  # a lone file: its Date decides
    assert m.when == date


def test_every_fixture_is_listed_in_the_readme_and_in_the_table():
    readme = (Path(__file__).parent / "data" / "README.md").read_text(encoding="utf-8")
    names = sorted(p.name for p in DATA.glob("*.eml"))
    assert names == sorted([*FIXTURES, "no-from.eml"])
    for name in names:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize(("name", "crlf"), [
    ("thunderbird-de.eml", True), ("outlook-aw-de.eml", True), ("gmail.eml", True),
    ("apple-mail.eml", False), ("postfix-bounce.eml", False), ("mailman-list.eml", False)])
def test_crlf_and_lf_files_read_alike(name, crlf, tmp_path):
    data = (DATA / name).read_bytes()
    assert (b"\r\n" in data) is crlf  # the fixture keeps its mailer's line ends
    other = data.replace(b"\r\n", b"\n") if crlf else data.replace(b"\n", b"\r\n")
    (tmp_path / name).write_bytes(other)
    a, b = read_message(DATA / name), read_message(tmp_path / name)
    fields = ("from_address", "from_name", "subject", "date", "message_id", "recipients",
              "references", "in_reply_to")
    assert [getattr(a, f) for f in fields] == [getattr(b, f) for f in fields]
    assert a.headers == b.headers


def test_threading_headers_folded_over_lines_are_read_in_order():
    m = read_message(DATA / "outlook-aw-de.eml")
    assert m.message_id == ("<VI1PR07MB63502F1A8C3D4E5B6A7C8D9EB0A1@"
                            "VI1PR07MB6350.eurprd07.prod.outlook.example>")  # on its own line
    assert m.in_reply_to == "<20261201090311.4C2B9@huber-it.example>"
    assert m.references == (
        "<20261130161204.2A7F1@huber-it.example>",
        "<VI1PR07MB6350AB12CD34EF56AB78CD90EF12@VI1PR07MB6350.eurprd07.prod.outlook.example>",
        "<20261201090311.4C2B9@huber-it.example>")
    assert m.header("Thread-Topic") == "Rechnung November 2026"
    assert m.header("content-language") == "de-AT"
    assert m.header("X-MS-Has-Attach") == ""  # present, empty: still a header


def test_headers_hold_every_header_by_lower_case_name_decoded():
    m = read_message(DATA / "newsletter.eml")
    assert m.headers["precedence"] == ("bulk",)
    assert m.headers["list-unsubscribe-post"] == ("List-Unsubscribe=One-Click",)
    assert m.headers["from"] == ("Elektro Großhandel Wels <newsletter@elektro-news.example>",)
    assert m.header("LIST-UNSUBSCRIBE").startswith("<https://elektro-news.example/unsubscribe")
    assert "\n" not in m.header("list-unsubscribe")  # unfolded
    assert all(name == name.lower() for name in m.headers)
    gmail = read_message(DATA / "gmail.eml")
    assert len(gmail.headers["received"]) == 1 and len(gmail.headers["x-received"]) == 1
    bounce = read_message(DATA / "postfix-bounce.eml")
    assert bounce.header("return-path") == "<>"
    assert bounce.header("auto-submitted") == "auto-replied"
    groups = read_message(DATA / "google-groups.eml")  # Google's List-Archive lacks its `>`
    assert groups.header("list-archive") == "<https://groups.google.com/group/oss-linz"
    assert groups.header("list-id") == "<oss-linz.googlegroups.com>"


def test_broken_charsets_never_crash_and_keep_what_can_be_read():
    m = read_message(DATA / "broken-charset.eml")
    assert m.from_name == "Jörg Bauer"  # raw Latin-1 bytes in a header
    assert m.header("organization") == "Bauer Metallbau Gmbh & Co KG, Weiß"
    assert m.subject == "Angebot für 2027"  # an unknown charset: not UTF-8, so Windows-1252
    for value in (v for vs in m.headers.values() for v in vs):
        value.encode("utf-8")  # every value printable: no surrogate escapes left


@pytest.mark.parametrize(("raw", "text"), [
    ("=?utf-8?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),
    ("=?UTF-8?B?R3LDvMOfZQ==?=", "Grüße"),
    ("=?utf-8?b?R3LDvMOfZQ?=", "Grüße"),  # base64 without its padding
    ("=?utf-8?q?a?= =?utf-8?q?b?=", "ab"),  # space between two words is dropped
    ("=?utf-8?q?a?=\t  =?utf-8?q?_b?=", "a b"),
    ("Re: =?utf-8?q?Pr=C3=BCfung?= morgen", "Re: Prüfung morgen"),  # text around kept
    ("=?utf-8?q?Gr=C3?= =?utf-8?q?=BC=C3=9Fe?=", "Grüße"),  # a character split over two
    ("=?iso-8859-1?q?M=FCller?= =?utf-8?q?_M=C3=BCller?=", "Müller Müller"),
    ("=?utf-8*de?q?Stra=C3=9Fe?=", "Straße"),  # RFC 2231 language
    ("=?x-unknown?q?Gr=C3=BC=C3=9Fe?=", "Grüße"),  # unknown charset, UTF-8 bytes
    ("=?x-unknown?q?Gr=FC=DFe?=", "Grüße"),  # unknown charset, Windows-1252 bytes
    ("=?utf-8?q?Gr=FCn?=", "Gr\ufffdn"),  # bytes the charset cannot decode
    ("=?utf-8?b?***?=", "=?utf-8?b?***?="),  # no base64: kept as written
    ("=?utf-8?x?abc?=", "=?utf-8?x?abc?="),  # no such encoding
    ("50 =? 60", "50 =? 60"),
])
def test_encoded_words_decode_as_rfc_2047_says(raw, text):
    assert decode_words(raw) == text
    m = parse_headers(f"From: a@x.example\nSubject: {raw}\n".encode(), "-", None)
    assert m.subject == text


def test_a_hostile_header_of_encoded_words_is_read(tmp_path):
    # The stdlib's header classes took over a minute on these; the reader is linear.
    for subject in (b"=?utf-8?q?abc?= " * 40_000, b"=?a?q?" * 100_000, b"=?" * 300_000):
        f = tmp_path / "hostile.eml"
        f.write_bytes(b"From: a@x.example\nTo: " + b"=?utf-8?q?b?= <b@y.example>, " * 10_000
                      + b"\nSubject: " + subject + b"\n\nbody")
        m = read_message(f)
        assert len(m.recipients) == 10_000
        assert m.subject


@given(st.binary(max_size=600) | st.lists(st.sampled_from([
    b"From: ", b"To: ", b"Subject: ", b"Date: ", b"Message-ID: ", b"References: ", b"a@x.example",
    b"<id@x>", b"=?utf-8?q?", b"=?x?b?", b"?=", b"=C3=BC", b"\xfc", b"\r\n", b"\n", b" ", b"\t",
    b"\"", b"(", b")", b",", b";", b":", b"<", b">", b"\\", b"\x00", b"From "]),
    max_size=60).map(b"".join))
@example(b"From: a@x.example\nSubject: =?utf-8?q?\xff?=\n")
@example(b"From: =?utf-8?q?=FF?= <a@x.example>\n")
def test_no_header_block_crashes_the_reader(blob):
    try:
        m = parse_headers(blob, "-", None)
    except MailReadError:
        return
    assert "@" in m.from_address
    for value in (m.from_name, m.subject, *(v for vs in m.headers.values() for v in vs)):
        value.encode("utf-8")  # printable text: no surrogate escapes
    assert m.date is None or m.date.tzinfo is not None


@given(st.lists(st.sampled_from([
    "a", "Zoë", "b.c", "x", "@", "<", ">", ",", " ", "  ", "\t", ".", '"', "(", ")", ":", ";",
    "=?utf-8?q?J=C3=BC?=", "[", "]", "\\", "example", "-", "+", "'", "!"]),
    max_size=20).map("".join))
@example("Josef Mayr <chef@baeckerei-mayr.example>, it@stahlwerk.example")
@example("a" * 60 + " <a@b")
def test_the_quick_address_path_gives_what_getaddresses_gives(value):
    quick = read_mod._simple_addresses(value)
    if quick is not None:
        assert quick == [(n, a.strip()) for n, a in getaddresses([value])]


def test_raw_utf8_and_windows_1252_headers_are_text():
    utf8 = parse_headers("From: Zoë Šťastná <z@x.example>\nSubject: Grüße\n".encode(), "-", None)
    assert (utf8.from_name, utf8.subject) == ("Zoë Šťastná", "Grüße")
    cp1252 = parse_headers(b"From: a@x.example\nSubject: \x84Preis\x93 \x80 99\n", "-", None)
    assert cp1252.subject == "„Preis“ € 99"


def test_the_digest_is_the_header_block_and_nothing_else():
    head = b"From: a@x.example\r\nSubject: Hallo\r\nDate: Tue, 1 Dec 2026 10:00:00 +0100\r\n"
    one = parse_headers(head + b"\r\nbody one", "-", None)
    two = parse_headers(head + b"\r\nan entirely different body\r\n", "-", None)
    assert one.digest == two.digest == hashlib.sha256(head).hexdigest()
    other = parse_headers(head.replace(b"Hallo", b"Hallo!") + b"\r\n", "-", None)
    assert other.digest != one.digest
    mbox_line = parse_headers(b"From a@x.example Tue Dec  1 09:00:00 2026\n" + head, "-", None)
    assert mbox_line.digest == one.digest  # an mbox `From ` line is no part of the message


@pytest.mark.parametrize(("blob", "problem"), [
    (b"To: martin@huber-it.example\nSubject: no sender\n\nbody", "no `From` header"),
    (b"From: undisclosed-recipients:;\nSubject: x\n\nbody", "no address in `From`"),
    (b"From: Martin Huber\nSubject: x\n", "no address in `From`"),
    (b"From: <martin>\nSubject: x\n", "no address in `From`"),
    (b"", "no headers"),
    (b"\r\n\r\nFrom: a@x.example\r\n", "no headers"),
    (b"\x00\x01\x02 binary \xff\xfe garbage", "no headers"),
])
def test_a_message_without_a_usable_from_is_refused_with_its_reason(blob, problem):
    with pytest.raises(MailReadError, match=problem):
        parse_headers(blob, "-", None)


def test_a_missing_file_a_folder_and_an_unreadable_one_are_errors_not_tracebacks(tmp_path):
    with pytest.raises(MailReadError, match="no such file"):
        read_message(tmp_path / "gone.eml")
    with pytest.raises(MailReadError, match="folder"):
        read_message(tmp_path)
    assert issubclass(MailReadError, BoundariesError)
    with pytest.raises(MailReadError, match="no `From`"):
        read_message(DATA / "no-from.eml")


# -- only the headers of a huge message are read --------------------------------------------

class _CountingOs:
    """`os` for the reader, counting the bytes its files give."""

    def __init__(self) -> None:
        self.read = 0

    def __getattr__(self, name):
        return getattr(os, name)

    def fdopen(self, fd, *args, **kwargs):
        f = os.fdopen(fd, *args, **kwargs)
        counter = self
        real_read = f.read

        class Counted:
            def __enter__(self):
                return self

            def __exit__(self, *exc):
                f.close()

            def read(self, n=-1):
                data = real_read(n)
                counter.read += len(data)
                return data

        return Counted()


def test_a_50_mb_message_is_read_only_as_far_as_its_headers(tmp_path, monkeypatch):
    head = (DATA / "thunderbird-de.eml").read_bytes().partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    big = tmp_path / "big.eml"
    with big.open("wb") as f:
        f.write(head)
        f.write(os.urandom(4096))  # garbage after the headers: never parsed
        f.truncate(50 * 1024 * 1024)  # a 50 MB body (sparse: cheap to make)
    counting = _CountingOs()
    monkeypatch.setattr(read_mod, "os", counting)
    m = read_message(big)
    assert m.subject.startswith("Kassensystem zeigt")
    assert counting.read <= len(head) + read_mod.CHUNK  # one chunk at most past the headers


def test_a_header_block_without_end_is_bounded(tmp_path):
    endless = tmp_path / "endless.eml"
    endless.write_bytes(b"From: a@x.example\n" + b"X-Junk: " + b"a" * (MAX_HEADER + 10))
    with pytest.raises(MailReadError, match="no end of the headers in the first 1024 KiB"):
        read_message(endless)
    short = tmp_path / "only-headers.eml"  # no empty line and no body: all of it is headers
    short.write_bytes(b"From: a@x.example\nSubject: nur Kopf")
    assert read_message(short).subject == "nur Kopf"


def test_an_empty_line_across_two_chunks_ends_the_headers(tmp_path, monkeypatch):
    monkeypatch.setattr(read_mod, "CHUNK", 8)
    f = tmp_path / "m.eml"
    f.write_bytes(b"From: a@x.example\r\nSubject: kurz\r\n\r\nFrom: b@y.example\r\n")
    m = read_message(f)
    assert (m.from_address, m.subject) == ("a@x.example", "kurz")


# -- dates -----------------------------------------------------------------------------------

@given(st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(2200, 12, 30),
                    timezones=st.integers(-23 * 60 - 59, 23 * 60 + 59).map(
                        lambda m: timezone(timedelta(minutes=m)))))
@example(datetime(2026, 3, 29, 2, 30, tzinfo=tz(2)))
@example(datetime(2026, 12, 1, 18, 20, tzinfo=tz(-9.5)))
def test_any_date_a_mailer_formats_reads_back_equal(when):
    when = when.replace(microsecond=0)
    read = parse_date(format_datetime(when))
    assert read == when
    assert read.utcoffset() == when.utcoffset()


@pytest.mark.parametrize(("text", "expected"), [
    ("Tue, 1 Dec 2026 18:20:05 +0100", datetime(2026, 12, 1, 18, 20, 5, tzinfo=tz(1))),
    ("Tue,  1 Dec 2026 18:20:05 +0100 (CET)", datetime(2026, 12, 1, 18, 20, 5, tzinfo=tz(1))),
    ("1 Dec 2026 18:20:05 +0100", datetime(2026, 12, 1, 18, 20, 5, tzinfo=tz(1))),  # no day
    ("Tue, 1 Dec 2026 18:20 +0100", datetime(2026, 12, 1, 18, 20, tzinfo=tz(1))),  # no seconds
    ("Tue, 01 Dec 26 18:20:05 +0100", datetime(2026, 12, 1, 18, 20, 5, tzinfo=tz(1))),
    ("Wed, 1 Dec 99 18:20:05 +0000", datetime(1999, 12, 1, 18, 20, 5, tzinfo=UTC)),
    ("Tue, 1 Dec 2026 17:20:05 GMT", datetime(2026, 12, 1, 17, 20, 5, tzinfo=UTC)),
    ("Tue, 1 Dec 2026 17:20:05 UT", datetime(2026, 12, 1, 17, 20, 5, tzinfo=UTC)),
    ("Tue, 1 Dec 2026 12:20:05 EST", datetime(2026, 12, 1, 12, 20, 5, tzinfo=tz(-5))),
    ("Tue, 1 Dec 2026 18:20:05 CET", datetime(2026, 12, 1, 18, 20, 5, tzinfo=tz(1))),
    ("Tue, 1 Jun 2027 18:20:05 MESZ", datetime(2027, 6, 1, 18, 20, 5, tzinfo=tz(2))),
    ("Wed, 2 Dec 2026 10:15:32 JST", datetime(2026, 12, 2, 10, 15, 32, tzinfo=tz(9))),
    ("Tue, 1 Dec 2026 18:20:05 +01:00", datetime(2026, 12, 1, 18, 20, 5, tzinfo=tz(1))),
    ("Tue, 1 Dec 2026 18:20:05 -0000", datetime(2026, 12, 1, 18, 20, 5, tzinfo=UTC)),
    ("Tue, 1 Dec 2026 18:20:05", datetime(2026, 12, 1, 18, 20, 5, tzinfo=UTC)),  # no zone: UTC
    ("Tue, 1 Dec 2026 18:20:05 XYZ", datetime(2026, 12, 1, 18, 20, 5, tzinfo=UTC)),
    ("Tue Dec  1 18:20:05 2026", datetime(2026, 12, 1, 18, 20, 5, tzinfo=UTC)),  # asctime
    ("2026-12-01T18:20:05+01:00", datetime(2026, 12, 1, 18, 20, 5, tzinfo=tz(1))),  # ISO
    ("2026-12-01 18:20:05 +0100", datetime(2026, 12, 1, 18, 20, 5, tzinfo=tz(1))),
    ("Tue, 1 Dec 2026\n 18:20:05 +0100", datetime(2026, 12, 1, 18, 20, 5, tzinfo=tz(1))),
])
def test_dates_in_the_forms_real_mailers_write(text, expected):
    read = parse_date(text)
    assert read == expected
    assert read.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("text", [
    "", "   ", "gestern", "Tue, 31 Feb 2026 10:00:00 +0100", "Tue, 1 Dec 2026 25:00:00 +0100",
    "Dienstag, 1. Dezember 2026", "Tue, 1 Dec 1901 10:00:00 +0000",
    "Tue, 1 Dec 9999 10:00:00 +0000", "0", "=?utf-8?q?x?="])
def test_an_unreadable_date_is_none_and_the_delivery_decides(text):
    assert parse_date(text) is None
    delivered = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    m = parse_headers(f"From: a@x.example\nDate: {text}\n".encode(), "-", delivered)
    assert m.date is None and m.when == delivered


# -- Maildir ---------------------------------------------------------------------------------

def _message(sender: str, subject: str) -> bytes:
    return (f"From: {sender}\nTo: {ME}\nSubject: {subject}\n"
            "Date: Tue, 1 Dec 2026 10:00:00 +0100\n\nbody\n").encode()


def _maildir(root: Path) -> Path:
    """A Maildir as mbsync leaves it: messages in new/ and cur/ with flags, a half-delivered
    one in tmp/, dotfiles, a Maildir++ subfolder."""
    for sub in ("tmp", "new", "cur", ".Sent/cur"):
        (root / sub).mkdir(parents=True)
    files = {
        "cur/1764580000.M1P100.host:2,S": _message("a@x.example", "gelesen"),
        "cur/1764581000.M2P100.host:2,RS": _message("b@x.example", "beantwortet"),
        "new/1764582000.M3P100.host": _message("c@x.example", "neu"),
        "new/1764583000.M4P100.host": (DATA / "no-from.eml").read_bytes(),
        "cur/1764584000.M5P100.host:2,FS": (DATA / "apple-mail.eml").read_bytes(),
        "tmp/1764585000.M6P100.host": _message("tmp@x.example", "halb zugestellt"),
        "new/.1764586000.M7P100.host": _message("dot@x.example", "versteckt"),
        "cur/.uidvalidity": b"1764579999\n1\n",
        ".Sent/cur/1764587000.M8P100.host:2,S": _message(ME, "gesendet"),
    }
    for i, (rel, data) in enumerate(files.items()):
        path = root / rel
        path.write_bytes(data)
        os.utime(path, (1764580000 + i * 1000, 1764580000 + i * 1000))
    return root


def _snapshot(root: Path) -> dict[str, tuple]:
    out = {}
    for path in sorted(root.rglob("*")):
        st_ = path.lstat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
        out[str(path.relative_to(root))] = (digest, st_.st_mode, st_.st_mtime_ns, st_.st_size)
    return out


def test_a_maildir_lists_new_and_cur_with_flags_oldest_first(tmp_path):
    root = _maildir(tmp_path / "INBOX")
    got = list(maildir_messages(root))
    assert [Path(g.path).name for g in got] == [
        "1764580000.M1P100.host:2,S", "1764581000.M2P100.host:2,RS",
        "1764582000.M3P100.host", "1764583000.M4P100.host", "1764584000.M5P100.host:2,FS"]
    items = [g for g in got if isinstance(g, MailItem)]
    assert [(i.message.from_address, i.flags) for i in items] == [
        ("a@x.example", "S"), ("b@x.example", "RS"), ("c@x.example", ""),
        ("sekretariat@gruber-partner.example", "FS")]
    assert items[0].message.delivered == datetime.fromtimestamp(1764580000, UTC)
    assert items[0].message.delivered.tzinfo is UTC
    assert items[0].message.path == items[0].path
    skip = got[3]
    assert isinstance(skip, MailSkip)
    assert skip.path.endswith("new/1764583000.M4P100.host")
    assert "no `From`" in skip.warning


def test_the_order_is_by_delivery_then_name(tmp_path):
    root = tmp_path / "md"
    for sub in ("new", "cur", "tmp"):
        (root / sub).mkdir(parents=True)
    for name, when in [("b", 200), ("a", 200), ("c", 100)]:
        (root / "new" / name).write_bytes(_message(f"{name}@x.example", name))
        os.utime(root / "new" / name, (when, when))
    assert [Path(i.path).name for i in maildir_messages(root)] == ["c", "a", "b"]


def test_known_files_are_passed_over_unopened(tmp_path, monkeypatch):
    root = _maildir(tmp_path / "INBOX")
    opened = []
    real = maildir_mod.read_header_block

    def spy(path, *args):
        opened.append(path.name)
        return real(path, *args)

    monkeypatch.setattr(maildir_mod, "read_header_block", spy)
    known = {"1764580000.M1P100.host", "1764582000.M3P100.host", "1764584000.M5P100.host"}
    got = list(maildir_messages(root, known=known))
    assert [Path(g.path).name for g in got] == [
        "1764581000.M2P100.host:2,RS", "1764583000.M4P100.host"]
    assert opened == ["1764581000.M2P100.host:2,RS", "1764583000.M4P100.host"]
    assert maildir_mod.unique_name("1764580000.M1P100.host:2,S") in known


@pytest.mark.parametrize(("name", "flags"), [
    ("1764580000.M1P100.host:2,S", "S"), ("1764580000.M1P100.host:2,DFRST", "DFRST"),
    ("1764580000.M1P100.host:2,", ""), ("1764580000.M1P100.host", ""),
    ("1764580000.M1P100.host;2,RS", "RS"), ("1764580000_1.host,U=12:2,Sa", "Sa")])
def test_maildir_info_flags(name, flags):
    assert flags_of(name) == flags


def test_a_message_moved_to_cur_while_listing_is_found_there(tmp_path, monkeypatch):
    root = _maildir(tmp_path / "INBOX")
    new = root / "new" / "1764582000.M3P100.host"
    real = maildir_mod.read_header_block

    def client_moves_it_first(path, *args):
        if path == new:  # mutt saw it: new/X -> cur/X:2,S
            os.rename(new, root / "cur" / (new.name + ":2,S"))
        return real(path, *args)

    monkeypatch.setattr(maildir_mod, "read_header_block", client_moves_it_first)
    got = list(maildir_messages(root))
    moved = [g for g in got if isinstance(g, MailItem) and g.message.from_address == "c@x.example"]
    assert len(moved) == 1
    assert moved[0].path.endswith("cur/1764582000.M3P100.host:2,S")
    assert moved[0].flags == "S"
    assert len(got) == 5


def test_a_message_deleted_while_listing_is_skipped_silently(tmp_path, monkeypatch):
    root = _maildir(tmp_path / "INBOX")
    gone = root / "cur" / "1764581000.M2P100.host:2,RS"
    real = maildir_mod.read_header_block

    def client_deletes_it_first(path, *args):
        if path == gone:
            gone.unlink()
        return real(path, *args)

    monkeypatch.setattr(maildir_mod, "read_header_block", client_deletes_it_first)
    got = list(maildir_messages(root))
    assert len(got) == 4
    assert not any(g.path == str(gone) for g in got)  # neither an item nor a warning


def test_reading_a_maildir_changes_nothing_in_it(tmp_path):
    root = _maildir(tmp_path / "INBOX")
    before = _snapshot(root)
    atimes = {p: p.stat().st_atime_ns for p in root.rglob("*") if p.is_file()}
    modes = {p: p.stat().st_mode for p in [root, *root.rglob("*")]}
    for path in modes:  # read-only, as a backup mount would be: still readable
        path.chmod(0o555 if path.is_dir() else 0o444)
    try:
        got = list(maildir_messages(root))
        assert len(got) == 5
        list(maildir_messages(root))
    finally:
        for path, mode in modes.items():
            path.chmod(stat.S_IMODE(mode))
    if getattr(os, "O_NOATIME", 0):  # our own files: read without touching their atime
        assert {p: p.stat().st_atime_ns for p in atimes} == atimes
    assert _snapshot(root) == before  # every byte, name, mode and mtime as it was


def test_a_folder_that_is_no_maildir_is_an_error_with_a_hint(tmp_path):
    (tmp_path / "Mail").mkdir()
    (tmp_path / "Mail" / "INBOX").mkdir()
    with pytest.raises(MaildirError, match="not a Maildir") as info:
        list(maildir_messages(tmp_path / "Mail"))
    assert "new/, cur/ and tmp/" in info.value.hint
    with pytest.raises(MaildirError, match="no such folder"):
        list(maildir_messages(tmp_path / "nowhere"))
    only_cur = tmp_path / "only-cur"
    (only_cur / "cur").mkdir(parents=True)
    shutil.copy(DATA / "gmail.eml", only_cur / "cur" / "1.host:2,S")
    assert [i.flags for i in maildir_messages(only_cur)] == ["S"]


# -- mbox ------------------------------------------------------------------------------------

MBOX = b"""\
From chef@baeckerei-mayr.example Tue Dec  1 18:42:31 2026
From: Josef Mayr <chef@baeckerei-mayr.example>
To: martin@huber-it.example
Subject: Kassa
Date: Tue, 1 Dec 2026 19:42:17 +0100
Message-ID: <one@baeckerei-mayr.example>
Status: RO

Servus,
From here on a line that starts with From but follows text: not a new message.

>From the quoted line of an mboxrd.

From MAILER-DAEMON Tue Dec  1 17:20:05 2026
To: martin@huber-it.example
Subject: no sender

body

From - Wed Dec 02 06:58:11 2026
From: Leitner Sabine <office@acme.example>
Subject: AW: Rechnung
Message-ID: <three@acme.example>
X-Status: A

body three
"""


def test_an_mbox_gives_each_message_with_its_number(tmp_path):
    path = tmp_path / "archive.mbox"
    path.write_bytes(MBOX)
    got = list(mbox_messages(path))
    assert [g.path for g in got] == [f"{path}#1", f"{path}#2", f"{path}#3"]
    first, second, third = got
    assert isinstance(first, MailItem) and isinstance(third, MailItem)
    assert first.message.subject == "Kassa" and first.message.path == f"{path}#1"
    assert first.message.delivered == datetime(2026, 12, 1, 18, 42, 31, tzinfo=UTC)
    assert first.message.date == datetime(2026, 12, 1, 19, 42, 17, tzinfo=tz(1))
    assert first.flags == "S"  # Status: RO -> seen
    assert isinstance(second, MailSkip) and "no `From`" in second.warning
    assert third.message.from_address == "office@acme.example"
    assert third.message.when == datetime(2026, 12, 2, 6, 58, 11, tzinfo=UTC)  # no Date
    assert third.flags == "R"  # X-Status: A -> replied
    assert path.read_bytes() == MBOX


def test_an_mbox_written_by_the_stdlib_reads_back(tmp_path):
    path = tmp_path / "written.mbox"
    box = mailbox.mbox(path)
    for name in ("thunderbird-de.eml", "outlook-aw-de.eml", "japanese-partner.eml"):
        box.add((DATA / name).read_bytes())
    box.close()
    got = list(mbox_messages(path))
    assert [g.message.subject for g in got] == [
        FIXTURES[n][2] for n in ("thunderbird-de.eml", "outlook-aw-de.eml",
                                 "japanese-partner.eml")]
    assert [g.message.message_id for g in got] == [
        read_message(DATA / n).message_id
        for n in ("thunderbird-de.eml", "outlook-aw-de.eml", "japanese-partner.eml")]
    assert [g.message.delivered is not None for g in got] == [True] * 3  # its From_ dates


def test_an_mbox_with_a_huge_message_streams_past_its_body(tmp_path):
    path = tmp_path / "big.mbox"
    with path.open("wb") as f:
        f.write(b"From a@x.example Tue Dec  1 10:00:00 2026\nFrom: a@x.example\nSubject: gross\n\n")
        line = b"QUJD" * 19 + b"\n"
        f.write(line * (20 * 1024 * 1024 // len(line)))
        f.write(b"x" * 300_000 + b"\n")  # a line longer than a read
        f.write(b"\nFrom b@x.example Tue Dec  1 11:00:00 2026\nFrom: b@x.example\n\nkurz\n")
    got = list(mbox_messages(path))
    assert [g.message.from_address for g in got] == ["a@x.example", "b@x.example"]


def test_a_file_that_is_no_mbox_is_an_error(tmp_path):
    with pytest.raises(MboxError, match="not an mbox"):
        list(mbox_messages(DATA / "gmail.eml"))
    with pytest.raises(MboxError, match="cannot be read"):
        list(mbox_messages(tmp_path / "missing.mbox"))
    empty = tmp_path / "empty.mbox"
    empty.write_bytes(b"")
    assert list(mbox_messages(empty)) == []

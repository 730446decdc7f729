"""The vCard reader (boundaries/sources/contacts.py, vcard.py) on each producer's shapes."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from boundaries.sources.contacts import Card, ContactsError, client_id, read_contacts
from boundaries.sources.vcard import components, properties, raw_lines, unescape

DATA = Path(__file__).parent / "data" / "contacts"


def read(name: str, region: str | None = "AT"):
    return read_contacts(DATA / name, region)


def test_android_21_quoted_printable_utf8_split_by_a_soft_break():
    cards, warnings = read("android-2.1.vcf")
    assert warnings == []
    assert cards[0] == Card(DATA / "android-2.1.vcf", 1, "Jürgen Müller",
                            ("+436641234567", "+43732123456"),
                            ("juergen.mueller@example.com",), None, None)
    # the base64 photo and its blank line are skipped; the TEL after it still counts
    assert (cards[1].line, cards[1].name) == (10, "María Peña")
    assert cards[1].phones == ("+34612345678", "+4315880")


def test_iphone_30_groups_pref_escaped_comma_org_bom():
    cards, warnings = read("iphone-3.0.vcf")
    assert warnings == []
    first, second = cards
    assert first.line == 1  # the BOM does not shift the count
    assert first.name == "Huber & Partner, Steuerberatung"  # ORG's organisation, not the unit
    assert first.phones == ("+436649876543", "+43732654321")
    assert first.emails == ("office@huber-partner.example", "martina@huber-partner.example")
    assert (second.line, second.name, second.phones) == (15, "Gruber, Thomas", ("+436501112223",))


def test_outlook_21_iso_8859_1_with_and_without_charset():
    cards, warnings = read("outlook-2.1.vcf")
    assert warnings == []
    assert [(c.line, c.name) for c in cards] == [(1, "Weiß Consulting GmbH"), (14, "Jürgen Böhm")]
    assert cards[0].phones == ("+43732778899", "+4369912345678")
    assert cards[0].emails == ("andre.weiss@weiss-consulting.example",)
    assert cards[1].phones == ("+436645556667",)


def test_google_30_several_cards_folded_lines_and_a_nameless_card():
    cards, warnings = read("google-3.0.vcf")
    assert warnings == []
    assert [(c.line, c.name) for c in cards] == [(1, "Anna Schmid"), (11, "Bernd Ober"), (20, None)]
    assert cards[1].phones == ("+4327429005", "+436763334445")  # a number folded mid-way
    assert cards[2].emails == ("info@nameless.example",)


def test_rfc6350_40_tel_uris_lang_tz():
    (card,), warnings = read("rfc6350-4.0.vcf")
    assert warnings == []
    assert card == Card(DATA / "rfc6350-4.0.vcf", 1, "Viagenie",
                        ("+14186569254", "+14182626501"), ("simon.perreault@viagenie.ca",),
                        "fr", "America/Montreal")


def test_values_left_out_are_named_at_the_cards_begin_line():
    cards, warnings = read("problems.vcf")
    assert [(c.line, c.name, c.phones) for c in cards] == [
        (1, "Nur Falsche Nummern", ()), (7, None, ("+436647654321",)),
        (13, "Doppelt Eins", ("+436642223334",)), (19, "Doppelt Zwei", ("+436642223334",))]
    shown = [w.format() for w in warnings]
    path = DATA / "problems.vcf"
    assert shown[0] == f"{path}:1: warning: `12` is not a valid phone number (region AT); left out"
    assert [(w.line, w.message.split(" ")[0]) for w in warnings] == [
        (1, "`12`"), (1, "`0664"), (7, "LANG"), (7, "TZ"), (19, "`kein-at-zeichen`")]
    assert (cards[3].locale, cards[3].timezone) == ("de-AT", "Europe/Vienna")
    assert cards[3].emails == ("Doppelt@Example.com",)  # duplicates are the command's to skip


def test_a_vdir_folder_reads_every_vcf_sorted():
    cards, warnings = read("vdir")
    assert warnings == []
    assert [(c.path.name, c.line, c.name) for c in cards] == [
        ("1f3a-anna.vcf", 1, "Clara Novak"), ("9c2e-firma.vcf", 1, "Ertl Bau KG")]


def test_unreadable_sources_raise(tmp_path):
    with pytest.raises(ContactsError, match="cannot read"):
        read_contacts(tmp_path / "missing.vcf", "AT")
    with pytest.raises(ContactsError, match=r"no \.vcf"):
        read_contacts(tmp_path, "AT")
    (tmp_path / "x.vcf").write_text("hello\n")
    with pytest.raises(ContactsError, match="no vCard"):
        read_contacts(tmp_path / "x.vcf", "AT")
    (tmp_path / "y.vcf").write_text("BEGIN:VCARD\nFN:A\nTEL:+43 664 1234567\nEND:VCARD\n")
    cards, warnings = read_contacts(tmp_path, "AT")  # in a folder, a file without cards warns
    assert len(cards) == 1 and warnings[0].path.name == "x.vcf"


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_folder_raises(tmp_path):
    box = tmp_path / "box"
    box.mkdir()
    box.chmod(0)
    try:
        with pytest.raises(ContactsError, match="cannot read the folder"):
            read_contacts(box, "AT")
    finally:
        box.chmod(0o700)


def test_a_card_cut_short_and_cr_line_ends(tmp_path):
    f = tmp_path / "cut.vcf"
    f.write_bytes(b"BEGIN:VCARD\rVERSION:3.0\rFN:A\rEND:VCARD\r\rBEGIN:VCARD\rFN:B\rTEL:+43 1 5880")
    cards, warnings = read_contacts(f, None)
    assert [(c.line, c.name) for c in cards] == [(1, "A"), (6, "B")]
    assert warnings[0].line == 6 and "END:VCARD" in warnings[0].message


def test_undecodable_text_and_control_characters_are_visible(tmp_path):
    f = tmp_path / "bad.vcf"
    f.write_bytes(b"BEGIN:VCARD\nFN;CHARSET=utf-8:\xff\x1b[31m\nTEL:0664 1\x1b\nEND:VCARD\n")
    _, warnings = read_contacts(f, "AT")
    shown = [w.format() for w in warnings]
    assert "not utf-8" in shown[0]
    assert all("\x1b" not in s for s in shown)


def test_line_level():
    lines = raw_lines(b"\xef\xbb\xbfA;X=\"a;b:c\":v\r\n w\r\nitem1.TEL;CELL;PREF:1\r\n")
    props = list(properties(lines))
    assert [(p.line, p.group, p.name, p.value) for p in props] == [
        (1, None, "A", "vw"), (3, "item1", "TEL", "1")]
    assert props[0].params == {"X": ("a;b:c",)}
    assert props[1].params == {"TYPE": ("CELL", "PREF")}
    assert components(r"A\;B;C\,D;") == ["A;B", "C,D", ""]
    assert unescape(r"a\nb\\c") == "a\nb\\c"


def test_client_id_transliterates():
    assert client_id("Jürgen Müller", set()) == "juergen-mueller"
    assert client_id("Weiß Consulting GmbH", set()) == "weiss-consulting-gmbh"
    assert client_id("María Peña", set()) == "maria-pena"
    assert client_id("ÑANDÚ", set()) == "nandu"
    assert client_id("東京", set()) == "client"
    assert client_id("Huber", {"huber", "huber-2"}) == "huber-3"


ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")


@given(st.text(max_size=40), st.sets(st.text(alphabet="abcz-2", max_size=6), max_size=8))
def test_any_name_gives_an_id_client_add_accepts(name, taken):
    cid = client_id(name, taken)
    assert ID.match(cid)
    assert cid.replace("-", "").replace("_", "").isalnum()  # the rule of `client add`
    assert cid.casefold() not in {t.casefold() for t in taken}


@pytest.mark.parametrize("text", ["0664 1234567", "+43 732 123456", "(0732) 77 88 99",
                                  "0664/5556667", "+1-418-656-9254", "+49 151 23456789",
                                  "0650 1112223", "+43 1 5880"])
def test_numbers_are_the_e164_that_client_add_and_check_use(text):
    from boundaries.policy.phones import normalise, valid_number

    assert valid_number(text, "AT") == normalise(text, "AT") is not None

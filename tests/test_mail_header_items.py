"""sources.mail.read.header_items: a header block split into (name, value) pairs exactly as
the stdlib's `HeaderParser(policy=compat32)` splits it (the reader used that parser; its
own splitter is five times as fast, and must never read a header differently)."""

from __future__ import annotations

from email.parser import HeaderParser
from email.policy import compat32

from hypothesis import example, given, settings
from hypothesis import strategies as st

from boundaries.sources.mail.read import header_items, parse_headers


def stdlib(text: str) -> list[tuple[str, str]]:
    return list(HeaderParser(policy=compat32).parsestr(text, headersonly=True).raw_items())


ENDS = st.sampled_from(["\r\n", "\n", "\r", "\r\r\n", ""])
LINE = st.one_of(
    st.tuples(st.sampled_from(["From", "Subject", "To", "X-A", "", "Re:x", "a b", "From "]),
              st.sampled_from([":", ": ", ":\t", " :", "", "  "]),
              st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
    .map("".join),
    st.tuples(st.sampled_from([" ", "\t", " \t"]), st.text(max_size=8)).map("".join),
    st.text(st.sampled_from("aF:ro m \t\r\n=?ü"), max_size=10),
)


@settings(max_examples=600)
@given(st.lists(st.tuples(LINE, ENDS).map("".join), max_size=12))
@example(["From me@host Mon Jan  1 00:00:00 2026\n", "Subject: x\n", "From bad\n"])
@example([" lead\n", "A: 1\n", " cont\n", ":nameless\n", " lost\n", "B:2"])
@example(["A: 1\r", "\n", "B: 2\n"])
def test_header_items_split_as_the_stdlib_parser_does(lines):
    text = "".join(lines)
    assert header_items(text) == stdlib(text)


def test_a_real_mailers_header_block_reads_as_before():
    blob = (b"Received: from mx (mx [192.0.2.1])\r\n\tby mail; Mon, 2 Mar 2026 10:00:00"
            b" +0100\r\nFrom: \"Office ACME\" <office@acme.example>\r\nSubject: =?utf-8?q?"
            b"R=C3=BCckfrage?=\r\n  zum Server\r\nTo: martin@huber-it.example\r\n\r\nbody\r\n")
    m = parse_headers(blob, "x.eml", None)
    assert m.from_address == "office@acme.example" and m.from_name == "Office ACME"
    assert m.subject == "Rückfrage  zum Server"
    assert m.headers["received"] == ("from mx (mx [192.0.2.1])\tby mail; Mon, 2 Mar 2026 "
                                     "10:00:00 +0100",)


@settings(max_examples=300)
@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=80))
def test_any_text_splits_as_the_stdlib_parser_splits_it(text):
    assert header_items(text) == stdlib(text)

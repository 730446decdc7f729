"""A call's life (core/calls.py, sources.md §8): ring → connect → end answered with minutes
rounded up, ring → end missed, a message one event, my outgoing calls and who I called
back; the same event twice never makes a second call, whatever the order."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from boundaries.core.calls import Call, CallBook, CallEvent, party_key

VIENNA = ZoneInfo("Europe/Vienna")
T0 = datetime(2026, 1, 8, 18, 20, 5, tzinfo=VIENNA)


def ev(event: str, cid: str = "c17", seconds: float = 0, **kw) -> CallEvent:
    return CallEvent("events", cid, event, T0 + timedelta(seconds=seconds), **kw)


def test_ring_connect_end_is_answered_with_minutes_rounded_up():
    book = CallBook()
    ring = book.feed(ev("ring", from_="+43 664 1234567"))
    assert ring.kind == "ring" and ring.call.party == "+43 664 1234567"
    assert ring.call.outcome == "ringing"
    connected = book.feed(ev("connect", seconds=6))
    assert connected.kind == "connected" and connected.call.outcome == "talking"
    done = book.feed(ev("end", seconds=6 + 6 * 60 + 29))  # 6 min 29 s talked
    assert done.kind == "finished"
    assert (done.call.outcome, done.call.minutes) == ("answered", 7)
    assert done.call.ended == T0 + timedelta(seconds=395)
    assert book.active == ()


def test_minutes_exactly_on_the_minute_and_a_second_over():
    for talked, minutes in ((60, 1), (61, 2), (1, 1), (0, 0), (120, 2)):
        book = CallBook()
        book.feed(ev("ring"))
        book.feed(ev("connect", seconds=10))
        done = book.feed(ev("end", seconds=10 + talked))
        assert (done.call.outcome, done.call.minutes) == ("answered", minutes), talked


def test_ring_end_is_missed_with_no_minutes():
    book = CallBook()
    book.feed(ev("ring", from_="+436641234567"))
    done = book.feed(ev("end", seconds=25))
    assert (done.kind, done.call.outcome, done.call.minutes) == ("finished", "missed", 0)


def test_a_withheld_number_rings_with_no_party():
    step = CallBook().feed(ev("ring"))
    assert step.kind == "ring" and step.call.party is None


def test_a_message_is_one_event_decided_and_recorded():
    book = CallBook()
    step = book.feed(ev("message", "m3", from_="+43 664 1234567", channel="sms",
                        kind="billing", urgency="urgent"))
    assert step.kind == "message"
    call = step.call
    assert (call.channel, call.kind, call.urgency, call.outcome) == (
        "sms", "billing", "urgent", "received")
    assert book.active == ()
    assert book.feed(ev("message", "m3", from_="+43 664 1234567")).kind == "duplicate"


def test_the_same_events_again_make_no_second_call():
    book = CallBook()
    events = [ev("ring", from_="+1"), ev("connect", seconds=5), ev("end", seconds=90)]
    kinds = [book.feed(e).kind for e in events + events]
    assert kinds == ["ring", "connected", "finished", "duplicate", "duplicate", "duplicate"]


def test_a_second_ring_while_it_rings_is_a_duplicate():
    book = CallBook()
    book.feed(ev("ring"))
    assert book.feed(ev("ring", seconds=3)).kind == "duplicate"
    assert book.feed(ev("connect", seconds=4)).kind == "connected"
    assert book.feed(ev("connect", seconds=5)).kind == "duplicate"


def test_two_sources_with_the_same_id_are_two_calls():
    book = CallBook()
    assert book.feed(ev("ring")).kind == "ring"
    other = CallEvent("fritzbox", "c17", "ring", T0)
    assert book.feed(other).kind == "ring"
    assert len(book.active) == 2


def test_end_or_connect_of_a_call_that_never_rang_is_ignored_and_says_why():
    book = CallBook()
    step = book.feed(ev("end"))
    assert step.kind == "ignored" and "never rang" in step.reason
    assert book.feed(ev("connect")).kind == "ignored"
    assert book.feed(ev("ring")).kind == "ring"  # it can still ring later


def test_a_clock_that_runs_backwards_never_gives_negative_minutes():
    book = CallBook()
    book.feed(ev("ring", seconds=100))
    book.feed(ev("connect", seconds=50))  # before the ring
    done = book.feed(ev("end", seconds=10))  # before both
    assert done.call.minutes == 0 and done.call.ended >= done.call.started


def test_the_sources_own_talk_time_counts_when_the_connect_was_not_seen():
    """A call monitor that reconnected mid-call sees the DISCONNECT with its seconds."""
    book = CallBook()
    book.feed(ev("ring"))
    done = book.feed(CallEvent("events", "c17", "end", T0 + timedelta(seconds=200),
                               seconds=125))
    assert (done.call.outcome, done.call.minutes) == ("answered", 3)


def test_my_outgoing_call_names_the_calls_it_answers():
    book = CallBook()
    book.feed(ev("ring", "a", from_="+43 664 1234567"))
    book.feed(ev("end", "a", seconds=20))
    book.feed(ev("ring", "b", 60, from_="+436641234567"))
    book.feed(ev("end", "b", 80))
    book.feed(ev("ring", "c", 90, from_="+43 732 999"))  # someone else
    book.feed(ev("end", "c", 95))
    assert [c.source_id for c in book.calls_from("+43 (664) 123-4567")] == ["a", "b"]
    dialing = book.feed(ev("outgoing", "o1", 600, to="+43 664 1234567"))
    assert dialing.kind == "dialing" and dialing.call.direction == "out"
    assert [c.source_id for c in dialing.called_back] == ["a", "b"]
    assert book.calls_from("+436641234567") == ()  # called back: off the list
    assert book.feed(ev("connect", "o1", 610)).kind == "connected"
    done = book.feed(ev("end", "o1", 700))
    assert (done.kind, done.call.outcome, done.call.minutes) == ("finished", "answered", 2)
    assert [c.source_id for c in done.called_back] == ["a", "b"]
    again = book.feed(ev("outgoing", "o2", 800, to="+436641234567"))
    assert again.called_back == ()  # nothing since my last call


def test_an_outgoing_call_nobody_takes_is_unanswered():
    book = CallBook()
    book.feed(ev("outgoing", "o", to="+4930123456"))
    done = book.feed(ev("end", "o", 30))
    assert (done.call.outcome, done.call.minutes) == ("unanswered", 0)


def test_a_front_end_may_pass_its_own_party_key():
    book = CallBook(key=lambda p: p[-4:])
    book.feed(ev("ring", "a", from_="0664 1234567"))
    book.feed(ev("end", "a", 5))
    assert book.feed(ev("outgoing", "o", 10, to="+43 664 123 4567")).called_back != ()


def test_party_key():
    assert party_key("+43 664 1234567") == party_key("+43 (664) 123-4567") == "+436641234567"
    assert party_key("0664/1234567") == "06641234567"
    assert party_key("Anna@Example.org") == "anna@example.org"


def test_expire_lets_go_of_calls_whose_end_never_came():
    book = CallBook()
    book.feed(ev("ring", "r"))
    book.feed(ev("ring", "t"))
    book.feed(ev("connect", "t", 5))
    assert book.expire(T0 + timedelta(minutes=5)) == []
    lost = book.expire(T0 + timedelta(minutes=11))
    assert [(s.kind, s.call.source_id) for s in lost] == [("lost", "r")]
    assert [c.source_id for c in book.active] == ["t"]
    assert book.feed(ev("end", "r", 700)).kind == "duplicate"  # never recorded twice
    assert [s.call.source_id for s in book.expire(T0 + timedelta(hours=13))] == ["t"]


def test_finished_calls_are_forgotten_after_keep_and_memory_stays_bounded():
    book = CallBook(keep=timedelta(hours=1), max_finished=50)
    for i in range(200):
        book.feed(ev("message", f"m{i}", i))
    assert len(book._done) <= 50
    book.feed(ev("message", "late", 3 * 3600))
    assert not book.seen("events", "m199")  # forgotten: the journal keeps it across runs
    assert book.seen("events", "late")


def test_a_source_that_never_ends_its_calls_does_not_grow_the_book():
    book = CallBook(max_active=100)
    for i in range(1000):
        book.feed(ev("ring", f"r{i}", i))
    assert len(book.active) == 100


def test_call_values_are_plain():
    call = Call("s", "1", "in", "call", None, T0)
    assert call.key == ("s", "1") and not call.answered and call.minutes == 0


# --- properties ---------------------------------------------------------------------------

EVENT_KINDS = st.sampled_from(["ring", "connect", "end"])


@st.composite
def shuffled_calls(draw):
    """Events of up to four calls, each event any number of times, in any order, at any
    times (clocks that run backwards too)."""
    events = []
    for cid in draw(st.lists(st.sampled_from("abcd"), min_size=1, max_size=4, unique=True)):
        for kind in draw(st.lists(EVENT_KINDS, min_size=1, max_size=8)):
            offset = draw(st.integers(-3600, 3600))
            events.append(ev(kind, cid, offset, from_="+43 664 1234567"))
    return draw(st.permutations(events))


@settings(max_examples=300, deadline=None)
@given(shuffled_calls())
def test_any_interleaving_and_repetition_gives_at_most_one_finished_call_each(events):
    book = CallBook()
    steps = [book.feed(e) for e in events]
    finished = [s.call.source_id for s in steps if s.kind == "finished"]
    assert len(finished) == len(set(finished))
    for s in steps:
        if s.call is not None:
            assert s.call.minutes >= 0
    # a call whose ring came before an end is finished exactly once
    for cid in {e.source_id for e in events}:
        kinds = [e.event for e in events if e.source_id == cid]
        if "ring" in kinds and "end" in kinds[kinds.index("ring"):]:
            assert finished.count(cid) == 1


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["ring", "connect", "end", "message", "outgoing"]),
                          st.sampled_from("xyz"), st.integers(0, 10_000)), max_size=40))
def test_feeding_a_sequence_again_records_nothing_twice(raw):
    """A monitor that replays everything after a reconnect: whatever came, each call or
    message is finished at most once over both runs, and the replay finishes nothing that
    the first run finished."""
    book = CallBook()
    events = [ev(kind, cid, t, to="+1" if kind == "outgoing" else None)
              for kind, cid, t in raw]
    first = [book.feed(e) for e in events]
    second = [book.feed(e) for e in events]
    done = [s.call.source_id for s in first + second if s.kind in ("finished", "message")]
    assert len(done) == len(set(done))
    first_done = {s.call.source_id for s in first if s.kind in ("finished", "message")}
    assert not first_done & {s.call.source_id for s in second if s.call is not None
                             and s.kind not in ("duplicate", "ignored")}

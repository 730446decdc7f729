"""The compiled path of replay decides exactly as the engine does (the foundation's time
properties, checked again through `compiled.py`): same situation, same next window, same
decision, for any week, across DST gaps and folds, overnight windows and closed days, and
with the busy and away spans of a calendar."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from boundaries.core.calendar import CalendarSpan
from boundaries.core.compiled import Compiled, Offsets
from boundaries.core.engine import decide, situation, verdict
from boundaries.core.model import Away, Client, HolidayTable, Me, PolicySet, Rule, Template, Tier
from boundaries.core.request import NO_FACTS, Request, Sender
from boundaries.core.vocabulary import CHANNELS, KINDS
from boundaries.policy.phones import classify
from boundaries.policy.timeparse import parse_at
from boundaries.replay.input import parse_instant

from .test_calendar_properties import OVERLAP_CASE, calendar_scenarios, with_spans
from .test_time_properties import (
    GAP_SCENARIO,
    SETTINGS,
    Scenario,
    naive_times,
    scenarios,
    window_texts,
)

UNKNOWN = Sender(raw="someone", client_id=None, via="unknown")


def policy_set(sc: Scenario, on_holidays: bool = False, clock: str | None = None) -> PolicySet:
    """A set whose only tier (for unknown senders) has the scenario's week; of its closed
    days, those with an even ordinal are public holidays, the others time off."""
    closed = {d for d in sc.closed if d.toordinal() % 2 == 0}
    away = tuple(Away(d, d, "off", "me.toml:9") for d in sorted(sc.closed - closed))
    rules = () if clock is None else (
        Rule(0, (("client_time", clock), ("channel", "call")), "decline", None, None,
             "tiers/t.toml:3"),)
    tier = Tier(name="t", week=sc.week, has_hours=any(sc.week), on_holidays=on_holidays,
                rules=rules)
    return PolicySet(
        root="", me=Me(name="Me", timezone=sc.tz_name, unknown_tier="t", away=away),
        tiers={"t": tier}, clients={}, phone_index={}, email_index={}, phone_types={},
        replies={}, checks=(),
        holidays=HolidayTable("XX", lambda y: {d: "closed" for d in closed if d.year == y}),
        locale_names={})


@settings(max_examples=300, **SETTINGS)
@given(case=st.one_of(scenarios().map(lambda sc: (sc, [])), calendar_scenarios()),
       channel=st.sampled_from(["call", "email"]),
       urgency=st.sampled_from(["normal", "urgent"]),
       shifts=st.lists(st.integers(-72 * 60, 72 * 60), max_size=12),
       clock=st.one_of(st.none(), window_texts()))
@example(case=(GAP_SCENARIO, []), channel="call", urgency="normal", shifts=[], clock=None)
@example(case=OVERLAP_CASE, channel="call", urgency="normal", shifts=[0, 60, 120], clock=None)
def test_compiled_decides_as_the_engine(case: tuple[Scenario, list[CalendarSpan]], channel: str,
                                        urgency: str, shifts: list[int],
                                        clock: str | None) -> None:
    """One compiled set decides the scenario's instant and others up to three days away
    (so its day plans and memo are reused across days, holidays and time off), with random
    busy and away spans of a calendar (sources.md §6): the same situation, verdict, deciding
    reason (its source: a rule, a tier's hours, an event's BEGIN:VEVENT line) and next
    window start as `decide`."""
    sc, spans = case
    ps = policy_set(sc, clock=clock)  # with a client_time rule, on the sender's clock
    if spans:
        ps = with_spans(ps, spans)
    tier = ps.tiers["t"]
    comp = Compiled(ps)
    entry = comp.sender_entry(UNKNOWN)
    for shift in [0, *shifts, 0]:
        t = sc.at.timestamp() + shift * 60
        at = datetime.fromtimestamp(t, sc.tz)
        row = comp.decide(entry, t, channel, "question", urgency)
        expected = situation(ps, tier, at, sc.tz)
        assert row.sit._replace(sender_minute=0) == expected._replace(sender_minute=0)
        assert row.verdict == verdict(tier, None, channel, "question", urgency, expected,
                                      NO_FACTS)
        d = decide(ps, Request(UNKNOWN, at, channel=channel, urgency=urgency))
        assert row.verdict.decision == d.decision
        assert comp.reason_source(row, channel, urgency) == (d.reasons[0].source,
                                                              d.reasons[0].text)
        start = comp.next_start(row)
        assert start == (int(d.next_window[0].timestamp()) if d.next_window else None)
        assert comp.via(entry, channel) == d.via
        assert comp.sends_via(row, channel) == (d.via if d.reply or d.confirm else None)


@settings(max_examples=300, **SETTINGS)
@given(case=naive_times())
def test_replayed_times_read_as_check_reads_them(case: tuple[str, datetime]) -> None:
    tz_name, naive = case
    tz = ZoneInfo(tz_name)
    text = naive.isoformat()
    expected = parse_at(text, tz, datetime(2000, 1, 1, tzinfo=UTC)).timestamp()
    assert abs(parse_instant(text, Offsets(tz)) - expected) < 1e-6


@settings(max_examples=300, **SETTINGS)
@given(sc=scenarios())
def test_offsets_match_the_zone(sc: Scenario) -> None:
    offsets = Offsets(sc.tz)
    t = sc.at.timestamp()
    for probe in (t, t):  # once computing, once from the memo
        assert offsets.of_instant(probe) == sc.at.astimezone(sc.tz).utcoffset().total_seconds()


# numbers of every line type phonenumbers tells apart (§10: who can take an SMS)
VIA_NUMBERS = ("+43 664 1234567", "+43 732 123456", "+1 201 555 0123", "+43 720 123456",
               "+43 676 5550101")
VIA_KEYS = ("after-hours", "declined", "wrong-channel", "confirm")


@st.composite
def via_cases(draw):
    """A client (numbers of any line type, perhaps addresses), its tier's channels and
    which templates exist, and one request to it or to a stranger, on any channel."""
    phones = tuple(classify(n, None)[0] for n in draw(st.lists(
        st.sampled_from(VIA_NUMBERS[:4]), unique=True, max_size=3)))
    emails = tuple(draw(st.lists(st.sampled_from(["a@x.example", "b@x.example"]),
                                 unique=True, max_size=2)))
    channels = tuple(draw(st.lists(st.sampled_from(CHANNELS), unique=True, min_size=1)))
    keys = draw(st.sets(st.sampled_from(VIA_KEYS)))
    who = draw(st.sampled_from(["id", "number", "stranger", "address", "robot", "withheld"]))
    if who == "number" and phones:
        number = draw(st.sampled_from(phones))
    else:
        number = classify(draw(st.sampled_from(VIA_NUMBERS)), None)[0]
    return (phones, emails, channels, keys, who, number, draw(st.sampled_from(CHANNELS)),
            draw(st.sampled_from(KINDS)), draw(st.booleans()),
            draw(st.lists(st.sampled_from(["r@x.example", "s@y.example"]), max_size=2)))


@settings(max_examples=300, **SETTINGS)
@given(case=via_cases())
def test_compiled_sends_via_as_the_engine(case) -> None:
    """The compiled path gives every request the engine's `via` (sources.md §10), and says a
    row sends something exactly when `decide` has a reply or a confirmation for it."""
    phones, emails, channels, keys, who, number, channel, kind, evening, reply_to = case
    types = {n: classify(n, None)[1] for n in phones}
    week = (((540, 1020),),) * 5 + ((), ())
    tier = Tier(name="t", channels=channels, week=week, has_hours=True,
                in_writing=frozenset({"change"}))
    client = Client(id="c", name="C", tier="t", phones=phones, emails=emails,
                    source="clients.toml:1")
    ps = PolicySet(
        root="", me=Me(name="Me", timezone="Europe/Vienna", unknown_tier="t"),
        tiers={"t": tier}, clients={"c": client}, phone_index=dict.fromkeys(phones, "c"),
        email_index=dict.fromkeys(emails, "c"), phone_types=types,
        replies={"en": {k: Template(f"{k} {{next}}", "replies/en.toml:1") for k in keys}},
        checks=(), holidays=HolidayTable(None), locale_names={})
    if who == "id":
        sender = Sender("c", "c", "id")
    elif who in ("number", "stranger"):
        owner = ps.phone_index.get(number)
        sender = Sender(number, owner, "phone", number, classify(number, None)[1])
    elif who in ("address", "robot"):
        raw = "a@x.example" if who == "address" else "noreply@shop.example"
        sender = Sender(raw, ps.email_index.get(raw), "email")
    else:
        sender = Sender("", None, "unknown")
    at = datetime(2026, 1, 8, 19 if evening else 10, 30, tzinfo=ZoneInfo("Europe/Vienna"))
    reply_to = tuple(reply_to) if channel == "email" else ()
    d = decide(ps, Request(sender, at, channel, kind, reply_to=reply_to))
    comp = Compiled(ps)
    entry = comp.sender_entry(sender)
    row = comp.decide(entry, at.timestamp(), channel, kind)
    assert row.verdict.decision == d.decision
    assert comp.via(entry, channel, reply_to) == d.via  # replay --maildir gives a Reply-To
    assert comp.sends_via(row, channel, reply_to) == (d.via if d.reply or d.confirm else None)
    sent = [r for r in (d.reply, d.confirm) if r is not None]
    assert all(r.via == d.via for r in sent)
    assert any(r.text.startswith("no way") for r in d.reasons) == bool(sent and d.via is None)

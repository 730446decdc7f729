"""Calendars decide (sources.md §6, issue #14 part 3): busy and away spans in the verdict, its
order, rules that test them, the next window they cut, reasons at the event's BEGIN:VEVENT
line, and an event's summary kept out of replies and the journal.

Engine level: a loaded set with a `CalendarTable` over spans given here, or read from the
producers' .ics files in tests/data/calendars/decision/ (my zone Europe/London, March 2026:
the US changes to summer time on 8 March, the UK on 29 March). End to end: a policy folder
with `[[calendars]]` through `service.load_set`, its cache in a tmp folder.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from boundaries.core.calendar import CalendarSpan, CalendarTable, month_bounds, month_of
from boundaries.core.engine import decide
from boundaries.core.model import PolicySet
from boundaries.core.request import Decision
from boundaries.policy.load import load
from boundaries.service import build_request, load_set, make_entry
from boundaries.sources.calendars import read_calendar

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=LONDON)
DATA = Path(__file__).parent / "data" / "calendars" / "decision"

ME = """\
name = "Jo Baker"
timezone = "Europe/London"
locale = "en"
"""

WORK = """\
channels = ["call", "email"]

[hours]
mon-fri = ["09:00-12:00", "13:00-17:30"]

[extra_effort]
allowed = true
min_urgency = "urgent"
"""

QUIET = """\
discreet = true

[hours]
mon-fri = "09:00-17:30"
"""

NIGHT = """\
[hours]
daily = ["22:00-02:00", "01:00-05:00"]
"""

RULES = """\
[hours]
mon-fri = "09:00-17:30"

[[rules]]
when = { busy = true, urgency = "emergency" }
decide = "answer"
note = "an emergency gets me out of any meeting"

[[rules]]
when = { busy = true, channel = "email" }
decide = "later"
reply = "in-a-meeting"

[[rules]]
when = { away = true }
decide = "decline"
reply = "declined"
note = "away: I take nothing on"

[[rules]]
when = { busy = false, hours = "in", channel = "email" }
decide = "answer"
note = "free and within hours: mail is answered"
"""

CLIENTS = """\
[clients.acme]
name = "Acme Ltd"
tier = "work"

[clients.clinic]
name = "The Clinic"
tier = "quiet"

[clients.dc]
name = "Data Centre"
tier = "night"

[clients.strict]
name = "Strict plc"
tier = "rules"
"""

EN = """\
after-hours = "Hello {client_name}, I will get back to you {next}."
after-hours-discreet = "Hello, I will get back to you {next}."
away = "I am away until {next_date}; back {next}."
declined = "I cannot take this on."
wrong-channel = "Please write to me: {channels}."
in-a-meeting = "In a meeting, {client_name}; back {next}."
"""

BUSY = """\
busy = "Hello {client_name}, I am in an appointment; free again {next}."
busy-discreet = "Hello, I am in an appointment; free again {next}."
"""


@pytest.fixture
def make_set(write_set):
    """make_set(replies=..., me=...) -> a loaded PolicySet (no calendar attached yet)."""

    def make(en: str = EN, me: str = ME, **files: str) -> PolicySet:
        root = write_set({"tiers/work.toml": WORK, "tiers/quiet.toml": QUIET,
                          "tiers/night.toml": NIGHT, "tiers/rules.toml": RULES,
                          "clients.toml": CLIENTS, "replies/en.toml": en, **files}, me=me)
        result = load(root)
        assert not result.errors, [d.format() for d in result.errors]
        assert result.policies is not None
        return result.policies

    return make


def local(text: str) -> int:
    """A London wall-clock time `YYYY-MM-DDTHH:MM` as POSIX seconds."""
    return int(datetime.fromisoformat(text).replace(tzinfo=LONDON).timestamp())


def span(start: str, end: str, kind: str = "busy", summary: str = "Board meeting",
         source: str = "calendars/work.ics:12") -> CalendarSpan:
    return CalendarSpan(local(start), local(end), kind, summary, source)


def table(spans: list[CalendarSpan], asked: list[int] | None = None) -> CalendarTable:
    """The engine's table over these spans; `asked` collects the months it computes."""

    def compute(month: int) -> list[CalendarSpan]:
        if asked is not None:
            asked.append(month)
        lo, hi = month_bounds(month)
        return [s for s in spans if s.start < hi and s.end > lo]

    return CalendarTable(compute, ("calendars",))


def attach(ps: PolicySet, *spans: CalendarSpan) -> PolicySet:
    return ps._replace(calendar=table(list(spans)))


def ask(ps: PolicySet, at: str, sender: str = "acme", **fields: str) -> Decision:
    return decide(ps, build_request(ps, {"from": sender, "at": at, **fields}, NOW))


def window(d: Decision) -> tuple[str, str] | None:
    if d.next_window is None:
        return None
    return tuple(t.strftime("%Y-%m-%dT%H:%M") for t in d.next_window)  # type: ignore[return-value]


# -- busy within hours -----------------------------------------------------------------------
def test_busy_within_hours_is_later_with_after_hours_when_no_busy_template(make_set) -> None:
    ps = attach(make_set(), span("2026-03-02T10:00", "2026-03-02T11:00", summary="Jour fixe"))
    d = ask(ps, "2026-03-02T10:15")  # Monday, within 09:00-12:00
    assert (d.decision, d.within_hours) == ("later", True)
    assert d.reply is not None and d.reply.key == "after-hours"  # no `busy` in any language
    assert d.reply.text == "Hello Acme Ltd, I will get back to you today from 11:00."
    assert d.reasons[0].text == "busy until 11:00: Jour fixe (2026-03-02 10:00–11:00, calendar)"
    assert d.reasons[0].source == "calendars/work.ics:12"
    assert d.busy is not None and d.busy[2] == "calendars/work.ics:12"
    assert d.busy[:2] == (datetime(2026, 3, 2, 10, tzinfo=LONDON),
                          datetime(2026, 3, 2, 11, tzinfo=LONDON))
    assert d.busy_summary == "Jour fixe"
    assert d.as_json()["busy"] == {"start": "2026-03-02T10:00:00+00:00",
                                   "end": "2026-03-02T11:00:00+00:00",
                                   "source": "calendars/work.ics:12"}
    assert window(d) == ("2026-03-02T11:00", "2026-03-02T12:00")
    # a minute after it ends, I answer again
    assert ask(ps, "2026-03-02T11:00").decision == "answer"
    assert ask(ps, "2026-03-02T11:00").busy is None


def test_a_busy_template_is_used_and_its_discreet_variant(make_set) -> None:
    ps = attach(make_set(EN + BUSY), span("2026-03-02T10:00", "2026-03-02T11:00"))
    d = ask(ps, "2026-03-02T10:15")
    assert d.reply is not None and d.reply.key == "busy"
    assert d.reply.text == "Hello Acme Ltd, I am in an appointment; free again today from 11:00."
    quiet = ask(ps, "2026-03-02T10:15", "clinic")
    assert quiet.reply is not None and quiet.reply.key == "busy-discreet"
    assert ask(attach(make_set(), span("2026-03-02T10:00", "2026-03-02T11:00")),
               "2026-03-02T10:15", "clinic").reply.key == "after-hours-discreet"  # type: ignore[union-attr]
    assert "Clinic" not in quiet.reply.text and "Jo Baker" not in quiet.reply.text


def test_busy_found_in_another_language_is_used_before_the_fallback(make_set) -> None:
    """§4's language chain first (sender, mine, en), then `busy` -> `after-hours`: a busy
    template in any language wins over after-hours in the sender's."""
    me = ME.replace('locale = "en"', 'locale = "de"')
    de = 'busy = "Gerade im Termin; ab {next} wieder frei."\n'
    clients = CLIENTS.replace('tier = "work"', 'tier = "work"\nlocale = "en"', 1)
    ps = attach(make_set(me=me, **{"replies/de.toml": de, "clients.toml": clients}),
                span("2026-03-02T10:00", "2026-03-02T11:00"))
    d = ask(ps, "2026-03-02T10:15")
    assert d.reply is not None and (d.reply.locale, d.reply.key) == ("de", "busy")
    assert d.reply.text.startswith("Gerade im Termin; ab ")


def test_busy_discreet_alone_serves_only_the_discreet(make_set) -> None:
    en = EN + 'busy-discreet = "Busy; back {next}."\n'
    ps = attach(make_set(en), span("2026-03-02T10:00", "2026-03-02T11:00"))
    assert ask(ps, "2026-03-02T10:15", "clinic").reply.key == "busy-discreet"  # type: ignore[union-attr]
    assert ask(ps, "2026-03-02T10:15").reply.key == "after-hours"  # type: ignore[union-attr]


def test_reply_once_counts_the_template_that_was_sent(make_set) -> None:
    """`reply_once_days` withholds by the key the journal records, the template's: a `busy`
    that fell back to `after-hours` is the after-hours text a second time."""
    from boundaries.core.request import Facts

    me = ME + "reply_once_days = 3\n"
    yesterday = datetime(2026, 3, 1, 18, 0, tzinfo=LONDON)
    meeting = span("2026-03-02T10:00", "2026-03-02T11:00")
    req = {"from": "acme", "at": "2026-03-02T10:15"}
    fallback = attach(make_set(me=me), meeting)
    d = decide(fallback, build_request(fallback, req, NOW),
               Facts(replies_sent={"after-hours": yesterday}))
    assert d.reply is None
    assert d.reasons[-1].text == ("reply `after-hours` already sent to this sender on "
                                  "2026-03-01 18:00; once in 3 days")
    own = attach(make_set(EN + BUSY, me=me), meeting)
    d = decide(own, build_request(own, req, NOW), Facts(replies_sent={"after-hours": yesterday}))
    assert d.reply is not None and d.reply.key == "busy"  # another text: it goes out
    d = decide(own, build_request(own, req, NOW), Facts(replies_sent={"busy": yesterday}))
    assert d.reply is None


# -- the order: channel -> away -> busy -> within hours -> extra effort ----------------------
def test_a_channel_not_allowed_declines_even_while_busy(make_set) -> None:
    ps = attach(make_set(), span("2026-03-02T10:00", "2026-03-02T11:00"))
    d = ask(ps, "2026-03-02T10:15", channel="sms")
    assert (d.decision, d.reply.key) == ("decline", "wrong-channel")  # type: ignore[union-attr]


def test_away_comes_before_busy(make_set) -> None:
    ps = attach(make_set(EN + BUSY), span("2026-03-02T09:00", "2026-03-02T12:00"),
                span("2026-03-02T10:00", "2026-03-02T14:00", "away", "Hospital",
                     "calendars/oof.ics:21"))
    d = ask(ps, "2026-03-02T10:15")
    assert (d.decision, d.reply.key) == ("later", "away")  # type: ignore[union-attr]
    assert d.reasons[0].text == ("away until 14:00: Hospital (2026-03-02 10:00–14:00, "
                                 "calendar)")
    assert d.reasons[0].source == "calendars/oof.ics:21"
    assert d.busy is not None  # still said: I am in the meeting too
    assert window(d) == ("2026-03-02T14:00", "2026-03-02T17:30")


def test_busy_outside_hours_is_later_busy_even_with_extra_effort_granted(make_set) -> None:
    ps = attach(make_set(EN + BUSY), span("2026-03-02T18:00", "2026-03-02T20:00",
                                         summary="Dinner with a client"))
    urgent = ask(ps, "2026-03-02T18:30", urgency="urgent")
    assert (urgent.decision, urgent.extra_effort) == ("later", False)
    assert urgent.reply.key == "busy"  # type: ignore[union-attr]
    assert urgent.reasons[0].source == "calendars/work.ics:12"
    assert window(urgent) == ("2026-03-03T09:00", "2026-03-03T12:00")
    # the same request after the event: extra effort answers it
    after = ask(ps, "2026-03-02T20:00", urgency="urgent")
    assert (after.decision, after.extra_effort) == ("answer", True)


def test_rules_come_before_busy(make_set) -> None:
    ps = attach(make_set(EN + BUSY), span("2026-03-02T10:00", "2026-03-02T11:00"))
    d = ask(ps, "2026-03-02T10:15", "strict", urgency="emergency")
    assert d.decision == "answer" and d.reply is None
    assert d.reasons[0].text == "an emergency gets me out of any meeting"
    assert d.reasons[0].source == "tiers/rules.toml:4"


# -- rules: busy = true / false, away = true -------------------------------------------------
def test_rule_busy_true_and_false(make_set) -> None:
    ps = attach(make_set(EN + BUSY), span("2026-03-02T10:00", "2026-03-02T11:00"))
    mail = ask(ps, "2026-03-02T10:15", "strict", channel="email")
    assert (mail.decision, mail.reply.key) == ("later", "in-a-meeting")  # type: ignore[union-attr]
    assert mail.reasons[0].source == "tiers/rules.toml:9"
    assert mail.reply.text == "In a meeting, Strict plc; back today from 11:00."  # type: ignore[union-attr]
    free = ask(ps, "2026-03-02T11:15", "strict", channel="email")
    assert (free.decision, free.reasons[0].source) == ("answer", "tiers/rules.toml:20")
    # a call while busy matches no rule: the built-in default says busy
    call = ask(ps, "2026-03-02T10:15", "strict")
    assert (call.decision, call.reply.key) == ("later", "busy")  # type: ignore[union-attr]


def test_rule_away_true_matches_calendar_time_off(make_set) -> None:
    ps = attach(make_set(), span("2026-03-03T00:00", "2026-03-05T00:00", "away", "Trip",
                                 "calendars/trip.ics:4"))
    d = ask(ps, "2026-03-04T10:00", "strict")
    assert (d.decision, d.reply.key) == ("decline", "declined")  # type: ignore[union-attr]
    assert d.reasons[0].source == "tiers/rules.toml:14"
    assert d.away == "Trip"  # the decision's context (private: the TUI masks it)
    assert ask(ps, "2026-03-05T10:00", "strict", channel="email").decision == "answer"


# -- the next window -------------------------------------------------------------------------
def test_next_window_cut_by_two_events(make_set) -> None:
    """§6's example: 13:00–17:30 with events 13:00–14:30 and from 16:15 gives 14:30–16:15."""
    ps = attach(make_set(), span("2026-03-02T13:00", "2026-03-02T14:30"),
                span("2026-03-02T16:15", "2026-03-02T18:00", summary="Call"))
    d = ask(ps, "2026-03-02T12:30")
    assert d.decision == "later"
    assert window(d) == ("2026-03-02T14:30", "2026-03-02T16:15")
    assert ask(ps, "2026-03-02T15:00").decision == "answer"
    assert window(ask(ps, "2026-03-02T15:00")) == ("2026-03-02T14:30", "2026-03-02T16:15")
    assert window(ask(ps, "2026-03-02T16:30")) == ("2026-03-03T09:00", "2026-03-03T12:00")


def test_a_window_wholly_covered_is_skipped(make_set) -> None:
    ps = attach(make_set(), span("2026-03-02T12:30", "2026-03-02T17:30", summary="Workshop"),
                span("2026-03-03T08:00", "2026-03-03T12:00", summary="Audit"))
    d = ask(ps, "2026-03-02T11:45")
    assert d.decision == "answer" and window(d) == ("2026-03-02T09:00", "2026-03-02T12:00")
    # after noon: the afternoon and the next morning are taken, the next afternoon is free
    assert window(ask(ps, "2026-03-02T12:15")) == ("2026-03-03T13:00", "2026-03-03T17:30")


def test_an_event_crossing_midnight_cuts_the_next_morning(make_set) -> None:
    ps = attach(make_set(), span("2026-03-02T22:00", "2026-03-03T10:15", summary="Night shift"))
    d = ask(ps, "2026-03-03T09:30")
    assert (d.decision, d.reply.key) == ("later", "after-hours")  # type: ignore[union-attr]
    assert d.reasons[0].text == ("busy until 2026-03-03 10:15: Night shift "
                                 "(2026-03-02 22:00 – 2026-03-03 10:15, calendar)")
    assert window(d) == ("2026-03-03T10:15", "2026-03-03T12:00")
    assert window(ask(ps, "2026-03-02T20:00")) == ("2026-03-03T10:15", "2026-03-03T12:00")


def test_an_all_day_away_span_over_several_days(make_set) -> None:
    ps = attach(make_set(), span("2026-03-04T00:00", "2026-03-07T00:00", "away", "Conference",
                                 "calendars/conf.ics:30"))  # Wed–Fri
    d = ask(ps, "2026-03-03T17:45")  # Tuesday evening
    assert window(d) == ("2026-03-09T09:00", "2026-03-09T12:00")  # Monday after it
    d = ask(ps, "2026-03-05T10:00")
    assert (d.decision, d.reply.key) == ("later", "away")  # type: ignore[union-attr]
    assert d.reasons[0].text == ("away until 2026-03-07: Conference (2026-03-04 – 2026-03-06, "
                                 "calendar)")
    assert d.reply.text == "I am away until 2026-03-09; back Monday from 09:00."  # type: ignore[union-attr]


def test_away_starting_and_ending_inside_a_day(make_set) -> None:
    ps = attach(make_set(), span("2026-03-02T10:30", "2026-03-02T14:00", "away", "Dentist"))
    assert ask(ps, "2026-03-02T10:00").decision == "answer"
    assert window(ask(ps, "2026-03-02T10:00")) == ("2026-03-02T09:00", "2026-03-02T10:30")
    d = ask(ps, "2026-03-02T10:30")
    assert (d.decision, d.reply.key) == ("later", "away")  # type: ignore[union-attr]
    assert window(d) == ("2026-03-02T14:00", "2026-03-02T17:30")


def test_away_in_me_toml_and_in_the_calendar_together(make_set) -> None:
    me = ME + '\n[[away]]\nfrom = 2026-03-02\nto = 2026-03-04\nreason = "Moving house"\n'
    ps = attach(make_set(me=me), span("2026-03-05T00:00", "2026-03-07T00:00", "away",
                                      "Holiday", "calendars/holiday.ics:4"))
    d = ask(ps, "2026-03-03T10:00")
    assert d.reasons[0].source == "me.toml:5" and d.away == "Moving house"
    assert window(d) == ("2026-03-09T09:00", "2026-03-09T12:00")
    d = ask(ps, "2026-03-05T10:00")
    assert d.reasons[0].source == "calendars/holiday.ics:4"
    assert window(d) == ("2026-03-09T09:00", "2026-03-09T12:00")
    # both on one day: me.toml's says why
    both = attach(make_set(me=me), span("2026-03-04T00:00", "2026-03-06T00:00", "away"))
    assert ask(both, "2026-03-04T10:00").reasons[0].source == "me.toml:5"


def test_an_evening_window_beside_the_morning_one(make_set) -> None:
    """Regression (found by tests/test_calendar_properties.py): at 01:30 both the window
    22:00–02:00 and 01:00–05:00 hold me; an event to 03:00 outlasts the first, and I am
    reachable from 03:00 in the second, not the next evening."""
    ps = attach(make_set(), span("2026-03-03T01:15", "2026-03-03T03:00", summary="Migration"))
    d = ask(ps, "2026-03-03T01:30", "dc")
    assert (d.decision, d.within_hours) == ("later", True)
    assert window(d) == ("2026-03-03T03:00", "2026-03-03T05:00")


# -- producers' files: zones across DST, floating times, DURATION, no DTEND -------------------
def from_files(ps: PolicySet, *names: str) -> PolicySet:
    spans = []
    for name in names:
        found, warnings = read_calendar(DATA / name, my_zone=LONDON,
                                        start=datetime(2026, 3, 1, tzinfo=UTC),
                                        end=datetime(2026, 5, 1, tzinfo=UTC))
        assert warnings == []
        spans += [CalendarSpan(int(s.start.timestamp()), int(s.end.timestamp()), s.kind,
                               s.summary, f"calendars/{s.path.name}:{s.line}") for s in found]
    return ps._replace(calendar=table(spans))


def test_a_chicago_series_moves_in_london_across_the_us_dst_change(make_set) -> None:
    """09:00 in Chicago is 15:00 in London, 14:00 for the three weeks between the US change
    (8 March) and the UK's (29 March), and 15:00 again after it."""
    ps = from_files(make_set(), "apple-chicago.ics")
    for day, hour in (("02", 15), ("09", 14), ("16", 14), ("23", 14), ("30", 15)):
        d = ask(ps, f"2026-03-{day}T{hour}:15")
        assert d.decision == "later", day
        assert d.reasons[0].source == "calendars/apple-chicago.ics:25"
        assert d.reasons[0].text.startswith("busy until") and "Chicago office" in d.reasons[0].text
        assert window(d) == (f"2026-03-{day}T{hour + 1}:00", f"2026-03-{day}T17:30")
        other = 29 - hour  # the hour the meeting is not at
        assert ask(ps, f"2026-03-{day}T{other}:15").decision == "answer", day
    # DURATION: 08:00 CDT for 1h30 is 13:00–14:30 in London
    d = ask(ps, "2026-03-11T13:00")
    assert d.reasons[0].text == ("busy until 14:30: Contract review (Chicago) "
                                 "(2026-03-11 13:00–14:30, calendar)")
    assert d.reasons[0].source == "calendars/apple-chicago.ics:39"


def test_floating_duration_no_dtend_and_a_night_train(make_set) -> None:
    ps = from_files(make_set(), "thunderbird-local.ics")
    dentist = ask(ps, "2026-03-18T10:00")  # floating: my wall clock
    assert dentist.reasons[0].source == "calendars/thunderbird-local.ics:4"
    assert window(dentist) == ("2026-03-18T11:30", "2026-03-18T12:00")
    # a DTSTART without DTEND or DURATION has no length: it blocks nothing
    assert ask(ps, "2026-03-19T11:00").decision == "answer"
    train = ask(ps, "2026-03-20T09:00")  # floating, across midnight
    assert train.reasons[0].source == "calendars/thunderbird-local.ics:23"
    assert window(train) == ("2026-03-20T09:30", "2026-03-20T12:00")
    call = ask(ps, "2026-03-20T14:44")  # DURATION:PT45M
    assert window(call) == ("2026-03-20T14:45", "2026-03-20T17:30")


def test_outlook_oof_inside_a_day_and_over_the_uk_dst_change(make_set) -> None:
    ps = from_files(make_set(), "outlook-oof.ics")
    d = ask(ps, "2026-03-24T11:00")
    assert (d.decision, d.reply.key) == ("later", "away")  # type: ignore[union-attr]
    assert d.reasons[0].source == "calendars/outlook-oof.ics:21"
    assert window(d) == ("2026-03-24T14:00", "2026-03-24T17:30")
    # all-day OOF Thursday 26 to Monday 30 March inclusive (the clocks change on the 29th)
    d = ask(ps, "2026-03-25T17:40")
    assert window(d) == ("2026-03-31T09:00", "2026-03-31T12:00")
    assert d.next_window[0].utcoffset().total_seconds() == 3600  # type: ignore[index, union-attr]
    assert ask(ps, "2026-03-30T10:00").reasons[0].text == (
        "away until 2026-03-31: Easter break (2026-03-26 – 2026-03-30, calendar)")


# -- any time: the months a request and its search reach --------------------------------------
def test_a_check_for_2019_and_a_search_into_the_next_year(make_set) -> None:
    asked: list[int] = []
    spans = [span("2019-06-04T10:00", "2019-06-04T11:00", summary="2019 review"),
             span("2027-01-01T00:00", "2027-01-09T00:00", "away", "New year")]
    ps = make_set()._replace(calendar=table(spans, asked))
    d = ask(ps, "2019-06-04T10:30")
    assert d.reasons[0].text.startswith("busy until 11:00: 2019 review")
    assert asked == [month_of(local("2019-06-04T10:30"))]  # that month, nothing else
    d = ask(ps, "2026-12-31T17:45")
    assert window(d) == ("2027-01-11T09:00", "2027-01-11T12:00")
    # each month computed once, and only the ones a request or its search reached
    assert sorted(asked) == [month_of(local(t)) for t in
                             ("2019-06-04T10:30", "2026-12-31T17:45", "2027-01-11T09:00")]


# -- privacy ---------------------------------------------------------------------------------
SECRET = "Interview at Rival & Co"


@pytest.mark.parametrize("kind", ["busy", "away"])
def test_the_summary_never_reaches_a_reply_or_the_journal(make_set, kind: str) -> None:
    every = ("{next} {next_date} {next_time} {my_name} {client_name} {channels}")
    en = "\n".join(f'{k} = "{every}"' for k in
                   ("after-hours", "away", "busy", "busy-discreet", "declined",
                    "wrong-channel", "in-a-meeting"))
    ps = attach(make_set(en), span("2026-03-02T10:00", "2026-03-02T11:00", kind, SECRET))
    for sender, channel in (("acme", "call"), ("clinic", "call"), ("strict", "email"),
                            ("acme", "sms")):
        d = ask(ps, "2026-03-02T10:15", sender, channel=channel)
        if d.reasons[0].source.startswith("calendars/"):  # a reason names the event
            assert SECRET in d.reasons[0].text
        for reply in (d.reply, d.confirm):
            assert reply is None or SECRET not in reply.text
        entry = make_entry(ps, build_request(ps, {"from": sender, "at": "2026-03-02T10:15"},
                                             NOW), d, "answered", 5, "", NOW)
        assert SECRET not in json.dumps(entry)
        assert "Rival" not in json.dumps(entry)


# -- end to end: [[calendars]] in me.toml, through service.load_set --------------------------
def test_end_to_end_through_load_set(write_set, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("BOUNDARIES_CACHE", str(tmp_path / "cache"))
    me = ME + '\n[[calendars]]\npath = "calendars"\n'
    root = write_set({"tiers/work.toml": WORK, "clients.toml": CLIENTS.split("[clients.c")[0],
                      "replies/en.toml": EN + BUSY}, me=me)
    folder = root / "calendars"
    folder.mkdir()
    for name in ("apple-chicago.ics", "thunderbird-local.ics", "outlook-oof.ics"):
        shutil.copy(DATA / name, folder / name)
    (folder / "old.ics").write_text(OLD, encoding="utf-8", newline="\r\n")
    for attempt in ("cold", "warm"):  # the second load reads the calendars' cache
        result = load_set(root)
        ps = result.policies
        assert ps is not None and ps.calendar and not ps.calendar.problems, attempt
        d = ask(ps, "2026-03-16T14:15")
        assert (d.decision, d.reply.key) == ("later", "busy")  # type: ignore[union-attr]
        assert d.reasons[0].source == "calendars/apple-chicago.ics:25"
        assert d.as_json()["busy"]["source"] == "calendars/apple-chicago.ics:25"
        assert window(d) == ("2026-03-16T15:00", "2026-03-16T17:30")
        assert ask(ps, "2026-03-24T11:00").reasons[0].source == "calendars/outlook-oof.ics:21"
        # 2019: a weekly series from 2018 and a single event, years before the others
        d = ask(ps, "2019-03-05T10:30")
        assert d.reasons[0].source == "calendars/old.ics:4"
        assert d.reasons[0].text.startswith("busy until 11:00: Weekly planning")
        d = ask(ps, "2019-12-30T16:00")
        assert d.reasons[0].source == "calendars/old.ics:12"
        # busy to the 31st's evening: the search runs into 2020 and sees the time off there
        assert window(d) == ("2020-01-06T09:00", "2020-01-06T12:00")
        assert SECRET not in d.reply.text  # type: ignore[union-attr]
    assert (tmp_path / "cache").is_dir()


OLD = """\
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Nextcloud calendar v4.6.0
BEGIN:VEVENT
UID:planning@example.org
DTSTAMP:20180101T090000Z
SUMMARY:Weekly planning
DTSTART;TZID=Europe/London:20180102T100000
DTEND;TZID=Europe/London:20180102T110000
RRULE:FREQ=WEEKLY;BYDAY=TU
END:VEVENT
BEGIN:VEVENT
UID:year-end@example.org
DTSTAMP:20190101T090000Z
SUMMARY:Year-end close
DTSTART:20191230T150000Z
DTEND:20191231T173000Z
END:VEVENT
BEGIN:VEVENT
UID:newyear@example.org
DTSTAMP:20190101T090000Z
SUMMARY:New year off
DTSTART;VALUE=DATE:20200101
DTEND;VALUE=DATE:20200104
END:VEVENT
END:VCALENDAR
"""


def calendar_folder(write_set, tmp_path, monkeypatch, table_text: str) -> Path:
    """A policy folder whose me.toml has `table_text` (its [[calendars]]), with the three
    producers' files in calendars/, its cache in tmp."""
    monkeypatch.setenv("BOUNDARIES_CACHE", str(tmp_path / "cache"))
    root = write_set({"tiers/work.toml": WORK, "tiers/quiet.toml": QUIET,
                      "tiers/night.toml": NIGHT, "tiers/rules.toml": RULES,
                      "clients.toml": CLIENTS, "replies/en.toml": EN + BUSY},
                     me=ME + "\n" + table_text)
    (root / "calendars").mkdir()
    for name in ("apple-chicago.ics", "thunderbird-local.ics", "outlook-oof.ics"):
        shutil.copy(DATA / name, root / "calendars" / name)
    return root


def test_what_each_kind_of_event_means_is_the_calendars_to_say(write_set, tmp_path,
                                                                monkeypatch) -> None:
    """`timed = "ignore"` drops the meetings, `all_day = "busy"` makes a day off busy (an
    Outlook OOF stays away: §6 reads OOF before the kind of event)."""
    root = calendar_folder(write_set, tmp_path, monkeypatch,
                           '[[calendars]]\npath = "calendars"\ntimed = "ignore"\n'
                           'all_day = "busy"\n')
    ps = load_set(root).policies
    assert ps is not None
    assert ask(ps, "2026-03-16T14:15").decision == "answer"  # the Chicago meeting: ignored
    assert ask(ps, "2026-03-18T10:00").decision == "answer"  # the dentist too
    oof = ask(ps, "2026-03-27T10:00")  # the Easter break is OOF: away, whatever all_day says
    assert (oof.decision, oof.reply.key) == ("later", "away")  # type: ignore[union-attr]
    timed_oof = ask(ps, "2026-03-24T11:00")  # a timed OOF too
    assert timed_oof.reply is not None and timed_oof.reply.key == "away"


def test_a_missing_calendar_is_said_and_the_rest_still_decides(write_set, tmp_path,
                                                                 monkeypatch) -> None:
    root = calendar_folder(write_set, tmp_path, monkeypatch,
                           '[[calendars]]\npath = "nowhere.ics"\n\n'
                           '[[calendars]]\npath = "calendars/apple-chicago.ics"\n')
    ps = load_set(root).policies
    assert ps is not None
    [problem] = ps.calendar.problems
    assert (problem.path, problem.line, problem.severity) == ("me.toml", 6, "error")
    assert "nowhere.ics" in problem.message
    d = ask(ps, "2026-03-16T14:15")
    assert d.reasons[0].source == "calendars/apple-chicago.ics:25"


def test_replay_decides_the_producers_calendars_as_check(write_set, tmp_path,
                                                          monkeypatch) -> None:
    """The compiled path (replay) and the engine (check) agree on every quarter hour of
    March 2026 for every tier, with the three producers' calendars: decision, deciding
    reason (an event's BEGIN:VEVENT line) and next window start."""
    from boundaries.core.compiled import Compiled
    from boundaries.core.request import Request
    from boundaries.policy.senders import resolve_sender

    root = calendar_folder(write_set, tmp_path, monkeypatch,
                           '[[calendars]]\npath = "calendars"\n')
    ps = load_set(root).policies
    assert ps is not None
    comp = Compiled(ps)
    seen = set()
    for sender in ("acme", "clinic", "dc", "strict"):
        who = resolve_sender(ps, sender)
        entry = comp.sender_entry(who)
        t = local("2026-03-01T00:00")
        while t < local("2026-04-01T00:00"):
            for channel in ("call", "email"):
                row = comp.decide(entry, t, channel)
                d = decide(ps, Request(who, datetime.fromtimestamp(t, LONDON), channel))
                assert row.verdict.decision == d.decision, (sender, t)
                source, text = comp.reason_source(row, channel, "normal")
                assert (source, text) == (d.reasons[0].source, d.reasons[0].text)
                start = comp.next_start(row)
                assert start == (int(d.next_window[0].timestamp()) if d.next_window else None)
                seen.add(source.split(":")[0])
            t += 15 * 60
    assert {"calendars/apple-chicago.ics", "calendars/thunderbird-local.ics",
            "calendars/outlook-oof.ics"} <= seen

"""Random calendars never make the next window lie (sources.md §6, issue #14 part 9).

Random busy and away spans, written in random zones (a meeting in Chicago, a trip in
Kolkata, an all-day vacation in mine), over the random weeks, closed days and request times
of the foundation's time properties. For every request the engine's next window

- overlaps no busy or away span, and no `[[away]]` day or holiday holds it;
- lies inside one open window of the tier, from a reachable moment to where that window
  ends or the next span begins;
- is the next reachable stretch: no moment between the request and its start is
  reachable (within hours, not away, not busy).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st

from boundaries.core.calendar import CalendarSpan, CalendarTable, month_bounds
from boundaries.core.engine import day_open, decide, situation
from boundaries.core.hours import merge_windows
from boundaries.core.model import Away, HolidayTable, Me, PolicySet, Tier
from boundaries.core.request import Request, Sender
from boundaries.core.time import window_instances

from .test_time_properties import SETTINGS, Scenario, scenarios

UNKNOWN = Sender(raw="someone", client_id=None, via="unknown")
ONE_DAY = timedelta(days=1)
# event zones: mine never shares all of their DST changes (the US changes two weeks before
# Europe, Lord Howe by half an hour, India and UTC never)
EVENT_ZONES = ("America/Chicago", "Europe/London", "Europe/Vienna", "Asia/Kolkata",
               "Australia/Lord_Howe", "America/New_York", "UTC")
# the few kinds of length real events have: a meeting, a long afternoon, a trip
DURATIONS = st.one_of(
    st.sampled_from([15, 30, 45, 60, 90, 120, 150]),
    st.integers(1, 600),
    st.integers(600, 4 * 1440),
)
# edges often at window edges and around the DST small hours
EVENT_MINUTES = st.one_of(
    st.integers(0, 1439),
    st.sampled_from([0, 60, 120, 150, 180, 420, 480, 510, 720, 780, 870, 975, 1020, 1320]),
)


def table(spans: list[CalendarSpan]) -> CalendarTable:
    """The engine's table over fixed spans, a UTC month at a time (as the service gives it)."""

    def compute(month: int) -> list[CalendarSpan]:
        lo, hi = month_bounds(month)
        return [s for s in spans if s.start < hi and s.end > lo]

    return CalendarTable(compute, ("calendar.ics",))


def with_spans(ps: PolicySet, spans: list[CalendarSpan]) -> PolicySet:
    return ps._replace(calendar=table(spans))


@st.composite
def calendar_spans(draw: st.DrawFn, near: datetime, my_zone: str,
                   max_size: int = 8) -> list[CalendarSpan]:
    """Busy and away spans around `near`: timed events written in a random zone's wall
    clock (a gap time moves forward, as the zone rules say), and all-day events from my
    midnight to my midnight, as the reader makes them."""
    out = []
    for i in range(draw(st.integers(0, max_size))):
        line = 4 + 12 * i
        if draw(st.integers(0, 4)) == 0:  # an all-day event over one or several days
            tz = ZoneInfo(my_zone)
            first = near.astimezone(tz).date() + draw(st.integers(-3, 6)) * ONE_DAY
            days = draw(st.integers(1, 5))
            start = datetime.combine(first, time(), tzinfo=tz)
            end = datetime.combine(first + days * ONE_DAY, time(), tzinfo=tz)
            kind = draw(st.sampled_from(["away", "away", "busy"]))
        else:
            tz = ZoneInfo(draw(st.sampled_from(EVENT_ZONES)))
            day = near.astimezone(tz).date() + draw(st.integers(-3, 5)) * ONE_DAY
            minute = draw(EVENT_MINUTES)
            wall = datetime.combine(day, time(minute // 60, minute % 60))
            wall += timedelta(seconds=draw(st.sampled_from([0, 0, 0, 1, 59])))
            start = wall.replace(tzinfo=tz)
            # the end on its own wall clock (DST between start and end follows the zone)
            end = (wall + timedelta(minutes=draw(DURATIONS))).replace(tzinfo=tz)
            kind = draw(st.sampled_from(["busy", "busy", "busy", "away"]))
        lo, hi = int(start.timestamp()), int(end.timestamp())
        if lo < hi:
            out.append(CalendarSpan(lo, hi, kind, f"event {i}", f"calendars/x.ics:{line}"))
    return out


def _around(t: datetime, minutes: int, seconds: int) -> int:
    return int(t.timestamp()) + minutes * 60 + seconds


@st.composite
def held(draw: st.DrawFn, t: datetime) -> list[CalendarSpan]:
    """A busy or away span that holds `t` (the request), in force until a random end."""
    lo = _around(t, -draw(st.integers(0, 240)), -draw(st.sampled_from([0, 0, 1])))
    hi = _around(t, draw(st.integers(1, 600)), draw(st.sampled_from([0, 0, 59])))
    kind = draw(st.sampled_from(["busy", "busy", "away"]))
    return [CalendarSpan(lo, hi, kind, "held", "calendars/held.ics:4")]


@st.composite
def overlapping_weeks(draw: st.DrawFn) -> tuple[tuple[tuple[int, int], ...], ...]:
    """An evening window that runs past midnight into the next day's morning window (a
    day's windows are merged, two days' are not): 18:00–02:00 beside 01:00–06:00."""
    evening = (draw(st.integers(18 * 60, 23 * 60 + 30)), 1440 + draw(st.integers(30, 240)))
    morning = (draw(st.integers(0, evening[1] - 1440 - 1)), draw(st.integers(180, 540)))
    day = merge_windows([morning, evening])
    days = draw(st.one_of(st.just(set(range(7))), st.sets(st.integers(0, 6), min_size=1)))
    return tuple(day if i in days else () for i in range(7))


@st.composite
def calendar_scenarios(draw: st.DrawFn) -> tuple[Scenario, list[CalendarSpan]]:
    """A scenario of the time properties (or one with overlapping windows, asked in the
    small hours) with random spans, often one holding the request."""
    sc = draw(scenarios())
    if draw(st.integers(0, 3)) == 0:
        tz = ZoneInfo(sc.tz_name)
        day = sc.at.astimezone(tz).date()
        minute = draw(st.integers(0, 240))
        at = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
        sc = sc._replace(week=draw(overlapping_weeks()), at=at.astimezone(UTC))
    spans = draw(calendar_spans(sc.at, sc.tz_name))
    if draw(st.booleans()):
        spans += draw(held(sc.at))
    return sc, spans


def scenario_set(sc: Scenario, spans: list[CalendarSpan]) -> PolicySet:
    """The scenario's week as the only tier (for unknown senders), with its closed days as
    public holidays (even ordinals) and `[[away]]` days (odd), and the spans attached."""
    closed = {d for d in sc.closed if d.toordinal() % 2 == 0}
    away = tuple(Away(d, d, "off", "me.toml:9") for d in sorted(sc.closed - closed))
    tier = Tier(name="t", week=sc.week, has_hours=any(sc.week))
    return PolicySet(
        root="", me=Me(name="Me", timezone=sc.tz_name, unknown_tier="t", away=away),
        tiers={"t": tier}, clients={}, phone_index={}, email_index={}, phone_types={},
        replies={}, checks=(),
        holidays=HolidayTable("XX", lambda y: {d: "closed" for d in closed if d.year == y}),
        locale_names={}, calendar=table(spans))


def reachable(ps: PolicySet, t: float) -> bool:
    """Within hours of the tier, and neither away nor busy, at instant `t`."""
    tier = ps.tiers["t"]
    sit = situation(ps, tier, datetime.fromtimestamp(t, UTC), ZoneInfo(ps.me.timezone))
    return sit.within_hours and sit.away is None and sit.busy is None


def open_windows(ps: PolicySet, first: date, last: date) -> list[tuple[int, int]]:
    """Every window of the tier that starts on an open day in [first, last], in POSIX."""
    tier = ps.tiers["t"]
    tz = ZoneInfo(ps.me.timezone)
    is_open = day_open(ps, tier)
    out = []
    day = first
    while day <= last:
        if is_open(day):
            out += [(int(s.timestamp()), int(e.timestamp()))
                    for s, e in window_instances(tier.week, tz, day)]
        day += ONE_DAY
    return out


# Vienna, Monday 2026-03-09, 13:00–17:00 and events 13:00–14:30 and 16:15–17:30: §6's own
# example, asked at 12:30
_SECTION_6 = (
    Scenario("Europe/Vienna", ((((780, 1020),),) * 7), frozenset(),
             datetime(2026, 3, 9, 11, 30, tzinfo=UTC)),
    [CalendarSpan(int(datetime(2026, 3, 9, 12, 0, tzinfo=UTC).timestamp()),
                  int(datetime(2026, 3, 9, 13, 30, tzinfo=UTC).timestamp()), "busy", "a",
                  "calendars/x.ics:4"),
     CalendarSpan(int(datetime(2026, 3, 9, 15, 15, tzinfo=UTC).timestamp()),
                  int(datetime(2026, 3, 9, 16, 30, tzinfo=UTC).timestamp()), "busy", "b",
                  "calendars/x.ics:16")],
)


# found by this property (the search skipped windows that had started before the request):
# Vienna, Tuesday's window 01:01 to Wednesday 01:01 beside Wednesday's 00:01 to Thursday
# 00:01, time off all Wednesday (a calendar's all-day event). Asked on Wednesday at 00:01,
# inside both, I am next reachable on Thursday at 00:00, the last minute of Wednesday's
# window; the search said Monday.
OVERLAP_CASE = (
    Scenario("Europe/Vienna", (((0, 1440),), ((61, 1501),), ((1, 1441),), (), (), (), ()),
             frozenset(), datetime(2020, 3, 31, 22, 1, tzinfo=UTC)),
    [CalendarSpan(1585692000, 1585778400, "away", "event 0", "calendars/x.ics:4")],
)


@settings(max_examples=300, **SETTINGS)
@example(case=_SECTION_6)
@example(case=OVERLAP_CASE)
@given(case=calendar_scenarios())
def test_next_window_is_the_next_reachable_stretch(
        case: tuple[Scenario, list[CalendarSpan]]) -> None:
    sc, spans = case
    ps = scenario_set(sc, spans)
    t = int(sc.at.timestamp())
    d = decide(ps, Request(UNKNOWN, sc.at))
    if d.next_window is None:
        # the spans and closed days are a few days at most: only an empty week has none
        assert not any(sc.week)
        return
    start, end = (int(x.timestamp()) for x in d.next_window)
    assert start < end
    # no busy or away span in it; reachable where it starts and just before it ends
    overlapping = [s for s in spans if s.start < end and s.end > start]
    assert overlapping == [], (d.next_window, overlapping)
    assert reachable(ps, start) and reachable(ps, end - 1)
    # inside one open window, ended by that window's end or by the next span's start
    local = sc.at.astimezone(sc.tz).date()
    windows = open_windows(ps, local - ONE_DAY, d.next_window[1].date() + ONE_DAY)
    assert any(ws <= start and end <= we for ws, we in windows), (d.next_window, windows)
    assert any(end == we for ws, we in windows if ws <= start) or any(
        s.start == end for s in spans), (d.next_window, spans)
    if reachable(ps, t):
        assert start <= t < end
        return
    assert start > t
    # the first reachable moment after t is t itself, a window's start or a span's end:
    # none of those before `start` is reachable
    moments = {ws for ws, _ in windows} | {s.end for s in spans}
    early = [datetime.fromtimestamp(m, sc.tz).isoformat() for m in sorted(moments)
             if t < m < start and reachable(ps, m)]
    assert not early, f"reachable at {early[0]}, the next window starts at {d.next_window[0]}"


@settings(max_examples=150, **SETTINGS)
@given(case=calendar_scenarios())
def test_a_deferring_reply_speaks_of_a_reachable_window(
        case: tuple[Scenario, list[CalendarSpan]]) -> None:
    """A `later` speaks of the next window (a reachable moment, by the property above),
    never of a stretch that holds the request: {next} is after it."""
    sc, spans = case
    ps = scenario_set(sc, spans)
    ps = ps._replace(replies={"en": {k: _template(k) for k in
                                     ("after-hours", "away", "busy", "holiday")}})
    d = decide(ps, Request(UNKNOWN, sc.at))
    if d.decision != "later" or d.reply is None or d.next_window is None:
        return
    start = d.next_window[0]
    assert start > sc.at  # nothing defers to a stretch that holds the request
    assert d.reply.text.split("|")[1] == start.strftime("%Y-%m-%dT%H:%M")


def _template(key: str):
    from boundaries.core.model import Template

    return Template(f"{key}|{{next_date}}T{{next_time}}|", "replies/en.toml:1")


# -- the table itself: lazily by UTC month, exactly as a scan of every span ----------------------
_JAN_2026 = 1767225600  # 2026-01-01T00:00Z
# instants around month boundaries, whole seconds and fractions of one
INSTANTS = st.one_of(
    st.integers(_JAN_2026 - 40 * 86400, _JAN_2026 + 100 * 86400),
    st.sampled_from([_JAN_2026, 1769904000, 1772323200]).flatmap(  # 1 Jan, 1 Feb, 1 Mar
        lambda b: st.integers(b - 3, b + 3)),
).flatmap(lambda t: st.one_of(st.just(t), st.floats(t - 1, t + 1, allow_nan=False)))


@st.composite
def raw_spans(draw: st.DrawFn) -> list[CalendarSpan]:
    out = []
    for i in range(draw(st.integers(0, 12))):
        lo = draw(st.integers(_JAN_2026 - 40 * 86400, _JAN_2026 + 100 * 86400))
        if draw(st.booleans()):  # right at a month's edge
            lo = draw(st.sampled_from([_JAN_2026, 1769904000, 1772323200])) + draw(
                st.integers(-2, 2))
        length = draw(st.one_of(st.integers(1, 3), st.integers(1, 86400),
                                st.integers(86400, 70 * 86400)))
        kind = draw(st.sampled_from(["busy", "away"]))
        out.append(CalendarSpan(lo, lo + length, kind, f"e{i}", f"x.ics:{i}"))
    return out


@settings(max_examples=400, **SETTINGS)
@given(spans=raw_spans(), a=INSTANTS, b=INSTANTS)
def test_the_table_answers_as_a_scan_of_every_span(spans: list[CalendarSpan], a: float,
                                                   b: float) -> None:
    start, end = min(a, b), max(a, b)
    cal = table(spans)
    assert cal.overlapping(start, end) == sorted(  # an empty [start, end) overlaps nothing
        {s for s in spans if s.start < end and s.end > start} if start < end else ())
    holding = [s for s in spans if s.start <= start < s.end]
    away, busy = cal.at(start)
    for kind, got in (("away", away), ("busy", busy)):
        of_kind = [s for s in holding if s.kind == kind]
        assert (got is None) == (not of_kind)
        if got is not None:
            assert got in of_kind and got.end == max(s.end for s in of_kind)
    # the free pieces: in order, inside [start, end), free, and all that is free
    pieces = cal.free_stretches(start, end)
    assert all(start <= p < q <= end for p, q in pieces)
    assert all(q < p2 for (_, q), (p2, _) in pairwise(pieces))
    for p, q in pieces:
        assert not any(s.start < q and s.end > p for s in spans)
    edges = sorted({start, end, *(s.end for s in spans), *(s.start for s in spans)})
    for x in (e for e in edges if start <= e < end):
        free = not any(s.start <= x < s.end for s in spans)
        assert free == any(p <= x < q for p, q in pieces), x

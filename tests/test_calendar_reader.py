"""The calendar reader (sources.md §6, issue #14 parts 1, 2 and 9): producers' .ics shapes
read into busy and away spans at the right BEGIN:VEVENT lines, messy files as warnings."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boundaries.sources.calendars import CalendarError, Span, read_calendar

DATA = Path(__file__).parent / "data" / "calendars"
LONDON = ZoneInfo("Europe/London")
MARCH = datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC)


def at(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def read(name: str, **kw) -> tuple[list[Span], list]:
    kw.setdefault("my_zone", LONDON)
    start, end = kw.pop("window", MARCH)
    return read_calendar(DATA / name, start=start, end=end, **kw)


def plain(spans: list[Span]) -> list[tuple]:
    return [(s.start, s.end, s.kind, s.path.name, s.line) for s in spans]


def messages(warnings: list) -> list[tuple[str, int, str]]:
    return [(Path(w.path).name, w.line, w.message) for w in warnings]


def test_thunderbird_series_with_count_exdate_moved_and_cancelled() -> None:
    spans, warnings = read("thunderbird.ics")
    assert warnings == []
    assert plain(spans) == [
        (at(3, 2, 9), at(3, 2, 10), "busy", "thunderbird.ics", 22),   # CET: 10:00 Berlin
        # 03-09 is an EXDATE in Europe/Berlin; the lunch (TRANSPARENT) does not block
        (at(3, 5), at(3, 8), "away", "thunderbird.ics", 67),          # all-day, 3 days
        (at(3, 16, 13), at(3, 16, 14), "busy", "thunderbird.ics", 36),  # moved: its own line
        # 03-23 is cancelled by its override
        (at(3, 30, 8), at(3, 30, 9), "busy", "thunderbird.ics", 22),  # CEST after 29 March
    ]
    assert spans[0].summary == ("Jour fixe with the team about the quarterly planning"
                                " and the open tickets")  # unfolded


def test_outlook_oof_free_windows_zone_and_messy_events() -> None:
    spans, warnings = read("outlook.ics")
    assert plain(spans) == [
        (at(3, 10, 12), at(3, 10, 16), "away", "outlook.ics", 21),   # OOF, timed
        # BUSYSTATUS:FREE at line 35 is ignored
        (at(3, 12, 9), at(3, 12, 10, 30), "busy", "outlook.ics", 45),  # DTEND wins over DURATION
        (at(3, 13, 9), at(3, 13, 10), "busy", "outlook.ics", 56),    # unknown zone: my wall clock
        (at(3, 16), at(3, 17), "away", "outlook.ics", 64),           # all-day
    ]
    got = messages(warnings)
    assert [(name, line) for name, line, _ in got] == [
        ("outlook.ics", 45), ("outlook.ics", 56), ("outlook.ics", 73)]
    assert "both DTEND and DURATION" in got[0][2]
    assert "Mars Standard Time" in got[1][2]
    assert "cannot understand the event" in got[2][2] and "DTSTART" in got[2][2]


def test_google_x_wr_timezone_utc_until_and_floating() -> None:
    spans, warnings = read("google.ics")
    assert warnings == []
    assert plain(spans) == [
        (at(3, 2, 15), at(3, 2, 15, 30), "busy", "google.ics", 8),   # 10:00 EST
        (at(3, 4, 18), at(3, 4, 19), "busy", "google.ics", 22),      # floating = New York
        # 03-09 excluded by a UTC EXDATE; the series keeps New York's 10:00 across US DST
        (at(3, 16, 14), at(3, 16, 14, 30), "busy", "google.ics", 8),
        (at(3, 23, 14), at(3, 23, 14, 30), "busy", "google.ics", 8),  # UNTIL is inclusive
        # "Day off" is TRANSPARENT: ignored
        (at(3, 24), at(3, 25), "away", "google.ics", 38),
    ]


def test_apple_bom_chicago_dst_midnight_duration_no_dtend_floating() -> None:
    spans, warnings = read("apple.ics")
    assert warnings == []
    assert plain(spans) == [
        (at(3, 5, 15), at(3, 5, 16), "busy", "apple.ics", 22),        # CST, London on GMT
        (at(3, 5, 23), at(3, 6, 1, 30), "busy", "apple.ics", 33),     # crosses midnight
        (at(3, 9, 12), at(3, 9, 13, 30), "busy", "apple.ics", 42),    # DURATION
        # the reminder without DTEND or DURATION (line 49) has no length
        (at(3, 11), at(3, 12), "away", "apple.ics", 55),              # all-day, no DTEND
        (at(3, 12, 14), at(3, 12, 15), "busy", "apple.ics", 22),      # CDT since 8 March
        # 03-19 is an EXDATE in UTC
        (at(3, 30, 8), at(3, 30, 9), "busy", "apple.ics", 61),        # floating, London BST
    ]


def test_vdir_reads_every_file_and_warns_about_the_broken_ones() -> None:
    spans, warnings = read("vdir")
    assert plain(spans) == [
        (at(3, 2, 9), at(3, 2, 9, 15), "busy", "01-standup.ics", 4),  # .hidden.ics skipped
        (at(3, 3, 13), at(3, 3, 15), "busy", "02-visit.ics", 4),
        (at(3, 4, 10), at(3, 4, 11), "busy", "broken.ics", 4),       # complete part still counts
    ]
    got = messages(warnings)
    assert [(name, line) for name, line, _ in got] == [
        ("04-empty.ics", 1), ("05-timezones.ics", 1), ("broken.ics", 11)]
    assert "empty" in got[0][2]
    assert "only timezones" in got[1][2]
    assert "does not parse" in got[2][2] and "1 complete event" in got[2][2]


def test_kinds_follow_the_calendar_settings() -> None:
    spans, _ = read("apple.ics", timed="ignore", all_day="busy")
    assert [(s.start, s.kind) for s in spans] == [(at(3, 11), "busy")]
    spans, _ = read("outlook.ics", timed="ignore", all_day="ignore")
    assert [(s.line, s.kind) for s in spans] == [(21, "away")]  # OOF stays away


def test_only_what_overlaps_the_window_is_returned_whole() -> None:
    spans, _ = read("thunderbird.ics", window=(at(3, 6, 12), at(3, 16, 13, 30)))
    assert plain(spans) == [(at(3, 5), at(3, 8), "away", "thunderbird.ics", 67),
                            (at(3, 16, 13), at(3, 16, 14), "busy", "thunderbird.ics", 36)]
    spans, _ = read("thunderbird.ics", window=(at(3, 2, 10), at(3, 5)))
    assert spans == []  # end is exclusive, and so is the window's


def test_any_year() -> None:
    spans, _ = read("apple.ics", window=(datetime(2019, 1, 1, tzinfo=UTC),
                                         datetime(2020, 1, 1, tzinfo=UTC)))
    assert spans == []


def write(folder: Path, text: str) -> Path:
    path = folder / "x.ics"
    path.write_text(text.replace("|", "\n"))
    return path


def test_a_series_the_expander_rejects_is_left_out_and_the_rest_counts(tmp_path: Path) -> None:
    path = write(tmp_path, "BEGIN:VCALENDAR|BEGIN:VEVENT|UID:a|DTSTART:20260302T100000Z|"
                 "DTEND:20260302T110000Z|RRULE:FREQ=SOMETIMES|END:VEVENT|BEGIN:VEVENT|UID:b|"
                 "DTSTART:20260303T100000Z|DTEND:20260303T110000Z|END:VEVENT|END:VCALENDAR|")
    spans, warnings = read_calendar(path, my_zone=LONDON, start=MARCH[0], end=MARCH[1])
    assert [(s.start, s.line) for s in spans] == [(at(3, 3, 10), 8)]
    assert [(w.line, "RRULE" in w.message) for w in warnings] == [(2, True)]


def test_an_unknown_x_wr_timezone_is_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path, "BEGIN:VCALENDAR|X-WR-TIMEZONE:Mars/Olympus|BEGIN:VEVENT|UID:a|"
                 "DTSTART:20260302T100000|DTEND:20260302T110000|END:VEVENT|END:VCALENDAR|")
    spans, warnings = read_calendar(path, my_zone=LONDON, start=MARCH[0], end=MARCH[1])
    assert [(s.start, s.line) for s in spans] == [(at(3, 2, 10), 3)]  # floating: my clock
    assert [w.line for w in warnings] == [2] and "Mars/Olympus" in warnings[0].message


def test_two_calendars_in_one_file_and_garbage(tmp_path: Path) -> None:
    one = "BEGIN:VCALENDAR|BEGIN:VEVENT|UID:{0}|DTSTART:2026030{0}T100000Z|DURATION:PT1H|" \
          "END:VEVENT|END:VCALENDAR|"
    path = write(tmp_path, one.format(2) + one.format(3))
    spans, warnings = read_calendar(path, my_zone=LONDON, start=MARCH[0], end=MARCH[1])
    assert [(s.start, s.line) for s in spans] == [(at(3, 2, 10), 2), (at(3, 3, 10), 9)]
    assert [w.line for w in warnings] == [1] and "2 complete event" in warnings[0].message
    path = write(tmp_path, "hello world|\x00 binary")
    spans, warnings = read_calendar(path, my_zone=LONDON, start=MARCH[0], end=MARCH[1])
    assert spans == [] and "nothing read" in warnings[0].message


@pytest.mark.parametrize("bad", ["missing.ics", "missing-folder/"])
def test_a_path_that_cannot_be_read_is_an_error(bad: str) -> None:
    with pytest.raises(CalendarError, match="does not exist"):
        read(bad)


def test_a_bad_kind_is_an_error() -> None:
    with pytest.raises(CalendarError, match="timed"):
        read("apple.ics", timed="away")
    with pytest.raises(CalendarError, match="all_day"):
        read("apple.ics", all_day="free")


ZONES = ["UTC", "Europe/London", "America/Chicago", "Asia/Kolkata", "Australia/Lord_Howe",
         "Pacific/Chatham", "America/St_Johns", None]  # None: floating


@st.composite
def events(draw) -> str:
    zone = draw(st.sampled_from(ZONES))
    begin = datetime(2026, 1, 1) + timedelta(minutes=draw(st.integers(0, 400 * 24 * 60)))
    lines = ["BEGIN:VEVENT", f"UID:{draw(st.uuids())}", "DTSTAMP:20260101T000000Z",
             "SUMMARY:" + draw(st.text("abc xyz", max_size=120))]
    if draw(st.booleans()):
        day = begin.date()
        lines.append(f"DTSTART;VALUE=DATE:{day:%Y%m%d}")
        if draw(st.booleans()):
            lines.append(f"DTEND;VALUE=DATE:{day + timedelta(days=draw(st.integers(1, 9))):%Y%m%d}")
    else:
        prefix = f"DTSTART;TZID={zone}:" if zone else "DTSTART:"
        lines.append(f"{prefix}{begin:%Y%m%dT%H%M%S}")
        length = draw(st.integers(0, 3000))
        if draw(st.booleans()):
            end = begin + timedelta(minutes=length)
            lines.append(f"{prefix.replace('DTSTART', 'DTEND')}{end:%Y%m%dT%H%M%S}")
        else:
            lines.append(f"DURATION:PT{length}M")
    if draw(st.booleans()):
        freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY"]))
        lines.append(f"RRULE:FREQ={freq};COUNT={draw(st.integers(1, 12))}")
    lines.append("END:VEVENT")
    return "\n".join(lines)


def fold(text: str) -> str:
    """RFC 5545 folding at 75 characters."""
    out = []
    for line in text.split("\n"):
        while len(line) > 75:
            out.append(line[:75])
            line = " " + line[75:]
        out.append(line)
    return "\n".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events(), min_size=1, max_size=6), st.sampled_from(ZONES[1:-1]),
       st.integers(0, 420 * 24), st.integers(1, 90 * 24), st.booleans(), st.booleans())
def test_spans_are_real_inside_the_window_and_at_a_begin_line(
        body: list[str], mine: str, offset: int, hours: int, crlf: bool, bom: bool) -> None:
    text = fold("\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN",
                           *body, "END:VCALENDAR", ""]))
    if crlf:
        text = text.replace("\n", "\r\n")
    start = datetime(2025, 12, 1, tzinfo=UTC) + timedelta(hours=offset)
    end = start + timedelta(hours=hours)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.ics"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
        spans, warnings = read_calendar(path, my_zone=ZoneInfo(mine), start=start, end=end)
    assert warnings == []
    physical = text.splitlines()
    for span in spans:
        assert span.start.utcoffset() == timedelta(0) and span.end.utcoffset() == timedelta(0)
        assert span.start < span.end
        assert span.end > start and span.start < end
        assert span.kind in ("busy", "away")
        assert physical[span.line - 1] == "BEGIN:VEVENT"

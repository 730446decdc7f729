"""The calendar store: files parsed only where a month needs them, the cache key (every
file's name, size, mtime and inode), and the rough bounds that decide which files a month
needs (they must never leave out an occurrence)."""

from __future__ import annotations

import os
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boundaries.core.calendar import month_of
from boundaries.core.model import CalendarRef
from boundaries.sources.calendar_store import CalendarStore
from boundaries.sources.calendars import read_calendar
from boundaries.sources.ical_bounds import rough_bounds

VIENNA = ZoneInfo("Europe/Vienna")


def ics(uid: str, start: str, end: str, *extra: str, summary: str = "Termin") -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", "BEGIN:VEVENT",
             f"UID:{uid}", "DTSTAMP:20260101T000000Z", f"SUMMARY:{summary}",
             f"DTSTART;TZID=Europe/Vienna:{start}", f"DTEND;TZID=Europe/Vienna:{end}",
             *extra, "END:VEVENT", "END:VCALENDAR", ""]
    return "\r\n".join(lines)


def store(folder: Path, cache: Path | None) -> CalendarStore:
    return CalendarStore(CalendarRef(str(folder)), folder, VIENNA, cache, lambda p: p.name)


def month(year: int, m: int) -> int:
    return month_of(datetime(year, m, 15, tzinfo=UTC).timestamp())


def summaries(s: CalendarStore, year: int, m: int) -> list[str]:
    return sorted(span.summary for span in s.month(month(year, m)))


def vdir(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "a.ics").write_text(ics("a", "20261202T100000", "20261202T110000",
                                      summary="Jour fixe"), newline="")
    (folder / "b.ics").write_text(ics("b", "20190305T090000", "20190305T100000",
                                      summary="Old visit"), newline="")
    return folder


def test_a_month_sees_its_events_in_any_year(tmp_path):
    s = store(vdir(tmp_path), tmp_path / "cache")
    assert summaries(s, 2026, 12) == ["Jour fixe"]
    assert summaries(s, 2019, 3) == ["Old visit"]
    assert summaries(s, 2022, 6) == []


def test_the_next_start_reads_the_months_from_the_cache(tmp_path):
    folder, cache = vdir(tmp_path), tmp_path / "cache"
    summaries(store(folder, cache), 2026, 12)
    again = store(folder, cache)
    assert summaries(again, 2026, 12) == ["Jour fixe"]
    assert again._index is None  # nothing was listed, read or parsed again


def test_an_edit_a_new_file_and_a_removed_file_all_change_what_is_seen(tmp_path):
    folder, cache = vdir(tmp_path), tmp_path / "cache"
    assert summaries(store(folder, cache), 2026, 12) == ["Jour fixe"]
    # edited in place, same size (an editor without rename): the mtime tells
    path = folder / "a.ics"
    text = path.read_text().replace("Jour fixe", "Jour fixx")
    before = path.stat()
    with open(path, "r+", newline="") as f:
        f.write(text)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 1_000_000))
    assert summaries(store(folder, cache), 2026, 12) == ["Jour fixx"]
    # a sync adds a file (written aside and renamed in, as vdirsyncer does)
    tmp = folder / ".c.ics.tmp"
    tmp.write_text(ics("c", "20261203T140000", "20261203T150000", summary="Visit"),
                   newline="")
    tmp.rename(folder / "c.ics")
    assert summaries(store(folder, cache), 2026, 12) == ["Jour fixx", "Visit"]
    (folder / "a.ics").unlink()
    assert summaries(store(folder, cache), 2026, 12) == ["Visit"]


def test_the_users_files_are_never_touched_and_the_cache_is_private(tmp_path):
    folder, cache = vdir(tmp_path), tmp_path / "cache"
    before = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}
    s = store(folder, cache)
    summaries(s, 2026, 12)
    s.warnings()
    after = {p.name: (p.stat().st_mtime_ns, p.read_bytes()) for p in folder.iterdir()}
    assert after == before
    written = list((cache).iterdir())
    assert written and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in written)


def test_a_broken_cache_file_is_read_as_no_cache(tmp_path):
    folder, cache = vdir(tmp_path), tmp_path / "cache"
    summaries(store(folder, cache), 2026, 12)
    written = list(cache.iterdir())
    assert written  # there is a cache to break
    for p in written:
        p.write_bytes(b"\x80\x05not a pickle")
    assert summaries(store(folder, cache), 2026, 12) == ["Jour fixe"]


def test_without_a_cache_folder_it_still_decides(tmp_path):
    assert summaries(store(vdir(tmp_path), None), 2026, 12) == ["Jour fixe"]


def test_a_missing_calendar_is_a_problem_with_no_spans(tmp_path):
    s = store(tmp_path / "nowhere", tmp_path / "cache")
    assert s.problem is not None and "does not exist" in s.problem
    assert s.month(month(2026, 12)) == ()


def test_a_long_series_reaches_months_far_from_its_start(tmp_path):
    folder = tmp_path / "cal"
    folder.mkdir()
    (folder / "s.ics").write_text(ics("s", "20180102T100000", "20180102T110000",
                                      "RRULE:FREQ=WEEKLY;BYDAY=TU", summary="Standup"),
                                  newline="")
    s = store(folder, tmp_path / "cache")
    assert len(s.month(month(2026, 12))) == 5  # every Tuesday of December 2026
    assert len(s.month(month(2018, 1))) == 5


def test_warnings_name_the_broken_file_and_its_line(tmp_path):
    folder = vdir(tmp_path)
    (folder / "cut.ics").write_text("BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n"
                                    "DTSTART:2026", newline="")
    s = store(folder, tmp_path / "cache")
    warned = [(w.path.name, w.line) for w in s.warnings()]
    assert ("cut.ics", 2) in warned
    assert summaries(s, 2026, 12) == ["Jour fixe"]  # the rest still counts
    assert s.events() == 3


# -- the rough bounds never leave out an occurrence ------------------------------------
FREQS = ("DAILY", "WEEKLY", "MONTHLY", "YEARLY")


@st.composite
def series(draw):
    start = draw(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2030, 12, 31)))
    start = start.replace(second=0, microsecond=0)
    length = draw(st.integers(min_value=0, max_value=4 * 24 * 60))
    all_day = draw(st.booleans())
    freq = draw(st.sampled_from(FREQS))
    parts = [f"FREQ={freq}"]
    end_kind = draw(st.sampled_from(["count", "until", "none"]))
    if end_kind == "count":
        parts.append(f"COUNT={draw(st.integers(1, 30))}")
    elif end_kind == "until":
        until = start + timedelta(days=draw(st.integers(0, 900)))
        parts.append(f"UNTIL={until:%Y%m%d}" if all_day else f"UNTIL={until:%Y%m%dT%H%M%S}Z")
    if draw(st.booleans()):
        parts.append(f"INTERVAL={draw(st.integers(1, 4))}")
    by = draw(st.sampled_from(["", "BYDAY=MO,WE", "BYDAY=2TU", "BYMONTHDAY=31",
                               "BYSETPOS=-1;BYDAY=FR", "BYMONTH=2;BYMONTHDAY=29"]))
    if by:
        parts.append(by)
    if all_day:
        lines = [f"DTSTART;VALUE=DATE:{start:%Y%m%d}",
                 f"DTEND;VALUE=DATE:{start + timedelta(days=1 + length // 1440):%Y%m%d}"]
    else:
        lines = [f"DTSTART;TZID=America/Chicago:{start:%Y%m%dT%H%M%S}",
                 f"DURATION:PT{length}M" if draw(st.booleans()) else
                 f"DTEND;TZID=America/Chicago:{start + timedelta(minutes=length):%Y%m%dT%H%M%S}"]
    rule = ["RRULE:" + ";".join(parts)] if draw(st.booleans()) else []
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:p",
                        "DTSTAMP:20260101T000000Z", *lines, *rule, "END:VEVENT",
                        "END:VCALENDAR", ""])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=series())
def test_rough_bounds_hold_every_occurrence(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("b") / "e.ics"
    path.write_text(text, newline="")
    lo, hi = rough_bounds(text)
    spans, _ = read_calendar(path, my_zone=VIENNA, start=datetime(1999, 1, 1, tzinfo=UTC),
                             end=datetime(2036, 1, 1, tzinfo=UTC))
    for s in spans:
        first, last = s.start.date(), s.end.date()
        assert lo is None or first >= lo, (text, lo, s)
        assert hi is None or last <= hi, (text, hi, s)


def test_rough_bounds_of_common_shapes():
    single = ics("x", "20261202T100000", "20261202T110000")
    assert rough_bounds(single) == (date(2026, 11, 30), date(2026, 12, 5))
    open_ended = ics("x", "20261202T100000", "20261202T110000", "RRULE:FREQ=WEEKLY")
    assert rough_bounds(open_ended) == (date(2026, 11, 30), None)
    counted = ics("x", "20261202T100000", "20261202T110000", "RRULE:FREQ=WEEKLY;COUNT=4")
    assert rough_bounds(counted)[1] is not None
    skipping = ics("x", "20260131T100000", "20260131T110000", "RRULE:FREQ=MONTHLY;COUNT=4")
    assert rough_bounds(skipping)[1] is None  # the 31st skips months: no certain end
    assert rough_bounds("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n") == (None, None)


def test_two_sets_naming_one_calendar_each_get_their_own_labels(tmp_path):
    folder, cache = vdir(tmp_path), tmp_path / "cache"
    inside = CalendarStore(CalendarRef("work"), folder, VIENNA, cache,
                           lambda p: f"work/{p.name}")
    outside = CalendarStore(CalendarRef(str(folder)), folder, VIENNA, cache,
                            lambda p: str(p))
    assert inside.month(month(2026, 12))[0].source == "work/a.ics:4"
    assert outside.month(month(2026, 12))[0].source == f"{folder / 'a.ics'}:4"


def test_an_edit_that_sets_the_modification_time_back_is_still_seen(tmp_path):
    folder, cache = vdir(tmp_path), tmp_path / "cache"
    assert summaries(store(folder, cache), 2026, 12) == ["Jour fixe"]
    path = folder / "a.ics"
    before = path.stat()
    path.write_text(path.read_text().replace("Jour fixe", "Jour fixx"), newline="")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))  # as `touch -r` would
    assert summaries(store(folder, cache), 2026, 12) == ["Jour fixx"]

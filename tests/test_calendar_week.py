"""`week` with calendars (sources.md §6): busy half hours as ×, time off from a calendar like
an [[away]] day, and the events listed under the grid (with their summaries: my own
terminal), in the CLI and in the core's week rows."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from boundaries.core.calendar import CalendarSpan, CalendarTable
from boundaries.core.vocabulary import DAY_NAMES_EN
from boundaries.core.week import event_line, event_when, legend, week_events, week_rows
from boundaries.policy.load import load

from .cli_helpers import run

VIENNA = ZoneInfo("Europe/Vienna")

ME = """\
name = "Martin Huber"
timezone = "Europe/Vienna"
locale = "de"
holidays = "AT-4"

[[calendars]]
path = "calendars"
"""

TIER = """\
channels = ["call", "sms", "email"]

[hours]
mon-fri = ["08:00-12:00", "13:00-17:00"]
"""

CLIENTS = """\
[clients.acme]
name = "ACME Abrechnung GmbH"
tier = "maint"
phones = ["+43 732 123456"]

[clients.london]
name = "London Ltd"
tier = "maint"
timezone = "Europe/London"
phones = ["+44 20 7946 0000"]
"""


def ics(*lines: str) -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", *lines,
                        "END:VCALENDAR", ""])


def event(uid: str, *lines: str) -> tuple[str, ...]:
    return ("BEGIN:VEVENT", f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines, "END:VEVENT")


CALENDARS = {
    # Monday 10:15–10:45: two half hours only partly reachable
    "calendars/call.ics": ics(*event("call", "SUMMARY:Telefonat Steuerberater",
                                     "DTSTART;TZID=Europe/Vienna:20260302T101500",
                                     "DTEND;TZID=Europe/Vienna:20260302T104500")),
    # every Tuesday 10:00–11:00, four times
    "calendars/jour-fixe.ics": ics(*event("jf", "SUMMARY:Jour fixe",
                                          "DTSTART;TZID=Europe/Vienna:20260303T100000",
                                          "DTEND;TZID=Europe/Vienna:20260303T110000",
                                          "RRULE:FREQ=WEEKLY;COUNT=4")),
    # Wednesday night into Thursday, outside my hours: listed, no × in the grid
    "calendars/deploy.ics": ics(*event("deploy", "SUMMARY:Deployment",
                                       "DTSTART:20260304T210000Z", "DTEND:20260305T000000Z")),
    # Outlook's out of office, Thursday afternoon: time off inside a day
    "calendars/doctor.ics": ics(*event("doc", "SUMMARY:Arzt",
                                       "DTSTART;TZID=Europe/Vienna:20260305T130000",
                                       "DTEND;TZID=Europe/Vienna:20260305T170000",
                                       "X-MICROSOFT-CDO-BUSYSTATUS:OOF")),
    # Friday, all day: away
    "calendars/vacation.ics": ics(*event("vac", "SUMMARY:Urlaub",
                                         "DTSTART;VALUE=DATE:20260306",
                                         "DTEND;VALUE=DATE:20260307")),
}


@pytest.fixture
def cal_set(write_set, tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("BOUNDARIES_CACHE", str(tmp_path / "cache"))
    return write_set({"tiers/maint.toml": TIER, "clients.toml": CLIENTS, **CALENDARS}, me=ME)


def day_line(out: str, label: str) -> str:
    return next(ln for ln in out.splitlines() if label in ln)


def cells(line: str) -> str:
    return line[11:59]


HOURS = "·" * 16 + "█" * 8 + "··" + "█" * 8 + "·" * 14


def test_week_marks_busy_half_hours_and_time_off(capsys, cal_set):
    code, out, _ = run(capsys, "week", "--policies", str(cal_set), "--tier", "maint",
                       "--at", "2026-03-02")
    assert code == 0
    assert out.splitlines()[0] == ("tier maint — Europe/Vienna "
                                   "(█ reachable, ▒ partly, × busy (calendar), · not)")
    mon = day_line(out, "Mon 02.03")
    assert cells(mon) == HOURS[:20] + "▒▒" + HOURS[22:]  # 10:15–10:45 takes half of each
    assert mon.endswith("08:00–12:00, 13:00–17:00")
    tue = day_line(out, "Tue 03.03")
    assert cells(tue) == HOURS[:20] + "××" + HOURS[22:]
    assert cells(day_line(out, "Wed 04.03")) == HOURS  # the deployment is after hours
    thu = day_line(out, "Thu 05.03")
    assert cells(thu) == HOURS[:26] + "·" * 8 + HOURS[34:]  # away, not busy: ·
    assert thu.endswith("away 13:00–17:00 (calendar)")
    fri = day_line(out, "Fri 06.03")
    assert cells(fri) == "·" * 48 and fri.endswith("away (calendar)")


def test_week_lists_the_events_with_their_summaries_and_lines(capsys, cal_set):
    code, out, _ = run(capsys, "week", "--policies", str(cal_set), "--tier", "maint",
                       "--at", "2026-03-02")
    assert code == 0
    listed = out.split("\ncalendar (Europe/Vienna):\n", 1)[1].splitlines()
    assert listed == [
        "  busy Mon 02.03 10:15–10:45 Telefonat Steuerberater (calendars/call.ics:4)",
        "  busy Tue 03.03 10:00–11:00 Jour fixe (calendars/jour-fixe.ics:4)",
        "  busy Wed 04.03 22:00–Thu 05.03 01:00 Deployment (calendars/deploy.ics:4)",
        "  away Thu 05.03 13:00–17:00 Arzt (calendars/doctor.ics:4)",
        "  away Fri 06.03 Urlaub (calendars/vacation.ics:4)",
    ]


def test_week_in_their_time_shows_busy_where_their_clock_has_it(capsys, cal_set):
    code, out, _ = run(capsys, "week", "--policies", str(cal_set), "--from", "london",
                       "--at", "2026-03-02")
    assert code == 0
    theirs = out.split("the same week in their time, Europe/London:", 1)[1]
    tue = day_line(theirs, "Tue 03.03")
    assert cells(tue)[18:20] == "××"  # 10:00 in Vienna is 09:00 in London
    assert cells(tue)[14:18] == "████"
    # the list stays in my time, once
    assert out.count("Jour fixe") == 1 and "calendar (Europe/Vienna):" in out


def test_a_week_without_events_lists_nothing(capsys, cal_set):
    code, out, _ = run(capsys, "week", "--policies", str(cal_set), "--tier", "maint",
                       "--at", "2026-06-01")
    assert code == 0 and "calendar (" not in out
    assert "× busy" in out.splitlines()[0]  # the set has calendars: the legend says ×
    assert cells(day_line(out, "Mon 01.06")) == HOURS


def test_a_set_without_calendars_keeps_its_legend(capsys, write_set):
    root = write_set({"tiers/maint.toml": TIER, "clients.toml": CLIENTS})
    code, out, _ = run(capsys, "week", "--policies", str(root), "--tier", "maint",
                       "--at", "2026-03-02")
    assert code == 0
    assert out.splitlines()[0] == "tier maint — Europe/Vienna (█ reachable, ▒ partly, · not)"
    assert "calendar (" not in out


def test_a_missing_calendar_still_shows_the_week(capsys, cal_set):
    for name in CALENDARS:
        (cal_set / name).unlink()
    (cal_set / "calendars").rmdir()
    code, out, _ = run(capsys, "week", "--policies", str(cal_set), "--tier", "maint",
                       "--at", "2026-03-02")
    assert code == 0
    assert cells(day_line(out, "Tue 03.03")) == HOURS


# -- the core's rows, with a table of spans handed in (no files) ------------------------------
def _ts(*args: int) -> int:
    return int(datetime(*args, tzinfo=VIENNA).timestamp())


def _span(kind: str, start: int, end: int, summary: str = "x") -> CalendarSpan:
    return CalendarSpan(start, end, kind, summary, "calendars/a.ics:1")


@pytest.fixture
def plain(write_set):
    return load(write_set({"tiers/maint.toml": TIER, "clients.toml": CLIENTS})).policies


def with_spans(ps, *spans: CalendarSpan):
    return ps._replace(calendar=CalendarTable(lambda month: spans, ("calendars",)))


def test_rows_without_calendars_are_unchanged(plain):
    rows = week_rows(plain, plain.tiers["maint"], date(2026, 3, 2))
    assert [r.cells for r in rows[:5]] == [HOURS] * 5
    assert legend(plain) == "█ reachable, ▒ partly, · not"
    assert week_events(plain, date(2026, 3, 2)) == []


def test_busy_outside_hours_leaves_the_grid_alone(plain):
    ps = with_spans(plain, _span("busy", _ts(2026, 3, 2, 18), _ts(2026, 3, 2, 20)))
    row = week_rows(ps, ps.tiers["maint"], date(2026, 3, 2))[0]
    assert row.cells == HOURS and row.mark == ""
    assert len(week_events(ps, date(2026, 3, 2))) == 1


def test_time_off_from_a_calendar_over_midnight_marks_both_days(plain):
    ps = with_spans(plain, _span("away", _ts(2026, 3, 2, 15), _ts(2026, 3, 3, 9)))
    mon, tue = week_rows(ps, ps.tiers["maint"], date(2026, 3, 2))[:2]
    assert mon.mark == "away from 15:00 (calendar)"
    assert tue.mark == "away until 09:00 (calendar)"
    assert mon.cells[30:34] == "····" and tue.cells[16:18] == "··" and tue.cells[18] == "█"


def test_the_grid_never_holds_a_summary(plain):
    ps = with_spans(plain, _span("away", _ts(2026, 3, 2), _ts(2026, 3, 3), "Geheim"),
                    _span("busy", _ts(2026, 3, 3, 9), _ts(2026, 3, 3, 10), "Geheim"))
    rows = week_rows(ps, ps.tiers["maint"], date(2026, 3, 2))
    assert not any("Geheim" in r.mark or "Geheim" in r.windows for r in rows)
    assert rows[0].mark == "away (calendar)"


def test_an_away_entry_in_me_toml_wins_over_the_calendar_mark(write_set):
    me = 'name = "M"\ntimezone = "Europe/Vienna"\n[[away]]\nfrom = 2026-03-02\n' \
         'to = 2026-03-02\nreason = "Messe"\n'
    ps = load(write_set({"tiers/maint.toml": TIER}, me=me)).policies
    ps = with_spans(ps, _span("away", _ts(2026, 3, 2), _ts(2026, 3, 3)))
    assert week_rows(ps, ps.tiers["maint"], date(2026, 3, 2))[0].mark == "away: Messe"


def test_event_wording():
    tz = VIENNA
    assert event_when(_span("busy", _ts(2026, 3, 3, 10), _ts(2026, 3, 3, 11)), tz,
                      DAY_NAMES_EN) == "Tue 03.03 10:00–11:00"
    assert event_when(_span("away", _ts(2026, 3, 2), _ts(2026, 3, 7)), tz,
                      DAY_NAMES_EN) == "Mon 02.03–Fri 06.03"
    assert event_when(_span("away", _ts(2026, 3, 2), _ts(2026, 3, 3)), tz,
                      DAY_NAMES_EN) == "Mon 02.03"
    span = _span("busy", _ts(2026, 3, 3, 23), _ts(2026, 3, 4, 1), "Wartung")
    assert event_when(span, tz, DAY_NAMES_EN) == "Tue 03.03 23:00–Wed 04.03 01:00"
    assert event_line(span, tz, DAY_NAMES_EN) == \
        "busy Tue 03.03 23:00–Wed 04.03 01:00 Wartung (calendars/a.ics:1)"
    assert event_line(span, tz, DAY_NAMES_EN, summary="•••") == \
        "busy Tue 03.03 23:00–Wed 04.03 01:00 ••• (calendars/a.ics:1)"
    assert event_line(span._replace(summary=""), tz, DAY_NAMES_EN) == \
        "busy Tue 03.03 23:00–Wed 04.03 01:00 (calendars/a.ics:1)"

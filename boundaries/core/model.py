"""Typed, immutable objects a loaded policy set is made of."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import NamedTuple

from boundaries.core.calendar import NO_CALENDAR, CalendarTable
from boundaries.core.vocabulary import BUILTIN, CHANNELS, IN_WRITING_KINDS

# A window in minutes after the start of the day it belongs to:
# 0 <= start < 1440 and start < end < 2880 (an end past 1440 crosses midnight; windows
# joined by merge_windows may last longer than a day, but always end before day + 2).
Window = tuple[int, int]
Week = tuple[tuple[Window, ...], ...]  # 7 days, Monday first


class Away(NamedTuple):
    start: date
    end: date
    reason: str
    source: str


class CalendarRef(NamedTuple):
    """One `[[calendars]]` table of me.toml (sources.md §6)."""

    path: str  # as written (relative to the policy folder, `~` allowed)
    timed: str = "busy"  # what a timed event means: busy | ignore
    all_day: str = "away"  # what an all-day event means: away | busy | ignore
    source: str = ""  # me.toml:LINE of the table's `path`


class Me(NamedTuple):
    name: str
    timezone: str
    locale: str = "en"
    holidays: str | None = None
    region: str | None = None
    unknown_tier: str = "unknown"
    callback_landlines: bool = True
    reply_once_days: int = 0
    away: tuple[Away, ...] = ()
    sources: Mapping[str, str] = {}
    calendars: tuple[CalendarRef, ...] = ()
    addresses: tuple[str, ...] = ()  # my mail addresses, the first is my From
    sendmail: str | None = None  # [mail] sendmail: the command `mail --send` pipes to
    mail_kinds: tuple[tuple[str, tuple[str, ...]], ...] = ()  # [mail.kinds], in file order
    tone_avoid: tuple[str, ...] = ()  # [tone] avoid: more words the tone check warns about
    tone_allow: tuple[str, ...] = ()  # [tone] allow: capitals that are not shouting


class ExtraEffort(NamedTuple):
    allowed: bool = False
    per_month: int | None = None
    min_urgency: str = "urgent"
    sources: Mapping[str, str] = {}


class Rule(NamedTuple):
    index: int
    when: tuple[tuple[str, object], ...]
    decide: str
    reply: str | None
    note: str | None
    source: str


class Tier(NamedTuple):
    name: str
    description: str = ""
    channels: tuple[str, ...] = CHANNELS
    week: Week = ((),) * 7
    day_sources: tuple[str, ...] = (BUILTIN,) * 7
    has_hours: bool = False
    on_holidays: bool = False
    callback: str = "always"
    discreet: bool = False
    in_writing: frozenset[str] = frozenset(IN_WRITING_KINDS)
    extra_effort: ExtraEffort = ExtraEffort()
    rules: tuple[Rule, ...] = ()
    path: str = ""
    sources: Mapping[str, str] = {}


class Client(NamedTuple):
    id: str
    name: str
    tier: str
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    timezone: str | None = None
    locale: str | None = None
    trust: str = "ok"
    callback: str | None = None
    discreet: bool | None = None
    in_writing: bool | None = None
    notes: str = ""
    source: str = ""
    sources: Mapping[str, str] = {}


class Template(NamedTuple):
    text: str
    source: str


class Check(NamedTuple):
    name: str
    fields: Mapping[str, object]
    source: str


class HolidayTable:
    """Public holidays of one region, computed per year on first use and kept.

    `compute(year)` returns {date: name}; it is supplied by the loader (it uses
    the `holidays` package, or a cache of it). Pure: no I/O of its own.
    """

    __slots__ = ("_compute", "_years", "region")

    def __init__(
        self,
        region: str | None,
        compute: Callable[[int], Mapping[date, str]] | None = None,
        years: Mapping[int, Mapping[date, str]] | None = None,
    ) -> None:
        self.region = region
        self._compute = compute
        self._years: dict[int, Mapping[date, str]] = dict(years or {})

    def name(self, day: date) -> str | None:
        """The holiday's name on `day`, or None."""
        if self.region is None:
            return None
        table = self._years.get(day.year)
        if table is None:
            table = self._compute(day.year) if self._compute else {}
            self._years[day.year] = table
        return table.get(day)

    def attach(self, compute: Callable[[int], Mapping[date, str]]) -> None:
        """Supply the computation for years not yet known (after unpickling)."""
        self._compute = compute

    def __getstate__(self) -> tuple:
        return (self.region, self._years)

    def __setstate__(self, state: tuple) -> None:
        self.region, self._years = state
        self._compute = None


class PolicySet(NamedTuple):
    """A whole loaded policy folder."""

    root: str
    me: Me
    tiers: Mapping[str, Tier]
    clients: Mapping[str, Client]
    phone_index: Mapping[str, str]  # E.164 -> client id
    email_index: Mapping[str, str]  # case-folded address -> client id
    phone_types: Mapping[str, str]  # E.164 of every client number -> fixed | mobile | …
    replies: Mapping[str, Mapping[str, Template]]  # locale -> key -> template
    checks: tuple[Check, ...]
    holidays: HolidayTable
    locale_names: Mapping[str, Mapping[str, tuple[str, ...]]]  # locale -> days/months
    fingerprint: str = ""
    origin: str = ""  # which discovery rule chose this folder
    # case-folded client id or name -> client id (an id wins over another client's name)
    folded_names: Mapping[str, str] = {}
    # busy and away spans of me.calendars, attached by the service layer after loading
    calendar: CalendarTable = NO_CALENDAR

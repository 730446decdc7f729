"""The days an .ics file can block, read from its raw lines before any parse (sources.md §6).

A calendar of thousands of files is parsed only where a request looks: `rough_bounds`
gives, for a whole file, a first and a last day that no occurrence of its events lies
outside (a day of slack on each side for zones). It errs on the safe side: anything it
cannot read makes the bound open (`None`), and a series is open-ended unless its UNTIL or
its COUNT bounds it for certain. Only the parse (`calendars.FileReader`) decides.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DURATION = re.compile(r"^[+]?P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
_SLACK = timedelta(days=2)
# the longest a period of each FREQ lasts, in days, for a COUNT bound
_PERIOD_DAYS = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}
_DATED = ("DTSTART", "DTEND", "RDATE", "RECURRENCE-ID")


def _dates(value: str) -> list[date]:
    out = []
    for y, m, d in _DATE.findall(value):
        try:
            out.append(date(int(y), int(m), int(d)))
        except ValueError:
            return []
    return out


def _duration_days(value: str) -> int | None:
    m = _DURATION.match(value.strip().upper())
    if not m:
        return None
    w, d, h, mi, s = (int(x) if x else 0 for x in m.groups())
    return w * 7 + d + (h * 3600 + mi * 60 + s + 86399) // 86400


def _rule_end(rule: str, first: date, length: int) -> date | None:
    """The last day a series with this RRULE can block, or None when it has no end or
    none that is certain from the rule alone."""
    parts = dict(p.split("=", 1) for p in rule.upper().split(";") if "=" in p)
    if "UNTIL" in parts:
        found = _dates(parts["UNTIL"])
        return found[0] + timedelta(days=length) if found else None
    if "COUNT" not in parts or not parts["COUNT"].isdigit():
        return None
    freq = parts.get("FREQ", "")
    by = {k for k in parts if k.startswith("BY")}
    # each period must hold an occurrence for COUNT periods to bound it: a weekly BYDAY
    # without an ordinal does; a daily BYDAY filters days out, and BYMONTHDAY=31, "5MO" or
    # BYSETPOS may leave a period empty
    simple = not by or (freq == "WEEKLY" and by == {"BYDAY"}
                        and not re.search(r"\d", parts["BYDAY"]))
    if freq not in _PERIOD_DAYS or not simple or (freq == "MONTHLY" and first.day > 28) or (
            freq == "YEARLY" and (first.month, first.day) == (2, 29)):
        return None
    interval = int(parts["INTERVAL"]) if parts.get("INTERVAL", "").isdigit() else 1
    periods = int(parts["COUNT"]) * max(interval, 1)
    return first + timedelta(days=periods * _PERIOD_DAYS[freq] + length)


_UNFOLD = re.compile(r"\r?\n[ \t]")
_VEVENT = re.compile(r"^BEGIN:VEVENT[ \t]*\r?$(.*?)^END:VEVENT[ \t]*\r?$",
                     re.MULTILINE | re.DOTALL | re.IGNORECASE)
_PROP = re.compile(r"^(DTSTART|DTEND|DURATION|RRULE|RDATE|RECURRENCE-ID)[;:]([^\r\n]*)",
                   re.MULTILINE | re.IGNORECASE)


def _events(body: str) -> list[str]:
    """The text between each BEGIN:VEVENT and its END:VEVENT (complete events only)."""
    if "BEGIN:VEVENT" not in body or body.upper().count("BEGIN:VEVENT") != body.count(
            "BEGIN:VEVENT"):  # lower-case names are allowed, and rare: the slow way
        return [m.group(1) for m in _VEVENT.finditer(body)]
    out = []
    at = body.find("BEGIN:VEVENT")
    while at >= 0:
        end = body.find("END:VEVENT", at)
        nxt = body.find("BEGIN:VEVENT", at + 12)
        if end < 0 or (0 <= nxt < end):  # cut short before its END: not complete
            at = nxt
            continue
        out.append(body[at + 12:end])
        at = nxt
    return out


def rough_bounds(text: str) -> tuple[date | None, date | None]:
    """(first, last) day any event of the file can block, with slack; None: open."""
    lo: date | None = date.max
    hi: date | None = date.min
    body = _UNFOLD.sub("", text) if "\n " in text or "\n\t" in text else text
    for event in _events(body):
        props: dict[str, list[str]] = {}
        for m in _PROP.finditer(event):
            value = m.group(2)
            if ":" in value and m.group(0)[len(m.group(1))] == ";":
                value = value.split(":", 1)[1]  # past the parameters
            props.setdefault(m.group(1).upper(), []).append(value)
        first, last = _event_bounds(props)
        lo = None if lo is None or first is None else min(lo, first)
        hi = None if hi is None or last is None else max(hi, last)
    if lo == date.max:  # no complete event: nothing the parse would find either
        return None, None
    return (None if lo is None else lo - _SLACK), (None if hi is None else hi + _SLACK)


def _event_bounds(props: dict[str, list[str]]) -> tuple[date | None, date | None]:
    """(first, last) day one VEVENT can block; None where it cannot be told."""
    found = {name: [d for v in props.get(name, []) for d in _dates(v)] for name in _DATED}
    starts = found["DTSTART"]
    if not starts:
        return None, None
    every = [d for ds in found.values() for d in ds]
    first, last = min(every), max(every)
    if props.get("DURATION"):
        days = _duration_days(props["DURATION"][0])
        if days is None:
            return first, None
        length = days
    else:
        length = (found["DTEND"][0] - starts[0]).days + 1 if found["DTEND"] else 1
    end = last + timedelta(days=max(length, 1))
    for rule in props.get("RRULE", []):
        rule_end = _rule_end(rule, starts[0], max(length, 1))
        if rule_end is None:
            return first, None
        end = max(end, rule_end)
    return first, end


__all__ = ["rough_bounds"]

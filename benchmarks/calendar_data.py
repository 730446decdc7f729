"""A vdir of many events for the calendar benchmarks, in the shape Nextcloud and
vdirsyncer write it: one event per file, each with its own VTIMEZONE.

`write_vdir(folder, n, open_share)`: n events over ten years (2017–2026); a third of them are
series (`open_share` of them never end, the rest end with UNTIL within one to six months or
after a COUNT of 3 to 12), the rest single appointments of 30 minutes to 3 hours; one in
twenty all-day, one series in three with a moved occurrence.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

VTIMEZONE = (
    "BEGIN:VTIMEZONE\r\nTZID:Europe/Vienna\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\n"
    "TZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\n"
    "TZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")


def _event(i: int, rnd: random.Random, open_share: float) -> tuple[str, str]:
    start = datetime(2017, 1, 2, 7, 0) + timedelta(days=rnd.randrange(0, 3650),
                                                   minutes=15 * rnd.randrange(0, 44))
    uid = f"{i:05d}-{rnd.randrange(1 << 32):08x}@bench.example"
    lines = [f"UID:{uid}", "DTSTAMP:20261201T080000Z", f"SUMMARY:Termin {i}"]
    if i % 20 == 7:  # an all-day event of one to five days
        end = start.date() + timedelta(days=rnd.randrange(1, 6))
        lines += [f"DTSTART;VALUE=DATE:{start:%Y%m%d}", f"DTEND;VALUE=DATE:{end:%Y%m%d}"]
    else:
        end = start + timedelta(minutes=30 * rnd.randrange(1, 7))
        lines += [f"DTSTART;TZID=Europe/Vienna:{start:%Y%m%dT%H%M%S}",
                  f"DTEND;TZID=Europe/Vienna:{end:%Y%m%dT%H%M%S}"]
    extra = ""
    if i % 3 == 0:  # a series
        freq = "WEEKLY" if i % 2 else "MONTHLY"
        pick = rnd.random()
        if pick < open_share:
            lines.append(f"RRULE:FREQ={freq}")
        elif pick < open_share + (1 - open_share) * 2 / 3:
            until = start + timedelta(days=rnd.randrange(30, 180))
            lines.append(f"RRULE:FREQ={freq};UNTIL={until:%Y%m%dT%H%M%S}Z")
        else:
            lines.append(f"RRULE:FREQ={freq};COUNT={rnd.randrange(3, 13)}")
        if i % 9 == 0 and "VALUE=DATE" not in lines[3]:  # one occurrence moved an hour
            moved = start + timedelta(days=7 if freq == "WEEKLY" else 28)
            extra = ("BEGIN:VEVENT\r\n" + f"UID:{uid}\r\nDTSTAMP:20261201T080000Z\r\n"
                     f"RECURRENCE-ID;TZID=Europe/Vienna:{moved:%Y%m%dT%H%M%S}\r\n"
                     f"DTSTART;TZID=Europe/Vienna:{moved + timedelta(hours=1):%Y%m%dT%H%M%S}\r\n"
                     f"DTEND;TZID=Europe/Vienna:{moved + timedelta(hours=2):%Y%m%dT%H%M%S}\r\n"
                     f"SUMMARY:Termin {i} (verschoben)\r\nEND:VEVENT\r\n")
    body = "".join(line + "\r\n" for line in lines)
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Nextcloud calendar v4.6.0\r\n"
            + VTIMEZONE + "BEGIN:VEVENT\r\n" + body + "END:VEVENT\r\n" + extra
            + "END:VCALENDAR\r\n"), uid


def write_vdir(folder: Path, n: int, open_share: float = 0.02, seed: int = 14) -> Path:
    """Write n events into `folder` (created), one `<UID>.ics` each; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    rnd = random.Random(seed)
    for i in range(n):
        text, uid = _event(i, rnd, open_share)
        (folder / f"{uid}.ics").write_bytes(text.encode())
    return folder

"""The per-client report of a month or a range of months (pure: entries in, rows out)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import NamedTuple

from boundaries.core.model import PolicySet
from boundaries.core.text import visible
from boundaries.journal.facts import is_reply
from boundaries.journal.store import SPENT, Entry

UNKNOWN = "(unknown senders)"
FIELDS = ("client", "name", "requests", "answered", "after_hours", "after_hours_share",
          "extra_effort_used", "extra_effort_budget", "minutes", "declined", "missed")


class Row(NamedTuple):
    client: str
    name: str
    requests: int
    answered: int
    after_hours: int
    extra_effort_used: int
    extra_effort_budget: int | None  # per_month × months; None: no limit or not allowed
    minutes: int
    declined: int
    missed: int

    @property
    def after_hours_share(self) -> float:
        return self.after_hours / self.requests if self.requests else 0.0

    def as_dict(self) -> dict:
        d = self._asdict()
        d["after_hours_share"] = round(self.after_hours_share, 4)
        return {k: d[k] for k in FIELDS}


def build(entries: Iterable[Entry], ps: PolicySet | None, months: int,
          client: str | None = None) -> list[Row]:
    """One row per client with entries (unknown senders together), busiest first."""
    acc: dict[str, dict] = {}
    for e in entries:
        d = e.data
        key = d.get("client") or UNKNOWN
        if (client is not None and key != client) or is_reply(d):  # a reply: no request
            continue
        a = acc.setdefault(key, dict(requests=0, answered=0, after_hours=0, extra=0,
                                     minutes=0, declined=0, missed=0))
        a["requests"] += 1
        outcome = d.get("outcome")
        a["answered"] += outcome in SPENT
        a["after_hours"] += not d.get("within_hours", True)
        a["extra"] += bool(d.get("extra_effort")) and outcome in SPENT
        a["minutes"] += int(d.get("minutes") or 0)
        a["declined"] += outcome == "declined"
        a["missed"] += outcome == "missed"
    rows = []
    for key, a in acc.items():
        c = ps.clients.get(key) if ps is not None else None
        budget = None
        if c is not None and ps is not None and c.tier in ps.tiers:
            ee = ps.tiers[c.tier].extra_effort
            if ee.allowed and ee.per_month is not None:
                budget = ee.per_month * months
            elif not ee.allowed:
                budget = 0
        rows.append(Row(key, c.name if c else ("" if key == UNKNOWN else key), a["requests"],
                        a["answered"], a["after_hours"], a["extra"], budget, a["minutes"],
                        a["declined"], a["missed"]))
    rows.sort(key=lambda r: (-r.requests, r.client))
    return rows


def _bar(value: float, scale: float, width: int = 12) -> str:
    """A unicode bar of `value` out of `scale`, in eighths of a cell."""
    if scale <= 0 or value <= 0:
        return ""
    eighths = round(value / scale * width * 8)
    full, part = divmod(max(eighths, 1), 8)
    return "█" * full + ("▏▎▍▌▋▊▉"[part - 1] if part else "")


def render_text(rows: list[Row], title: str) -> str:
    """A table with small bars: requests, after-hours share, extra effort vs budget.

    Client ids and the title come from files: their control characters are shown."""
    title = visible(title, multiline=False)
    if not rows:
        return f"{title}\n  no journal entries"
    most = max(r.requests for r in rows)
    shown = {r.client: visible(r.client, multiline=False) for r in rows}
    name_w = max(len(c) for c in shown.values())
    lines = [title, f"  {'client':<{name_w}}  {'requests':<20} {'after hours':<18} "
                    f"{'extra effort':<13} {'minutes':>7} {'answered':>8} {'declined':>8} "
                    f"{'missed':>6}"]
    for r in rows:
        budget = ("—" if r.client == UNKNOWN else "no limit") if r.extra_effort_budget is None \
            else f"{r.extra_effort_budget}"
        over = " !" if r.extra_effort_budget is not None and \
            r.extra_effort_used > r.extra_effort_budget else ""
        lines.append(
            f"  {shown[r.client]:<{name_w}}  {r.requests:>4} {_bar(r.requests, most):<15} "
            f"{r.after_hours_share:>4.0%} {_bar(r.after_hours_share, 1.0, 10):<13} "
            f"{r.extra_effort_used:>2} of {budget:<8}{over:<2} {r.minutes:>6} "
            f"{r.answered:>8} {r.declined:>8} {r.missed:>6}")
    total = sum(r.requests for r in rows)
    lines.append(f"  {total} requests, {sum(r.minutes for r in rows)} minutes")
    return "\n".join(lines)


def render_csv(rows: list[Row]) -> str:
    out = io.StringIO()
    w = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if v is None else v) for k, v in r.as_dict().items()})
    return out.getvalue()


def render_json(rows: list[Row]) -> str:
    return json.dumps([r.as_dict() for r in rows], ensure_ascii=False, indent=2)

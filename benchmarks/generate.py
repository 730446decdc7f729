"""Deterministic benchmark data: a large policy set and a year of requests as CSV.

    python benchmarks/generate.py set DIR [--clients 1000] [--tiers 50]
    python benchmarks/generate.py requests FILE.csv --policies DIR [--rows 1000000]

The same seed gives the same bytes. The request mix: three in four from known clients
(by id, number or mail), the rest unknown numbers and addresses; more calls than
mail; most requests in office hours, some in the evening, a few at night; a year of
days, written in time order, mostly without offset (my wall-clock time).
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

SEED = 20260123
VIENNA = ZoneInfo("Europe/Vienna")
TIMEZONES = ("Europe/Vienna", "Europe/Berlin", "Asia/Tokyo", "America/New_York",
             "Europe/London", "Australia/Sydney")
WINDOWS = (
    ["08:00-12:00", "13:00-17:00"], ["09:00-17:00"], ["07:30-16:00"], ["10:00-18:00"],
    ["08:00-12:00"], ["06:00-09:00", "17:00-20:00"], ["22:00-02:00"], ["00:00-24:00"],
)


def write_set(folder: Path, clients: int = 1000, tiers: int = 50, seed: int = SEED) -> None:
    """A policy set with `clients` clients over `tiers` tiers, rules and public holidays."""
    rnd = random.Random(seed)
    (folder / "tiers").mkdir(parents=True, exist_ok=True)
    (folder / "replies").mkdir(exist_ok=True)
    (folder / "me.toml").write_text(
        'name = "Bench Mark"\ntimezone = "Europe/Vienna"\nlocale = "de"\nholidays = "AT-9"\n'
        'callback_landlines = false\nunknown_tier = "tier-00"\n\n'
        '[[away]]\nfrom = 2026-08-03\nto = 2026-08-21\nreason = "Sommerurlaub"\n',
        encoding="utf-8")
    for i in range(tiers):
        lines = [f'description = "Generated tier {i}"']
        channels = rnd.sample(["call", "sms", "email", "chat"], rnd.randint(2, 4))
        lines.append(f"channels = {sorted(channels)!r}".replace("'", '"'))
        lines.append(f"on_holidays = {str(rnd.random() < 0.2).lower()}")
        lines.append(f'callback = "{rnd.choice(["always", "on-request", "never"])}"')
        lines += ["", "[hours]"]
        lines.append(f"mon-fri = {rnd.choice(WINDOWS)!r}".replace("'", '"'))
        if rnd.random() < 0.4:
            lines.append(f"sat = {rnd.choice(WINDOWS[:5])!r}".replace("'", '"'))
        if rnd.random() < 0.3:
            lines.append('fri = ["08:00-12:00"]')
        lines += ["", "[extra_effort]", f"allowed = {str(rnd.random() < 0.6).lower()}"]
        if rnd.random() < 0.7:
            lines.append(f"per_month = {rnd.randint(1, 8)}")
        lines.append(f'min_urgency = "{rnd.choice(["urgent", "emergency"])}"')
        for _ in range(rnd.randint(0, 4)):
            when = rnd.choice([
                '{ hours = "out", urgency = "emergency", channel = "call" }',
                '{ kind = "billing", channel = ["call", "sms"] }',
                '{ holiday = true }',
                '{ client_time = "00:00-06:00" }',
                '{ repeat = 3, hours = "out" }',
                '{ trust = "revoked", hours = "out" }',
            ])
            decide = rnd.choice(["answer", "later", "decline"])
            lines += ["", "[[rules]]", f"when = {when}", f'decide = "{decide}"',
                      f'note = "generated rule ({decide})"']
        (folder / "tiers" / f"tier-{i:02d}.toml").write_text("\n".join(lines) + "\n",
                                                             encoding="utf-8")
    out = []
    for c in range(clients):
        cid = f"client-{c:04d}"
        out += [f"[clients.{cid}]", f'name = "Client {c:04d} GmbH"',
                f'tier = "tier-{rnd.randrange(tiers):02d}"',
                f'phones = ["+43 1 {1000000 + c}", "+43 664 {2000000 + c}"]',
                f'emails = ["office@client{c:04d}.example"]']
        if rnd.random() < 0.2:
            out.append(f'timezone = "{rnd.choice(TIMEZONES)}"')
        if rnd.random() < 0.05:
            out.append('trust = "revoked"')
        if rnd.random() < 0.1:
            out.append("in_writing = true")
        out.append("")
    (folder / "clients.toml").write_text("\n".join(out), encoding="utf-8")
    for locale in ("de", "en"):
        (folder / "replies" / f"{locale}.toml").write_text(
            'after-hours = "Ich melde mich {next}."\nholiday = "Feiertag; {next}."\n'
            'away = "Urlaub; {next}."\nwrong-channel = "Bitte über {channels}."\n'
            'declined = "Leider nicht."\nconfirm = "Bestätigung folgt schriftlich."\n',
            encoding="utf-8")


def senders_of(policies: Path) -> list[str]:
    """Every client's id, numbers and addresses, as a request could name them."""
    import tomllib

    data = tomllib.loads((policies / "clients.toml").read_text(encoding="utf-8"))
    out = []
    for cid, c in data.get("clients", {}).items():
        out.append(cid)
        out += c.get("phones", []) + c.get("emails", [])
    return out


def write_requests(path: Path, senders: list[str], rows: int = 1_000_000,
                   seed: int = SEED, year: int = 2026) -> None:
    """`rows` requests over a year, in time order, as CSV with a pass-through column."""
    rnd = random.Random(seed)
    unknown = [f"+43 699 {rnd.randrange(1000000, 9999999)}" for _ in range(3000)]
    unknown += [f"+49 30 {rnd.randrange(1000000, 9999999)}" for _ in range(1000)]
    unknown += [f"person{n}@mail.example" for n in range(1000)]
    start = datetime(year, 1, 1)
    minutes = []
    hours_weight = [1, 1, 1, 1, 1, 2, 4, 10, 30, 40, 40, 35, 20, 30, 35, 35, 30, 20, 12,
                    8, 6, 4, 3, 2]
    days = 365
    for _ in range(rows):
        day = rnd.randrange(days)
        hour = rnd.choices(range(24), hours_weight)[0]
        minutes.append(day * 1440 + hour * 60 + rnd.randrange(60))
    minutes.sort()
    channels = ("call", "email", "sms", "chat")
    kinds = ("question", "task", "change", "billing", "complaint")
    urgencies = ("normal", "urgent", "emergency")
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write("from,at,channel,kind,urgency,ticket\n")
        for n, m in enumerate(minutes):
            who = rnd.choice(senders) if rnd.random() < 0.75 else rnd.choice(unknown)
            at = start + timedelta(minutes=m)
            if n % 10 == 0:  # one in ten with its offset
                when = at.replace(tzinfo=VIENNA).isoformat(timespec="minutes")
            else:
                when = at.strftime("%Y-%m-%dT%H:%M")
            ch = rnd.choices(channels, (40, 35, 15, 10))[0]
            kind = rnd.choices(kinds, (60, 20, 10, 5, 5))[0]
            urg = rnd.choices(urgencies, (85, 12, 3))[0]
            fh.write(f"{who},{when},{ch},{kind},{urg},T{n:07d}\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    s = sub.add_parser("set")
    s.add_argument("dir", type=Path)
    s.add_argument("--clients", type=int, default=1000)
    s.add_argument("--tiers", type=int, default=50)
    r = sub.add_parser("requests")
    r.add_argument("file", type=Path)
    r.add_argument("--policies", type=Path, required=True)
    r.add_argument("--rows", type=int, default=1_000_000)
    args = p.parse_args(argv)
    if args.what == "set":
        write_set(args.dir, args.clients, args.tiers)
    else:
        write_requests(args.file, senders_of(args.policies), args.rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())

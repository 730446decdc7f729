"""What a year of journal (50,000 entries) adds to `check`'s cold start.

Run by hand: `.venv/bin/python benchmarks/journal_facts.py [--runs 15] [--entries 50000]`.
Writes a deterministic journal for the example set into a temporary folder (12 monthly
files, eight clients and unknown senders), then times whole `check --json` processes with
that journal and with an empty one, interleaved, bytecode caching on, compiled cache warm.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from timing import interleaved, timed, user_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CLIENTS = ["acme", "baeckerei", "stahlwerk", "kanzlei", "tanaka", "praxis", "hartley",
           "rechenzentrum"]


def write_journal(folder: Path, n: int) -> None:
    rng = random.Random(42)
    tz = ZoneInfo("Europe/Vienna")
    start = datetime(2025, 1, 1, tzinfo=tz)
    by_month: dict[str, list[str]] = {}
    for i in range(n):
        at = start + timedelta(seconds=rng.randrange(365 * 86400))
        client = rng.choice([*CLIENTS, None])
        entry = {
            "id": f"{i:026d}", "recorded_at": at.isoformat(), "at": at.isoformat(),
            "from": client or f"+43699{rng.randrange(10**7):07d}",
            "sender": f"client:{client}" if client else f"number:+43699{i:07d}",
            "client": client, "channel": rng.choice(["call", "sms", "email"]),
            "kind": "question", "urgency": rng.choice(["normal", "urgent"]),
            "decision": rng.choice(["answer", "later"]), "tier": "premium",
            "within_hours": rng.random() < 0.7, "reason": "tiers/premium.toml:20",
            "policy_hash": "0" * 64, "extra_effort": rng.random() < 0.1,
            "reply_key": None, "outcome": rng.choice(["answered", "missed"]),
            "minutes": rng.randrange(60), "note": "",
        }
        by_month.setdefault(f"{at.year:04d}-{at.month:02d}", []).append(
            json.dumps(entry, separators=(",", ":")))
    folder.mkdir(parents=True)
    for month, lines in by_month.items():
        (folder / f"{month}.bench.jsonl").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--entries", type=int, default=50_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        full, empty = Path(tmp) / "year", Path(tmp) / "empty"
        write_journal(full, args.entries)
        empty.mkdir()
        size = sum(p.stat().st_size for p in full.iterdir())
        base = user_env(BOUNDARIES_POLICIES=str(REPO / "policies"))
        cmd = [str(BIN / "boundaries"), "check", "--from", "stahlwerk", "--urgency",
               "urgent", "--at", "2025-06-18T21:00", "--json"]
        with_year = {**base, "BOUNDARIES_JOURNAL": str(full)}
        without = {**base, "BOUNDARIES_JOURNAL": str(empty)}
        for env in (with_year, without):
            timed(cmd, env)
        samples = interleaved(args.runs, {"empty": partial(timed, cmd, without),
                                          "year": partial(timed, cmd, with_year)})
        a, b = samples["empty"], samples["year"]
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"journal: {args.entries} entries in 12 files, {size / 1e6:.1f} MB")
        print(f"check, empty journal     median {ma * 1000:6.1f} ms (n={len(a)})")
        print(f"check, a year of journal median {mb * 1000:6.1f} ms  "
              f"added {1000 * (mb - ma):+.1f} ms")


if __name__ == "__main__":
    main()

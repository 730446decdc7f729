"""Time `boundaries client import` end to end (a new process, reading, mapping, the lint of
the result and the atomic write) on N generated vCards in one file (issue #17: 10,000 cards
in <= 3 s). Each run imports into a fresh copy of a small set with one client; the median of
a few runs is printed, and how long `--dry-run` takes.

    .venv/bin/python benchmarks/client_import.py [--cards 10000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from vcards import write_cards  # noqa: E402

ME = 'name = "Bench"\ntimezone = "Europe/Vienna"\nlocale = "de"\nholidays = "AT-4"\n'
TIER = '[hours]\nmon-fri = "08:00-17:00"\n'
CLIENTS = '[clients.acme]\nname = "ACME"\ntier = "standard"\nphones = ["+43 732 123456"]\n'


def make_set(root: Path) -> None:
    (root / "tiers").mkdir(parents=True)
    (root / "me.toml").write_text(ME)
    (root / "tiers" / "standard.toml").write_text(TIER)
    (root / "clients.toml").write_text(CLIENTS)


def run_once(vcf: Path, work: Path, *more: str) -> tuple[float, str]:
    root = work / "set"
    shutil.rmtree(root, ignore_errors=True)
    make_set(root)
    env = {**os.environ, "BOUNDARIES_CACHE": "off"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "boundaries", "client", "import", str(vcf),
                           "--tier", "standard", "--policies", str(root), *more],
                          capture_output=True, text=True, env=env, check=False)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"client import failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return took, done.stderr.strip().splitlines()[-1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cards", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        vcf = work / "contacts.vcf"
        write_cards(vcf, args.cards)
        for label, more in (("import", ()), ("import --dry-run", ("--dry-run",))):
            times, summary = [], ""
            for _ in range(args.runs):
                took, summary = run_once(vcf, work, *more)
                times.append(took)
            print(f"{label:18} {args.cards} cards ({vcf.stat().st_size // 1024} KiB): median "
                  f"{statistics.median(times):.2f} s of {args.runs} "
                  f"(min {min(times):.2f}, max {max(times):.2f})   [{summary}]")


if __name__ == "__main__":
    main()

"""Time `boundaries client import` end to end (a new process, reading, mapping, the lint of
the result and the atomic write) on N generated vCards in one file (issue #17: 10,000 cards
in <= 3 s). Each run imports into a fresh copy of a small set with one client; the median of
a few runs is printed, and how long `--dry-run` takes, each next to a floor measured in the
same run, interleaved: a process that reads the file and splits its lines.

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

from timing import timed, user_env  # noqa: E402
from vcards import write_cards  # noqa: E402

FLOOR = "import sys; open(sys.argv[1], 'rb').read().splitlines()"

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
        cases = {"floor": (), "import": (), "import --dry-run": ("--dry-run",)}
        times: dict[str, list[float]] = {label: [] for label in cases}
        summary: dict[str, str] = {}
        for _ in range(args.runs):  # interleaved: machine noise hits all cases alike
            for label, more in cases.items():
                if label == "floor":
                    times[label].append(timed([sys.executable, "-c", FLOOR, str(vcf)],
                                              user_env()))
                else:
                    took, summary[label] = run_once(vcf, work, *more)
                    times[label].append(took)
        floor = statistics.median(times["floor"])
        for label, values in times.items():
            med = statistics.median(values)
            print(f"{label:18} {args.cards} cards ({vcf.stat().st_size // 1024} KiB): median "
                  f"{med:.2f} s of {args.runs} (min {min(values):.2f}, max {max(values):.2f}), "
                  f"{med / floor:.1f}× the floor   [{summary.get(label, 'read + split')}]")

if __name__ == "__main__":
    main()

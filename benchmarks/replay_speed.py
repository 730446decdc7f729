"""Replay speed, next to a floor measured in the same run; peak memory (load + lint of the
large set: `benchmarks/load_lint.py`).

Run by hand (data is generated once into --work, deterministic):

    .venv/bin/python benchmarks/replay_speed.py [--runs 3] [--rows 1000000] [--ten-million]

Every figure times a whole process (`subprocess`, `time.perf_counter`), bytecode caching
on as on a user's machine. The floor is a process that reads the same CSV with the csv
module, parses every `at` with datetime.fromisoformat and converts it to local time in
Europe/Vienna: what any replay must at least do. Runs are interleaved so that machine
noise hits all commands alike; medians are quoted.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from generate import senders_of, write_requests, write_set
from timing import interleaved, timed, user_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

FLOOR = r"""
import csv, sys
from datetime import datetime
from zoneinfo import ZoneInfo
tz = ZoneInfo("Europe/Vienna")
n = 0
with open(sys.argv[1], newline="", encoding="utf-8") as fh:
    rows = csv.reader(fh)
    at = next(rows).index("at")
    for row in rows:
        dt = datetime.fromisoformat(row[at])
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=tz)
        dt.astimezone(tz)
        n += 1
print(n)
"""


PEAK = ("import resource, subprocess, sys\n"
        "subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, "
        "check=True)\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)")


def peak_memory(cmd: list[str], env: dict[str, str], stdin=None) -> tuple[float, int]:
    """Seconds and peak RSS in MiB of one process (run under a fresh parent, so that
    RUSAGE_CHILDREN holds that process alone)."""
    t = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", PEAK, *cmd], env=env, stdin=stdin,
                         capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - t, int(out.split()[-1])


def prepare(work: Path, rows: int) -> dict[str, Path]:
    work.mkdir(parents=True, exist_ok=True)
    large = work / "large-set"
    if not (large / "me.toml").exists():
        write_set(large)
    files = {"example": work / f"example-{rows}.csv", "large": work / f"large-{rows}.csv"}
    if not files["example"].exists():
        write_requests(files["example"], senders_of(REPO / "policies"), rows)
    if not files["large"].exists():
        write_requests(files["large"], senders_of(large), rows)
    return {**files, "large-set": large}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bnd-bench")
    ap.add_argument("--ten-million", action="store_true",
                    help="also replay 10M rows (the file ten times, through stdin)")
    args = ap.parse_args()
    data = prepare(args.work, args.rows)
    env = user_env(BOUNDARIES_CACHE="off")
    boundaries = str(BIN / "boundaries")
    cases = {
        "floor (parse + local time)": [sys.executable, "-c", FLOOR, str(data["example"])],
        "replay example set --no-history": [
            boundaries, "replay", str(data["example"]), "--no-history",
            "--policies", str(REPO / "policies")],
        "replay example set (history)": [
            boundaries, "replay", str(data["example"]), "--policies", str(REPO / "policies")],
        "replay large set --no-history": [
            boundaries, "replay", str(data["large"]), "--no-history",
            "--policies", str(data["large-set"])],
    }
    for cmd in cases.values():  # warm bytecode
        subprocess.run(cmd, env=env, capture_output=True, check=False)
    samples = interleaved(args.runs, {name: partial(timed, cmd, env)
                                      for name, cmd in cases.items()})
    floor = statistics.median(samples["floor (parse + local time)"])
    print(f"{args.rows:,} rows, {args.runs} runs each, interleaved; whole processes")
    for name, vals in samples.items():
        med = statistics.median(vals)
        rate = args.rows / med
        print(f"{name:<34} median {med:6.2f} s  {rate:>9,.0f} rows/s  "
              f"{floor / med:4.2f} of the floor  (min {min(vals):.2f}, max {max(vals):.2f})")

    _, mem1 = peak_memory(cases["replay example set --no-history"], env)
    print(f"peak memory, {args.rows:,} rows: {mem1} MiB")
    if args.ten_million:
        cat = subprocess.Popen(
            ["sh", "-c", 'head -1 "$0"; for i in 1 2 3 4 5 6 7 8 9 10; do tail -n +2 "$0"; '
                         'done', str(data["example"])], stdout=subprocess.PIPE)
        secs, mem10 = peak_memory(
            [boundaries, "replay", "-", "--no-history", "--policies", str(REPO / "policies")],
            env, stdin=cat.stdout)
        cat.wait()
        print(f"peak memory, {10 * args.rows:,} rows (stdin): {mem10} MiB "
              f"({10 * args.rows / secs:,.0f} rows/s)")


if __name__ == "__main__":
    main()

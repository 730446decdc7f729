"""Calendars (issue #14): what a vdir of 5,000 events costs `check --json` and `replay`.

Run by hand (data is generated once into --work, deterministic):

    .venv/bin/python benchmarks/calendars.py [--runs 15] [--events 5000] [--open 0.1]
                                             [--replay-rows 1000000]

Every figure times a whole process (`subprocess`, `time.perf_counter`), bytecode caching
on as on a user's machine, runs interleaved so that machine noise hits every case alike;
medians are quoted, with the floor (`python -c pass`) of the same run.

- warm: `check --json` on a copy of the example set without calendars, and on the same
  copy with `[[calendars]]` naming the vdir, both caches warm; beside them, a process that
  only lists the vdir and stats every file (what the exact cache key costs at least);
- cold: the same check after the calendar cache was removed (the compiled policy cache
  kept): the first load of the vdir;
- replay: `--replay-rows` requests over 2026 with and without the calendar (warm).

`--open` is the share of series that never end (the rest end with UNTIL or COUNT).
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

from calendar_data import write_vdir
from generate import senders_of, write_requests
from timing import interleaved, timed, user_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _sets(work: Path, vdir: Path) -> tuple[Path, Path]:
    """Two copies of the example set: without calendars, and with the vdir."""
    plain, with_cal = work / "plain", work / "with-calendar"
    for folder in (plain, with_cal):
        if folder.exists():
            shutil.rmtree(folder)
        shutil.copytree(REPO / "policies", folder)
        shutil.rmtree(folder / "calendars")
        me = folder / "me.toml"
        text = me.read_text("utf-8")
        head = text[:re.search(r"^\[\[calendars\]\]", text, re.MULTILINE).start()]
        if folder is with_cal:
            head += f'[[calendars]]\npath = "{vdir}"\n'
        me.write_text(head, "utf-8")
    return plain, with_cal


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--open", type=float, default=0.02,
                    help="share of series that never end (default 0.02: 33 weekly or "
                    "monthly meetings still running in 2026 of 5,000 events)")
    ap.add_argument("--replay-rows", type=int, default=1_000_000)
    ap.add_argument("--replay-runs", type=int, default=3)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bnd-cal")
    args = ap.parse_args()
    work = args.work / f"{args.events}-{args.open}"
    vdir = work / "vdir"
    if not vdir.is_dir():
        write_vdir(vdir, args.events, open_share=args.open)
    plain, with_cal = _sets(work, vdir)
    cache = work / "cache"
    env = user_env(BOUNDARIES_CACHE=str(cache))
    exe = str(BIN / "boundaries")
    check = ["check", "--from", "acme", "--at", "2026-12-02T10:15", "--json"]
    cmd_plain = [exe, *check, "--policies", str(plain)]
    cmd_cal = [exe, *check, "--policies", str(with_cal)]

    def cold() -> float:
        shutil.rmtree(cache / "calendars", ignore_errors=True)
        return timed(cmd_cal, env)

    for cmd in (cmd_plain, cmd_cal):  # warm bytecode and both caches
        subprocess.run(cmd, env=env, capture_output=True, check=True)
    stat_all = ("import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); "
                "[os.stat(n, dir_fd=fd) for n in os.listdir(fd)]")
    samples = interleaved(args.runs, {
        "floor (python -c pass)": partial(timed, [sys.executable, "-c", "pass"], env),
        "floor + stat every file": partial(timed, [sys.executable, "-c", stat_all, str(vdir)],
                                           env),
        "check --json, no calendar": partial(timed, cmd_plain, env),
        "check --json, vdir (warm)": partial(timed, cmd_cal, env),
    })
    cold_samples = interleaved(max(3, args.runs // 3), {"cold": cold})["cold"]
    subprocess.run(cmd_cal, env=env, capture_output=True, check=True)
    med = {name: statistics.median(v) for name, v in samples.items()}
    floor, base = med["floor (python -c pass)"], med["check --json, no calendar"]
    print(f"{args.events:,} events ({args.open:.0%} of series open-ended), "
          f"{args.runs} runs each, interleaved; whole processes")
    for name, value in med.items():
        print(f"{name:<28} median {value * 1000:7.1f} ms  {value / floor:5.2f}× the floor"
              f"  {value / base:5.3f}× no calendar")
    c = statistics.median(cold_samples)
    print(f"{'check --json, vdir (cold)':<28} median {c * 1000:7.1f} ms  {c / floor:5.2f}× the "
          f"floor  {c / base:5.3f}× no calendar  (the vdir's first load: "
          f"{(c - base) * 1000:.0f} ms more than a warm check without it)")

    if args.replay_rows:
        rows = work / f"requests-{args.replay_rows}.csv"
        if not rows.exists():
            write_requests(rows, senders_of(REPO / "policies"), args.replay_rows)
        replay = [exe, "replay", str(rows), "--no-history"]
        cases = {"replay, no calendar": [*replay, "--policies", str(plain)],
                 "replay, vdir (warm)": [*replay, "--policies", str(with_cal)]}
        for cmd in cases.values():
            subprocess.run(cmd, env=env, capture_output=True, check=True)
        got = interleaved(args.replay_runs, {n: partial(timed, c, env) for n, c in cases.items()})
        for name, vals in got.items():
            m = statistics.median(vals)
            print(f"{name:<28} median {m:6.2f} s  {args.replay_rows / m:>9,.0f} rows/s")


if __name__ == "__main__":
    main()

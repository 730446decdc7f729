"""Cold start of `check` and replay speed, before and after a change, interleaved.

    git worktree add /tmp/before <commit-before>
    .venv/bin/python benchmarks/before_after.py /tmp/before [--runs 15] [--rows 200000]

Both trees run with this checkout's interpreter and libraries, each through
`PYTHONPATH=<tree>` and its own compiled-policy cache (warmed first), bytecode caching on.
Every case is a whole process; the cases take turns so that machine noise hits them alike;
medians are printed with their ratio to a floor measured in the same run (`python -c pass`
for the start, the csv + fromisoformat reader of `replay_speed.py` for replay).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

from generate import senders_of, write_requests
from replay_speed import FLOOR
from timing import interleaved, timed, user_env

REPO = Path(__file__).resolve().parent.parent
CHECK = ["-m", "boundaries", "check", "--from", "acme", "--at", "2026-01-08T18:20", "--json"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path, help="a worktree of the code before the change")
    ap.add_argument("--runs", type=int, default=15, help="runs of each start case")
    ap.add_argument("--replay-runs", type=int, default=5, help="runs of each replay case")
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bnd-ab")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    csv = args.work / f"example-{args.rows}.csv"
    if not csv.exists():
        write_requests(csv, senders_of(REPO / "policies"), args.rows)
    trees = {"before": args.before.resolve(), "after": REPO}
    envs = {}
    for name, tree in trees.items():
        cache = args.work / f"cache-{name}"
        cache.mkdir(mode=0o700, exist_ok=True)
        envs[name] = user_env(PYTHONPATH=str(tree), BOUNDARIES_CACHE=str(cache),
                              BOUNDARIES_POLICIES=str(REPO / "policies"),
                              BOUNDARIES_JOURNAL=str(args.work / "journal"))
    py = sys.executable
    replay = ["-m", "boundaries", "replay", str(csv), "--no-history"]
    for name, env in envs.items():  # warm bytecode and the compiled cache
        for cmd in ([py, *CHECK], [py, *CHECK], [py, *replay]):
            subprocess.run(cmd, env=env, cwd=trees[name], capture_output=True, check=True)

    def run(cmd: list[str], name: str) -> float:
        return timed(cmd, envs[name]) if name == "floor" else _timed_in(cmd, envs[name],
                                                                         trees[name])

    start = interleaved(args.runs, {
        "floor": partial(timed, [py, "-c", "pass"], envs["after"]),
        "check before": partial(run, [py, *CHECK], "before"),
        "check after": partial(run, [py, *CHECK], "after")})
    rows = interleaved(args.replay_runs, {
        "floor": partial(timed, [py, "-c", FLOOR, str(csv)], envs["after"]),
        "replay before": partial(run, [py, *replay], "before"),
        "replay after": partial(run, [py, *replay], "after")})
    for title, samples, unit in (("start of `check --json`, warm cache", start, "ms"),
                                 (f"replay --no-history, {args.rows:,} rows", rows, "s")):
        floor = statistics.median(samples["floor"])
        print(f"{title} ({len(samples['floor'])} runs each, interleaved)")
        for name, values in samples.items():
            med = statistics.median(values)
            shown = f"{med * 1000:7.1f} ms" if unit == "ms" else f"{med:7.2f} s"
            print(f"  {name:<14} median {shown}  {med / floor:5.2f}× the floor")


def _timed_in(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    """`timing.timed` from inside `cwd` (so `-m boundaries` finds that tree first)."""
    here = os.getcwd()
    os.chdir(cwd)
    try:
        return timed(cmd, env)
    finally:
        os.chdir(here)


if __name__ == "__main__":
    main()

"""The big fuzz run, by hand: N seeded sets (default 2,000) through the CLI, two processes.

    .venv/bin/python tests/fuzz/run.py                      # 2,000 sets, seed "reliability"
    .venv/bin/python tests/fuzz/run.py --sets 5000 --seed x
    .venv/bin/python tests/fuzz/run.py --seed make-test --only 17 --keep /tmp/case17

Prints the counts (sets, runs, exit codes per command, broken promises) that
docs/reliability.md records, and the first failures in full; exits 1 if any promise broke.
`--only N --keep DIR` writes case N to DIR and leaves it there, to be looked at.
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import NamedTuple

if __package__ in (None, ""):  # run as a script: make `tests.fuzz` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.fuzz.mutate import build
from tests.fuzz.promises import COMMANDS, check_case

MAX_JOBS = 2


class Outcome(NamedTuple):
    """What one set did, small enough to send back from a worker."""

    index: int
    typed: bool
    cache: bool
    lint_clean: bool
    codes: list[tuple[str, int]]
    problems: list[str]
    failures: list[str]


def one(job: tuple[str, int, str | None]) -> Outcome:
    """Build, run and check set `index` in a temporary folder (or `keep`)."""
    seed, index, keep = job
    folder = Path(keep) if keep else Path(tempfile.mkdtemp(prefix=f"fuzz-{index}-"))
    try:
        case = build(seed, index, folder)
        cache = index % 4 != 0
        result = check_case(case, cache=cache)
        return Outcome(index, case.typed, cache,
                       any(r.name == "lint" and r.code == 0 for r in result.runs),
                       [(r.name, r.code) for r in result.runs],
                       [f.problem for f in result.failures],
                       [f.format() for f in result.failures])
    finally:
        if not keep:
            shutil.rmtree(folder, ignore_errors=True)


def summary(seed: str, outcomes: list[Outcome], seconds: float) -> str:
    codes = Counter(c for o in outcomes for c in o.codes)
    problems = Counter(p.split(":")[0] if p.startswith("control") else p
                       for o in outcomes for p in o.problems)
    failing = [o for o in outcomes if o.failures]
    lines = [
        f"seed {seed!r}: {len(outcomes)} sets in {seconds:.0f} s "
        f"({sum(o.typed for o in outcomes)} with typed values only, "
        f"{sum(o.cache for o in outcomes)} with the cache on, "
        f"{sum(o.lint_clean for o in outcomes)} lint clean)",
        f"runs: {sum(codes.values())}",
    ]
    for cmd in COMMANDS:
        per = {code: n for (c, code), n in sorted(codes.items()) if c == cmd}
        lines.append(f"  {cmd:<7}" + "  ".join(f"exit {code}: {n}" for code, n in per.items()))
    n_fail = sum(len(o.failures) for o in outcomes)
    lines.append(f"broken promises: {n_fail} in {len(failing)} sets")
    lines += [f"  {n:>5}  {p}" for p, n in problems.most_common()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sets", type=int, default=2000, help="how many sets (default 2000)")
    p.add_argument("--seed", default="reliability", help="the seed (default: reliability)")
    p.add_argument("--start", type=int, default=0, help="first set index (default 0)")
    p.add_argument("--jobs", type=int, default=MAX_JOBS, help="processes, at most 2")
    p.add_argument("--only", type=int, metavar="N", help="run set N only")
    p.add_argument("--keep", metavar="DIR", help="with --only: write the set to DIR, keep it")
    p.add_argument("--show", type=int, default=10, help="failures printed in full")
    args = p.parse_args(argv)
    if args.only is not None:
        out = one((args.seed, args.only, args.keep))
        print("\n\n".join(out.failures) or f"set {args.only}: every promise kept")
        return 1 if out.failures else 0
    jobs = [(args.seed, i, None) for i in range(args.start, args.start + args.sets)]
    started = time.perf_counter()
    outcomes: list[Outcome] = []
    step = max(1, len(jobs) // 20)
    with multiprocessing.Pool(max(1, min(args.jobs, MAX_JOBS)), maxtasksperchild=200) as pool:
        for out in pool.imap_unordered(one, jobs, chunksize=4):
            outcomes.append(out)
            if len(outcomes) % step == 0 or len(outcomes) == len(jobs):
                bad = sum(bool(o.failures) for o in outcomes)
                print(f"  {len(outcomes)}/{len(jobs)} sets, {bad} failing, "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    outcomes.sort(key=lambda o: o.index)
    print(summary(args.seed, outcomes, time.perf_counter() - started))
    shown = [f for o in outcomes for f in o.failures][: args.show]
    if shown:
        print("\nfirst failures:\n\n" + "\n\n".join(shown))
    return 1 if any(o.failures for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())

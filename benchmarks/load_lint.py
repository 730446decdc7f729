"""Load + lint of the large generated set (1,000 clients, 50 tiers): in a warm interpreter
and as whole `boundaries lint` processes, in the three situations a user meets.

    .venv/bin/python benchmarks/load_lint.py [--runs 9] [--work DIR]

- cold: nothing cached (first run ever, or `BOUNDARIES_CACHE=off`);
- after an edit: a tier file changed since the last run, so the compiled set is rebuilt,
  but the phone numbers of the last load are reused;
- unchanged: the compiled set comes from the cache.

Floors, measured in the same run, interleaved: `tomllib.loads` of the same files (what
any loader must at least do) in-process, and `python -c pass` for whole processes.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

from generate import write_set
from timing import interleaved, timed, user_env

BIN = Path(sys.executable).parent

IN_PROCESS = r"""
import statistics, sys, time, tomllib
from pathlib import Path
from boundaries import phones
from boundaries.policy.load import load, load_with_memo
from boundaries.policy.cache import peek_cached, load_cached

root, runs = Path(sys.argv[1]), int(sys.argv[2])
texts = [p.read_text(encoding="utf-8") for p in sorted(root.rglob("*.toml"))]
_, memo = load_with_memo(root)
load_cached(root)

def floor():
    for t in texts:
        tomllib.loads(t)

def cold():
    phones.classify.cache_clear()
    load(root)

def after_edit():  # tier-00.toml is edited below, so it is parsed again each time
    phones.classify.cache_clear()
    load_with_memo(root, "", memo)

def unchanged():
    assert peek_cached(root) is not None

tier = root / "tiers" / "tier-00.toml"
original = tier.read_text(encoding="utf-8")
tier.write_text(original + "\n# edited\n", encoding="utf-8")
load_cached(root)  # the cache now holds the edited set: `unchanged` stays a hit
times = {f.__name__: [] for f in (floor, cold, after_edit, unchanged)}
try:
    for _ in range(runs):
        for f in (floor, cold, after_edit, unchanged):
            t = time.perf_counter()
            f()
            times[f.__name__].append(time.perf_counter() - t)
finally:
    tier.write_text(original, encoding="utf-8")
for name, ts in times.items():
    print(name, statistics.median(ts))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "bnd-load")
    args = ap.parse_args()
    root = args.work / "large-set"
    if not root.is_dir():
        write_set(root)
    cache = args.work / "cache"
    env = user_env(BOUNDARIES_CACHE=str(cache))

    out = subprocess.run([sys.executable, "-c", IN_PROCESS, str(root), str(args.runs)],
                         env=env, capture_output=True, text=True, check=True).stdout
    inner = {name: float(t) for name, t in (line.split() for line in out.splitlines())}
    print(f"in-process, median of {args.runs}:")
    for name, t in inner.items():
        print(f"  {name:11} {t * 1000:7.1f} ms  {t / inner['floor']:5.2f}× tomllib")

    lint = [str(BIN / "boundaries"), "lint", "--policies", str(root)]
    tier = root / "tiers" / "tier-00.toml"
    original = tier.read_text(encoding="utf-8")
    off = user_env(BOUNDARIES_CACHE="off")
    edits = itertools.count()

    def after_edit() -> float:
        tier.write_text(original + f"\n# edit {next(edits)}\n", encoding="utf-8")
        return timed(lint, env)

    timed(lint, env)
    try:  # in this order: "unchanged" runs right after an edit was compiled
        times = interleaved(args.runs, {"python": partial(timed, [sys.executable, "-c", "pass"],
                                                          env),
                                        "cold": partial(timed, lint, off),
                                        "after edit": after_edit,
                                        "unchanged": partial(timed, lint, env)})
    finally:
        tier.write_text(original, encoding="utf-8")
    floor = statistics.median(times["python"])
    print(f"whole `boundaries lint` processes, median of {args.runs}:")
    for name, ts in times.items():
        t = statistics.median(ts)
        print(f"  {name:11} {t * 1000:7.1f} ms  {t / floor:5.2f}× python -c pass")


if __name__ == "__main__":
    main()

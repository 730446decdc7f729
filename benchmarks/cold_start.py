"""Cold start of `boundaries check --json` against a bare interpreter, in the same run.

Run by hand: `.venv/bin/python benchmarks/cold_start.py [--runs 15]`.
Bytecode caching is switched on for the children (PYTHONDONTWRITEBYTECODE removed), as on
a user's machine; the compiled policy cache is warmed by one untimed run first.
Prints medians, the ratio to `python -c pass`, and the slowest imports.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from functools import partial
from pathlib import Path

from timing import interleaved, timed, user_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    env = user_env(BOUNDARIES_POLICIES=os.environ.get("BENCH_POLICIES",
                                                     str(REPO / "policies")))
    check = [str(BIN / "boundaries"), "check", "--from", "acme", "--at", "2026-01-08T18:20",
             "--json"]
    by_number = [*check[:3], "+43 732 123456", *check[4:]]
    unknown = [*check[:3], "+43 699 12345678", *check[4:]]
    bare = [sys.executable, "-c", "pass"]
    no_cache = {**env, "BOUNDARIES_CACHE": "off"}
    for cmd in (check, by_number, unknown, bare):  # warm bytecode and the compiled policy cache
        subprocess.run(cmd, env=env, capture_output=True, check=False)
    rows = []
    # interleave so that machine noise hits all commands alike
    cases = {
        "bare": (bare, env),
        "check --from acme": (check, env),
        "check client's number": (by_number, env),
        "check unknown number": (unknown, env),
        "check, no cache": (check, no_cache),
    }
    samples = interleaved(args.runs, {name: partial(timed, cmd, cmd_env)
                                      for name, (cmd, cmd_env) in cases.items()})
    floor = statistics.median(samples["bare"])
    for name, vals in samples.items():
        med = statistics.median(vals)
        rows.append(f"{name:<24} median {med * 1000:7.1f} ms   ratio {med / floor:4.1f}×   "
                    f"(min {min(vals) * 1000:.1f}, max {max(vals) * 1000:.1f}, n={len(vals)})")
    print("\n".join(rows))
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "boundaries", *check[1:]],
                       env=env, capture_output=True, text=True, check=False)
    imports = []
    for line in r.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            parts = line.split("|")
            try:
                imports.append((int(parts[1]), parts[2].rstrip()))
            except ValueError:
                continue
    print("\nslowest imports of `check` (cumulative µs):")
    for us, name in sorted(imports, reverse=True)[:12]:
        print(f"  {us:8d}  {name}")


if __name__ == "__main__":
    main()

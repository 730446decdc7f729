"""`core.engine.decide` in a tight loop: decisions per second over varied requests.

Run by hand:

    .venv/bin/python benchmarks/decide_loop.py [--runs 7] [--requests 5000] [--before TREE]
    .venv/bin/python benchmarks/decide_loop.py --profile   # cProfile of one loop, top 30

The example set (`policies/`, or `$BENCH_POLICIES`) with its calendars is loaded once;
`--requests` requests are built from it (seed 2026: its clients by id, number and address,
unknown numbers and addresses; every channel, kind and urgency; times over December 2026
to March 2027, so that the calendars' events, holidays and time off all come up), decided
once to warm the calendar months, then decided again, timed. Each run is a whole process
(the code of `TREE` through PYTHONPATH with `--before`, in the same turns), printing its
rate and a digest of every decision's repr: the digests of both trees must be equal (a
change that makes deciding faster must not change a decision). Nothing of the user's is
read or written: the compiled cache and the journal are temporary folders.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from timing import user_env

REPO = Path(__file__).resolve().parent.parent
SEED = 2026


def requests_of(ps, n: int) -> list:
    """`n` varied requests for the set `ps` (deterministic)."""
    from boundaries.service import build_request

    rnd = random.Random(SEED)
    senders = []
    for c in ps.clients.values():
        senders.append(c.id)
        senders += [*c.phones, *c.emails]
    unknown = ["+43 699 12345678", "+49 30 1234567", "+43 1 5556677", "+1 212 555 0100",
               "person@mail.example", "noreply@shop.example", "+43 732 998877"]
    start = datetime(2026, 12, 1)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    out = []
    for _ in range(n):
        who = rnd.choice(senders) if rnd.random() < 0.75 else rnd.choice(unknown)
        at = start + timedelta(minutes=rnd.randrange(120 * 1440))
        fields = {"from": who, "at": at.strftime("%Y-%m-%dT%H:%M"),
                  "channel": rnd.choice(("call", "call", "email", "sms", "chat")),
                  "kind": rnd.choice(("question", "question", "task", "change", "billing",
                                      "complaint")),
                  "urgency": rnd.choices(("normal", "urgent", "emergency"), (80, 15, 5))[0]}
        out.append(build_request(ps, fields, now))
    return out


def child(n: int, passes: int, profile: bool) -> None:
    """In this process: load, build, warm, time; print rate and digest as JSON."""
    from boundaries.core.engine import decide
    from boundaries.service import good_policies, open_set

    ps = good_policies(open_set().result)
    reqs = requests_of(ps, n)
    digest = hashlib.sha256()
    for r in reqs:  # warm the calendar months; the digest of every decision
        digest.update(repr(decide(ps, r)).encode())
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for r in reqs:
            decide(ps, r)
        prof.disable()
        pstats.Stats(prof).sort_stats("tottime").print_stats(30)
        pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
        return
    t = time.perf_counter()
    for _ in range(passes):
        for r in reqs:
            decide(ps, r)
    secs = time.perf_counter() - t
    print(json.dumps({"rate": n * passes / secs, "digest": digest.hexdigest()}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--requests", type=int, default=5000)
    ap.add_argument("--passes", type=int, default=2, help="timed loops over the requests")
    ap.add_argument("--before", metavar="TREE", help="also time the code of this work tree")
    ap.add_argument("--profile", action="store_true", help="cProfile one loop, in-process")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child or args.profile:
        child(args.requests, args.passes, args.profile)
        return
    trees = {"after": str(REPO)}
    if args.before:
        trees = {"before": str(Path(args.before).resolve()), **trees}
    rates: dict[str, list[float]] = {name: [] for name in trees}
    digests: dict[str, set[str]] = {name: set() for name in trees}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.runs):
            for name, tree in trees.items():
                env = user_env(PYTHONPATH=tree,
                               BOUNDARIES_POLICIES=os.environ.get("BENCH_POLICIES",
                                                                  str(REPO / "policies")),
                               BOUNDARIES_CACHE=str(Path(tmp) / f"cache-{name}"),
                               BOUNDARIES_JOURNAL=str(Path(tmp) / "journal"))
                done = subprocess.run(
                    [sys.executable, __file__, "--child", "--requests", str(args.requests),
                     "--passes", str(args.passes)],
                    env=env, cwd=tree, stdout=subprocess.PIPE, check=True, text=True)
                got = json.loads(done.stdout.strip().splitlines()[-1])
                rates[name].append(got["rate"])
                digests[name].add(got["digest"])
    print(f"{args.requests:,} requests × {args.passes} passes, {args.runs} runs each, "
          f"interleaved; load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    med = {name: statistics.median(v) for name, v in rates.items()}
    for name, values in rates.items():
        print(f"{name:<7} median {med[name]:9,.0f} decisions/s  (min {min(values):,.0f}, "
              f"max {max(values):,.0f}); digest {', '.join(sorted(digests[name]))[:16]}")
    if args.before:
        same = digests["before"] == digests["after"] and len(digests["after"]) == 1
        print(f"after / before {med['after'] / med['before']:.2f}; decisions "
              f"{'identical' if same else 'DIFFER'}")


if __name__ == "__main__":
    main()

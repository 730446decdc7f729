"""`check --json` on a fixed sample of requests, to prove a change kept every decision.

    python benchmarks/check_json_sample.py --write before.jsonl     # on the old code
    python benchmarks/check_json_sample.py --compare before.jsonl   # on the new code

The sample (200 requests by default, seeded) covers the example set's clients by id, name,
number and mail, unknown numbers and addresses, every channel, kind and urgency, and times
spread over a year (nights, weekends, holidays, DST changes). Each request runs in-process
with the compiled cache off and an empty journal; the outputs are compared byte for byte.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import random
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SENDERS = [
    "acme", "ACME Abrechnung GmbH", "+43 732 123456", "0664 1234567", "office@acme.example",
    "baeckerei", "+43 650 4433221", "stahlwerk", "+43 664 5550101", "+43 7223 55501",
    "kanzlei", "0732 661122", "tanaka", "+81 3 1234 5678", "k.tanaka@tanaka-systems.example",
    "praxis", "+43 660 7788990", "hartley", "accounts@hartley.example", "rechenzentrum",
    "+43 676 9990001", "+43 699 1111111", "+49 30 1234567", "stranger@example.org", "0800 123",
]
CHANNELS = ["call", "sms", "email", "chat"]
KINDS = ["question", "task", "change", "billing", "complaint"]
URGENCIES = ["normal", "urgent", "emergency"]


def sample(n: int, seed: int) -> list[list[str]]:
    """`n` argument lists for `boundaries check`, the same for the same seed."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1)
    out = []
    for _ in range(n):
        at = start + timedelta(minutes=rng.randrange(0, 365 * 24 * 60, 5))
        out.append(["--from", rng.choice(SENDERS), "--channel", rng.choice(CHANNELS),
                    "--kind", rng.choice(KINDS), "--urgency", rng.choice(URGENCIES),
                    "--at", at.strftime("%Y-%m-%dT%H:%M")])
    return out


def run_all(requests: list[list[str]], policies: Path) -> list[dict]:
    """Each request's exit code and stdout (its JSON), run in this process."""
    from boundaries.cli.main import main

    results = []
    with tempfile.TemporaryDirectory() as journal:
        for args in requests:
            out, err = io.StringIO(), io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    code = main(["check", "--policies", str(policies), "--journal", journal,
                                 "--json", *args])
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else 2
            results.append({"args": args, "code": code, "stdout": out.getvalue()})
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--write", type=Path, help="write the outputs to this JSON-lines file")
    group.add_argument("--compare", type=Path, help="compare with a file --write made")
    parser.add_argument("-n", type=int, default=200, help="requests (default 200)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--policies", type=Path, default=REPO / "policies")
    args = parser.parse_args()
    os.environ["BOUNDARIES_CACHE"] = "off"
    results = run_all(sample(args.n, args.seed), args.policies)
    if args.write:
        args.write.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n"
                                      for r in results), encoding="utf-8")
        print(f"{len(results)} outputs written to {args.write}")
        return 0
    before = [json.loads(line) for line in args.compare.read_text(encoding="utf-8").splitlines()]
    differ = [(a, b) for a, b in zip(before, results, strict=True) if a != b]
    for a, b in differ[:5]:
        print(f"differs: check {' '.join(a['args'])}\n  before: {a['stdout'][:200]!r}\n"
              f"  after:  {b['stdout'][:200]!r}", file=sys.stderr)
    print(f"{len(results)} requests: {len(results) - len(differ)} identical, "
          f"{len(differ)} different")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())

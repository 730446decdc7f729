"""`boundaries mail --maildir`: 10,000 messages decided and drafted, and a second run with
nothing new, against a floor that only parses the same files' headers.

Run by hand: `.venv/bin/python benchmarks/mail.py [--runs 5] [--messages 10000]`.

The Maildir is written once (benchmarks/mail_data.py, seed 2026) into a temporary folder;
then, taking turns run by run so that machine noise hits all alike, each a whole process:

- **floor**: a `python -c` that lists `new/` and `cur/`, reads each file up to its first
  empty line and parses that header block with `email.parser.BytesHeaderParser` and
  `policy.compat32`, and gets From, Subject, Date and Message-ID — what a minimal tool that
  only parses headers does (compat32 hands back each header's text, as this project's own
  reader uses it; `policy.default` would parse each header into objects, a slower and so
  kinder floor). **floor (whole files)** is the same parse handed each open file, which
  reads it to its end: the floor as issue 16's first measurement took it.
- **first run**: `boundaries mail --maildir M --drafts D` with a fresh journal, Drafts and
  cache folder each time (the compiled policy set copied in warm, as on a user's machine
  after any earlier command; the list of Maildir files decided before starts empty).
- **second run**: the same command again over the same folders: nothing new.

Each first run is checked to have done the work: its drafts in `D/cur`, its journal lines,
and the summary line. Bytecode caching on; nothing of the user's is read or written.
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

from mail_data import write_maildir
from timing import user_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

FLOOR = """
import os, sys
from email.parser import BytesHeaderParser
from email.policy import compat32
parser = BytesHeaderParser(policy=compat32)
n = 0
for sub in ("new", "cur"):
    folder = os.path.join(sys.argv[1], sub)
    for name in os.listdir(folder):
        with open(os.path.join(folder, name), "rb") as fh:
            if sys.argv[2] == "whole":
                m = parser.parse(fh)
            else:
                lines = []
                for line in fh:
                    if line in (b"\\r\\n", b"\\n"):
                        break
                    lines.append(line)
                m = parser.parsebytes(b"".join(lines))
        got = (m["From"], m["Subject"], m["Date"], m["Message-ID"])
        n += 1
assert n == int(sys.argv[3]), n
"""


def _run(cmd: list[str], env: dict[str, str]) -> tuple[float, str]:
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          check=True, text=True)
    return time.perf_counter() - t, done.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--messages", type=int, default=10_000)
    args = ap.parse_args()
    n = args.messages
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        maildir = base / "INBOX"
        write_maildir(maildir, n, 2026)
        warm = base / "warm-cache"
        policies = os.environ.get("BENCH_POLICIES", str(REPO / "policies"))
        common = dict(BOUNDARIES_POLICIES=policies, XDG_CONFIG_HOME=str(base / "config"),
                      XDG_DATA_HOME=str(base / "data"), XDG_CACHE_HOME=str(base / "xdg-cache"))
        subprocess.run([str(BIN / "boundaries"), "where"], check=True,
                       stdout=subprocess.DEVNULL,
                       env=user_env(**common, BOUNDARIES_CACHE=str(warm)))
        samples: dict[str, list[float]] = {"floor": [], "floor (whole files)": [],
                                           "first run": [], "second run": []}
        checks = []
        for i in range(args.runs):
            floor = [sys.executable, "-c", FLOOR, str(maildir)]
            samples["floor"].append(_run([*floor, "headers", str(n)], user_env())[0])
            samples["floor (whole files)"].append(_run([*floor, "whole", str(n)],
                                                       user_env())[0])
            run = base / f"run{i}"
            shutil.copytree(warm, run / "cache")
            env = user_env(**common, BOUNDARIES_CACHE=str(run / "cache"),
                           BOUNDARIES_JOURNAL=str(run / "journal"))
            cmd = [str(BIN / "boundaries"), "mail", "--maildir", str(maildir), "--drafts",
                   str(run / "drafts")]
            first, out = _run(cmd, env)
            second, again = _run(cmd, env)
            samples["first run"].append(first)
            samples["second run"].append(second)
            drafts = len(os.listdir(run / "drafts" / "cur"))
            lines = sum(p.read_bytes().count(b"\n") for p in (run / "journal").iterdir()
                        if p.suffix == ".jsonl")
            checks.append((drafts, lines, out.strip().splitlines()[-1],
                           again.strip().splitlines()[-1]))
            shutil.rmtree(run)
    med = {k: statistics.median(v) for k, v in samples.items()}
    print(f"{n} messages, {args.runs} runs each, interleaved; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, values in samples.items():
        rate = f"{n / med[name]:8.0f} msg/s" if name != "second run" else " " * 14
        print(f"{name:<20} median {med[name]:7.3f} s {rate}  (min {min(values):.3f}, "
              f"max {max(values):.3f})")
    print(f"ratio floor / first run: {med['floor'] / med['first run']:.3f}; "
          f"floor (whole files) / first run: {med['floor (whole files)'] / med['first run']:.3f}")
    for drafts, lines, summary, again in sorted(set(checks)):
        print(f"checked: {drafts} drafts, {lines} journal lines; first: {summary}; "
              f"second: {again}")


if __name__ == "__main__":
    main()

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
  reads it to its end: the floor as issue 16's first measurement took it. **floor
  (policy.default)** parses the same header blocks with `policy.default`, the parser issue
  16's part 1 names, which makes a header object of each header it is asked for.
- **first run**: `boundaries mail --maildir M --drafts D` with a fresh journal, Drafts and
  cache folder each time (the compiled policy set copied in warm, as on a user's machine
  after any earlier command; the list of Maildir files decided before starts empty).
- **second run**: the same command again over the same folders: nothing new.
- with `--before TREE`: the first and second run again with the code of an earlier commit
  (PYTHONPATH=TREE, the same interpreter and packages), in the same turns.

Wall medians and, as the machine is shared, each process's CPU time (user + system) too.

Each first run is checked to have done the work: its drafts in `D/cur`, its journal lines,
and the summary line. Bytecode caching on; nothing of the user's is read or written.
"""

from __future__ import annotations

import argparse
import os
import resource
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
from email.policy import compat32, default
parser = BytesHeaderParser(policy=default if sys.argv[2] == "default" else compat32)
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


CPU: dict[str, list[float]] = {}  # each case's processor time (user + system) per run


def _run(cmd: list[str], env: dict[str, str], case: str) -> tuple[float, str]:
    """Wall seconds of one whole process (its CPU seconds kept in CPU), and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                          check=True, text=True)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.setdefault(case, []).append(after.ru_utime - before.ru_utime + after.ru_stime
                                    - before.ru_stime)
    return wall, done.stdout


def _mail_run(run: Path, maildir: Path, common: dict[str, str], warm: Path,
              tree: str | None) -> tuple[float, float, tuple]:
    """A first and a second run with fresh folders (the code of `tree`, if given): their
    seconds, and what the first did (drafts, journal lines, the summaries)."""
    shutil.copytree(warm, run / "cache")
    extra = {"PYTHONPATH": tree} if tree else {}
    env = user_env(**common, **extra, BOUNDARIES_CACHE=str(run / "cache"),
                   BOUNDARIES_JOURNAL=str(run / "journal"))
    cmd = [str(BIN / "boundaries"), "mail", "--maildir", str(maildir), "--drafts",
           str(run / "drafts")]
    label = " (before)" if tree else ""
    first, out = _run(cmd, env, "first run" + label)
    second, again = _run(cmd, env, "second run" + label)
    drafts = len(os.listdir(run / "drafts" / "cur"))
    lines = sum(p.read_bytes().count(b"\n") for p in (run / "journal").iterdir()
                if p.suffix == ".jsonl")
    shutil.rmtree(run)
    return first, second, (drafts, lines, out.strip().splitlines()[-1],
                           again.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--messages", type=int, default=10_000)
    ap.add_argument("--before", metavar="TREE",
                    help="also time the first and second run with the code of this work tree "
                         "(a `git worktree` of an earlier commit), interleaved")
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
        samples: dict[str, list[float]] = {}
        checks = set()
        trees = [None, args.before] if args.before else [None]
        for i in range(args.runs):
            floor = [sys.executable, "-c", FLOOR, str(maildir)]
            for case, how in (("floor", "headers"), ("floor (whole files)", "whole"),
                              ("floor (policy.default)", "default")):
                samples.setdefault(case, []).append(_run([*floor, how, str(n)], user_env(),
                                                         case)[0])
            for tree in trees:
                label = " (before)" if tree else ""
                first, second, check = _mail_run(base / f"run{i}", maildir, common, warm, tree)
                samples.setdefault("first run" + label, []).append(first)
                samples.setdefault("second run" + label, []).append(second)
                checks.add((label, *check))
    med = {k: statistics.median(v) for k, v in samples.items()}
    cpu = {k: statistics.median(v) for k, v in CPU.items()}
    print(f"{n} messages, {args.runs} runs each, interleaved; load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for name, values in samples.items():
        rate = f"{n / med[name]:8.0f} msg/s" if "second" not in name else " " * 14
        print(f"{name:<21} median {med[name]:7.3f} s {rate}  (min {min(values):.3f}, "
              f"max {max(values):.3f}; CPU {cpu[name]:.3f} s)")
    for label in (" (before)", "") if args.before else ("",):
        first = "first run" + label
        print(f"ratio{label}: floor / first run {med['floor'] / med[first]:.3f} (CPU "
              f"{cpu['floor'] / cpu[first]:.3f}); floor (whole files) / first run "
              f"{med['floor (whole files)'] / med[first]:.3f} (CPU "
              f"{cpu['floor (whole files)'] / cpu[first]:.3f}); floor (policy.default) / "
              f"first run {med['floor (policy.default)'] / med[first]:.3f} (CPU "
              f"{cpu['floor (policy.default)'] / cpu[first]:.3f})")
    for label, drafts, lines, summary, again in sorted(checks):
        print(f"checked{label}: {drafts} drafts, {lines} journal lines; first: {summary}; "
              f"second: {again}")


if __name__ == "__main__":
    main()

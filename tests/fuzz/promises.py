"""Run one fuzzed case through the CLI, in this process, and check every promise.

The promises (docs/reliability.md): no traceback and no internal error; exit codes 0, 1
or 2 only; no control character from a file or an argument reaches the terminal; a set
`lint` passes is one that `check`, `week`, `log` and `report` work with and `test` runs;
no command changes a policy file, and the journal only ever grows by appends.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import signal
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from boundaries.cli.main import main

from .mutate import DEVICE, JOURNAL_MONTH, Case, edge_arg

COMMANDS = ("lint", "check", "test", "week", "log", "report")
TIMEOUT = 10  # seconds for one command: far beyond any normal run, short of a hang
UNKNOWN = "fuzz@unknown.example"  # a sender no mutation produces: the unknown tier
AT = f"{JOURNAL_MONTH}-08T18:20"
# C0 (but newline and tab), DEL, C1, bidi overrides and isolates, line/paragraph separators:
# never raw on stdout or stderr, JSON included (JSON has an escape for each of them)
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_ID = re.compile(r"[a-z][a-z0-9_-]*")


class Hang(BaseException):
    """A command ran past TIMEOUT (a BaseException: main()'s handler must not catch it)."""


@dataclass
class Run:
    """One command and what it did."""

    name: str
    args: list[str]
    code: int
    out: str
    err: str
    promised: bool = False  # lint passed and the arguments are ordinary: it must work
    is_json: bool = False


@dataclass
class Failure:
    """A broken promise: which case, which command, what happened."""

    case: Case
    run: Run
    problem: str

    def format(self) -> str:
        args = " ".join(_shell(a) for a in self.run.args)
        return (f"{self.problem}\n  {self.case.describe()}\n  command: boundaries {args}\n"
                f"  exit {self.run.code}\n  stdout: {_clip(self.run.out)}\n"
                f"  stderr: {_clip(self.run.err)}")


@dataclass
class Result:
    case: Case
    runs: list[Run] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


def _clip(text: str, n: int = 400) -> str:
    s = ascii(text)
    return s if len(s) <= n else f"{s[:n]}…({len(text)} chars)"


def _shell(arg: str) -> str:
    s = ascii(arg)
    return s if len(s) <= 80 else f"{s[:60]}…({len(arg)} chars)'"


@contextlib.contextmanager
def environment(folder: Path, cache: bool) -> Iterator[None]:
    """A HOME, config, data, cache and journal of the case's own; put back afterwards."""
    env = {"HOME": str(folder / "home"), "XDG_CONFIG_HOME": str(folder / "home/config"),
           "XDG_CACHE_HOME": str(folder / "home/cache"), "XDG_DATA_HOME": str(folder / "home/data"),
           "BOUNDARIES_CACHE": str(folder / "cache") if cache else "off",
           "BOUNDARIES_JOURNAL": str(folder / "journal"), "BOUNDARIES_DEVICE": DEVICE,
           "BOUNDARIES_POLICIES": None, "BOUNDARIES_DEBUG": None}
    saved = {k: os.environ.get(k) for k in env}
    try:
        _set_env(env)
        yield
    finally:
        _set_env(saved)


def _set_env(values: dict[str, str | None]) -> None:
    for k, v in values.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


def _on_alarm(signum: int, frame: object) -> None:
    raise Hang


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """main(args) with stdout/stderr captured (UTF-8, strict, like a terminal) and stdin
    empty; a run past TIMEOUT is exit -1."""
    out, err = io.BytesIO(), io.BytesIO()
    streams = [io.TextIOWrapper(b, encoding="utf-8", errors="strict", write_through=True)
               for b in (out, err)]
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin = io.StringIO("")
    sys.stdout, sys.stderr = streams
    old = signal.signal(signal.SIGALRM, _on_alarm)
    signal.alarm(TIMEOUT)
    try:
        code = main(args)
    except Hang:
        code = -1
    except SystemExit as exc:  # main() should not let it out, but say what it was
        code = exc.code if isinstance(exc.code, int) else -2
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)
        sys.stdin, sys.stdout, sys.stderr = saved
    return code, out.getvalue().decode("utf-8", "replace"), \
        err.getvalue().decode("utf-8", "replace")


def _snapshot(root: Path) -> dict[str, bytes]:
    """Every regular file's bytes and every symlink's target under root (FIFOs unread)."""
    out: dict[str, bytes] = {}
    for dirpath, dirs, files in os.walk(root):
        for name in files + [d for d in dirs if os.path.islink(os.path.join(dirpath, d))]:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            if stat.S_ISLNK(st.st_mode):
                out[p] = b"-> " + os.fsencode(os.readlink(p))
            elif stat.S_ISREG(st.st_mode):
                with open(p, "rb") as fh:
                    out[p] = fh.read()
    return out


def plan(case: Case) -> list[tuple[str, list[str], bool]]:
    """(command, arguments, ordinary?) for the case: ordinary requests first, then the
    case's client and, for a third of the cases, edge values as arguments."""
    rng = random.Random(f"{case.seed}:{case.index}:args")
    pol = ["--policies", str(case.root)]
    jr = ["--journal", str(case.journal)]
    edge = case.edge_args
    who = edge_arg(rng, "from") if edge and rng.random() < 0.5 else case.client
    at = edge_arg(rng, "at") if edge else AT
    ordinary_client = not edge and bool(_ID.fullmatch(case.client))
    check_client = ["check", *pol, *jr, "--from", who, "--at", at]
    if rng.random() < 0.3:
        check_client.append("--json")
    week = ["week", *pol, "--tier", case.tier, "--at", f"{JOURNAL_MONTH}-05"]
    if edge:
        week = ["week", *pol, "--from", who, "--at", edge_arg(rng, "day")]
    log = ["log", *pol, *jr, "--from", UNKNOWN, "--channel", "email", "--at", AT,
           "--outcome", "answered", "--minutes", "5", "--note", "fuzz"]
    if edge:
        log = ["log", *pol, *jr, "--from", who, "--at", at, "--outcome", "answered",
               "--minutes", edge_arg(rng, "minutes"), "--note", edge_arg(rng, "note")]
    month = edge_arg(rng, "month") if edge else JOURNAL_MONTH
    report = ["report", *pol, *jr, "--month", month]
    if rng.random() < 0.3:
        report += ["--format", rng.choice(["csv", "json"])]
    return [
        ("lint", ["lint", *pol], True),
        ("check", ["check", *pol, *jr, "--from", UNKNOWN, "--channel", "email", "--at", AT],
         True),
        ("check", check_client, ordinary_client),
        ("test", ["test", *pol], True),
        ("week", week, not edge and bool(_ID.fullmatch(case.tier))),
        ("log", log, not edge),
        ("report", report, not edge),
    ]


def _problems(run: Run, lint_clean: bool) -> Iterator[str]:
    text = run.out + run.err
    if run.code == -1:
        yield f"hang: no answer in {TIMEOUT} s"
    elif run.code not in (0, 1, 2):
        yield f"exit code {run.code}"
    if "internal error" in text.lower() or "Traceback" in text:
        kind = re.search(r"internal error: (\w+)|^(\w+Error)\b", text, re.MULTILINE)
        yield f"internal error ({next(filter(None, kind.groups()))})" if kind \
            else "internal error"
    for stream, bad in (("stdout", _UNSAFE.search(run.out)), ("stderr", _UNSAFE.search(run.err))):
        if bad:
            yield f"control character {bad.group()!r} on {stream}"
    if run.is_json and run.code == 0:
        try:
            json.loads(run.out)
        except ValueError as exc:
            yield f"--json output is not JSON: {exc}"
    if lint_clean and run.promised:
        ok = (0, 1) if run.name == "test" else (0,)
        if run.code not in ok:
            yield f"lint passed, but {run.name} exited {run.code}"


def check_case(case: Case, cache: bool = True) -> Result:
    """Run the case's commands and collect every broken promise."""
    result = Result(case)
    policies = _snapshot(case.root)
    lint_clean = False
    with environment(case.root.parent, cache):
        for name, args, ordinary in plan(case):
            before = _snapshot(case.journal)
            code, out, err = run_cli(args)
            run = Run(name, args, code, out, err, ordinary, "--json" in args or
                      "json" in args[-1:])
            result.runs.append(run)
            if name == "lint":
                lint_clean = code == 0
            problems = list(_problems(run, lint_clean))
            problems += _journal_kept(before, _snapshot(case.journal), run)
            if _snapshot(case.root) != policies:
                problems.append(f"{name} changed a policy file")
                policies = _snapshot(case.root)
            result.failures += [Failure(case, run, p) for p in problems]
    return result


def _journal_kept(before: dict[str, bytes], after: dict[str, bytes], run: Run) -> list[str]:
    """Every journal file still starts with its old bytes; only `log` adds any."""
    out = []
    for p, old in before.items():
        new = after.get(p)
        if new is None or not new.startswith(old):
            out.append(f"{run.name} lost journal bytes of {Path(p).name}")
        elif new != old and run.name != "log":
            out.append(f"{run.name} wrote the journal ({Path(p).name})")
    grown = sum(map(len, after.values())) > sum(map(len, before.values()))
    if run.name == "log" and run.code == 0 and not grown:
        out.append("log said done but the journal did not grow")
    return out


def report(failures: list[Failure], shown: int = 8) -> str:
    """The first `shown` failures in full, then how many more."""
    text = "\n\n".join(f.format() for f in failures[:shown])
    if len(failures) > shown:
        text += f"\n\n… and {len(failures) - shown} more"
    return text

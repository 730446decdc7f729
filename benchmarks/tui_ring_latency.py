"""The TUI and the phone: a RING from a stand-in FRITZ!Box → the frame with the verdict on the
terminal (issue 15 part 9: ≤ 50 ms), whole processes in pseudo-terminals, loopback only.

Run by hand: `.venv/bin/python benchmarks/tui_ring_latency.py [--rings 30] [--pause 1.0]`.

Three programs run at once, each in its own pty of 120×40 (TERM=xterm-256color), each
connected to its own stand-in call monitor (a TCP server on 127.0.0.1 in this process):

- `boundaries --fritzbox 127.0.0.1:PORT`, the whole app. A ring is done when the bytes that
  hold Ask's verdict for that caller have come out of its terminal: the decision's line
  (`Stahlwerk Enns AG (stahlwerk) · tier …`, which only a shown decision writes) and a
  verdict mark (`◷ LATER`), both after the RING was written. The callers take turns (three
  clients), so each ring changes what Ask shows.
- the floor: a minimal Textual app that reads the same RING lines and writes the caller into
  one `Static` — what Textual itself costs from a socket's line to a frame in the terminal;
- the pty floor: a plain Python loop that writes each caller to the terminal at once — what
  the socket, the pty and this reader cost.

The cases take turns ring by ring (so that machine noise hits them alike), each RING with a
new connection id and the box's wall clock, its DISCONNECT after it, a pause between rings.
The first rings warm up and are not counted (the app's first ring is printed on its own).
Printed: median, p90, min and max of each, the ratio of the app's median to the Textual
floor's, and the machine's load average.

Bytecode caching on (as on a user's machine), the compiled policy cache warm in a temporary
folder, an empty temporary journal; nothing of the user's is read or written.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import os
import pty
import re
import signal
import statistics
import struct
import sys
import tempfile
import termios
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from timing import user_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ROWS, COLS = 40, 120
# (the box's number, what Ask's decision line says of it) — the example set's clients
CALLERS = [("0732123456", "ACME Abrechnung GmbH (acme) · tier"),
           ("06645550101", "Stahlwerk Enns AG (stahlwerk) · tier"),
           ("06504433221", "Bäckerei Mayr KG (baeckerei) · tier")]
MARKS = ("✔ ANSWER", "◷ LATER", "✖ DECLINE")
_ESCAPE = re.compile(rb"\x1b(?:\[[0-9;?<>=$!]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)"
                     rb"|P[^\x1b]*\x1b\\|[()][A-Z0-9]|[=>78DEHM])")

FLOOR_TEXTUAL = """
import asyncio, sys
from textual.app import App
from textual.widgets import Static

class Floor(App):
    def compose(self):
        yield Static("waiting for a ring", id="caller")

    def on_mount(self):
        self.run_worker(self.follow(), exit_on_error=True)

    async def follow(self):
        reader, writer = await asyncio.open_connection("127.0.0.1", int(sys.argv[1]))
        while line := await reader.readline():
            fields = line.decode().split(";")
            if len(fields) > 3 and fields[1] == "RING":
                self.query_one("#caller", Static).update(f"◷ LATER  {fields[3]} · tier")

Floor().run()
"""

FLOOR_PTY = """
import socket, sys
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
out = sys.stdout.buffer
out.write(b"listening\\r\\n")
out.flush()
for line in conn.makefile("rb"):
    fields = line.decode().split(";")
    if len(fields) > 3 and fields[1] == "RING":
        out.write(f"◷ LATER  {fields[3]} · tier\\r\\n".encode())
        out.flush()
"""


class Box:
    """A stand-in call monitor: a TCP server on 127.0.0.1 for one client."""

    def __init__(self) -> None:
        self.connected: asyncio.Future[asyncio.StreamWriter] | None = None
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        self.connected = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            assert self.connected is not None
            if not self.connected.done():
                self.connected.set_result(writer)
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await reader.read()

        self.server = await asyncio.start_server(handle, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def writer(self) -> asyncio.StreamWriter:
        assert self.connected is not None
        return await asyncio.wait_for(asyncio.shield(self.connected), 60)


class Terminal:
    """A program in a pseudo-terminal of ROWS×COLS; every read of its output stamped."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child: the terminal's size, then the program
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
            os.execve(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        self.output = bytearray()
        self.waiting: tuple[int, Callable[[str], bool], asyncio.Future[float]] | None = None
        asyncio.get_running_loop().add_reader(fd, self._read)

    def _read(self) -> None:
        try:
            data = os.read(self.fd, 1 << 16)
        except OSError:
            data = b""
        stamp = time.perf_counter()
        if not data:
            asyncio.get_running_loop().remove_reader(self.fd)
            if self.waiting is not None and not self.waiting[2].done():
                self.waiting[2].set_exception(RuntimeError("the program ended"))
            return
        self.output += data
        if self.waiting is not None:
            start, done, future = self.waiting
            if not future.done() and done(text(self.output[start:])):
                future.set_result(stamp)

    def expect(self, done: Callable[[str], bool]) -> asyncio.Future[float]:
        """A future of the moment the output written from now on satisfies `done`."""
        future = asyncio.get_running_loop().create_future()
        self.waiting = (len(self.output), done, future)
        return future

    def close(self) -> None:
        asyncio.get_running_loop().remove_reader(self.fd)
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if os.waitpid(self.pid, os.WNOHANG)[0]:
                break
            time.sleep(0.05)
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)


def text(output: bytes) -> str:
    """A terminal's output without its escape sequences (what it shows, line by line)."""
    return _ESCAPE.sub(b"", output).decode("utf-8", "replace")


class Case:
    """One program and its stand-in box; `ring(i)` the seconds until its frame."""

    def __init__(self, name: str, argv: Callable[[int], list[str]], env: dict[str, str],
                 done: Callable[[int, str], bool]) -> None:
        self.name, self._argv, self._env, self._done = name, argv, env, done
        self.box = Box()
        self.samples: list[float] = []
        self.first = 0.0  # the first ring of the run (not among the samples)

    async def start(self, ready: Callable[[str], bool]) -> None:
        await self.box.start()
        self.term = Terminal(self._argv(self.box.port), self._env)
        shown = self.term.expect(ready)
        self.writer = await self.box.writer()
        await asyncio.wait_for(shown, 60)

    async def ring(self, i: int) -> float:
        number = CALLERS[i % len(CALLERS)][0]
        stamp = datetime.now().strftime("%d.%m.%y %H:%M:%S")
        shown = self.term.expect(lambda out: self._done(i, out))
        t = time.perf_counter()
        self.writer.write(f"{stamp};RING;{i};{number};732123456;SIP0;\r\n".encode())
        at = await asyncio.wait_for(shown, 30)
        self.writer.write(f"{stamp};DISCONNECT;{i};0;\r\n".encode())  # missed: not timed
        return at - t

    def close(self) -> None:
        self.term.close()
        if hasattr(self, "writer"):
            self.writer.close()
        assert self.box.server is not None
        self.box.server.close()


def app_done(i: int, out: str) -> bool:
    return CALLERS[i % len(CALLERS)][1] in out and any(mark in out for mark in MARKS)


def floor_done(i: int, out: str) -> bool:
    return f"{CALLERS[i % len(CALLERS)][0]} · tier" in out


async def measure(rings: int, warm: int, pause: float, env: dict[str, str]) -> list[Case]:
    py = sys.executable
    cases = [
        Case("boundaries TUI", lambda port: [str(BIN / "boundaries"), "--fritzbox",
                                             f"127.0.0.1:{port}"], env, app_done),
        Case("floor: Textual app", lambda port: [py, "-c", FLOOR_TEXTUAL, str(port)], env,
             floor_done),
        Case("floor: pty echo", lambda port: [py, "-c", FLOOR_PTY, str(port)], env,
             floor_done),
    ]
    ready = [lambda out: "connected" in out and "Who?" in out,
             lambda out: "waiting for a ring" in out, lambda out: "listening" in out]
    try:
        for case, is_ready in zip(cases, ready, strict=True):
            try:
                await case.start(is_ready)
            except TimeoutError:
                tail = text(case.term.output[-2000:]) if hasattr(case, "term") else ""
                raise SystemExit(f"{case.name} did not start: {tail}") from None
        await asyncio.sleep(2)  # the app's panes mounted after its first frame
        for i in range(warm + rings):
            for case in cases:
                elapsed = await case.ring(i)
                if i >= warm:
                    case.samples.append(elapsed)
                elif i == 0:
                    case.first = elapsed
                await asyncio.sleep(pause / len(cases))
    finally:
        for case in cases:
            if hasattr(case, "term"):
                case.close()
    return cases


def show(cases: list[Case]) -> None:
    floor = statistics.median(cases[1].samples)
    for case in cases:
        ms = sorted(v * 1000 for v in case.samples)
        median = statistics.median(ms)
        ratio = f"  {median / (floor * 1000):5.2f}× the Textual floor" if case is cases[0] else ""
        print(f"{case.name:<20} median {median:6.2f} ms  p90 {ms[int(len(ms) * 0.9)]:6.2f} ms"
              f"  (min {ms[0]:.2f}, max {ms[-1]:.2f}, n={len(ms)}){ratio}")
    print(f"the app's first ring after its start: {cases[0].first * 1000:.2f} ms")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rings", type=int, default=30)
    ap.add_argument("--warm", type=int, default=3, help="rings first, not counted")
    ap.add_argument("--pause", type=float, default=1.0, help="seconds between two rings")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = user_env(BOUNDARIES_POLICIES=os.environ.get("BENCH_POLICIES",
                                                         str(REPO / "policies")),
                       BOUNDARIES_CACHE=str(Path(tmp) / "cache"),
                       BOUNDARIES_JOURNAL=str(Path(tmp) / "journal"),
                       TERM="xterm-256color", COLUMNS=str(COLS), LINES=str(ROWS))
        env.pop("NO_COLOR", None)
        before = os.getloadavg()
        cases = asyncio.run(measure(args.rings, args.warm, args.pause, env))
        after = os.getloadavg()
    show(cases)
    print(f"load average (1 min) {before[0]:.2f} before, {after[0]:.2f} after; "
          f"{os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()

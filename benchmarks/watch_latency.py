"""`boundaries watch`: events per second through `--events -`, and ring → JSON line latency.

Run by hand: `.venv/bin/python benchmarks/watch_latency.py [--runs 5] [--events 10000]
[--rings 200]`.

1. Throughput: `watch --events - --json` reads N events (rings, connects, ends and messages
   of the example set's clients and of unknown numbers, one call a minute) from a pipe, as
   a whole process from start to exit, stdout to /dev/null; the floor is `python -c` reading
   the same lines with json.loads. Medians of interleaved runs; watch's peak memory
   (VmHWM) for N and for 5 N events, to show it stays flat.
2. Latency: a running `watch --json` gets one ring at a time and the time until its JSON
   line is on stdout is taken (the median of `--rings`): through `--events -` (a line on
   its stdin) and from a stand-in FRITZ!Box (a RING line on a TCP connection on 127.0.0.1).

Bytecode caching on (as on a user's machine), the compiled policy cache warm in a temporary
folder, an empty temporary journal; nothing of the user's is read or written.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from timing import user_env

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SENDERS = ["acme", "+43 732 123456", "+43 664 5550101", "+43 699 12345678", "+49 30 1234567",
           "+43 660 7788990", "", "+43 1 5556677", "+43 699 7654321", "+1 212 555 0100"]
FLOOR = ("import json, sys\n"
         "for line in sys.stdin.buffer:\n"
         "    if line.strip():\n"
         "        json.loads(line)\n")


def event_lines(n: int) -> bytes:
    """n events: calls (ring, connect for every other one, end) and messages, a minute apart."""
    tz = ZoneInfo("Europe/Vienna")
    at = datetime(2026, 1, 5, 7, 0, tzinfo=tz)
    out: list[str] = []
    i = 0
    while len(out) < n:
        who = SENDERS[i % len(SENDERS)]
        stamp = at.isoformat()
        if i % 7 == 3:
            out.append(json.dumps({"event": "message", "id": f"m{i}", "from": who,
                                   "channel": "sms", "at": stamp}))
        else:
            out.append(json.dumps({"event": "ring", "id": f"c{i}", "from": who, "at": stamp}))
            if i % 2:
                out.append(json.dumps({"event": "connect", "id": f"c{i}",
                                       "at": (at + timedelta(seconds=8)).isoformat()}))
            out.append(json.dumps({"event": "end", "id": f"c{i}",
                                   "at": (at + timedelta(seconds=40)).isoformat()}))
        at += timedelta(minutes=1)
        i += 1
    return ("\n".join(out[:n]) + "\n").encode()


def run_once(cmd: list[str], data: bytes, env: dict[str, str],
             memory: bool = False) -> tuple[float, int]:
    """Seconds of one whole process fed `data` through a pipe on its stdin, and with
    `memory` its peak resident memory in KiB (VmHWM, read while it runs: a fork's
    ru_maxrss would count this process too)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
    assert proc.stdin is not None

    def feed() -> None:
        with proc.stdin:
            proc.stdin.write(data)

    writer = threading.Thread(target=feed)
    writer.start()
    peak = 0
    while memory and proc.poll() is None:
        peak = max(peak, _hwm(proc.pid))
        time.sleep(0.005)
    proc.wait()
    elapsed = time.perf_counter() - t
    writer.join()
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[0]} exited {proc.returncode}")
    return elapsed, peak


def _hwm(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def throughput(n: int, runs: int, env: dict[str, str]) -> None:
    watch = [str(BIN / "boundaries"), "watch", "--events", "-", "--json"]
    floor = [sys.executable, "-c", FLOOR]
    data, big = event_lines(n), event_lines(5 * n)
    run_once(watch, data[:2000].rsplit(b"\n", 1)[0] + b"\n", env)  # warm the caches
    samples: dict[str, list[float]] = {"watch": [], "floor": []}
    for _ in range(runs):
        samples["watch"].append(run_once(watch, data, env)[0])
        samples["floor"].append(run_once(floor, data, env)[0])
    for name, values in samples.items():
        secs = statistics.median(values)
        print(f"{name:<6} {n:,} events: median {secs * 1000:7.1f} ms  = "
              f"{n / secs:8,.0f} events/s  (min {min(values) * 1000:.1f} ms, "
              f"max {max(values) * 1000:.1f} ms, n={runs})")
    small, large = run_once(watch, data, env, True)[1], run_once(watch, big, env, True)[1]
    print(f"watch  peak memory: {small / 1024:.1f} MiB for {n:,} events, "
          f"{large / 1024:.1f} MiB for {5 * n:,}")


def latency_events(rings: int, env: dict[str, str]) -> list[float]:
    """A ring on watch's stdin until its JSON line on stdout, `rings` times."""
    proc = subprocess.Popen([str(BIN / "boundaries"), "watch", "--events", "-", "--json"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env, bufsize=0)
    assert proc.stdin is not None and proc.stdout is not None
    out = []
    try:
        for i in range(rings + 5):  # the first five warm up
            line = json.dumps({"event": "ring", "id": f"r{i}",
                               "from": SENDERS[i % len(SENDERS)]}).encode() + b"\n"
            t = time.perf_counter()
            proc.stdin.write(line)
            got = proc.stdout.readline()
            elapsed = time.perf_counter() - t
            assert got.startswith(b'{"event":"ring"'), got[:80]
            if i >= 5:
                out.append(elapsed)
    finally:
        proc.stdin.close()
        proc.wait(timeout=30)
    return out


async def latency_fritzbox(rings: int, env: dict[str, str]) -> list[float]:
    """A RING line from a stand-in call monitor until watch's JSON line, `rings` times."""
    connected: asyncio.Queue[asyncio.StreamWriter] = asyncio.Queue()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await connected.put(writer)
        await reader.read()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "boundaries"), "watch", "--fritzbox", f"127.0.0.1:{port}", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL, env=env)
    assert proc.stdout is not None
    out = []
    try:
        box = await asyncio.wait_for(connected.get(), 30)
        at = datetime(2026, 1, 5, 7, 0)
        numbers = ["06641234567", "0732123456", "06645550101", "069912345678", ""]
        for i in range(rings + 5):
            conn = i % 4
            stamp = at.strftime("%d.%m.%y %H:%M:%S")
            t = time.perf_counter()
            box.write(f"{stamp};RING;{conn};{numbers[i % len(numbers)]};732123456;SIP0;\r\n"
                      .encode())
            got = await asyncio.wait_for(proc.stdout.readline(), 30)
            elapsed = time.perf_counter() - t
            assert got.startswith(b'{"event":"ring"'), got[:80]
            box.write(f"{stamp};DISCONNECT;{conn};0;\r\n".encode())  # its end, not timed
            await asyncio.wait_for(proc.stdout.readline(), 30)
            at += timedelta(seconds=30)
            if i >= 5:
                out.append(elapsed)
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), 30)
        server.close()
    return out


def show(name: str, values: list[float]) -> None:
    ms = sorted(v * 1000 for v in values)
    print(f"{name:<28} median {statistics.median(ms):6.2f} ms  p90 "
          f"{ms[int(len(ms) * 0.9)]:6.2f} ms  (min {ms[0]:.2f}, max {ms[-1]:.2f}, "
          f"n={len(ms)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--events", type=int, default=10_000)
    ap.add_argument("--rings", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = user_env(BOUNDARIES_POLICIES=os.environ.get("BENCH_POLICIES",
                                                         str(REPO / "policies")),
                       BOUNDARIES_CACHE=str(Path(tmp) / "cache"),
                       BOUNDARIES_JOURNAL=str(Path(tmp) / "journal"))
        throughput(args.events, args.runs, env)
        show("ring → JSON line, --events -", latency_events(args.rings, env))
        show("RING → JSON line, FRITZ!Box", asyncio.run(latency_fritzbox(args.rings, env)))


if __name__ == "__main__":
    main()

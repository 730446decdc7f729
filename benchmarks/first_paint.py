"""First paint of the TUI (start to an Ask screen showing a verdict) against a minimal
hello-world Textual app, same run, whole processes, headless.

Each child prints a marker right after the frame that shows its content has been drawn and
leaves at once (no teardown); the parent times process start to the marker's arrival.

Run by hand: `.venv/bin/python benchmarks/first_paint.py [--runs 10]`.
Bytecode caching is on for the children; the compiled policy cache is warmed first.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from timing import user_env

REPO = Path(__file__).resolve().parent.parent

HELLO = """
from textual.app import App
from textual.widgets import Static

class Hello(App):
    def compose(self):
        yield Static("hello")
    def on_mount(self):
        self.call_after_refresh(painted)

def painted():
    import os
    print("PAINTED", flush=True)
    os._exit(0)

Hello().run(headless=True)
"""

BOUNDARIES = f"""
from datetime import datetime
from zoneinfo import ZoneInfo
from boundaries.tui import make_app

app = make_app({str(REPO / "policies")!r}, watch_interval=None, who="acme",
               clock=lambda: datetime(2026, 1, 8, 18, 20, tzinfo=ZoneInfo("Europe/Vienna")))

def painted():
    import os
    print("PAINTED", flush=True)
    os._exit(0)

def painted_with_verdict():
    if app.query("AskPane") and app.query_one("AskPane").decision is not None:
        app.call_after_refresh(painted)  # right after the frame with the verdict is drawn
    else:
        app.set_timer(0.002, painted_with_verdict)

app.call_later(painted_with_verdict)
app.run(headless=True)
"""


def run(code: str, env: dict[str, str]) -> float:
    t = time.perf_counter()
    with subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True) as child:
        assert child.stdout is not None
        line = child.stdout.readline()
        elapsed = time.perf_counter() - t
        child.wait()
    if line.strip() != "PAINTED":
        raise SystemExit(f"child did not paint (exit {child.returncode})")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    env = user_env()
    run(HELLO, env)
    run(BOUNDARIES, env)
    hello, ours = [], []
    for _ in range(args.runs):
        hello.append(run(HELLO, env))
        ours.append(run(BOUNDARIES, env))
    h, b = statistics.median(hello), statistics.median(ours)
    print(f"hello-world Textual app   median {h * 1000:7.1f} ms  (n={len(hello)})")
    print(f"boundaries, first verdict median {b * 1000:7.1f} ms  ratio {b / h:4.2f}×")


if __name__ == "__main__":
    main()

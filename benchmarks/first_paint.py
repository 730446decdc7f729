"""First paint of the TUI (start to an Ask screen showing a verdict) against a minimal
hello-world Textual app, same run, whole processes, headless.

Each child watches the frames Textual hands to its driver (`App._display`) and, at the first
frame that holds its content (the verdict's word: ANSWER, LATER or DECLINE; for the floor,
"hello"), prints a marker and leaves at once (no teardown); the parent times process start
to the marker's arrival. Rendering that frame to text to look for the word is paid by both.

Run by hand: `.venv/bin/python benchmarks/first_paint.py [--runs 10]`.
Bytecode caching is on for the children; the compiled policy cache is warmed first.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

from timing import interleaved, user_env

REPO = Path(__file__).resolve().parent.parent

WATCH = """
import os
from textual.app import App

_display = App._display

def watching(self, screen, renderable):
    _display(self, screen, renderable)
    if renderable is not None and hasattr(renderable, "render_segments"):
        text = renderable.render_segments(self.console)
        if any(word in text for word in WORDS):
            print("PAINTED", flush=True)
            os._exit(0)

App._display = watching
"""

HELLO = WATCH + """
from textual.widgets import Static
WORDS = ("hello",)

class Hello(App):
    def compose(self):
        yield Static("hello")

Hello().run(headless=True)
"""

BOUNDARIES = WATCH + f"""
from datetime import datetime
from zoneinfo import ZoneInfo
from boundaries.tui import make_app
WORDS = ("ANSWER", "LATER", "DECLINE")

app = make_app({str(REPO / "policies")!r}, watch_interval=None, who="acme",
               clock=lambda: datetime(2026, 1, 8, 18, 20, tzinfo=ZoneInfo("Europe/Vienna")))
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
    samples = interleaved(args.runs, {"hello": partial(run, HELLO, env),
                                      "ours": partial(run, BOUNDARIES, env)})
    hello, ours = samples["hello"], samples["ours"]
    h, b = statistics.median(hello), statistics.median(ours)
    print(f"hello-world Textual app   median {h * 1000:7.1f} ms  (n={len(hello)})")
    print(f"boundaries, first verdict median {b * 1000:7.1f} ms  ratio {b / h:4.2f}×")


if __name__ == "__main__":
    main()

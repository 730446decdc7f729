"""A one-line progress bar on stderr: only on a terminal, only for work over a second."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from boundaries.cli.output import raw_stream

WIDTH = 24


def _clock(seconds: float) -> str:
    s = int(seconds + 0.5)
    if s >= 3600:
        return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"
    return f"{s // 60}:{s % 60:02d}"


class Progress:
    """Rows done, rate and ETA (from bytes read of `total` when known)."""

    def __init__(self, total: int | None, stream: TextIO | None = None,
                 delay: float = 1.0) -> None:
        # its own \r and \x1b[K must reach the terminal: past the CLI's VisibleStream
        self.stream = stream if stream is not None else raw_stream(sys.stderr)
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.total = total or None
        self.delay = delay
        self.started = time.perf_counter()
        self.shown = False

    def update(self, rows: int, done: int | None) -> None:
        """Redraw (after the first `delay` seconds) with `done` bytes of `total` read."""
        if not self.enabled:
            return
        elapsed = time.perf_counter() - self.started
        if elapsed < self.delay:
            return
        rate = rows / elapsed if elapsed > 0 else 0.0
        line = f"{rows:>12,} rows · {rate:,.0f}/s"
        if self.total and done is not None:
            frac = min(max(done / self.total, 0.0), 1.0)
            filled = int(frac * WIDTH)
            eta = elapsed * (1 - frac) / frac if frac > 0 else 0.0
            line = (f"[{'█' * filled}{'·' * (WIDTH - filled)}] {frac:4.0%} ·{line} · "
                    f"ETA {_clock(eta)}")
        self.stream.write("\r" + line + "\x1b[K")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        """Clear the line (the summary follows on stdout)."""
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self.shown = False

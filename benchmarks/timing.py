"""Shared by the benchmark scripts: time whole processes, with bytecode caching on."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable


def user_env(**extra: str) -> dict[str, str]:
    """This environment as a user's machine has it: bytecode caching on (these machines set
    PYTHONDONTWRITEBYTECODE=1, users do not)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env.update(extra)
    return env


def timed(cmd: list[str], env: dict[str, str]) -> float:
    """Seconds one whole process takes, output discarded; it must succeed."""
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    return time.perf_counter() - t


def interleaved(runs: int, cases: dict[str, Callable[[], float]]) -> dict[str, list[float]]:
    """Every case `runs` times, taking turns so that machine noise hits all of them alike;
    each case returns one sample in seconds."""
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(runs):
        for name, measure in cases.items():
            samples[name].append(measure())
    return samples

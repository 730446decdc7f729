"""Shared by the benchmark scripts: time whole processes, with bytecode caching on."""

from __future__ import annotations

import os
import subprocess
import time


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

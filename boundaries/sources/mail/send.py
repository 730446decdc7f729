"""Sending a reply through a sendmail-compatible command (`msmtp -t`, `sendmail -t -i`).

The command is `[mail] sendmail` from me.toml, split like a shell would (`shlex`) but run
without one; the message goes in on stdin. Whatever goes wrong — no such program, an exit
other than 0, no end within the timeout — is a `SendError` with the command's last line of
stderr and a hint, never a traceback; the caller keeps the reply as a draft.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess

from boundaries.core.echo import clip
from boundaries.core.errors import BoundariesError

_HINT = ("check `[mail] sendmail` in me.toml (a sendmail-compatible command that reads the "
         "message on stdin, such as \"msmtp -t\") and run it by hand to see why")

_SHOWN = 200  # characters of the command shown in an error


class SendError(BoundariesError):
    """A reply that could not be sent: the message says why, the hint what to check."""


def _last_line(stderr: bytes) -> str:
    lines = [ln.strip() for ln in stderr.decode("utf-8", "replace").splitlines() if ln.strip()]
    return clip(lines[-1], _SHOWN) if lines else ""


def _kill(proc: subprocess.Popen[bytes]) -> None:
    """End the command and everything it started (it runs in a session of its own)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError):
        proc.kill()


def send_mail(command: str, message: bytes, timeout: float = 30) -> None:
    """Run `command` (no shell) with `message` on stdin; `SendError` unless it exits 0
    within `timeout` seconds."""
    shown = clip(command, _SHOWN)
    try:
        argv = shlex.split(command)
    except ValueError as e:
        raise SendError(f"cannot read the sendmail command `{shown}`: {e}",
                        hint=_HINT) from None
    if not argv:
        raise SendError("the sendmail command is empty", hint=_HINT)
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, start_new_session=True)
    except OSError as e:  # not found, not executable, …
        raise SendError(f"cannot run `{clip(argv[0], _SHOWN)}`: {e.strerror or e}",
                        hint=_HINT) from None
    try:
        _, stderr = proc.communicate(message, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill(proc)
        proc.communicate()
        raise SendError(f"`{shown}` did not finish within {timeout:g} s; stopped it",
                        hint=_HINT) from None
    except BaseException:  # an interrupt: leave no half-sending command behind
        _kill(proc)
        proc.wait()
        raise
    if proc.returncode != 0:
        code = (f"killed by signal {-proc.returncode}" if proc.returncode < 0
                else f"exit {proc.returncode}")
        last = _last_line(stderr)
        raise SendError(f"`{shown}` failed ({code})" + (f": {last}" if last else ""),
                        hint=_HINT)


__all__ = ["SendError", "send_mail"]

"""Sending through a sendmail-compatible command, with a stand-in sendmail in a temp folder."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from boundaries.core.errors import BoundariesError
from boundaries.sources.mail.send import SendError, send_mail

MESSAGE = "From: martin@huber-it.example\nTo: anna@stahl.example\nSubject: Re: Frage\n\nDanke.\n"


def stand_in(tmp_path: Path, body: str) -> str:
    """A sendmail stand-in: a Python script in tmp_path; the command line that runs it."""
    script = tmp_path / "sendmail.py"
    script.write_text("import sys, time, pathlib\n" + body, encoding="utf-8")
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


def test_the_message_goes_in_on_stdin_with_the_arguments(tmp_path):
    out = tmp_path / "sent.eml"
    cmd = stand_in(tmp_path, "out = pathlib.Path(sys.argv[1])\n"
                             "out.write_bytes(sys.stdin.buffer.read())\n"
                             "pathlib.Path(f'{out}.args').write_text(' '.join(sys.argv[2:]))\n")
    send_mail(f"{cmd} {shlex.quote(str(out))} -t 'two words'", MESSAGE.encode())
    assert out.read_bytes() == MESSAGE.encode()
    assert (tmp_path / "sent.eml.args").read_text() == "-t two words"  # shlex, not a shell


def test_no_shell_runs_the_command(tmp_path):
    cmd = stand_in(tmp_path, "sys.stdin.read()\n")
    send_mail(f"{cmd} ; touch {shlex.quote(str(tmp_path / 'pwned'))}", b"x")
    assert not (tmp_path / "pwned").exists()


def test_a_failing_sendmail_says_its_last_stderr_line(tmp_path):
    cmd = stand_in(tmp_path, "sys.stdin.read()\nprint('msmtp: connecting', file=sys.stderr)\n"
                             "print('msmtp: authentication failed (method PLAIN)', "
                             "file=sys.stderr)\nprint(file=sys.stderr)\nsys.exit(77)\n")
    with pytest.raises(SendError) as e:
        send_mail(cmd, MESSAGE.encode())
    assert str(e.value).endswith("failed (exit 77): msmtp: authentication failed (method PLAIN)")
    assert "[mail] sendmail" in (e.value.hint or "")
    assert isinstance(e.value, BoundariesError)


def test_a_failure_without_stderr(tmp_path):
    with pytest.raises(SendError, match=r"failed \(exit 1\)$"):
        send_mail(stand_in(tmp_path, "sys.exit(1)\n"), b"x")


def test_a_sendmail_that_does_not_read_its_input_and_fails(tmp_path):
    with pytest.raises(SendError, match=r"exit 3"):
        send_mail(stand_in(tmp_path, "sys.exit(3)\n"), b"x" * 2_000_000)


def test_a_missing_program(tmp_path):
    with pytest.raises(SendError) as e:
        send_mail(str(tmp_path / "no-such-msmtp") + " -t", b"x")
    assert "cannot run" in str(e.value) and "no-such-msmtp" in str(e.value)
    assert "msmtp -t" in (e.value.hint or "")


def test_a_program_that_is_not_executable(tmp_path):
    p = tmp_path / "sendmail"
    p.write_text("#!/bin/sh\n")
    p.chmod(0o644)
    with pytest.raises(SendError, match="cannot run"):
        send_mail(str(p), b"x")


@pytest.mark.parametrize("command", ["", "   ", "msmtp 'unclosed"])
def test_an_unreadable_command(command):
    with pytest.raises(SendError, match="sendmail command"):
        send_mail(command, b"x")


def test_a_sendmail_that_hangs_is_stopped_with_what_it_started(tmp_path):
    """A shell script whose `sleep` would hold stderr open for 5 s after the shell is killed:
    the whole group is stopped, so the error comes at the timeout, not when sleep ends."""
    script = tmp_path / "sendmail"
    script.write_text("#!/bin/sh\ncat >/dev/null\nsleep 5\n")
    script.chmod(0o755)
    with pytest.raises(SendError, match=r"did not finish within 0\.2 s; stopped it"):
        send_mail(str(script), b"x", timeout=0.2)

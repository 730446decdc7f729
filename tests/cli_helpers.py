"""Running the CLI inside a test, as a user would from a shell (exit code, stdout, stderr)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from boundaries.cli.main import main


def run(capsys, *args: str) -> tuple[int, str, str]:
    """`boundaries ARGS…` in this process: (exit code, stdout, stderr); a SystemExit (argparse's
    usage errors) is its code, as the shell would see it."""
    try:
        code = main(list(args))
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 2
    out, err = capsys.readouterr()
    return code, out, err


def systemd_verify(tmp_path: Path, unit: str, name: str, timeout: float = 30) -> None:
    """Assert that `systemd-analyze verify` accepts the unit text `unit` of the docs, written
    as `name` in `tmp_path` with its `%h/.local/bin/boundaries` made this venv's program."""
    path = tmp_path / name
    path.write_text(unit.replace("%h/.local/bin/boundaries",
                                 str(Path(sys.executable).parent / "boundaries")))
    done = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True,
                          text=True, timeout=timeout)
    assert done.returncode == 0 and str(path) not in done.stderr, done.stderr

"""Running the CLI inside a test, as a user would from a shell (exit code, stdout, stderr)."""

from __future__ import annotations

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

"""The decision core stays pure and `check` never pays for Textual."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parent.parent / "boundaries"
# every module of ours that does I/O or asks a heavy library: the engine imports none
IO_MODULES = {"boundaries.cli.main", "boundaries.cli.commands", "boundaries.policy.load",
              "boundaries.policy.cache", "boundaries.policy.discovery",
              "boundaries.policy.senders", "boundaries.policy.phones",
              "boundaries.policy.holidays", "boundaries.policy.locales"}


def _modules_after(code: str, tmp_path: Path) -> set[str]:
    out = tmp_path / "modules.json"
    dump = f"open({str(out)!r}, 'w').write(json.dumps(sorted(sys.modules)))"
    script = f"{code}\nimport json, sys\n{dump}"
    env = {**os.environ, "BOUNDARIES_CACHE": "off"}
    subprocess.run([sys.executable, "-c", script], check=True, env=env, capture_output=True,
                   timeout=120)
    return set(json.loads(out.read_text()))


def test_check_does_not_import_textual(tmp_path):
    code = ("from boundaries.cli.main import main\n"
            "main(['check', '--from', 'acme', '--at', '2026-01-08T18:20', '--json'])")
    mods = _modules_after(code, tmp_path)
    assert "boundaries.cli.commands" in mods  # the check really ran
    assert not any(m == "textual" or m.startswith("textual.") for m in mods)


def test_other_subcommands_do_not_import_textual(tmp_path):
    for args in (["lint"], ["test"], ["week", "--tier", "maintenance"],
                 ["replay", str(PKG.parent / "tests" / "data" / "replay" / "calls.csv")]):
        mods = _modules_after(f"from boundaries.cli.main import main\nmain({args!r})", tmp_path)
        assert "textual" not in mods, args


def test_engine_imports_no_io_module_of_ours(tmp_path):
    mods = _modules_after("import boundaries.core.engine", tmp_path)
    assert not (mods & IO_MODULES)
    for heavy in ("textual", "pendulum", "holidays", "phonenumbers", "platformdirs"):
        assert heavy not in mods

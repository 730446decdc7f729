"""The wheel ships the example set: a plain install works from any folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_installs_and_uses_shipped_set(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(dist), str(REPO)], check=True, timeout=300,
                   capture_output=True)
    wheel = next(dist.glob("boundaries-*.whl"))
    env_dir = tmp_path / "venv"
    # reuse this interpreter's installed dependencies; install only our wheel into the new venv
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "deps.pth").write_text("\n".join(deps) + "\n")
    py = env_dir / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q",
                    "--target", str(site), str(wheel)], check=True, timeout=300,
                   capture_output=True)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "BOUNDARIES_POLICIES"}
    env.update(BOUNDARIES_CACHE="off", XDG_CONFIG_HOME=str(tmp_path / "cfg"), PYTHONPATH="")
    r = subprocess.run([str(py), "-m", "boundaries", "check", "--from", "acme", "--at",
                        "2026-01-08T18:20", "--json"], cwd=empty, env=env, capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "using the example policy set" in r.stderr
    assert "example_policies" in r.stderr and str(REPO) not in r.stderr
    assert json.loads(r.stdout)["client"] == "acme"

"""Shared fixtures: isolated cache/config, and small policy sets written on the fly."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from boundaries.policy.load import LoadResult, load

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "policies"

ME = """\
name = "Martin Huber"
timezone = "Europe/Vienna"
locale = "de"
holidays = "AT-4"
callback_landlines = false
"""


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads or writes the real user folders or the compiled cache."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("BOUNDARIES_CACHE", "off")
    monkeypatch.delenv("BOUNDARIES_POLICIES", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))


WriteSet = Callable[..., Path]


@pytest.fixture
def write_set(tmp_path: Path) -> WriteSet:
    """write_set({"tiers/x.toml": "...", ...}) -> folder; me.toml defaults to ME."""

    def make(files: dict[str, str], *, me: str | None = ME, name: str = "set") -> Path:
        root = tmp_path / name
        root.mkdir(parents=True, exist_ok=True)
        if me is not None and "me.toml" not in files:
            (root / "me.toml").write_text(me, encoding="utf-8")
        for rel, text in files.items():
            p = root / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(textwrap.dedent(text), encoding="utf-8")
        return root

    return make


@pytest.fixture
def load_set(write_set: WriteSet) -> Callable[..., LoadResult]:
    """load_set({...files...}) -> LoadResult of a freshly written set."""

    def run(files: dict[str, str], **kw: object) -> LoadResult:
        return load(write_set(files, **kw))

    return run

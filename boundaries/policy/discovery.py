"""Which policy set to use: the first match of §1's discovery order wins."""

from __future__ import annotations

import os
from pathlib import Path
from typing import NamedTuple

ENV_POLICIES = "BOUNDARIES_POLICIES"


class Found(NamedTuple):
    path: Path
    origin: str  # the rule that chose it, in words
    is_example: bool = False  # the shipped example folder, however it was named
    fell_back: bool = False  # chosen because nothing else was: the last rule of the order


def example_dir() -> Path:
    """The example set: inside the installed package, or the source checkout's policies/."""
    here = Path(__file__).resolve().parent.parent  # the package folder
    packaged = here / "example_policies"
    if (packaged / "me.toml").is_file():
        return packaged
    return here.parent / "policies"


def _is_example(path: Path) -> bool:
    try:
        return path.resolve() == example_dir().resolve()
    except OSError:
        return False


def user_config_policies() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("boundaries", appauthor=False)) / "policies"


def discover(explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> Found:
    """--policies DIR, $BOUNDARIES_POLICIES, ./policies with me.toml, user config, example.

    `--policies ''` is a usage error (it would otherwise fall through to the next rule and
    silently lint another set); an empty $BOUNDARIES_POLICIES counts as unset, as empty
    environment variables conventionally do."""
    if explicit is not None:
        if not os.fspath(explicit).strip():
            from boundaries.core.errors import RequestError

            raise RequestError("--policies needs a folder", "e.g. --policies ~/policies; leave "
                             "it out to use the discovery order (`boundaries where`)")
        path = Path(explicit).expanduser()
        return Found(path, "--policies", _is_example(path))
    env = os.environ.get(ENV_POLICIES)
    if env:
        path = Path(env).expanduser()
        return Found(path, f"${ENV_POLICIES}", _is_example(path))
    local = (cwd or Path.cwd()) / "policies"
    if (local / "me.toml").is_file():
        return Found(local, "./policies (it holds a me.toml)", _is_example(local))
    user = user_config_policies()
    if (user / "me.toml").is_file():
        return Found(user, "the user config folder")
    return Found(example_dir(), "the example set shipped with boundaries", True, True)

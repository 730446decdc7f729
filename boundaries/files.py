"""The files of a policy folder and a fingerprint of their contents."""

from __future__ import annotations

import hashlib
from pathlib import Path


def policy_files(root: Path) -> list[Path]:
    """The files of a policy folder that the loader reads, in a stable order."""
    files = [root / "me.toml", root / "clients.toml", root / "checks.toml"]
    for sub in ("tiers", "replies"):
        d = root / sub
        if d.is_dir():
            files += sorted(p for p in d.glob("*.toml") if p.is_file())
    return [f for f in files if f.is_file()]


def fingerprint(root: Path) -> str:
    """A hash of every policy file's name and contents."""
    h = hashlib.sha256()
    for f in policy_files(root):
        h.update(f.relative_to(root).as_posix().encode() + b"\0")
        try:
            h.update(f.read_bytes())
        except OSError:
            h.update(b"<unreadable>")
        h.update(b"\0")
    return h.hexdigest()

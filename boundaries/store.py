"""Opening a policy set: discovery, loading, and a compiled cache so `check` starts fast.

The cache holds the loaded set and its diagnostics, keyed by a hash of every policy
file's bytes (and this program's version), so an edit is never missed. It lives in the
user cache folder (`$BOUNDARIES_CACHE` overrides it; `off` disables it), is written
atomically and readable only by the user.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import sys
from datetime import date
from pathlib import Path

from . import __version__
from .discovery import Found, discover
from .files import fingerprint
from .loadresult import LoadResult

ENV_CACHE = "BOUNDARIES_CACHE"
_FORMAT = 1


def cache_dir() -> Path | None:
    """Where compiled sets are kept, or None when caching is off."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return None if env.lower() in ("off", "0", "none") else Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("boundaries", appauthor=False)) / "compiled"


def _code_stamp() -> str:
    """Changes whenever this program's own source changes (upgrades, development)."""
    here = Path(__file__).parent
    return str(max((p.stat().st_mtime_ns for p in here.glob("*.py")), default=0))


def _key(root: Path) -> str:
    h = hashlib.sha256()
    for part in (str(_FORMAT), __version__, _code_stamp(), sys.version, sys.prefix,
                 str(root.resolve()), str(date.today().year), fingerprint(root)):
        h.update(part.encode() + b"\0")
    return h.hexdigest()[:32]


def _attach(result: LoadResult) -> LoadResult:
    ps = result.policies
    if ps is not None and ps.me.holidays:
        from .holiday_source import compute

        region, lang = ps.me.holidays, ps.me.locale.split("_")[0]
        ps.holidays.attach(lambda y: compute(region, y, lang))
    return result


def peek_cached(root: Path, origin: str = "") -> LoadResult | None:
    """The compiled set if the cache holds the files as they are now, else None (fast)."""
    folder = cache_dir()
    if folder is None or not root.is_dir():
        return None
    try:
        with open(folder / f"{_key(root)}.pickle", "rb") as fh:
            result = pickle.load(fh)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError,
            ValueError):
        return None
    if not isinstance(result, LoadResult) or result.policies is None:
        return None
    if result.policies.origin != origin:
        result = LoadResult(result.policies._replace(origin=origin), result.diagnostics)
    return _attach(result)


def load_cached(root: Path, origin: str = "") -> LoadResult:
    """`load(root)`, from the compiled cache when the files are unchanged.

    After an edit, the last load of the same folder seeds this one (`loader.Memo`): the
    files whose bytes did not change are not parsed again, and what phonenumbers,
    holidays and pendulum answered is reused (asking them, and importing them, is most
    of a cold load). That load's cache entry is replaced, so the cache holds one
    compiled set per folder.
    """
    folder = cache_dir()
    if folder is None or not root.is_dir():
        from .loader import load

        return load(root, origin)
    found = peek_cached(root, origin)
    if found is not None:
        return found
    from .loader import load_with_memo

    key, stamp = _key(root), _libraries_stamp()
    last = folder / f"last-{_root_key(root)}.pickle"
    previous = _read_last(last, stamp)
    result, answers = load_with_memo(root, origin, previous.get("answers"))
    _write_atomic(folder, folder / f"{key}.pickle", result)
    _write_atomic(folder, last, {"stamp": stamp, "key": key, "answers": answers})
    replaced = previous.get("key")
    if isinstance(replaced, str) and replaced != key:
        with contextlib.suppress(OSError):
            (folder / f"{replaced}.pickle").unlink()
    return result


def _root_key(root: Path) -> str:
    h = hashlib.sha256(f"{_FORMAT}\0{sys.prefix}\0{root.resolve()}".encode())
    return h.hexdigest()[:32]


def _libraries_stamp() -> str:
    """Changes when this program or a library whose answers are kept (`loader.Memo`)
    changes."""
    import importlib.util

    parts = [__version__, _code_stamp(), sys.version]
    for name in ("phonenumbers", "holidays", "pendulum"):
        spec = importlib.util.find_spec(name)
        try:
            origin = spec.origin if spec and spec.origin else ""
            parts.append(f"{origin}:{os.stat(origin).st_mtime_ns if origin else 0}")
        except OSError:
            parts.append(name)
    return "\n".join(parts)


def _read_last(path: Path, stamp: str) -> dict:
    """What the last load of a folder left: its cache key and, if it was made under the
    same `_libraries_stamp()`, the libraries' answers."""
    try:
        with open(path, "rb") as fh:
            last = pickle.load(fh)
    except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError,
            ValueError):
        return {}
    if not isinstance(last, dict):
        return {}
    if last.get("stamp") != stamp or not isinstance(last.get("answers"), dict):
        last["answers"] = None  # its key still names the entry to replace
    return last


def _write_atomic(folder: Path, target: Path, result: object) -> None:
    import tempfile

    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as fh:
                pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o600)
            os.replace(tmp, target)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        pass  # a cache that cannot be written only costs speed


def open_policies(explicit: str | None = None) -> tuple[Found, LoadResult]:
    """Discover the set and load it (cached)."""
    found = discover(explicit)
    return found, load_cached(found.path, found.origin)

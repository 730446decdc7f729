"""Opening a policy set: discovery, loading, and a compiled cache so `check` starts fast.

The cache holds, per policy folder, the loaded set and its diagnostics, tagged with a hash
of every policy file's bytes (and this program's version), so an edit is never missed. It
lives in the user cache folder (`$BOUNDARIES_CACHE` overrides it; `off` disables it), is
written atomically and readable only by the user.

Unpickling runs code, so only what the user alone could have written is read: the folder
and the entry must belong to the user and be writable by no one else (checked with fstat on
what is opened, so nothing can be swapped in between); anything else is a one-line warning
on stderr and a fresh load.
"""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import stat
import sys
from datetime import date
from pathlib import Path

from boundaries import __version__
from boundaries.policy.files import fingerprint
from boundaries.policy.result import LoadResult

ENV_CACHE = "BOUNDARIES_CACHE"
_FORMAT = 2  # 2: one entry per folder (head, compiled set, answers)


def cache_dir() -> Path | None:
    """Where compiled sets are kept, or None when caching is off (also where files have no
    POSIX owner and mode to check)."""
    env = os.environ.get(ENV_CACHE)
    if os.name != "posix":
        return None
    if env:
        return None if env.lower() in ("off", "0", "none") else Path(env)
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("boundaries", appauthor=False)) / "compiled"


@functools.cache
def code_stamp() -> str:
    """Changes whenever this program's own source changes (upgrades, development): the
    newest modification time of any module of the package, in every subpackage."""
    newest, folders = 0, [os.path.dirname(os.path.dirname(os.path.abspath(__file__)))]
    while folders:  # os.scandir, not Path.rglob: this runs at every start (a third the cost)
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.name.endswith(".py") and entry.is_file():
                    newest = max(newest, entry.stat().st_mtime_ns)
                elif entry.is_dir(follow_symlinks=False) and entry.name != "__pycache__":
                    folders.append(entry.path)
    return str(newest)


def _key(root: Path) -> str:
    h = hashlib.sha256()
    for part in (str(_FORMAT), __version__, code_stamp(), sys.version, sys.prefix,
                 str(root.resolve()), str(date.today().year), fingerprint(root)):
        h.update(os.fsencode(part) + b"\0")  # a path may be any bytes
    return h.hexdigest()[:32]


def _attach(result: LoadResult) -> LoadResult:
    ps = result.policies
    if ps is not None and ps.me.holidays:
        from boundaries.policy.holidays import compute

        region, lang = ps.me.holidays, ps.me.locale.split("_")[0]
        ps.holidays.attach(lambda y: compute(region, y, lang))
    return result


def peek_cached(root: Path, origin: str = "") -> LoadResult | None:
    """The compiled set if the cache holds the files as they are now, else None (fast)."""
    folder = cache_dir()
    if folder is None or not root.is_dir():
        return None
    found, _ = _read_entry(_entry_path(folder, root), _key(root))
    return None if found is None else _attach(_with_origin(found, origin))


def load_cached(root: Path, origin: str = "") -> LoadResult:
    """`load(root)`, from the compiled cache when the files are unchanged.

    After an edit, the last load of the same folder seeds this one (`policy.load.Memo`): the
    files whose bytes did not change are not parsed again, clients.toml's clients are
    reused when it did not change, and what phonenumbers, holidays and pendulum answered
    is reused (asking them, and importing them, is most of a cold load). The cache holds
    one entry per folder, which each load replaces.
    """
    folder = cache_dir()
    if folder is None or not root.is_dir():
        from boundaries.policy.load import load

        return load(root, origin)
    path, key = _entry_path(folder, root), _key(root)
    found, last = _read_entry(path, key)
    if found is not None:
        return _attach(_with_origin(found, origin))
    from boundaries.policy.load import load_with_memo

    stamp = _libraries_stamp()
    answers = last.get("answers") if last and last.get("stamp") == stamp else None
    result, answers = load_with_memo(root, origin, answers)
    _write_entry(folder, path, {"format": _FORMAT, "key": key, "stamp": stamp}, result, answers)
    return result


def _with_origin(result: LoadResult, origin: str) -> LoadResult:
    ps = result.policies
    if ps is None or ps.origin == origin:
        return result
    return LoadResult(ps._replace(origin=origin), result.diagnostics)


def _entry_path(folder: Path, root: Path) -> Path:
    h = hashlib.sha256(os.fsencode(f"{_FORMAT}\0{sys.prefix}\0{root.resolve()}"))
    return folder / f"last-{h.hexdigest()[:32]}.pickle"


def _libraries_stamp() -> str:
    """Changes when this program or a library whose answers are kept (`policy.load.Memo`)
    changes."""
    return libraries_stamp(("phonenumbers", "holidays", "pendulum"))


def libraries_stamp(names: tuple[str, ...]) -> str:
    """Changes when this program or one of these libraries changes (their files' times)."""
    import importlib.util

    parts = [__version__, code_stamp(), sys.version]
    for name in names:
        spec = importlib.util.find_spec(name)
        try:
            origin = spec.origin if spec and spec.origin else ""
            parts.append(f"{origin}:{os.stat(origin).st_mtime_ns if origin else 0}")
        except OSError:
            parts.append(name)
    return "\n".join(parts)


_BROKEN = (OSError, pickle.PickleError, EOFError, AttributeError, ImportError, TypeError,
           ValueError, IndexError, KeyError, RecursionError)
_WARNED: set[str] = set()
WARNINGS: list[str] = []  # what the cache refused, for a front end to show (it prints nothing)


def take_warnings() -> list[str]:
    """The warnings since the last call (each refused path once per process), cleared."""
    taken = WARNINGS[:]
    WARNINGS.clear()
    return taken


class _Untrusted(Exception):
    """A cache folder or entry that someone else could have written."""


def _check_owner(st: os.stat_result, what: str, path: Path) -> None:
    """Raise _Untrusted (after a warning, once per path) unless `st` is the user's own and
    writable by no one else."""
    problem = None
    if st.st_uid != os.geteuid():
        problem = f"it belongs to uid {st.st_uid}, not to you"
    elif st.st_mode & 0o022:
        problem = f"others may write to it (mode {stat.S_IMODE(st.st_mode):o})"
    if problem is None:
        return
    if str(path) not in _WARNED:
        _WARNED.add(str(path))
        WARNINGS.append(f"not using the cache {what} {path}: {problem}; "
                        f"remove it{' or chmod 700 it' if what == 'folder' else ''}")
    raise _Untrusted(str(path))


def _open_folder(folder: Path, create: bool = False) -> int:
    """A descriptor of the cache folder, checked; entries are opened relative to it."""
    if create:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        _check_owner(os.fstat(fd), "folder", folder)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _read_entry(path: Path, key: str) -> tuple[LoadResult | None, dict | None]:
    """A folder's entry: (its compiled set, None) if it was made from the files as they
    are now (`key`); else (None, {"stamp", "answers"}) of the load that made it.

    An entry is three pickles in a row, written by one Pickler, so the answers share the
    set's objects (its clients) instead of holding copies: the head (format, key, stamp),
    the compiled set, the answers. An unchanged set reads only the first two. Only an
    entry of the user's own, in a folder of the user's own, is unpickled."""
    try:
        dir_fd = _open_folder(path.parent)
        try:
            fd = os.open(path.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC,
                         dir_fd=dir_fd)
        finally:
            os.close(dir_fd)
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None, None
            _check_owner(st, "file", path)
            unpickler = pickle.Unpickler(fh)
            head = unpickler.load()
            if not isinstance(head, dict) or head.get("format") != _FORMAT:
                return None, None
            result = unpickler.load()
            if head.get("key") == key:
                ok = isinstance(result, LoadResult) and result.policies is not None
                return (result if ok else None), None
            answers = unpickler.load()
    except (_Untrusted, *_BROKEN):
        return None, None
    return None, {"stamp": head.get("stamp"),
                  "answers": answers if isinstance(answers, dict) else None}


def _write_entry(folder: Path, target: Path, head: dict, result: LoadResult,
                 answers: dict) -> None:
    """Replace `target` atomically (fsutil's one atomic write): a new file (0600) in the
    checked folder, then a rename, both relative to the folder's descriptor. The three parts
    go through one Pickler, so the answers share the set's objects."""
    from boundaries.fsutil import atomic_write_in

    def write(fh) -> None:
        pickler = pickle.Pickler(fh, protocol=pickle.HIGHEST_PROTOCOL)
        for part in (head, result, answers):
            pickler.dump(part)

    try:
        dir_fd = _open_folder(folder, create=True)
    except (_Untrusted, OSError):
        return  # a cache that cannot be used only costs speed
    try:
        atomic_write_in(dir_fd, target.name, write, mode=0o600, sync_folder=False)
    except (OSError, pickle.PicklingError, RecursionError):
        pass  # a cache that cannot be written only costs speed
    finally:
        os.close(dir_fd)


"""Issue #12, reading policy files and the compiled cache: what a policy file may be (a
FIFO, a device, a folder, a huge or deeply nested file), one enumeration of the files for
the loader and the cache key, a cache that unpickles only the user's own files, and
`--policies ''`."""

from __future__ import annotations

import os
import pickle
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import tomli_w
from hypothesis import example, given, settings
from hypothesis import strategies as st

from boundaries.policy import cache as store
from boundaries.policy import files
from boundaries.policy.tomldepth import MAX_DEPTH, nesting_depth, too_deep

from .test_cli import run

TIER = '[hours]\nmon-fri = "08:00-17:00"\n'
CLIENTS = '[clients.acme]\nname = "ACME"\ntier = "standard"\n'


def run_process(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`boundaries ARGS` in a child that fails (not hangs, not eats the machine's memory)
    when a file is read without limits: 2 GB of address space, two minutes."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "boundaries", *args], capture_output=True,
                          text=True, timeout=120, preexec_fn=limit,
                          env={**os.environ, **(env or {})})


@pytest.fixture
def pset(write_set) -> Path:
    return write_set({"tiers/standard.toml": TIER, "clients.toml": CLIENTS})


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("BOUNDARIES_CACHE", str(folder))
    store.take_warnings()  # none left over from another test
    return folder


# -- #9: a FIFO or a device as a policy file -------------------------------------------------
@pytest.mark.parametrize("rel", ["tiers/x.toml", "clients.toml", "checks.toml"])
def test_a_fifo_as_a_policy_file_is_an_error_not_a_hang(pset, tmp_path, rel):
    (pset / rel).unlink(missing_ok=True)
    os.mkfifo(pset / rel)
    done = run_process("lint", "--policies", str(pset),
                       env={"BOUNDARIES_CACHE": str(tmp_path / "cache")})  # the key reads too
    assert done.returncode == 1, done.stderr
    assert (f"{rel}:1:1: error: cannot read file: it is a FIFO (named pipe), not a regular "
            "file") in done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_a_link_to_a_device_is_refused_unread(pset, tmp_path):
    (pset / "tiers/zero.toml").symlink_to("/dev/zero")
    done = run_process("check", "--policies", str(pset), "--from", "acme",
                       env={"BOUNDARIES_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 2
    assert ("tiers/zero.toml:1:1: error: cannot read file: it is a character device, not a "
            "regular file") in done.stderr
    assert "internal error" not in done.stderr


@pytest.mark.parametrize("rel", ["me.toml", "clients.toml", "checks.toml", "tiers/x.toml",
                                 "replies/de.toml"])
def test_a_folder_where_a_policy_file_belongs_is_named(capsys, pset, rel):
    (pset / rel).unlink(missing_ok=True)
    (pset / rel).mkdir(parents=True)
    code, out, _ = run(capsys, "lint", "--policies", str(pset))
    assert code == 1
    assert f"{rel}:1:1: error: cannot read file: it is a folder, not a regular file" in out


def test_a_dangling_link_is_reported_not_skipped(capsys, pset):
    (pset / "clients.toml").unlink()
    (pset / "clients.toml").symlink_to(pset / "gone.toml")  # e.g. a sync folder unmounted
    code, out, _ = run(capsys, "lint", "--policies", str(pset))
    assert code == 1 and "clients.toml:1:1: error: cannot read file: No such file" in out


# -- #13: the size limit comes before reading ------------------------------------------------
def test_a_huge_file_is_refused_before_it_is_read(pset, tmp_path):
    with open(pset / "tiers/disk.toml", "wb") as fh:
        fh.truncate(8_000_000_000)  # sparse: an 8 GB file that takes no disk
    done = run_process("lint", "--policies", str(pset),
                       env={"BOUNDARIES_CACHE": str(tmp_path / "cache")})
    assert done.returncode == 1, done.stderr
    assert ("tiers/disk.toml:1:1: error: file is 8,000,000,000 bytes; policy files are small "
            "(limit 2,000,000)") in done.stdout


def test_the_limit_is_inclusive(tmp_path):
    f = tmp_path / "f.toml"
    f.write_bytes(b"a = 1\n####")  # 10 bytes
    assert files.read_policy_file(f, limit=10) == b"a = 1\n####"
    with pytest.raises(files.FileRefused, match="file is 10 bytes"):
        files.read_policy_file(f, limit=9)


def test_a_file_that_grows_after_the_check_is_read_no_further(tmp_path, monkeypatch):
    f = tmp_path / "f.toml"
    f.write_bytes(b"x" * 1000)
    real_fstat, asked = os.fstat, []

    def shrunk(fd: int) -> os.stat_result:  # it was small when checked
        st = list(real_fstat(fd))
        st[stat.ST_SIZE] = 5
        return os.stat_result(st)

    real_read = os.read
    monkeypatch.setattr(files.os, "fstat", shrunk)
    monkeypatch.setattr(files.os, "read", lambda fd, n: asked.append(n) or real_read(fd, n))
    with pytest.raises(files.FileRefused, match="file is 11 bytes"):
        files.read_policy_file(f, limit=10)
    assert sum(asked) <= 11


# -- #10: one enumeration for the loader and the cache key -----------------------------------
def test_a_problem_that_is_gone_is_not_served_from_the_cache(capsys, pset, cache):
    (pset / "tiers/x.toml").mkdir()
    code, out, _ = run(capsys, "lint", "--policies", str(pset))
    assert code == 1 and "tiers/x.toml:1:1: error: cannot read file" in out
    (pset / "tiers/x.toml").rmdir()
    code, out, _ = run(capsys, "lint", "--policies", str(pset))
    assert (code, "tiers/x.toml" in out) == (0, False), out


def test_names_that_are_not_utf8_are_keyed_too(capsys, write_set, tmp_path, cache):
    root = write_set({"tiers/standard.toml": TIER, "clients.toml": CLIENTS},
                     name=os.fsdecode(b"set-\xff"))
    (root / os.fsdecode(b"tiers/\xff\xfe.toml")).write_text(TIER)
    for _ in range(2):  # the second from the cache
        code, _out, err = run(capsys, "lint", "--policies", str(root))
        assert code == 0 and "internal error" not in err, err
    assert store.peek_cached(root) is not None


def test_the_fingerprint_sees_each_kind_of_entry(pset):
    target = pset / "tiers/x.toml"
    seen = {"absent": files.fingerprint(pset)}
    target.mkdir()
    seen["folder"] = files.fingerprint(pset)
    target.rmdir()
    os.mkfifo(target)
    seen["fifo"] = files.fingerprint(pset)  # and returns: it does not wait for a writer
    target.unlink()
    target.symlink_to(pset / "nowhere")
    seen["dangling link"] = files.fingerprint(pset)
    target.unlink()
    target.write_text(TIER)
    seen["file"] = files.fingerprint(pset)
    assert len(set(seen.values())) == len(seen), seen
    assert files.policy_files(pset) == [pset / "me.toml", pset / "clients.toml",
                                        pset / "tiers/standard.toml", target]


# -- #8: depth --------------------------------------------------------------------------------
def test_arrays_600_deep_are_an_error_at_their_place(capsys, pset, cache):
    (pset / "tiers/deep.toml").write_text("x = " + "[" * 600 + "]" * 600 + "\n" + TIER)
    code, out, _ = run(capsys, "lint", "--policies", str(pset))
    assert code == 1
    # the document is level 1, `x = [` level 2: the 32nd `[` opens level 33, at column 36
    assert f"tiers/deep.toml:1:36: error: nested more than {MAX_DEPTH} levels deep here" in out
    code, _, err = run(capsys, "check", "--policies", str(pset), "--from", "acme")
    assert code == 2 and "internal error" not in err and "nested more than" in err


def test_dotted_tables_600_deep_are_an_error_not_a_crash_in_the_cache(capsys, pset, cache):
    (pset / "checks.toml").write_text("[" + ".".join(["a"] * 600) + "]\n")
    code, out, err = run(capsys, "lint", "--policies", str(pset))
    assert code == 1, err
    assert "checks.toml:1:1: error: nested more than 32 levels deep here" in out
    assert "internal error" not in err


def test_the_depth_limit_is_inclusive(load_set):
    at_limit = "x = " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert nesting_depth(at_limit) == MAX_DEPTH
    result = load_set({"tiers/t.toml": at_limit + TIER})
    assert not [d for d in result.errors if "nested" in d.message]
    deeper = load_set({"tiers/t.toml": "x = [" + at_limit[4:] + TIER}, name="deeper")
    assert [d.message for d in deeper.errors] == ["nested more than 32 levels deep here"]


@pytest.mark.parametrize("digits", ["9" * 5000, "1_" * 4400 + "0"], ids=["plain", "with_"])
def test_a_number_too_long_for_python_is_an_error_at_its_place(capsys, pset, digits):
    """tomllib passes on int()'s ValueError (4,300 digits at most), not a TOMLDecodeError."""
    (pset / "tiers/standard.toml").write_text(f"{TIER}[extra_effort]\nper_month = {digits}\n")
    code, out, _ = run(capsys, "lint", "--policies", str(pset))
    assert code == 1
    assert "tiers/standard.toml:4:13: error: a number of more than 4,300 digits" in out
    code, _, err = run(capsys, "check", "--policies", str(pset), "--from", "acme")
    assert code == 2 and "internal error" not in err


def test_a_cache_write_that_recurses_only_costs_speed(pset, cache, monkeypatch):
    class Recursing(pickle.Pickler):
        def dump(self, obj: object) -> None:
            raise RecursionError("maximum recursion depth exceeded while pickling an object")

    monkeypatch.setattr(store.pickle, "Pickler", Recursing)
    assert store.load_cached(pset).ok


def _depth(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


_KEYS = st.sampled_from(["a", "b", "a.b", "x y", "[", "]", "'", '"', "#", "=", "{}"])
_SCALARS = st.one_of(st.integers(), st.floats(allow_nan=False), st.booleans(),
                     st.text(alphabet="ab[]{}.,=#'\"\\\n\t ", max_size=8))
_DATA = st.dictionaries(_KEYS, st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=3)
    | st.dictionaries(_KEYS, inner, max_size=3), max_leaves=12), max_size=4)


@settings(max_examples=300, deadline=None)
@given(_DATA, st.booleans())
@example({"a": [{"b": [{"c": {}}]}]}, False)
@example({"a": {"b": [[{"c": "[[["}]]}}, True)
def test_the_scan_counts_the_depth_tomllib_builds(data, multiline):
    """Whatever tomli_w writes (headers, [[arrays of tables]], inline tables, strings full
    of brackets and quotes), the scan's depth is the parsed data's."""
    text = tomli_w.dumps(data, multiline_strings=multiline)
    assert nesting_depth(text) == _depth(tomllib.loads(text))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab=.,[]{}'\"#\\\n ", max_size=60))
def test_the_scan_never_fails_and_agrees_with_tomllib(text):
    found = too_deep(text, 3)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return
    assert (found is None) == (_depth(data) <= 3)
    assert nesting_depth(text) == _depth(data)


@pytest.mark.parametrize("text, depth", [
    ("[[a]]\n[a.b]\nc.d = 1", 5),  # a, its last table, b, c: [a.b] is in a's table
    ("x = {a.b = [1]}", 4), ("x = []", 2), ("[ 'a' . \"b\" ]", 3), ("1.5 = 2", 2),
    ('x = """a\\"""[[[["""', 1), ("x = '''\n[[[[\n'''", 1), ("x = [ # [[[[\n 1 ]", 2),
])
def test_the_scan_reads_toml_as_tomllib_does(text, depth):
    assert _depth(tomllib.loads(text)) == depth
    assert nesting_depth(text) == depth


def test_the_scan_takes_no_time_on_an_unclosed_array_of_words():
    """A pattern that could split `aaaa…` into words in many ways took 2^n steps."""
    code = ("from boundaries.policy.tomldepth import too_deep\n"
            "assert too_deep('x = [' + 'a' * 5000 + ' {' + chr(10) + '[' + 'a ' * 5000) is None")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- #5: the cache unpickles only the user's own files ----------------------------------------
class _Payload:
    """A planted pickle: loading it makes a folder (any code could run instead)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.mkdir, (str(self.marker),)


def _entry(root: Path) -> Path:
    """The cache entry of `root`, made by a first load."""
    store.load_cached(root)
    (entry,) = store.cache_dir().glob("last-*.pickle")
    return entry


def _plant(entry: Path, marker: Path) -> None:
    entry.write_bytes(pickle.dumps(_Payload(marker)))


def _owned_by_someone_else(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `path` another user's: really (root may chown), or as fstat reports it."""
    if os.geteuid() == 0:
        os.chown(path, 4242, 4242)
        return
    ino, real = path.stat().st_ino, os.fstat

    def fstat(fd: int) -> os.stat_result:
        st = real(fd)
        if st.st_ino != ino:
            return st
        fields = list(st)
        fields[stat.ST_UID] = 4242
        return os.stat_result(fields)

    monkeypatch.setattr(store.os, "fstat", fstat)


def cache_warnings() -> str:
    """What the cache refused, as the CLI shows it on stderr (the cache prints nothing)."""
    return "".join(f"boundaries: warning: {m}\n" for m in store.take_warnings())


def test_a_pickle_planted_by_another_user_is_not_loaded(pset, cache, tmp_path, capsys,
                                                        monkeypatch):
    entry, marker = _entry(pset), tmp_path / "pwned"
    capsys.readouterr()
    _plant(entry, marker)
    _owned_by_someone_else(entry, monkeypatch)
    result = store.load_cached(pset)
    assert not marker.exists()
    assert result.ok and result.policies.clients["acme"].name == "ACME"  # a fresh load
    err = cache_warnings()
    assert err == (f"boundaries: warning: not using the cache file {entry}: it belongs to "
                   "uid 4242, not to you; remove it\n")
    monkeypatch.undo()
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600  # replaced by the user's own
    if os.geteuid() == 0:
        assert entry.stat().st_uid == 0


def test_a_cache_file_others_may_write_is_not_loaded(pset, cache, tmp_path, capsys):
    entry, marker = _entry(pset), tmp_path / "pwned"
    _plant(entry, marker)
    entry.chmod(0o666)
    assert store.peek_cached(pset) is None and store.load_cached(pset).ok
    assert not marker.exists()
    assert f"cache file {entry}: others may write to it (mode 666)" in cache_warnings()


def test_a_cache_folder_others_may_write_is_not_used(pset, cache, tmp_path, capsys):
    entry, marker = _entry(pset), tmp_path / "pwned"
    _plant(entry, marker)
    cache.chmod(0o1777)  # an existing folder keeps its mode: this one is refused
    capsys.readouterr()
    for _ in range(2):
        assert store.load_cached(pset).ok
    assert not marker.exists()
    assert cache_warnings() == (
        f"boundaries: warning: not using the cache folder {cache}: others may write to it "
        "(mode 1777); remove it or chmod 700 it\n")  # once a process, stdout untouched
    assert sorted(cache.iterdir()) == [entry]  # and nothing written into it


def test_a_cache_folder_of_another_user_is_not_used(pset, cache, tmp_path, monkeypatch):
    entry, marker = _entry(pset), tmp_path / "pwned"
    _plant(entry, marker)
    _owned_by_someone_else(cache, monkeypatch)
    assert store.load_cached(pset).ok and not marker.exists()


def test_a_link_in_the_cache_folder_is_not_followed(pset, cache, tmp_path):
    entry, marker = _entry(pset), tmp_path / "pwned"
    elsewhere = tmp_path / "elsewhere.pickle"
    _plant(elsewhere, marker)
    entry.unlink()
    entry.symlink_to(elsewhere)
    assert store.load_cached(pset).ok and not marker.exists()


def test_a_new_cache_folder_is_private_whatever_the_umask(pset, cache):
    old = os.umask(0)
    try:
        entry = _entry(pset)
    finally:
        os.umask(old)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert store.peek_cached(pset) is not None  # and it is used


# -- #14: --policies '' -----------------------------------------------------------------------
def test_an_empty_policies_option_is_a_usage_error(capsys):
    code, out, err = run(capsys, "lint", "--policies", "")
    assert (code, out) == (2, "")
    assert err.startswith("boundaries: error: --policies needs a folder\n")


def test_an_empty_policies_variable_counts_as_unset(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("BOUNDARIES_POLICIES", "")
    monkeypatch.chdir(tmp_path)
    code, out, _ = run(capsys, "where")
    assert code == 0 and "chosen by: the example set shipped with boundaries" in out


@pytest.mark.parametrize("name", [".#standard.toml", ".standard.toml.swp.toml", ".hidden.toml"])
def test_hidden_files_in_tiers_are_not_policy_files(capsys, pset, name):
    # an editor's lock while it edits tiers/standard.toml (Emacs: a dangling link) or a
    # hidden sync file is not a tier: the set keeps working
    lock = pset / "tiers" / name
    if name.startswith(".#"):
        lock.symlink_to("root@host.1234:1700000000")
    else:
        lock.write_text(TIER)
    code, out, err = run(capsys, "lint", "--policies", str(pset))
    assert code == 0 and name not in out + err
    assert lock not in files.policy_files(pset)


def test_where_tells_a_me_toml_that_is_no_file_from_a_missing_one(capsys, pset):
    (pset / "me.toml").unlink()
    os.mkfifo(pset / "me.toml")
    code, out, _ = run(capsys, "where", "--policies", str(pset))
    assert code == 0 and "me.toml is not a regular file" in out and "no me.toml" not in out


def test_the_cli_shows_what_the_cache_refused(capsys, pset, cache):
    cache.mkdir(mode=0o700)
    cache.chmod(0o1777)
    code, out, err = run(capsys, "check", "--policies", str(pset), "--from", "acme")
    assert code == 0 and out.startswith(("ANSWER", "LATER", "DECLINE"))
    assert (f"boundaries: warning: not using the cache folder {cache}: others may write to it "
            "(mode 1777); remove it or chmod 700 it") in err

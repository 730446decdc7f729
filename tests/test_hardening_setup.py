"""Issue 12, defects 3 and 12: `client add` never loses a client or a hand edit, and keeps
the file as it is (link, mode, BOM, line endings); `init` writes all of a set or nothing."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from boundaries.policy import clients_append as setup_commands
from boundaries.policy.load import load

from .cli_helpers import run


@pytest.fixture
def mine(tmp_path, capsys) -> Path:
    root = tmp_path / "mine"
    code, _, err = run(capsys, "init", str(root), "--timezone", "Europe/Vienna", "--locale",
                       "de", "--name", "Martin Huber", "--yes")
    assert code == 0, err
    return root


def add(capsys, root: Path, cid: str, *more: str) -> tuple[int, str, str]:
    return run(capsys, "client", "add", cid, "--policies", str(root), "--tier", "standard",
               *more)


def clients_of(path: Path) -> set[str]:
    return set(tomllib.loads(path.read_bytes().decode("utf-8-sig"))["clients"])


def assert_lints_clean(root: Path) -> None:
    result = load(root)
    assert not result.errors, [d.format() for d in result.errors]


def tmp_files(*folders: Path) -> list[str]:
    return [p.name for d in folders for p in d.iterdir() if p.name.endswith(".tmp")]


# -- defect 3: client add under a lock -------------------------------------------------------
def test_parallel_client_adds_all_land(mine):
    n = 8
    env = {**os.environ, "BOUNDARIES_CACHE": "off"}
    procs = [subprocess.Popen([sys.executable, "-m", "boundaries", "client", "add", f"c{i}",
                               "--policies", str(mine), "--tier", "standard"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env)
             for i in range(n)]
    results = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            p.kill()
            out, err = p.communicate()
        results.append((p.returncode, out, err))
    assert all(code == 0 and "added client" in out for code, out, _ in results), results
    assert clients_of(mine / "clients.toml") == {"example"} | {f"c{i}" for i in range(n)}
    assert_lints_clean(mine)
    assert tmp_files(mine) == []


def _editor_save(path: Path, text: bytes) -> None:
    """How most editors save: a new file renamed over the old one (a new inode)."""
    tmp = path.with_name(path.name + ".swp")
    tmp.write_bytes(text)
    os.replace(tmp, path)


def _in_place_same_size_and_mtime(path: Path, text: bytes) -> None:
    """`sed -i`-like rewrite of the same inode, then `touch -r`: size and mtime as before."""
    st = path.stat()
    assert len(text) == st.st_size
    with open(path, "r+b") as fh:
        fh.write(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


@pytest.mark.parametrize("edit", [_editor_save, _in_place_same_size_and_mtime])
def test_a_hand_edit_between_read_and_rename_is_kept(mine, capsys, monkeypatch, edit):
    clients = mine / "clients.toml"
    original = clients.read_bytes()
    hand = original.replace(b"Example Ltd", b"Example AG!")  # same length
    real = setup_commands._errors_with
    calls = []

    def edit_then_check(*a, **kw):
        if not calls:  # the editor saves while client add is checking its copy
            edit(clients, hand)
        calls.append(1)
        return real(*a, **kw)

    monkeypatch.setattr(setup_commands, "_errors_with", edit_then_check)
    code, out, err = add(capsys, mine, "kunde-x")
    assert code == 0 and "added client `kunde-x`" in out, err
    text = clients.read_bytes()
    assert text.startswith(hand) and len(calls) == 2
    assert tomllib.loads(text.decode())["clients"]["example"]["name"] == "Example AG!"
    assert clients_of(clients) == {"example", "kunde-x"}


def test_an_editor_that_keeps_saving_wins_and_nothing_is_added(mine, capsys, monkeypatch):
    clients = mine / "clients.toml"
    real = setup_commands._errors_with
    saves = []

    def save_each_time(*a, **kw):
        saves.append(clients.read_bytes() + f"# save {len(saves)}\n".encode())
        _editor_save(clients, saves[-1])
        return real(*a, **kw)

    monkeypatch.setattr(setup_commands, "_errors_with", save_each_time)
    code, out, err = add(capsys, mine, "kunde-x")
    assert code == 2 and out == "" and "was not added" in err and "Traceback" not in err
    assert clients.read_bytes() == saves[-1]
    assert tmp_files(mine) == []


def test_a_symlinked_clients_toml_stays_a_link_and_its_target_keeps_its_mode(mine, capsys,
                                                                              tmp_path):
    elsewhere = tmp_path / "private"
    elsewhere.mkdir()
    target = elsewhere / "clients.toml"
    target.write_bytes((mine / "clients.toml").read_bytes())
    target.chmod(0o640)
    (mine / "clients.toml").unlink()
    (mine / "clients.toml").symlink_to(target)
    code, out, err = add(capsys, mine, "kunde-x")
    assert code == 0 and str(target) in out, err
    assert (mine / "clients.toml").is_symlink()
    assert os.readlink(mine / "clients.toml") == str(target)
    assert clients_of(target) == {"example", "kunde-x"}
    assert target.stat().st_mode & 0o777 == 0o640
    assert tmp_files(mine, elsewhere) == []
    assert_lints_clean(mine)


@pytest.mark.parametrize("mode", [0o644, 0o600, 0o660])
def test_the_file_keeps_its_mode(mine, capsys, mode):
    clients = mine / "clients.toml"
    clients.chmod(mode)
    assert add(capsys, mine, "kunde-x")[0] == 0
    assert clients.stat().st_mode & 0o777 == mode


def test_a_read_only_clients_toml_is_refused_not_replaced(mine, capsys):
    clients = mine / "clients.toml"
    clients.chmod(0o444)
    before, inode = clients.read_bytes(), clients.stat().st_ino
    code, out, err = add(capsys, mine, "kunde-x")
    assert code == 2 and out == "" and "read-only" in err and "internal error" not in err
    assert clients.read_bytes() == before and clients.stat().st_ino == inode
    assert clients.stat().st_mode & 0o777 == 0o444


@pytest.mark.parametrize("kind", ["fifo", "dangling link", "folder"])
def test_a_clients_toml_that_is_no_file_is_refused(mine, capsys, tmp_path, kind):
    clients = mine / "clients.toml"
    clients.unlink()
    if kind == "fifo":
        os.mkfifo(clients)
    elif kind == "folder":
        clients.mkdir()
    else:
        clients.symlink_to(tmp_path / "gone.toml")
    code, _, err = add(capsys, mine, "kunde-x")
    assert code == 2 and "internal error" not in err and "Traceback" not in err
    assert os.path.lexists(clients) and not (tmp_path / "gone.toml").exists()


def test_a_file_with_a_byte_order_mark_is_accepted(mine, capsys):
    clients = mine / "clients.toml"
    with_bom = b"\xef\xbb\xbf" + clients.read_bytes()
    clients.write_bytes(with_bom)
    assert_lints_clean(mine)  # lint accepts it, so client add must too
    code, _, err = add(capsys, mine, "kunde-x")
    assert code == 0, err
    assert clients.read_bytes().startswith(with_bom)
    assert clients_of(clients) == {"example", "kunde-x"}
    assert_lints_clean(mine)


@pytest.mark.parametrize("newline", [b"\r\n", b"\n"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_the_appended_table_uses_the_files_line_endings(mine, capsys, newline, final_newline):
    clients = mine / "clients.toml"
    lines = clients.read_bytes().decode().splitlines()
    old = newline.join(s.encode() for s in lines) + (newline if final_newline else b"")
    clients.write_bytes(old)
    code, _, err = add(capsys, mine, "kunde-x", "--phone", "+43 664 1112223", "--notes", "x")
    assert code == 0, err
    text = clients.read_bytes()
    assert text.startswith(old)
    added = text[len(old):]
    if newline == b"\r\n":
        assert added.count(b"\n") == added.count(b"\r\n") > 3
    else:
        assert b"\r" not in added
    assert clients_of(clients) == {"example", "kunde-x"}
    assert_lints_clean(mine)


# -- defect 12: init writes all or nothing ---------------------------------------------------
def listing(root: Path) -> dict[str, bytes | None]:
    return {p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize(("blocker", "as_folder"), [
    ("tiers", False), ("replies", False), (".schema", False), ("me.toml", True),
    ("clients.toml", False), ("tiers/standard.toml", False),
])
def test_init_with_anything_in_the_way_writes_nothing(tmp_path, capsys, blocker, as_folder):
    root = tmp_path / "set"
    (root / blocker).parent.mkdir(parents=True, exist_ok=True)
    if as_folder:
        (root / blocker).mkdir()
    else:
        (root / blocker).write_text("mine\n")
    before = listing(root)
    code, out, err = run(capsys, "init", str(root), "--timezone", "UTC", "--yes")
    assert code == 2 and out == ""
    assert f"{root / blocker}: error:" in err and "nothing was written" in err
    assert "internal error" not in err and "Traceback" not in err
    assert listing(root) == before


def test_init_reports_every_blocker_at_once(tmp_path, capsys):
    root = tmp_path / "set"
    root.mkdir()
    (root / "tiers").write_text("")
    (root / "checks.toml").write_text("")
    code, _, err = run(capsys, "init", str(root), "--timezone", "UTC", "--yes")
    assert code == 2
    assert f"{root / 'tiers'}: error: is a file" in err
    assert f"{root / 'checks.toml'}: error: exists already" in err


def test_init_failing_midway_takes_back_what_it_wrote(tmp_path, capsys, monkeypatch):
    import boundaries.fsutil as fsutil

    real = fsutil.atomic_write
    written = []

    def fail_on_the_fourth(path, data, **kw):
        if len(written) == 3:
            raise OSError(28, "No space left on device", str(path))
        written.append(path)
        real(path, data, **kw)

    monkeypatch.setattr(fsutil, "atomic_write", fail_on_the_fourth)
    existing = tmp_path / "old"
    existing.mkdir()
    (existing / "notes.txt").write_text("keep me")
    for root, after in ((tmp_path / "new" / "set", None), (existing, {"notes.txt": b"keep me"})):
        written.clear()
        code, out, err = run(capsys, "init", str(root), "--timezone", "UTC", "--yes")
        assert code == 2 and out == "" and "No space left on device" in err
        assert "nothing was written" in err and "internal error" not in err
        assert len(written) == 3
        if after is None:
            assert not (tmp_path / "new").exists()
        else:
            assert listing(root) == after


@pytest.mark.parametrize("empty", ["", "  "])
def test_init_with_an_empty_dir_is_a_usage_error(tmp_path, capsys, monkeypatch, empty):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "init", empty, "--timezone", "UTC", "--yes")
    assert code == 2 and out == "" and "DIR is empty" in err
    assert list(tmp_path.iterdir()) == []


def test_init_dot_still_writes_into_this_folder(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "init", ".", "--timezone", "UTC", "--yes")[0] == 0
    assert_lints_clean(tmp_path)


@pytest.mark.parametrize("blocker", [".schema", "."])
def test_schema_write_onto_a_file_is_a_path_error(tmp_path, capsys, blocker):
    folder = tmp_path / "set"
    if blocker != ".":
        folder.mkdir()
    (folder / blocker).write_text("mine\n")
    code, out, err = run(capsys, "schema", "--write", str(folder))
    assert code == 2 and out == "" and ": error: is a file" in err
    assert "internal error" not in err

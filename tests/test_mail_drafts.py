"""Drafts written into a Maildir as the format wants (tmp/, then cur/NAME:2,D), read back the
way mail clients read them."""

from __future__ import annotations

import mailbox
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from boundaries.core.errors import BoundariesError
from boundaries.sources.mail import drafts
from boundaries.sources.mail.drafts import unique_name, write_draft

DRAFT = (b"From: Martin Huber <martin@huber-it.example>\nTo: anna@stahl.example\n"
         b"Subject: Re: Frage\nMessage-ID: <r1@huber-it.example>\n\nDanke.\n")


def test_a_draft_reads_back_as_a_draft_in_cur(tmp_path):
    folder = tmp_path / "Drafts"
    path = write_draft(folder, DRAFT)
    assert path.parent == folder / "cur" and path.name.endswith(":2,D")
    box = mailbox.Maildir(folder, factory=None, create=False)
    [(key, msg)] = list(box.items())
    assert msg.get_subdir() == "cur"
    assert "D" in msg.get_flags()
    assert box.get_bytes(key) == DRAFT
    assert msg["Subject"] == "Re: Frage"
    assert list((folder / "tmp").iterdir()) == []  # nothing left half-written
    assert list((folder / "new").iterdir()) == []


def test_a_draft_is_private(tmp_path):
    path = write_draft(tmp_path / "Drafts", DRAFT)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    for sub in ("", "tmp", "new", "cur"):
        assert stat.S_IMODE((tmp_path / "Drafts" / sub).stat().st_mode) & 0o077 == 0


def test_two_drafts_are_two_files(tmp_path):
    a = write_draft(tmp_path / "D", DRAFT)
    b = write_draft(tmp_path / "D", DRAFT.replace(b"r1@", b"r2@"))
    assert a != b
    assert len(mailbox.Maildir(tmp_path / "D", create=False)) == 2


def test_an_existing_maildir_is_used_and_missing_parts_made(tmp_path):
    folder = tmp_path / "Drafts"
    (folder / "cur").mkdir(parents=True)
    (folder / "cur" / "1.M1P1Q1.host:2,DS").write_bytes(b"Subject: old\n\nold\n")
    write_draft(folder, DRAFT)
    box = mailbox.Maildir(folder, create=False)
    assert sorted(m["Subject"] for m in box) == ["Re: Frage", "old"]
    assert (folder / "cur" / "1.M1P1Q1.host:2,DS").read_bytes() == b"Subject: old\n\nold\n"


def test_unique_names_follow_the_maildir_spec(monkeypatch):
    monkeypatch.setattr(drafts.socket, "gethostname", lambda: "my/host:1")
    name = unique_name()
    assert re.fullmatch(r"\d+\.M\d+P\d+Q\d+\.my\\057host\\0721", name), name
    assert name.split("Q")[1] != unique_name().split("Q")[1]  # the delivery counter moves


def test_a_crash_before_the_link_leaves_nothing_in_cur(tmp_path, monkeypatch):
    def boom(*_a, **_k):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(drafts.os, "fsync", boom)
    with pytest.raises(BoundariesError):
        write_draft(tmp_path / "Drafts", DRAFT)
    assert list((tmp_path / "Drafts" / "cur").iterdir()) == []
    assert list((tmp_path / "Drafts" / "tmp").iterdir()) == []


def test_a_file_system_without_hard_links_still_gets_the_draft(tmp_path, monkeypatch):
    def no_link(*_a, **_k):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(drafts.os, "link", no_link)
    path = write_draft(tmp_path / "Drafts", DRAFT)
    assert path.read_bytes() == DRAFT and path.parent.name == "cur"
    assert list((tmp_path / "Drafts" / "tmp").iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes any folder")
def test_an_unwritable_folder_is_a_clear_error(tmp_path):
    folder = tmp_path / "Drafts"
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True)
    (folder / "tmp").chmod(0o500)
    try:
        with pytest.raises(BoundariesError) as e:
            write_draft(folder, DRAFT)
    finally:
        (folder / "tmp").chmod(0o700)
    assert "cannot write a draft" in str(e.value) and "Permission denied" in str(e.value)
    assert "--drafts" in (e.value.hint or "")


def test_a_file_where_the_folder_should_be_is_a_clear_error(tmp_path):
    folder = tmp_path / "Drafts"
    folder.write_text("not a folder")
    with pytest.raises(BoundariesError, match="cannot write a draft"):
        write_draft(folder, DRAFT)
    assert folder.read_text() == "not a folder"


def test_a_relative_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = write_draft(Path("Drafts"), DRAFT)
    assert (tmp_path / path).read_bytes() == DRAFT


def test_a_refused_write_is_a_clear_error_even_as_root(tmp_path, monkeypatch):
    real_open = os.open

    def refuse(path, flags, *a, **k):
        if "tmp" in str(path) and flags & os.O_CREAT:
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *a, **k)

    monkeypatch.setattr(drafts.os, "open", refuse)
    with pytest.raises(BoundariesError) as e:
        write_draft(tmp_path / "Drafts", DRAFT)
    assert str(e.value).startswith(f"{tmp_path / 'Drafts'}: cannot write a draft "
                                   "(Permission denied: ")
    assert "--drafts" in (e.value.hint or "")


@pytest.mark.skipif(not shutil.which("mlist") or not shutil.which("mhdr"),
                    reason="mblaze is not installed (make test installs it)")
def test_a_real_maildir_client_lists_it_as_a_draft(tmp_path):
    """mblaze, a Maildir client's tools: `mlist -D` lists drafts only, `mhdr` reads headers."""
    folder = tmp_path / "Drafts"
    path = write_draft(folder, DRAFT)
    env = {**os.environ, "MBLAZE": str(tmp_path / "mblaze")}  # not the user's profile
    listed = subprocess.run(["mlist", "-D", "-C", str(folder)], capture_output=True, text=True,
                            timeout=30, check=True, env=env).stdout.split()
    assert listed == [str(path)]
    assert subprocess.run(["mlist", "-d", str(folder)], capture_output=True, text=True,
                          timeout=30, check=True, env=env).stdout == ""
    subject = subprocess.run(["mhdr", "-h", "subject", str(path)], capture_output=True,
                             text=True, timeout=30, check=True, env=env).stdout
    assert subject.strip() == "Re: Frage"


def test_a_batch_of_drafts_is_synced_once_and_all_shown(tmp_path, monkeypatch):
    calls = {"sync": 0, "fsync": 0}
    real_fsync = os.fsync
    monkeypatch.setattr(drafts.os, "sync", lambda: calls.__setitem__("sync", calls["sync"] + 1))

    def counting_fsync(fd):
        calls["fsync"] += 1
        real_fsync(fd)

    monkeypatch.setattr(drafts.os, "fsync", counting_fsync)
    messages = [DRAFT.replace(b"r1@", f"r{i}@".encode()) for i in range(40)]
    paths = drafts.write_drafts(tmp_path / "Drafts", messages)
    assert [p.read_bytes() for p in paths] == messages  # in order
    assert calls == {"sync": 1, "fsync": 1}  # one sync for the data, one fsync of cur/
    box = mailbox.Maildir(tmp_path / "Drafts", create=False)
    assert len(box) == 40 and all("D" in m.get_flags() for m in box)
    assert list((tmp_path / "Drafts" / "tmp").iterdir()) == []


def test_a_batch_that_fails_midway_says_which_drafts_are_there(tmp_path, monkeypatch):
    real_link, links = os.link, []

    def link(src, dst):
        if len(links) == 2:
            raise OSError(28, "No space left on device", str(dst))
        links.append(dst)
        real_link(src, dst)

    monkeypatch.setattr(drafts.os, "link", link)
    monkeypatch.setattr(drafts.os, "rename", link)  # the fallback fails alike
    with pytest.raises(drafts.DraftError) as e:
        drafts.write_drafts(tmp_path / "Drafts", [DRAFT] * 20)
    assert "No space left on device" in str(e.value)
    assert e.value.written == [Path(p) for p in links]
    assert sorted((tmp_path / "Drafts" / "cur").iterdir()) == sorted(e.value.written)
    assert all(p.read_bytes() == DRAFT for p in e.value.written)
    assert list((tmp_path / "Drafts" / "tmp").iterdir()) == []  # the rest cleaned up


def test_no_drafts_is_no_work(tmp_path):
    assert drafts.write_drafts(tmp_path / "Drafts", []) == []

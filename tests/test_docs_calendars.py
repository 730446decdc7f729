"""docs/calendars.md's vdirsyncer configuration is a tested example: every vdirsyncer block
parses as vdirsyncer reads its config (INI, a JSON value after each `=`), uses only keys
vdirsyncer knows, and a folder laid out as vdirsyncer writes that storage (one subfolder per
collection, one `<UID>.ics` per event), named in me.toml as the page says, makes `check` busy.

vdirsyncer itself is not a dependency: its config rules are restated here from its source
(vdirsyncer 0.21, `cli/config.py` and each storage's constructor)."""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest

from .cli_helpers import run

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "calendars.md"
EXAMPLE = REPO / "policies"

# What vdirsyncer accepts (a key may also be written KEY.fetch: its value then comes from a
# command). Storage keys: the storage's constructor and the base Storage's.
GENERAL = {"status_path"}
PAIR = {"a", "b", "collections", "conflict_resolution", "metadata", "partial_sync", "implicit"}
BASE = {"type", "instance_name", "read_only", "no_delete"}
DAV = {"url", "username", "password", "verify", "auth", "useragent", "verify_fingerprint",
       "auth_cert"}
STORAGE = {
    "filesystem": BASE | {"path", "fileext", "encoding", "post_hook", "pre_deletion_hook",
                          "fileignoreext"},
    "caldav": BASE | DAV | {"start_date", "end_date", "item_types"},
    "http": BASE | DAV | {"filter_hook"},
    "google_calendar": BASE | {"token_file", "client_id", "client_secret", "start_date",
                               "end_date", "item_types"},
}
SECTION_NAME = re.compile(r"[A-Za-z0-9_]+")


def blocks(lang: str) -> list[str]:
    """The fenced blocks of the page in `lang`, dedented (some sit in a list item)."""
    text = DOC.read_text("utf-8")
    found = re.findall(rf"^( *)```{lang}\n(.*?)^\1```", text, flags=re.M | re.S)
    return ["\n".join(ln[len(indent):] for ln in body.splitlines()) for indent, body in found]


def vdirsyncer_blocks() -> list[str]:
    return [b for b in blocks("ini") if re.search(r"^\[(general|pair |storage )", b, re.M)]


def parse(text: str) -> tuple[dict, dict, dict]:
    """general, pairs, storages — as vdirsyncer's _ConfigReader does it."""
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    general: dict = {}
    pairs: dict[str, dict] = {}
    storages: dict[str, dict] = {}
    for section in parser.sections():
        kind, _, name = section.partition(" ")
        name = name or kind
        assert SECTION_NAME.fullmatch(name), f"[{section}]: vdirsyncer refuses this name"
        values = {key: json.loads(value) for key, value in parser.items(section)}
        if kind == "general":
            general.update(values)
        elif kind == "pair":
            pairs[name] = values
        else:
            assert kind == "storage", f"[{section}]: vdirsyncer knows no such section"
            storages[name] = values
    return general, pairs, storages


def plain(key: str) -> str:
    return key.removesuffix(".fetch")


def main_config() -> tuple[dict, dict, dict]:
    complete = [b for b in vdirsyncer_blocks() if "[general]" in b]
    assert len(complete) == 1, "one complete vdirsyncer config on the page"
    return parse(complete[0])


def test_the_page_has_vdirsyncer_blocks():
    assert len(vdirsyncer_blocks()) >= 3  # the config, Google's storage, Google's http pair


@pytest.mark.parametrize("index", range(len(vdirsyncer_blocks())))
def test_every_vdirsyncer_block_parses_and_uses_known_keys(index):
    general, pairs, storages = parse(vdirsyncer_blocks()[index])
    assert set(general) <= GENERAL
    for name, pair in pairs.items():
        assert set(pair) <= PAIR, name
        assert {"a", "b", "collections"} <= set(pair), f"{name}: vdirsyncer needs a, b, collections"
        assert pair["a"] in storages and pair["b"] in storages, name
        collections = pair["collections"]
        assert collections is None or (isinstance(collections, list) and all(
            c in ("from a", "from b") or isinstance(c, str) or (
                isinstance(c, list) and len(c) == 3) for c in collections)), collections
        assert pair.get("conflict_resolution") in (None, "a wins", "b wins")
    for name, storage in storages.items():
        kind = storage["type"]
        assert kind in STORAGE, f"{name}: unknown storage type {kind!r}"
        assert {plain(k) for k in storage} <= STORAGE[kind], name
        for key, value in storage.items():
            if key.endswith(".fetch"):  # ["command", ...] or ["shell", ...] or ["prompt", ...]
                assert isinstance(value, list) and value[0] in ("command", "shell", "prompt")


def test_the_config_is_complete_and_its_local_side_is_a_folder_of_ics():
    general, pairs, storages = main_config()
    assert general["status_path"]
    (pair,) = pairs.values()
    local, remote = storages[pair["a"]], storages[pair["b"]]
    assert local["type"] == "filesystem" and local["fileext"] == ".ics" and local["path"]
    assert remote["type"] == "caldav" and remote["url"].startswith("https://")
    assert remote["username"] and isinstance(remote["password.fetch"], list)
    assert pair["collections"] == ["from b"]  # one subfolder per calendar of the server


def test_comments_are_never_after_a_value():
    """vdirsyncer's RawConfigParser has no inline comments: `x = "a"  # c` is no JSON."""
    for block in vdirsyncer_blocks():
        for line in block.splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                json.loads(line.split("=", 1)[1])


def docs_calendar_path() -> str:
    """The `[[calendars]]` path the page gives for the vdirsyncer folder."""
    _general, _pairs, storages = main_config()
    (local,) = [s for s in storages.values() if s["type"] == "filesystem"]
    base = local["path"].rstrip("/")
    paths = [c["path"] for b in blocks("toml") if "[[calendars]]" in b
             for c in tomllib.loads(b)["calendars"] if c["path"].startswith(base + "/")]
    assert paths, "the page names a collection folder below the storage's path in me.toml"
    return paths[0]


EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Nextcloud calendar v4.6.0\r\n"
    "BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T090000Z\r\nSUMMARY:{summary}\r\n"
    "DTSTART;TZID=Europe/Vienna:{start}\r\nDTEND;TZID=Europe/Vienna:{end}\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n")


@pytest.fixture
def synced(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """A home with the folder vdirsyncer writes for the page's config, and a policy set
    (the example's) whose me.toml names it as the page says. -> (set, collection folder)"""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("BOUNDARIES_JOURNAL", str(tmp_path / "journal"))
    path = docs_calendar_path()
    folder = Path(os.path.expanduser(path))
    assert folder.parent != folder and str(folder).startswith(str(home))
    folder.mkdir(parents=True)
    # vdirsyncer's names: the UID where it is safe for a file name, else a random UUID
    (folder / "kickoff-2027.ics").write_bytes(EVENT.format(
        uid="kickoff-2027", summary="Kick-off", start="20270104T090000",
        end="20270104T103000").encode())
    (folder / "3f2a6c1e-8d4b-4e0f-9b7a-2c5d1e8f4a90.ics").write_bytes(EVENT.format(
        uid="weird uid@example", summary="Review", start="20270104T140000",
        end="20270104T150000").encode())
    (folder / "half.ics.tmp").write_bytes(b"BEGIN:VCALENDAR\r\nBEGIN:VEV")  # a write under way
    pset = tmp_path / "set"
    shutil.copytree(EXAMPLE, pset)
    me = (pset / "me.toml").read_text("utf-8")
    me = me[: me.index("\n[[calendars]]\n") + 1] + f'[[calendars]]\npath = "{path}"\n'
    (pset / "me.toml").write_text(me, "utf-8")
    return pset, folder


def test_the_folder_vdirsyncer_writes_is_read(capsys, synced):
    pset, _folder = synced
    code, out, err = run(capsys, "lint", "--policies", str(pset))
    assert code == 0 and "no problems" in out and err == "", out + err
    path = docs_calendar_path()
    code, out, err = run(capsys, "check", "--policies", str(pset), "--from", "acme",
                         "--at", "2027-01-04T09:45", "--json")
    d = json.loads(out)
    assert code == 0 and err == ""
    assert d["decision"] == "later" and d["reply"]["key"] == "busy"
    assert d["busy"] == {"start": "2027-01-04T09:00:00+01:00", "end": "2027-01-04T10:30:00+01:00",
                         "source": f"{path}/kickoff-2027.ics:4"}
    code, out, _ = run(capsys, "check", "--policies", str(pset), "--from", "acme",
                       "--at", "2027-01-04T14:15", "--json")
    assert json.loads(out)["busy"]["source"].endswith("/3f2a6c1e-8d4b-4e0f-9b7a-2c5d1e8f4a90.ics:4")


def test_naming_the_storage_folder_instead_finds_nothing_and_lint_says_so(capsys, synced):
    pset, _folder = synced
    parent = docs_calendar_path().rsplit("/", 1)[0]
    me = (pset / "me.toml").read_text("utf-8")
    (pset / "me.toml").write_text(me.replace(docs_calendar_path(), parent), "utf-8")
    code, out, err = run(capsys, "lint", "--policies", str(pset))
    assert code == 0 and f"calendar `{parent}` holds no .ics files yet" in out + err, out + err
    code, out, _ = run(capsys, "check", "--policies", str(pset), "--from", "acme",
                       "--at", "2027-01-04T09:45", "--json")
    assert json.loads(out)["busy"] is None  # subfolders are not read

"""Issue #12 in the TUI: no control character from a file or an input reaches the screen
(defect 2), and the watcher sees an edit that keeps size and mtime (defect 11)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import Input, TextArea

from boundaries.core.text import visible
from boundaries.tui import make_app
from boundaries.tui.app import _stamp

from .test_hardening_output import CLEAR, EVIL, write_evil_journal
from .tui_helpers import settle

DATA = Path(__file__).parent / "data" / "tui"
EVENING = datetime(2026, 1, 8, 18, 20, tzinfo=ZoneInfo("Europe/Vienna"))
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")  # a rendered line holds no newline either


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


@pytest.fixture
def evil_set(tmp_path: Path) -> Path:
    """The TUI test set with escapes in a client's name and notes, a tier's description and
    file name, a reply template, an away reason; and a journal that holds them too."""
    root = tmp_path / "set"
    shutil.copytree(DATA, root)
    q = json.dumps  # a TOML basic string, control characters as \uXXXX
    _replace(root / "clients.toml", 'name = "ACME Abrechnung GmbH"',
             f"name = {q(EVIL)}\nnotes = {q('notes ' + CLEAR)}")
    _replace(root / "tiers/maint.toml", '"Wartungsvertrag"', q("Wartung " + CLEAR))
    _replace(root / "replies/de.toml", '"Guten Tag, ich', q("Guten " + CLEAR)[:-1] + " Tag, ich")
    with (root / "me.toml").open("a", encoding="utf-8") as f:  # away in the week shown
        f.write(f"\n[[away]]\nfrom = 2026-01-13\nto = 2026-01-13\n"
                f"reason = {q('Urlaub ' + CLEAR)}\n")
    (root / "tiers" / "t\u001b]0;x\u0007.toml").write_text('description = "no hours"\n')
    write_evil_journal(tmp_path / "journal")
    return root


def screen_text(app) -> tuple[str, set[str]]:
    """What the screen shows now (each rendered segment of the active screen's compositor),
    and the segments among them that hold a raw control character."""
    texts, bad = [], set()
    for strip in app.screen._compositor.render_strips():
        for seg in strip:
            if seg.control:  # Textual's own cursor moves, not text
                continue
            texts.append(seg.text)
            if RAW_CONTROL.search(seg.text):
                bad.add(seg.text)
    return "".join(texts), bad


async def test_no_control_character_reaches_the_screen(evil_set: Path):
    app = make_app(evil_set, clock=lambda: EVENING, watch_interval=None,
                   journal=evil_set.parent / "journal", who="acme")
    seen = ""

    async def look(step: str) -> None:
        nonlocal seen
        await pilot.pause()
        text, bad = screen_text(app)
        assert not bad, f"{step}: {bad}"
        seen += text

    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await look("ask")
        assert "\\u001b]0;PWNED" in app.query_one("#reply", TextArea).text + seen
        for key in ("f2", "f3", "f4", "f5"):
            await pilot.press(key)
            await look(key)
        await pilot.press("f2")  # the Week of the client, and of the escaped tier
        app.week_of("client:acme")
        await look("week of acme")
        app.week_of("tier:t\u001b]0;x\u0007")
        await look("week of the escaped tier")
        await pilot.press("f1")
        who = app.query_one("#who", Input)
        who.focus()
        await pilot.press("ctrl+u")
        who.insert_text_at_cursor("\u001b]0;typed\u0007")  # as typing and pasting do
        await look("typed into who")
        assert "\u001b" not in who.value
        who.value = EVIL  # as `--from` or a click in the Clients table sets it
        await look("who set")
        app.notify(f"a note {EVIL}", title=EVIL)
        await look("notification")
        await pilot.press("f6")  # discreet screen
        await look("discreet")
        await pilot.press("f6")
        who.value = "acme"
        await pilot.press("f9")  # the record screen
        await look("record")
        await pilot.press("escape")
        await pilot.press("ctrl+p")  # the command palette: clients and tier descriptions
        await pilot.pause()
        for ch in "Ask about":
            await pilot.press(ch)
        await app.workers.wait_for_complete()
        await look("palette")
        await pilot.press("escape")
        await pilot.press("escape")
        app.query_one("#reasons").focus()
        await pilot.press("question_mark")  # the keys panel
        await look("help")
    # the walk saw the escaped texts, shown (not dropped)
    for shown in ("E\\u001b]0;PWNED", "\\u001b[2J", "Urlaub \\u001b[2J"):
        assert shown in seen, shown


def _sed_then_touch_r(path: Path, old: str, new: str) -> None:
    """`sed -i s/old/new/ path && touch -r copy path`: same size, same mtime."""
    assert len(old) == len(new)
    keep = path.with_suffix(".orig")
    shutil.copy2(path, keep)
    if shutil.which("sed") and shutil.which("touch"):
        subprocess.run(["sed", "-i", f"s/{old}/{new}/", str(path)], check=True)
        subprocess.run(["touch", "-r", str(keep), str(path)], check=True)
    else:  # what GNU sed -i does: a new file renamed over the old one
        tmp = path.with_suffix(".sed")
        tmp.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
        tmp.replace(path)
        st = keep.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    keep.unlink()


def _edit_in_place_then_restore(path: Path, old: str, new: str) -> None:
    """An editor that writes into the same file, then `os.utime` puts the times back."""
    st = path.stat()
    with path.open("r+", encoding="utf-8") as f:
        text = f.read().replace(old, new)
        f.seek(0)
        f.write(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (st.st_size, st.st_mtime_ns,
                                                                st.st_ino)


@pytest.mark.parametrize("edit", [_sed_then_touch_r, _edit_in_place_then_restore])
async def test_the_tui_reloads_an_edit_that_keeps_size_and_mtime(tmp_path: Path, edit):
    root = tmp_path / "set"
    shutil.copytree(DATA, root)
    app = make_app(root, clock=lambda: EVENING, watch_interval=None, who="acme")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert "ACME Abrechnung GmbH (acme)" in str(app.query_one("#who-line").render())
        before = _stamp(root)
        edit(root / "clients.toml", "Abrechnung", "Buchhaltng")
        assert _stamp(root) != before
        app.poll_files()  # what the watcher's timer calls
        await app.workers.wait_for_complete()
        await settle(app, pilot)
        assert "ACME Buchhaltng GmbH (acme)" in str(app.query_one("#who-line").render())


def test_the_stamp_is_still_equal_when_nothing_changed(tmp_path: Path):
    root = tmp_path / "set"
    shutil.copytree(DATA, root)
    assert _stamp(root) == _stamp(root)
    (root / "clients.toml").read_bytes()  # reading is no change
    assert _stamp(root) == _stamp(root)


def test_visible_is_what_the_tui_shows():
    """The TUI and the CLI share one function: a name shows the same in both."""
    assert visible(EVIL, multiline=False) == "E\\u001b]0;PWNED\\u0007\\u001b]52;c;aGFja2Vk\\u0007"

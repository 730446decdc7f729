"""Mail in the TUI (sources.md §9, issue 16 part 6): the Maildir of `[sources] maildir`
followed inside the app, its mail in Incoming with the verdict, `Enter` into Ask with the
reply in the draft, Ctrl+S writing the draft as it stands into `[sources] drafts` (read back
with `mailbox.Maildir`). Driven through the pilot with a fixed clock and size; a temporary
policy folder (tests/data/tui with my address and `[sources]`), journal and Maildir; mail
delivered as a delivery agent does (tmp/, then renamed into new/), each wait a bounded
poll of `pilot.pause`; the Maildir hashed before and after."""

from __future__ import annotations

import hashlib
import json
import mailbox
import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import Input

from boundaries.tui import make_app

from .test_tui_incoming import ACME_MOBILE, ring
from .tui_helpers import StandIn, feed, no_blink, rows, settle, toasts

DATA = Path(__file__).parent / "data" / "tui"
VIENNA = ZoneInfo("Europe/Vienna")
EVENING = datetime(2026, 1, 8, 18, 20, tzinfo=VIENNA)  # Thursday, after hours
ME = "martin@huber-it.example"


def mail(sender: str, subject: str, at: datetime, msgid: str, *, to: str = ME,
         extra: tuple[str, ...] = ()) -> bytes:
    """A message as a mail client writes it (CRLF line ends)."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}",
             f"Date: {at.strftime('%a, %d %b %Y %H:%M:%S %z')}", f"Message-ID: {msgid}",
             *extra, "MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
             "Content-Transfer-Encoding: 8bit", "", "Hallo,\nbitte um Rückruf.\n"]
    return "\r\n".join(lines).encode("utf-8")


ACME = mail("Anna Leitner <office@acme.example>", "Rechnung fehlt",
            EVENING - timedelta(minutes=10), "<r1@acme.example>")
LIST = mail("Dev List <devs@lists.example>", "[devs] release 2.0",
            EVENING - timedelta(minutes=5), "<l1@lists.example>", to="devs@lists.example",
            extra=("List-Id: Developers <devs.lists.example>", "Precedence: list"))
TANAKA = mail("Kenji Tanaka <tanaka@partner.example>", "Question about the VPN",
              EVENING + timedelta(minutes=3), "<t1@partner.example>")
YESTERDAY = mail("Anna Leitner <office@acme.example>", "Gestern",
                 EVENING - timedelta(days=1), "<y1@acme.example>")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A home folder of its own: the header names the Maildir as `~/Mail/INBOX`."""
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def policies(home: Path, *, drafts: bool = True) -> Path:
    """tests/data/tui with my address and `[sources] maildir` (and `drafts`)."""
    root = home / "policies"
    shutil.copytree(DATA, root)
    me = root / "me.toml"
    text = me.read_text(encoding="utf-8").replace(
        'callback_landlines = false\n', f'callback_landlines = false\naddresses = ["{ME}"]\n')
    text += '\n[sources]\nmaildir = "~/Mail/INBOX"\n'
    if drafts:
        text += 'drafts = "~/Mail/Drafts"\n'
    me.write_text(text, encoding="utf-8")
    return root


def deliver(folder: Path, name: str, blob: bytes, at: datetime, *, sub: str = "new") -> Path:
    """A delivery agent's way: written into tmp/, its time set, renamed into new/ (or a
    client's cur/ with flags)."""
    for s in ("tmp", "new", "cur"):
        (folder / s).mkdir(parents=True, exist_ok=True)
    tmp = folder / "tmp" / name
    tmp.write_bytes(blob)
    os.utime(tmp, (at.timestamp(), at.timestamp()))
    final = folder / sub / (name if sub == "new" else f"{name}:2,S")
    tmp.rename(final)
    return final


def inbox(home: Path) -> Path:
    folder = home / "Mail" / "INBOX"
    deliver(folder, "1767892200.M1P1.mx", ACME, EVENING - timedelta(minutes=10))
    deliver(folder, "1767892500.M2P1.mx", LIST, EVENING - timedelta(minutes=5), sub="cur")
    deliver(folder, "1767805800.M3P1.mx", YESTERDAY, EVENING - timedelta(days=1), sub="cur")
    return folder


def hashes(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file and folder under `folder`: its hash, mtime and mode."""
    out = {}
    for path in sorted(folder.rglob("*")):
        st = path.stat()
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "dir"
        out[str(path.relative_to(folder))] = (digest, st.st_mtime_ns, st.st_mode)
    return out


def app_for(root: Path, journal: Path, **kw):
    app = make_app(root, clock=lambda: EVENING, watch_interval=None, journal=journal, **kw)
    app.bell = lambda: None  # type: ignore[method-assign]
    return app


async def until(pilot, check, what: str, bound: int = 400) -> None:
    """Wait (a bounded poll of the pilot) until `check()` holds."""
    for _ in range(bound):
        if check():
            return
        await pilot.pause(0.025)
    raise AssertionError(f"never happened: {what}")


async def started(app, pilot, rows: int) -> None:
    """Settled, the Maildir watched and `rows` mails listed."""
    await settle(app, pilot)
    await until(pilot, lambda: len(app.mail.rows) >= rows and app.mail.how != "reading"
                and any(p.ready for p in app.query("IncomingPane")), f"{rows} mails listed")
    await pilot.pause()


def drafts_in(folder: Path) -> list:
    return list(mailbox.Maildir(folder, factory=None, create=False)) if folder.is_dir() else []


def journal_lines(journal: Path) -> list[dict]:
    return [json.loads(x) for f in sorted(journal.glob("*.jsonl"))
            for x in f.read_text(encoding="utf-8").splitlines()]


async def test_todays_mail_shows_in_incoming_with_its_verdict(home, tmp_path):
    folder = inbox(home)
    app = app_for(policies(home), tmp_path / "journal")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        await pilot.press("f10")
        await pilot.pause()
        assert rows(app) == [
            ["18:15:00", "devs@lists.example", "email", "◷ later", "no reply: precedence", ""],
            ["18:10:00", "ACME Abrechnung GmbH", "email", "◷ later", "reply ready", ""]]
        assert "maildir ~/Mail/INBOX: watching" in app.sub_title
        assert "2 today" in str(app.query_one("#incoming-state").render())
        await pilot.press("f6")
        await pilot.pause()
        assert [r[1] for r in rows(app)] == ["•••", "•••"]  # an address is a name too
    assert not (home / "Mail" / "Drafts").exists()  # nothing written unasked
    assert not (tmp_path / "journal").exists()  # nor recorded
    assert len(list((folder / "cur").iterdir())) == 2


async def test_a_mail_delivered_while_the_app_runs_appears(home, tmp_path):
    folder = inbox(home)
    app = app_for(policies(home), tmp_path / "journal")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        await until(pilot, lambda: app.mail.how == "watching", "the Maildir watched")
        deliver(folder, "1767892980.M4P1.mx", TANAKA, EVENING + timedelta(minutes=3))
        await until(pilot, lambda: "<t1@partner.example>" in app.mail.rows, "the new mail")
        await pilot.press("f10")
        await pilot.pause()
        assert rows(app)[0][:3] == ["18:23:00", "Tanaka KK", "email"]
        assert any("email · Tanaka KK" in t for t in toasts(app))


async def test_where_watchfiles_cannot_watch_it_looks_every_few_seconds(home, tmp_path,
                                                                       monkeypatch):
    import watchfiles

    def cannot(*_a, **_k):
        raise OSError(28, "inotify watch limit reached")

    monkeypatch.setattr(watchfiles, "awatch", cannot)
    folder = inbox(home)
    app = app_for(policies(home), tmp_path / "journal")
    app.mail.poll = 0.05
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        await until(pilot, lambda: app.mail.how == "polling", "polling")
        assert "maildir ~/Mail/INBOX: polling: looking every 0.05 s" in app.sub_title
        deliver(folder, "1767892980.M4P1.mx", TANAKA, EVENING + timedelta(minutes=3))
        await until(pilot, lambda: "<t1@partner.example>" in app.mail.rows, "the new mail")


async def test_enter_opens_the_mail_in_ask_and_ctrl_s_writes_the_edited_draft(home, tmp_path):
    folder = inbox(home)
    before = hashes(folder)
    journal = tmp_path / "journal"
    app = app_for(policies(home), journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        await pilot.press("f10")
        await pilot.press("down", "enter")  # the second row: ACME's mail
        await pilot.pause()
        assert app.active_tab == "ask"
        assert app.query_one("#who", Input).value == "office@acme.example"
        assert app.query_one("#when", Input).value == "2026-01-08T18:10:00+01:00"
        assert str(app.query_one("#verdict").render()) == "◷ LATER"
        area = app.query_one("#reply")
        template = area.text
        assert template.strip()
        area.focus()
        area.move_cursor((0, 0))
        for ch in "Liebe Frau Leitner, ":
            await pilot.press("space" if ch == " " else ch)
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        drafts = drafts_in(home / "Mail" / "Drafts")
        assert len(drafts) == 2  # the reply and the written confirmation (acme: in writing)
        replies = [d for d in drafts if "Liebe Frau Leitner" in _body(d)]
        assert len(replies) == 1
        [reply] = replies
        assert reply.get_flags() == "D"
        assert _body(reply).startswith("Liebe Frau Leitner, " + template[:20])
        assert reply["In-Reply-To"] == "<r1@acme.example>"
        assert reply["To"] == "office@acme.example"
        assert reply["Subject"] == "Re: Rechnung fehlt"
        assert any(t.startswith("Drafts written: ~/Mail/Drafts/cur/") for t in toasts(app))
        await pilot.press("f10")
        await pilot.pause()
        assert rows(app)[1][4] == "draft written"
        app.action_tab("ask")  # the same text again: not a second draft
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "in Drafts already" in toasts(app)[-1]
        assert len(drafts_in(home / "Mail" / "Drafts")) == 2
    assert [(e["source"], e["source_id"], e["outcome"], e["reply_key"] is not None)
            for e in journal_lines(journal)] == [("mail", "<r1@acme.example>", "received",
                                                 True)]
    assert hashes(folder) == before  # the user's Maildir untouched


async def test_a_list_mail_shows_its_rule_in_ask_and_the_key_refuses_naming_it(home, tmp_path):
    inbox(home)
    app = app_for(policies(home), tmp_path / "journal")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        await pilot.press("f10")
        await pilot.press("enter")  # the newest: the list mail
        await pilot.pause()
        assert app.query_one("#who", Input).value == "devs@lists.example"
        reasons = app.query_one("#reasons")
        texts = [str(reasons.get_option_at_index(i).prompt)
                 for i in range(reasons.option_count)]
        assert any("no reply to bulk mail (Precedence: list)" in t for t in texts)
        assert app.query_one("#reply").text == ""  # no draft: a rule forbids one
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert toasts(app)[-1].startswith("No draft for this mail: no reply to bulk mail "
                                          "(Precedence: list)")
    assert not (home / "Mail" / "Drafts").exists()


async def test_with_names_hidden_the_key_writes_the_real_reply(home, tmp_path):
    inbox(home)
    app = app_for(policies(home), tmp_path / "journal")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        await pilot.press("f6", "f10", "down", "enter")
        await pilot.pause()
        assert "•••" in app.query_one("#reply").text  # my name, hidden on screen
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        bodies = [_body(d) for d in drafts_in(home / "Mail" / "Drafts")]
        assert len(bodies) == 2
        assert all("•••" not in b for b in bodies)
        assert any("Martin Huber" in b for b in bodies)


async def test_a_field_changed_in_ask_is_no_longer_the_mail(home, tmp_path):
    inbox(home)
    app = app_for(policies(home), tmp_path / "journal")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        await pilot.press("f10", "enter")  # the list mail: no reply
        await pilot.pause()
        assert app.query_one("#reply").text == ""
        app.query_one("#when").value = "2026-01-08T18:16"
        await pilot.pause()
        assert app.query_one("#reply").text  # an ordinary request: the engine's reply
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "open the mail from Incoming (F10)" in toasts(app)[-1]


async def test_a_mail_that_mail_maildir_drafted_says_so_and_is_not_recorded_twice(home,
                                                                                  tmp_path):
    from boundaries.service import MailRun, load_set
    from boundaries.sources.mail.maildir import maildir_messages

    folder = inbox(home)
    root, journal, drafts = policies(home), tmp_path / "journal", home / "Mail" / "Drafts"
    run = MailRun(load_set(root).policies, journal, drafts=drafts, sendmail=None,
                  clock=lambda: EVENING)
    run.take_many([i.message for i in maildir_messages(folder)])  # as `mail --maildir`
    # ACME's two mails (today's and yesterday's) with reply and confirmation each; the list
    assert len(drafts_in(drafts)) == 4 and len(journal_lines(journal)) == 3
    app = app_for(root, journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        await pilot.press("f10")
        await pilot.pause()
        assert [r[4] for r in rows(app)] == ["decided before", "decided before · replied"]
        await pilot.press("down", "enter")
        await pilot.pause()
        assert str(app.query_one("#verdict").render()) == "◷ LATER"
        assert app.query_one("#reply").text  # not `replied-recently` to itself
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "the journal held this mail already" in toasts(app)[-1]
    assert len(drafts_in(drafts)) == 6  # asked for: written
    assert len(journal_lines(journal)) == 3  # and not recorded twice


async def test_f9_on_a_mail_offers_received_and_says_its_draft_was_written(home, tmp_path):
    from boundaries.tui.journal_view import RecordScreen
    from boundaries.tui.widgets import ChoiceBar

    inbox(home)
    app = app_for(policies(home), tmp_path / "journal")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        await pilot.press("f10", "down", "enter", "ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.press("f9")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RecordScreen)
        assert screen.query_one("#outcome", ChoiceBar).value == "received"
        assert screen.summary.endswith(" · draft written")


async def test_without_drafts_the_key_says_what_to_set(home, tmp_path):
    inbox(home)
    app = app_for(policies(home, drafts=False), tmp_path / "journal")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        assert "maildir ~/Mail/INBOX: watching: no Drafts" in app.sub_title
        await pilot.press("f10")
        await pilot.press("down", "enter")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "[sources] drafts" in toasts(app)[-1]
    assert not (home / "Mail" / "Drafts").exists()


async def test_the_key_outside_a_mail_says_how_to_open_one(home, tmp_path):
    inbox(home)
    app = app_for(policies(home), tmp_path / "journal")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        await pilot.press(*"acme")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "open the mail from Incoming (F10)" in toasts(app)[-1]


async def test_a_file_that_is_no_message_is_named_once_and_only_if_it_is_todays(home,
                                                                                  tmp_path):
    folder = inbox(home)
    broken = b"this is no header line\r\n\r\nand no From either\r\n"
    today = deliver(folder, "1767892300.M5P1.mx", broken, EVENING - timedelta(minutes=8))
    deliver(folder, "1767805900.M6P1.mx", broken, EVENING - timedelta(days=1))  # never read
    app = app_for(policies(home), tmp_path / "journal")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 2)
        assert "watching: 1 message not readable" in app.sub_title
        warned = [t for t in toasts(app) if "skipped" in t]
        assert len(warned) == 1 and warned[0].startswith(f"{today}: ")
        assert len(app.mail.rows) == 2


async def test_a_maildir_that_is_none_is_off_in_the_header(home, tmp_path):
    app = app_for(policies(home), tmp_path / "journal")  # ~/Mail/INBOX does not exist
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: app.mail.off, "the Maildir off")
        assert "maildir ~/Mail/INBOX: off: " in app.sub_title
        assert "no such folder" in app.sub_title


async def test_without_a_maildir_there_is_no_save_key():
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        assert app.mail.maildir is None
        assert app.check_action("save_draft", ()) is False
        assert "Incoming" not in str(app.query_one("#tabs").render())


def test_snapshot_incoming_with_a_mail_and_a_call(home, tmp_path, snap_compare):
    inbox(home)
    source = StandIn()
    app = app_for(policies(home), tmp_path / "journal", call_sources=[source])

    async def run_before(pilot) -> None:
        app.animation_level = "none"
        await started(app, pilot, 2)
        no_blink(app)
        await feed(app, pilot, source, ring("c1", ACME_MOBILE, EVENING - timedelta(minutes=7)))
        await pilot.press("f10")
        await pilot.pause()
        app.clear_notifications()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 24), run_before=run_before)


def _body(message: mailbox.MaildirMessage) -> str:
    return message.get_payload(decode=True).decode("utf-8")


async def test_a_sender_no_reply_can_reach_is_listed_and_the_key_says_why(home, tmp_path):
    """A From with a non-ASCII local part (RFC 6532), no Reply-To: listed with its verdict
    (the look goes on), no draft — and the row does not blame my own addresses."""
    folder = inbox(home)
    umlaut = mail("Jürgen Öller <jürgen@oeller.example>", "Frage",
                  EVENING - timedelta(minutes=1), "<u1@oeller.example>")
    deliver(folder, "1767892740.M4P1.mx", umlaut, EVENING - timedelta(minutes=1))
    app = app_for(policies(home), tmp_path / "journal")
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot, 3)
        await pilot.press("f10")
        await pilot.pause()
        assert rows(app)[0][1:] == ["jürgen@oeller.example", "email", "◷ later",
                                    "no reply: no address to reply to", ""]
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert toasts(app)[-1] == ("No draft for this mail: no reply message: "
                                   "`jürgen@oeller.example` is no address a reply can be "
                                   "sent to.")
    assert drafts_in(home / "Mail" / "Drafts") == []

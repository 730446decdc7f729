"""Where a reply goes, in the TUI, and an SMS reply sent from it (sources.md §10, issue 18
parts 2 and 3): the line under each draft ("reply via SMS to +43 664 1234567", by mail, no
way), hidden by F6 like every number; the same for the row under the cursor in Incoming;
Ctrl+T and its confirmation dialog (tui/sms_dialog.py) through the pilot, with a stand-in
phone on a private dbus-daemon (tests/kdeconnect_standin.py) that records each sendSms:
nothing goes without Send, Send hands exactly that number and text to the phone (in the
old and in today's signature) and records it, a second send is refused, a failed one keeps
the draft. Fixed clock and size; waits on the app's workers, no sleeps."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import Button, DataTable, Input, Static, TextArea

from boundaries.core.calls import CallEvent
from boundaries.journal.store import read
from boundaries.service import sms as service_sms
from boundaries.service.sms import SOURCE, forget_session
from boundaries.sources.calls.kdeconnect_sms import SmsPhone
from boundaries.tui import make_app
from boundaries.tui.ask import AskPane
from boundaries.tui.sms_dialog import SmsDialog

from .kdeconnect_standin import DBUS_DAEMON, SKIP_REASON, StandInKdeConnect, private_bus
from .test_sms_send import CLIENTS, EN, STD  # acme: a mobile and a mail address
from .tui_helpers import StandIn, feed, no_blink, settle, toasts

DATA = Path(__file__).parent / "data" / "tui"
VIENNA = ZoneInfo("Europe/Vienna")
EVENING = datetime(2026, 1, 8, 18, 20, tzinfo=VIENNA)  # Thursday, after hours
ACME_MOBILE = "+43 664 1234567"  # tests/data/tui: acme's mobile, acme has a mail address
ACME_LANDLINE = "+43 732 123456"
STAHL_LANDLINE = "+43 732 5550102"  # stahl: no mail address
ANNA = "+436641234567"
PIXEL = "a1b2c3d4_pixel"
TEXT = "Hello, I will get back to you tomorrow from 09:00."

ME = """\
name = "Martin Huber"
timezone = "Europe/Vienna"
locale = "en"
"""

needs_dbus = pytest.mark.skipif(DBUS_DAEMON is None, reason=SKIP_REASON)


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch):
    """Never the user's session bus; each test a session of its own (nothing sent before)."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    forget_session()
    yield
    forget_session()


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch):
    """A private session bus, the app's (DBUS_SESSION_BUS_ADDRESS) for the test."""
    with private_bus() as private:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", private.address)
        yield private


@pytest.fixture
def pixel(monkeypatch: pytest.MonkeyPatch) -> None:
    """A phone without a bus: the dialog finds "Pixel 7", today's sendSms."""
    async def found(device=None):
        return SmsPhone(PIXEL, "Pixel 7", "avsav")

    monkeypatch.setattr(service_sms, "sms_phone", found)


def sms_set(write_set, *, once: bool = False) -> Path:
    """acme with a mobile and a mail address; `once`: reply_once_days = 3."""
    return write_set({"tiers/std.toml": STD, "tiers/unknown.toml": STD,
                      "clients.toml": CLIENTS, "replies/en.toml": EN},
                     me=ME + ("reply_once_days = 3\n" if once else ""))


def app_for(policies: Path, journal: Path):
    return make_app(policies, clock=lambda: EVENING, watch_interval=None, journal=journal)


async def ask(app, pilot, who: str) -> None:
    app.query_one("#who", Input).value = who
    await pilot.pause()


def shown(app, wid: str) -> str:
    """What a line shows ("" when it is hidden)."""
    line = app.query_one(wid, Static)
    return str(line.render()) if line.display else ""


def footer_keys(app) -> set[str]:
    return {k for k, b in app.screen.active_bindings.items() if b.binding.show}


def sms_entries(journal: Path) -> list[dict]:
    if not journal.is_dir():
        return []
    entries, _ = read(journal, ["2026-01"])
    return [e.data for e in entries if e.data.get("source") == SOURCE]


async def open_dialog(app, pilot) -> SmsDialog:
    """Ctrl+T, and the dialog once it has looked for the phone."""
    await pilot.press("ctrl+t")
    await pilot.pause()
    dialog = app.screen
    assert isinstance(dialog, SmsDialog)
    await app.workers.wait_for_complete()
    await pilot.pause()
    return dialog


def dialog_text(dialog: SmsDialog) -> dict[str, str]:
    return {wid: str(dialog.query_one(f"#{wid}", Static).render())
            for wid in ("sms-to", "sms-phone", "sms-text", "sms-why")}


# -- the line under the drafts ---------------------------------------------------------------
async def test_the_reply_panel_says_where_the_reply_and_the_confirmation_go():
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None)
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, ACME_MOBILE)  # a mobile: SMS back, and Ctrl+T offers it
        assert shown(app, "#reply-via") == ("reply via SMS to +43 664 1234567 · "
                                            "Ctrl+T sends it")
        assert shown(app, "#confirm-via") == "confirm in writing via SMS to +43 664 1234567"
        assert "ctrl+t" in footer_keys(app)
        await ask(app, pilot, ACME_LANDLINE)  # a landline: mail to the client's address
        assert shown(app, "#reply-via") == "reply via mail to office@acme.example"
        assert shown(app, "#confirm-via") == "confirm in writing via mail to office@acme.example"
        assert "ctrl+t" not in footer_keys(app)  # no SMS: no key
        await ask(app, pilot, STAHL_LANDLINE)  # a landline, and no address known
        assert shown(app, "#reply-via") == ("no way to reach the sender: +437325550102 is a "
                                            "landline and no address is known for client "
                                            "stahl")
        assert app.query_one("#reply-via").has_class("nowhere")
        assert "ctrl+t" not in footer_keys(app)
        await pilot.press("ctrl+t")  # not there: nothing opens
        assert not isinstance(app.screen, SmsDialog)


async def test_an_answer_has_no_reply_and_no_line():
    app = make_app(DATA, clock=lambda: datetime(2026, 1, 8, 10, 0, tzinfo=VIENNA),
                   watch_interval=None)
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, ACME_MOBILE)
        assert app.query_one(AskPane).decision.decision == "answer"
        assert shown(app, "#reply-via") == ""
        assert "ctrl+t" not in footer_keys(app)


async def test_f6_hides_the_number_and_the_address_in_the_via_line():
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None)
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, ACME_MOBILE)
        await pilot.press("f6")
        await pilot.pause()
        assert shown(app, "#reply-via") == "reply via SMS to ••• · Ctrl+T sends it"
        await ask(app, pilot, ACME_LANDLINE)
        assert shown(app, "#reply-via") == "reply via mail to •••"
        await ask(app, pilot, STAHL_LANDLINE)
        line = shown(app, "#reply-via")
        assert line.startswith("no way to reach the sender: ••• is a landline")
        assert "5550102" not in line and "stahl" not in line


async def test_incoming_says_where_the_reply_of_the_row_under_the_cursor_goes():
    source = StandIn()
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None, call_sources=[source])
    app.bell = lambda: None  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        await feed(app, pilot, source,
                   CallEvent("test", "c1", "ring", EVENING, from_=ACME_MOBILE),
                   CallEvent("test", "c2", "ring", EVENING + timedelta(minutes=1),
                             from_=STAHL_LANDLINE))
        await pilot.press("f10")
        await pilot.pause()
        table = app.query_one("#incoming-table", DataTable)
        assert table.cursor_row == 0  # the newest: stahl's landline
        assert shown(app, "#incoming-via") == ("▸ 18:21:00 · no way to reach the sender: "
                                                 "+437325550102 is a landline and no address "
                                                 "is known for client stahl")
        await pilot.press("down")
        await pilot.pause()
        assert shown(app, "#incoming-via") == "▸ 18:20:00 · reply via SMS to +43 664 1234567"
        await pilot.press("f6")  # the list is drawn again, its cursor on the newest
        await pilot.press("down")
        await pilot.pause()
        assert shown(app, "#incoming-via") == "▸ 18:20:00 · reply via SMS to •••"
        source.queue.put_nowait(None)


# -- the dialog, and the send ------------------------------------------------------------------
async def test_without_a_phone_the_dialog_says_why_and_offers_no_send(write_set, tmp_path):
    journal = tmp_path / "journal"
    app = app_for(sms_set(write_set), journal)  # no session bus at all
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, ACME_MOBILE)
        dialog = await open_dialog(app, pilot)
        words = dialog_text(dialog)
        assert words["sms-to"] == "to       +43 664 1234567 · ACME"
        assert words["sms-text"] == app.query_one("#reply", TextArea).text
        assert words["sms-why"].startswith("No phone to send through: no session bus")
        assert dialog.query_one("#send", Button).disabled
        await pilot.press("s")
        await pilot.pause()
        assert app.screen is dialog  # nothing to send through: the dialog stays
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SmsDialog)
    assert sms_entries(journal) == []


@needs_dbus
async def test_cancel_and_enter_send_nothing(bus, write_set, tmp_path):
    journal = tmp_path / "journal"
    phone = await StandInKdeConnect(bus.address, sms="20.12").start()
    try:
        app = app_for(sms_set(write_set), journal)
        async with app.run_test(size=(100, 34)) as pilot:
            await settle(app, pilot)
            await ask(app, pilot, ACME_MOBILE)
            reply = app.query_one("#reply", TextArea).text
            dialog = await open_dialog(app, pilot)
            words = dialog_text(dialog)
            assert words["sms-to"] == "to       +43 664 1234567 · ACME"
            assert words["sms-phone"] == "through  Pixel 7 (KDE Connect)"
            assert words["sms-text"] == reply == TEXT
            assert not dialog.query_one("#send", Button).disabled
            assert app.focused is dialog.query_one("#cancel", Button)
            await pilot.press("enter")  # on Cancel: closes, sends nothing
            await pilot.pause()
            assert not isinstance(app.screen, SmsDialog)
            await open_dialog(app, pilot)
            await pilot.press("escape")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not isinstance(app.screen, SmsDialog)
    finally:
        await phone.stop()
    assert phone.sms.calls == []
    assert sms_entries(journal) == []


@needs_dbus
@pytest.mark.parametrize(("release", "signature", "body"), [
    ("20.12", "avsav", [[("v", "(s)", [ANNA])], TEXT, []]),  # today's sendSms
    ("20.04", "ss", [ANNA, TEXT]),  # the old one
])
async def test_send_hands_that_number_and_text_to_the_phone_once_and_records_it(
        bus, write_set, tmp_path, release, signature, body):
    journal = tmp_path / "journal"
    phone = await StandInKdeConnect(bus.address, sms=release).start()
    try:
        app = app_for(sms_set(write_set, once=True), journal)
        async with app.run_test(size=(100, 34)) as pilot:
            await settle(app, pilot)
            await ask(app, pilot, ACME_MOBILE)
            await open_dialog(app, pilot)
            await pilot.press("s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert not isinstance(app.screen, SmsDialog)
            assert "SMS sent to +43 664 1234567 through Pixel 7." in toasts(app)
            # the journal's entry counts at once: reply_once_days withholds the reply now
            d = app.query_one(AskPane).decision
            assert d.reply is None
            assert any("reply" in r.text and "days" in r.text for r in d.reasons), d.reasons
            assert shown(app, "#reply-via") == ""
            assert "ctrl+t" not in footer_keys(app)
    finally:
        await phone.stop()
    assert phone.sms.calls == [(PIXEL, signature, body)]
    [entry] = sms_entries(journal)
    assert entry["channel"] == "sms" and entry["client"] == "acme"
    assert TEXT not in str(entry)  # never the text


@needs_dbus
async def test_a_second_attempt_says_it_went_already(bus, write_set, tmp_path):
    journal = tmp_path / "journal"
    root = sms_set(write_set)  # no reply_once_days: the reply is still offered after
    phone = await StandInKdeConnect(bus.address, sms="20.12").start()
    try:
        app = app_for(root, journal)
        async with app.run_test(size=(100, 34)) as pilot:
            await settle(app, pilot)
            await ask(app, pilot, ACME_MOBILE)
            await open_dialog(app, pilot)
            await pilot.press("s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            dialog = await open_dialog(app, pilot)  # the same request again
            assert dialog_text(dialog)["sms-why"] == (
                "Not sent again: an SMS reply to this request went in this session.")
            assert not dialog.query_one("#send", Button).display
            await pilot.press("s")
            await pilot.pause()
            assert app.screen is dialog
        forget_session()  # a later run: the journal remembers
        app = app_for(root, journal)
        async with app.run_test(size=(100, 34)) as pilot:
            await settle(app, pilot)
            await ask(app, pilot, ACME_MOBILE)
            dialog = await open_dialog(app, pilot)
            assert dialog_text(dialog)["sms-why"].startswith(
                "Not sent again: an SMS reply to this request went at Thu 2026-01-08 18:20")
            await pilot.press("s")
            await pilot.pause()
    finally:
        await phone.stop()
    assert len(phone.sms.calls) == 1
    assert len(sms_entries(journal)) == 1


@needs_dbus
async def test_a_failed_send_keeps_the_edited_draft_and_says_why(bus, write_set, tmp_path):
    journal = tmp_path / "journal"
    phone = await StandInKdeConnect(bus.address, sms="20.12").start()
    phone.sms.fail = "org.kde.kdeconnect.Error"
    edited = "Hello, I will call you back tomorrow at 09:00."
    try:
        app = app_for(sms_set(write_set), journal)
        async with app.run_test(size=(100, 34)) as pilot:
            await settle(app, pilot)
            await ask(app, pilot, ACME_MOBILE)
            app.query_one("#reply", TextArea).text = edited  # the draft as it stands goes
            await pilot.pause()
            dialog = await open_dialog(app, pilot)
            assert dialog_text(dialog)["sms-text"] == edited
            await pilot.press("s")
            await app.workers.wait_for_complete()
            await pilot.pause()
            [error] = [n for n in app._notifications if n.severity == "error"]
            assert error.message.startswith("SMS not sent: KDE Connect did not take the SMS "
                                            "for Pixel 7")
            assert "the reply stays a draft" in error.message
            assert app.query_one("#reply", TextArea).text == edited
            assert "ctrl+t" in footer_keys(app)  # it may be tried again
    finally:
        await phone.stop()
    assert [c[2][1] for c in phone.sms.calls] == [edited]
    assert sms_entries(journal) == []


async def test_names_hidden_in_the_dialog_while_the_real_text_goes(write_set, tmp_path,
                                                                   pixel):
    app = app_for(sms_set(write_set), tmp_path / "journal")
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, ACME_MOBILE)
        dialog = await open_dialog(app, pilot)
        await pilot.press("f6")  # in the dialog too
        await pilot.pause()
        words = dialog_text(dialog)
        assert words["sms-to"] == "to       ••• · •••"
        assert dialog.text == TEXT  # what Send would send
        assert "F6 here shows them" in str(dialog.query_one("#sms-hidden", Static).render())
        await pilot.press("f6")
        await pilot.pause()
        assert dialog_text(dialog)["sms-to"] == "to       +43 664 1234567 · ACME"


def test_snapshot_sms_dialog(snap_compare, tmp_path, pixel):
    app = app_for(DATA, tmp_path / "journal")  # a set whose folder the header shows the same

    async def run_before(pilot) -> None:
        app.animation_level = "none"
        await settle(app, pilot)
        no_blink(app)
        await ask(app, pilot, ACME_MOBILE)
        await open_dialog(app, pilot)
        app.clear_notifications()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


async def test_an_sms_that_went_unrecorded_is_said_and_never_sent_twice(write_set, tmp_path,
                                                                       monkeypatch):
    """The phone took it, the journal could not be written: a warning, and no second send
    (a fake phone, so this runs without dbus-daemon too)."""
    from boundaries.journal import store
    from boundaries.sources.calls import kdeconnect_sms
    from boundaries.sources.calls.kdeconnect_sms import SmsSent

    calls: list[tuple[str, str, str | None]] = []

    async def pixel(device=None):
        return SmsPhone("ff_fp5", "FP5", "avsav")

    async def send(number, text, *, device=None, **kw):
        calls.append((number, text, device))
        return SmsSent(number, device or "?", "FP5", "avsav")

    def full_disk(folder, entry, month):
        raise OSError(28, "No space left on device", str(folder / "x.jsonl"))

    monkeypatch.setattr(service_sms, "sms_phone", pixel)
    monkeypatch.setattr(kdeconnect_sms, "send_sms", send)
    monkeypatch.setattr(store, "append", full_disk)
    journal = tmp_path / "journal"
    app = app_for(sms_set(write_set), journal)
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, ACME_MOBILE)
        await open_dialog(app, pilot)
        await pilot.press("s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "SMS sent to +43 664 1234567 through FP5." in toasts(app)
        [warning] = [n.message for n in app._notifications if n.severity == "warning"]
        assert warning.startswith("The SMS went, but was not recorded: could not write the "
                                  "journal")
        assert "No space left on device" in warning
        dialog = await open_dialog(app, pilot)
        assert dialog_text(dialog)["sms-why"].startswith("Not sent again:")
    assert calls == [(ANNA, TEXT, "ff_fp5")]  # through the phone the dialog named
    assert sms_entries(journal) == []


async def test_a_long_text_says_there_is_more_to_read_in_the_dialog(write_set, tmp_path,
                                                                   pixel):
    app = app_for(sms_set(write_set), tmp_path / "journal")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, ACME_MOBILE)
        long = "Hello, I will get back to you tomorrow. " * 25
        app.query_one("#reply", TextArea).text = long
        await pilot.pause()
        dialog = await open_dialog(app, pilot)
        await pilot.pause()
        assert str(dialog.query_one("#sms-count", Static).render()) == (
            f"{len(long)} characters · more below: scroll the text to read it all")
        assert dialog.text == long
        assert dialog.query_one("#send", Button).region.bottom <= 24  # Send still on screen


async def test_an_edited_reply_keeps_its_edits_through_the_clock_and_f6_and_is_what_goes(
        write_set, tmp_path, pixel):
    """Ask decides "now" again every 30 s, and F6 draws the drafts masked: neither may throw
    away what the user typed into the reply, and Ctrl+T offers the text with the edits."""
    app = app_for(sms_set(write_set), tmp_path / "journal")
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, ACME_MOBILE)
        area = app.query_one("#reply", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press("space", "B", "y", "e", ".")
        edited = TEXT + " Bye."
        assert area.text == edited
        app._follow_clock()  # the app's 30-second clock: Ask decides "now" again
        await pilot.pause()
        assert area.text == edited
        assert area.cursor_location == area.document.end  # typing goes on where it was
        await pilot.press("f6")  # names hidden: the draft masked, read-only
        await pilot.pause()
        assert app.discreet_screen, app.focused
        assert area.read_only
        dialog = await open_dialog(app, pilot)
        assert dialog.text == edited  # what Send would send: the edits included
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("f6")  # shown again: the edits are still there
        await pilot.pause()
        assert area.text == edited and not area.read_only
        await ask(app, pilot, ACME_LANDLINE)  # another request: its own draft
        assert area.text == TEXT


async def test_f6_and_f7_in_the_draft_are_the_apps_keys(write_set, tmp_path):
    """With the cursor in the reply, F6 hides the names (not the editor's "select line") and
    F7 copies the reply as edited (not the editor's "select all")."""
    app = app_for(sms_set(write_set), tmp_path / "journal")
    async with app.run_test(size=(100, 34)) as pilot:
        await settle(app, pilot)
        await ask(app, pilot, ACME_MOBILE)
        area = app.query_one("#reply", TextArea)
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press("!")
        await pilot.press("f7")
        await pilot.pause()
        assert app.clipboard == TEXT + "!"
        assert area.selected_text == ""
        await pilot.press("f6")
        await pilot.pause()
        assert app.discreet_screen
        assert shown(app, "#reply-via") == "reply via SMS to ••• · Ctrl+T sends it"

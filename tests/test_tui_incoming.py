"""The TUI and the phone (sources.md §8): a ring takes Ask, the Incoming list, the source's
state in the header — driven through the pilot with a fixed clock and size, the events fed
through a stand-in source (an asyncio queue) or a real event-stream file, and each awaited
through the app's `ringing.handled` event (no sleeps for timing)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from textual.widgets import Input

from boundaries.core.calls import CallEvent
from boundaries.sources.calls.state import SourceState
from boundaries.tui import make_app

from .tui_helpers import StandIn, feed, no_blink, rows, settle, toasts

DATA = Path(__file__).parent / "data" / "tui"
VIENNA = ZoneInfo("Europe/Vienna")
EVENING = datetime(2026, 1, 8, 18, 20, tzinfo=VIENNA)  # Thursday, after hours
ACME = "+43 732 123456"  # acme's landline: LATER in the evening, never called back (me.toml)
ACME_MOBILE = "+43 664 1234567"  # acme's mobile: tier maint, call back on request
PRAXIS = "+43 732 778899"  # praxis: a discreet tier


def ring(sid: str, party: str | None, at: datetime = EVENING) -> CallEvent:
    return CallEvent("test", sid, "ring", at, from_=party)


def end(sid: str, at: datetime) -> CallEvent:
    return CallEvent("test", sid, "end", at)


def connect(sid: str, at: datetime) -> CallEvent:
    return CallEvent("test", sid, "connect", at)


async def started(app, pilot) -> None:
    """Settled, and the Incoming pane mounted and filled."""
    await settle(app, pilot)
    for _ in range(200):
        if any(p.ready for p in app.query("IncomingPane")):
            break
        await pilot.pause(0.01)
    else:
        raise AssertionError("no Incoming pane")
    await pilot.pause()


def app_with(source: StandIn, **kw):
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None, call_sources=[source],
                   **kw)
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    app.bells = bells  # type: ignore[attr-defined]
    return app


async def test_a_ring_takes_ask_with_the_caller_and_the_verdict():
    source = StandIn()
    app = app_with(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        app.action_tab("week")
        await feed(app, pilot, source, ring("c1", ACME))
        assert app.active_tab == "ask"
        assert app.query_one("#who", Input).value == ACME
        assert str(app.query_one("#verdict").render()) == "◷ LATER"
        assert "ACME Abrechnung GmbH (acme)" in str(app.query_one("#who-line").render())
        assert app.bells == [1]
        assert "call · ACME Abrechnung GmbH · LATER" in toasts(app)


async def test_the_list_shows_the_call_and_a_missed_call_its_call_back_time():
    source = StandIn()
    app = app_with(source)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot)
        await feed(app, pilot, source, ring("c1", ACME_MOBILE))
        await pilot.press("f10")
        assert app.active_tab == "incoming"
        assert rows(app) == [["18:20:00", "ACME Abrechnung GmbH", "call", "◷ later", "ringing",
                              ""]]
        await feed(app, pilot, source, end("c1", EVENING + timedelta(seconds=40)),
                   ring("c2", ACME, EVENING + timedelta(minutes=1)),
                   end("c2", EVENING + timedelta(minutes=1, seconds=30)))
        assert app.active_tab == "ask"  # the second ring took Ask
        await pilot.press("f10")  # the list, filled as it is shown
        await pilot.pause()
        landline, mobile = rows(app)  # newest first
        assert mobile[4] == "missed"
        assert mobile[5] == "Fri 09.01. 08:00–12:00"  # maint's next window: may call back
        assert landline[4:] == ["missed", ""]  # a landline: callback never (me.toml)
        assert "2 today · 1 to call back" in str(app.query_one("#incoming-state").render())


async def test_an_answered_call_says_its_minutes_and_no_call_back():
    source = StandIn()
    app = app_with(source)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot)
        await feed(app, pilot, source, ring("c1", ACME),
                   connect("c1", EVENING + timedelta(seconds=10)),
                   end("c1", EVENING + timedelta(minutes=5, seconds=30)))
        await pilot.press("f10")
        await pilot.pause()
        [row] = rows(app)
        assert row[4:] == ["answered 6 min", ""]


async def test_a_second_ring_takes_ask_too():
    """What the app put into Ask (the first caller, its drafts) is no typing of the user's."""
    source = StandIn()
    app = app_with(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        await feed(app, pilot, source, ring("c1", ACME))
        await feed(app, pilot, source, ring("c2", "+43 664 5550101"))
        assert app.query_one("#who", Input).value == "+43 664 5550101"
        assert "Stahlwerk AG (stahl)" in str(app.query_one("#who-line").render())
        assert app.bells == [1, 1]


async def test_while_the_user_types_in_ask_a_ring_goes_to_the_list():
    source = StandIn()
    app = app_with(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        for ch in "stah":
            await pilot.press(ch)
        await feed(app, pilot, source, ring("c1", ACME))
        assert app.query_one("#who", Input).value == "stah"
        assert app.focused is app.query_one("#who", Input)
        assert any("in Incoming (F10)" in t for t in toasts(app))
        assert app.bells == [1]
        await pilot.press("f10")
        await pilot.pause()
        assert [r[1] for r in rows(app)] == ["ACME Abrechnung GmbH"]


async def test_enter_on_a_row_opens_it_in_ask():
    source = StandIn()
    app = app_with(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        for ch in "stah":
            await pilot.press(ch)
        await feed(app, pilot, source, ring("c1", ACME))
        await pilot.press("f10")
        await pilot.press("enter")
        await pilot.pause()
        assert app.active_tab == "ask"
        assert app.query_one("#who", Input).value == ACME


async def test_a_discreet_client_is_only_call_in_the_notification_and_f6_hides_names():
    source = StandIn()
    app = app_with(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        await feed(app, pilot, source, ring("c1", PRAXIS))
        assert "call" in toasts(app)
        assert not any("Praxis" in t for t in toasts(app))
        await pilot.press("f6")
        await pilot.pause()
        assert rows(app)[0][1] == "•••"


async def test_the_source_state_is_in_the_header():
    source = StandIn()
    app = app_with(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        assert "test phone: connected" in app.sub_title
        app.on_phone_state(SourceState("test phone", "retrying", "connection refused", 4))
        assert "test phone: retrying in 4 s: connection refused" in app.sub_title
        assert "Incoming F10" in str(app.query_one("#tabs").render())


async def test_without_a_source_there_is_no_incoming_tab():
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("f10")
        assert app.active_tab == "ask"
        assert "Incoming" not in str(app.query_one("#tabs").render())


async def test_an_event_stream_file_rings_and_logs_the_finished_call(tmp_path):
    """The real `--events FILE` source, with `--log`: the call records itself."""
    lines = [{"event": "ring", "id": "c17", "from": ACME, "at": EVENING.isoformat()},
             {"event": "end", "id": "c17", "at": (EVENING + timedelta(seconds=30)).isoformat()}]
    events = tmp_path / "phone.jsonl"
    events.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    journal = tmp_path / "journal"
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None, events=str(events),
                   log=True, journal=journal)
    app.bell = lambda: None  # type: ignore[method-assign]
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot)
        for _ in range(2):
            if any(r.happened == "missed" for r in app.ringing.rows.values()):
                break
            app.ringing.handled.clear()
            await asyncio.wait_for(app.ringing.handled.wait(), 5)
        await pilot.pause()
        assert [r[4] for r in rows(app)] == ["missed"]
        assert f"events {events}" in app.sub_title
        assert app.query_one("#who", Input).value == ACME
    recorded = [json.loads(x) for f in journal.glob("*.jsonl")
                for x in f.read_text().splitlines()]
    assert [(e["outcome"], e["source"], e["source_id"]) for e in recorded] == [
        ("missed", "events", "c17")]


def test_snapshot_incoming_list(snap_compare):
    source = StandIn()
    app = app_with(source)

    async def run_before(pilot) -> None:
        app.animation_level = "none"
        await started(app, pilot)
        no_blink(app)
        await feed(app, pilot, source, ring("c1", ACME_MOBILE),
                   end("c1", EVENING + timedelta(seconds=40)),
                   ring("c2", "+43 664 5550101", EVENING + timedelta(minutes=2)),
                   connect("c2", EVENING + timedelta(minutes=2, seconds=8)),
                   end("c2", EVENING + timedelta(minutes=8)),
                   ring("c3", None, EVENING + timedelta(minutes=9)))
        await pilot.press("f10")
        await pilot.pause()
        app.clear_notifications()
        await pilot.wait_for_scheduled_animations()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(100, 24), run_before=run_before)


async def test_f9_is_pre_filled_from_the_call():
    """Without --log: F9 on a finished call offers its outcome and minutes."""
    from boundaries.tui.journal_view import RecordScreen
    from boundaries.tui.widgets import ChoiceBar

    source = StandIn()
    app = app_with(source)
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        await feed(app, pilot, source, ring("c1", ACME),
                   connect("c1", EVENING + timedelta(seconds=10)),
                   end("c1", EVENING + timedelta(minutes=11)))
        await pilot.press("f9")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RecordScreen)
        assert screen.query_one("#outcome", ChoiceBar).value == "answered"
        assert screen.query_one("#minutes", Input).value == "11"


async def test_a_message_records_itself_as_received_and_f9_offers_received(tmp_path):
    """With --log an SMS is in the journal as `received`; opened in Ask from the list, F9
    offers `received` and says --log recorded it (so it is not recorded twice by hand)."""
    from boundaries.tui.journal_view import RecordScreen
    from boundaries.tui.widgets import ChoiceBar

    source = StandIn()
    journal = tmp_path / "journal"
    app = app_with(source, log=True, journal=journal)
    async with app.run_test(size=(120, 30)) as pilot:
        await started(app, pilot)
        await feed(app, pilot, source, CallEvent("test", "m1", "message", EVENING,
                                                 from_=ACME_MOBILE, channel="sms"))
        await pilot.press("f10")
        assert [(r[2], r[4]) for r in rows(app)] == [("sms", "received")]
        await pilot.press("enter")
        await pilot.pause()
        assert app.active_tab == "ask"
        await pilot.press("f9")
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, RecordScreen)
        assert screen.query_one("#outcome", ChoiceBar).value == "received"
        assert "recorded by --log" in screen.summary
    recorded = [json.loads(x) for f in journal.glob("*.jsonl")
                for x in f.read_text().splitlines()]
    assert [(e["outcome"], e["channel"], e["source_id"], e["client"]) for e in recorded] == [
        ("received", "sms", "m1", "acme")]


async def test_a_fifo_rings_while_the_app_runs(tmp_path):
    """`boundaries --events FIFO`: a line written while the app runs takes Ask."""
    import os

    fifo = tmp_path / "phone.fifo"
    os.mkfifo(fifo)
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None, events=str(fifo))
    app.bell = lambda: None  # type: ignore[method-assign]
    async with app.run_test(size=(100, 30)) as pilot:
        await started(app, pilot)
        assert f"events {fifo}: reading" in app.sub_title
        app.ringing.handled.clear()
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        try:
            line = {"event": "ring", "id": "f1", "from": ACME, "at": EVENING.isoformat()}
            os.write(fd, (json.dumps(line) + "\n").encode())
            await asyncio.wait_for(app.ringing.handled.wait(), 5)
        finally:
            os.close(fd)
        await pilot.pause()
        assert app.query_one("#who", Input).value == ACME
        assert str(app.query_one("#verdict").render()) == "◷ LATER"

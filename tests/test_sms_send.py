"""An SMS reply through the paired phone (sources/calls/kdeconnect_sms.py, service/sms.py;
sources.md §10): a private `dbus-daemon` and a stand-in kdeconnectd whose SMS plugin answers
introspection as Qt writes it for one KDE Connect release and records the `sendSms` it gets
(tests/kdeconnect_standin.py); the exact D-Bus arguments of each release's shape; every way
a send fails, with nothing recorded; the journal entry after a send, `reply_once_days`
holding for the next request, and never a second send. Waits are bounded; no sleeps."""

from __future__ import annotations

import functools
import io
import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dbus_fast import Message
from dbus_fast._private.unmarshaller import Unmarshaller
from hypothesis import given
from hypothesis import strategies as st

from boundaries import service
from boundaries.core.errors import BoundariesError
from boundaries.journal.report import build
from boundaries.journal.store import read
from boundaries.policy.load import load
from boundaries.service.sms import (
    SOURCE,
    SmsReplyError,
    already_sent,
    check_text,
    forget_session,
    send_sms_reply,
    sms_target,
)
from boundaries.sources.calls import kdeconnect_sms as K
from boundaries.sources.calls.kdeconnect_sms import (
    SmsError,
    SmsSent,
    choose_method,
    find_phone,
    send_sms,
    sms_arguments,
    sms_signatures,
)

from . import kdeconnect_standin as standin
from .kdeconnect_standin import (
    DBUS_DAEMON,
    SKIP_REASON,
    StandInKdeConnect,
    plain,
    private_bus,
    sms_introspection,
)

VIENNA = ZoneInfo("Europe/Vienna")
PIXEL = "a1b2c3d4_pixel"
TABLET = "0a0b0c_tablet"
ANNA = "+436641234567"
TEXT = "Hello, I will get back to you tomorrow from 09:00."
NOW = datetime(2026, 1, 8, 18, 25, tzinfo=VIENNA)
TIMEOUT = 10.0

needs_dbus = pytest.mark.skipif(DBUS_DAEMON is None, reason=SKIP_REASON)

ME = """\
name = "Martin Huber"
timezone = "Europe/Vienna"
locale = "en"
reply_once_days = 3
"""
STD = """\
channels = ["call", "sms", "email"]
[hours]
mon-fri = "09:00-17:00"
"""
CLIENTS = """\
[clients.acme]
name = "ACME"
tier = "std"
phones = ["+43 664 1234567"]
emails = ["office@acme.example"]
"""
EN = """\
after-hours = "Hello, I will get back to you {next}."
declined = "Hello, I cannot take this on; reach me by {channels}."
wrong-channel = "Hello, please reach me by {channels}."
"""


@pytest.fixture(autouse=True)
def _fresh(monkeypatch: pytest.MonkeyPatch):
    """Never the user's own session bus; each test a new session of its own."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    forget_session()
    yield
    forget_session()


@pytest.fixture
def bus():
    with private_bus() as private:
        yield private


@pytest.fixture
def ps(write_set):
    root = write_set({"tiers/std.toml": STD, "tiers/unknown.toml": STD,
                      "clients.toml": CLIENTS, "replies/en.toml": EN}, me=ME)
    result = load(root)
    assert not result.errors, [d.format() for d in result.errors]
    return result.policies


def decided(ps, journal: Path | None, at: str = "2026-01-08T18:20", who: str = ANNA):
    req = service.build_request(ps, {"from": who, "at": at}, NOW)
    return req, service.decide_with_journal(ps, req, journal).decision


class FakePhone:
    """A sender that records what it was given and answers as KDE Connect would, or fails."""

    def __init__(self, fail: BoundariesError | None = None) -> None:
        self.calls: list[tuple[str, str]] = []
        self.fail = fail

    async def __call__(self, number: str, text: str) -> SmsSent:
        self.calls.append((number, text))
        if self.fail is not None:
            raise self.fail
        return SmsSent(number, PIXEL, "Pixel 7", K.NEW)


async def running(bus, **kw) -> StandInKdeConnect:
    return await StandInKdeConnect(bus.address, **kw).start()


# -- each release's sendSms, through the bus ----------------------------------------------
@needs_dbus
@pytest.mark.parametrize(("release", "signature", "body"), [
    ("20.12", "avsav", [[("v", "(s)", [ANNA])], TEXT, []]),  # 20.12 to today
    ("20.04", "ss", [ANNA, TEXT]),  # 1.x to 20.04
    ("20.08", "vs", [("v", "a(s)", [[ANNA]]), TEXT]),
    ("20.08.3", "ss", [ANNA, TEXT]),  # its plain overload: the list's demarshalling broke
])
async def test_each_release_gets_the_arguments_its_plugin_takes(bus, release, signature,
                                                               body):
    phone = await running(bus, sms=release)
    try:
        sent = await send_sms(ANNA, TEXT, address=bus.address, timeout=TIMEOUT)
    finally:
        await phone.stop()
    assert phone.sms.calls == [(PIXEL, signature, body)]
    assert sent == SmsSent(ANNA, PIXEL, "Pixel 7", signature)


@needs_dbus
async def test_only_the_form_with_a_sim_passes_the_default_sim(bus, monkeypatch):
    monkeypatch.setitem(standin.SMS_FORMS, "sub-only", standin.SMS_FORMS["20.12"][:1])
    phone = await running(bus, sms="sub-only")
    try:
        await send_sms(ANNA, TEXT, address=bus.address, timeout=TIMEOUT)
    finally:
        await phone.stop()
    assert phone.sms.calls == [(PIXEL, "avsavx", [[("v", "(s)", [ANNA])], TEXT, [], -1])]


@needs_dbus
async def test_the_first_reachable_phone_with_the_sms_plugin_or_the_one_named(bus):
    paired = {TABLET: "Tab S9", PIXEL: "Pixel 7", "ff_fp5": "FP5"}
    phone = await running(bus, paired=paired, sms="20.12", sms_devices={PIXEL, "ff_fp5"})
    try:
        first = await find_phone(address=bus.address, timeout=TIMEOUT)
        named = await send_sms(ANNA, TEXT, address=bus.address, device="fp5", timeout=TIMEOUT)
    finally:
        await phone.stop()
    assert first == K.SmsPhone(PIXEL, "Pixel 7", "avsav")  # the tablet has no SMS plugin
    assert named.device == "ff_fp5"
    assert [c[0] for c in phone.sms.calls] == ["ff_fp5"]


# -- every way it fails ---------------------------------------------------------------------
async def expect_error(words: str, **kw) -> SmsError:
    with pytest.raises(SmsError) as info:
        await send_sms(ANNA, TEXT, timeout=TIMEOUT, **kw)
    assert words in str(info.value), str(info.value)
    assert info.value.hint
    return info.value


@needs_dbus
async def test_no_phone_paired(bus):
    phone = await running(bus, paired={}, sms="20.12")
    try:
        err = await expect_error("KDE Connect has no paired device", address=bus.address)
    finally:
        await phone.stop()
    assert "pair the phone" in err.hint


@needs_dbus
async def test_a_paired_phone_out_of_reach(bus):
    phone = await running(bus, reachable=set(), sms="20.12")
    try:
        await expect_error("no paired phone is reachable now (paired: Pixel 7)",
                           address=bus.address)
        await expect_error("Pixel 7 is paired but not reachable now", address=bus.address,
                           device="Pixel 7")
    finally:
        await phone.stop()
    assert phone.sms.calls == []


@needs_dbus
async def test_a_device_named_that_is_not_paired(bus):
    phone = await running(bus, sms="20.12")
    try:
        await expect_error("no paired device `Galaxy` (paired: Pixel 7)", address=bus.address,
                           device="Galaxy")
    finally:
        await phone.stop()


@needs_dbus
async def test_no_sms_plugin(bus):
    phone = await running(bus, sms="20.12", sms_devices=set())
    try:
        err = await expect_error("Pixel 7: KDE Connect's SMS plugin is not loaded",
                                 address=bus.address)
    finally:
        await phone.stop()
    assert "SMS plugin" in err.hint


@needs_dbus
async def test_a_plugin_whose_send_this_program_does_not_know(bus, monkeypatch):
    monkeypatch.setitem(standin.SMS_FORMS, "99.04", [[("recipients", "as"), ("body", "s")]])
    phone = await running(bus, sms="99.04")
    try:
        await expect_error("no sendSms this program knows (Pixel 7: ass;", address=bus.address)
    finally:
        await phone.stop()


@needs_dbus
async def test_kde_connect_not_running(bus):
    await expect_error("KDE Connect is not running", address=bus.address)


async def test_the_bus_gone(tmp_path):
    await expect_error("no session bus at `unix:path=", address=f"unix:path={tmp_path}/bus")


async def test_no_session_bus_at_all():
    err = await expect_error("no session bus: DBUS_SESSION_BUS_ADDRESS is not set")
    assert "desktop session" in err.hint


@needs_dbus
async def test_the_daemon_refusing_the_send(bus):
    phone = await running(bus, sms="20.12")
    phone.sms.fail = "org.freedesktop.DBus.Error.Failed"
    try:
        err = await expect_error("KDE Connect did not take the SMS for Pixel 7: "
                                 "org.freedesktop.DBus.Error.Failed: the phone refused it",
                                 address=bus.address)
    finally:
        await phone.stop()
    assert not err.maybe_sent


@needs_dbus
async def test_no_answer_in_time_says_it_may_have_gone(bus):
    phone = await running(bus, sms="20.12")
    phone.sms.hang = True
    try:
        with pytest.raises(SmsError) as info:
            await send_sms(ANNA, TEXT, address=bus.address, timeout=0.5)
    finally:
        await phone.stop()
    assert phone.sms.got_call.is_set()
    assert info.value.maybe_sent
    assert "look on the phone before sending it again" in info.value.hint


# -- the use case: once, recorded, reply_once_days ----------------------------------------
@needs_dbus
async def test_a_reply_sent_is_recorded_and_reply_once_days_then_holds(bus, ps, tmp_path):
    journal = tmp_path / "journal"
    req, d = decided(ps, journal)
    assert d.decision == "later" and sms_target(d) == d.reply.via
    assert d.reply.via.to == ANNA
    phone = await running(bus, sms="20.12")
    try:
        sent = await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW, sender=(
            functools.partial(send_sms, address=bus.address, timeout=TIMEOUT)))
    finally:
        await phone.stop()
    assert phone.sms.calls == [(PIXEL, "avsav", [[("v", "(s)", [ANNA])], TEXT, []])]
    assert (sent.to, sent.device_name, sent.problem) == (ANNA, "Pixel 7", "")
    entries, warnings = read(journal)
    assert warnings == [] and len(entries) == 1
    e = entries[0].data
    assert (e["source"], e["channel"], e["reply_key"], e["sender"], e["from"]) == (
        SOURCE, "sms", "after-hours", "client:acme", ANNA)
    assert "outcome" not in e and e["at"] == d.at.isoformat()
    assert TEXT not in sent.journal.read_text(encoding="utf-8")  # never the text
    assert oct(sent.journal.stat().st_mode & 0o777) == "0o600"
    # the next evening: still within reply_once_days, so no second reply is offered
    _, later = decided(ps, journal, at="2026-01-09T19:00")
    assert later.decision == "later" and later.reply is None
    assert any("already sent" in r.text for r in later.reasons)
    # a call five minutes after the first is its second request, not its third
    again = service.build_request(ps, {"from": ANNA, "at": "2026-01-08T18:25"}, NOW)
    assert service.decide_with_journal(ps, again, journal).facts.recent_requests == 1
    assert build(entries, ps, 1) == []  # the report counts no request for a reply


async def test_never_twice_in_a_session_nor_in_the_next_run(ps, tmp_path):
    journal = tmp_path / "journal"
    req, d = decided(ps, journal)
    phone = FakePhone()
    await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW, sender=phone)
    assert already_sent(req, d, journal) == "an SMS reply to this request went in this session"
    with pytest.raises(SmsReplyError, match=r"already went to .* in this session"):
        await send_sms_reply(ps, req, d, TEXT + " ", folder=journal, now=NOW, sender=phone)
    forget_session()  # the next run: only the journal remembers
    # when it went, on my clock (recorded_at, here the NOW it was sent at)
    assert already_sent(req, d, journal) == (
        "an SMS reply to this request went at Thu 2026-01-08 18:25")
    with pytest.raises(SmsReplyError, match=r"already went to \+436641234567 \(recorded "):
        await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW, sender=phone)
    assert phone.calls == [(ANNA, TEXT)]
    assert len(read(journal)[0]) == 1


async def test_the_same_text_to_the_same_number_twice_in_a_session(ps, tmp_path):
    journal = tmp_path / "journal"
    phone = FakePhone()
    req, d = decided(ps, journal)
    await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW, sender=phone)
    req2, d2 = decided(ps, None, at="2026-01-08T18:21")  # the form decided a minute later
    with pytest.raises(SmsReplyError, match="this text already went to"):
        await send_sms_reply(ps, req2, d2, TEXT, folder=journal, now=NOW, sender=phone)
    assert len(phone.calls) == 1


async def test_a_failed_send_records_nothing_and_may_be_tried_again(ps, tmp_path):
    journal = tmp_path / "journal"
    req, d = decided(ps, journal)
    broken = FakePhone(SmsError("no paired phone is reachable now", "bring the phone"))
    with pytest.raises(SmsError, match="no paired phone is reachable now"):
        await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW, sender=broken)
    assert read(journal)[0] == []
    assert already_sent(req, d, journal) is None
    phone = FakePhone()
    await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW, sender=phone)
    assert phone.calls == [(ANNA, TEXT)] and len(read(journal)[0]) == 1


@needs_dbus
async def test_a_send_the_daemon_refuses_records_nothing(bus, ps, tmp_path):
    journal = tmp_path / "journal"
    req, d = decided(ps, journal)
    phone = await running(bus, sms="20.12")
    phone.sms.fail = "org.freedesktop.DBus.Error.Failed"
    try:
        with pytest.raises(SmsError, match="did not take the SMS"):
            await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW, sender=(
                functools.partial(send_sms, address=bus.address, timeout=TIMEOUT)))
    finally:
        await phone.stop()
    assert len(phone.sms.calls) == 1 and read(journal)[0] == []


async def test_the_bus_gone_through_the_default_sender_records_nothing(ps, tmp_path):
    journal = tmp_path / "journal"
    req, d = decided(ps, journal)
    with pytest.raises(SmsError, match="no session bus"):
        await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW)
    assert not journal.exists() or read(journal)[0] == []


async def test_only_an_sms_reply_goes_by_sms(ps, tmp_path):
    phone = FakePhone()
    req = service.build_request(ps, {"from": "office@acme.example", "channel": "email",
                                     "at": "2026-01-08T18:20"}, NOW)
    d = service.decide_with_journal(ps, req, None).decision
    assert d.reply is not None and sms_target(d) is None
    with pytest.raises(SmsReplyError, match=r"goes by email to office@acme\.example") as info:
        await send_sms_reply(ps, req, d, TEXT, folder=tmp_path / "j", now=NOW, sender=phone)
    assert info.value.hint == "a mail reply becomes a draft"
    _, in_hours = decided(ps, None, at="2026-01-08T10:00")  # answer now: no reply at all
    with pytest.raises(SmsReplyError, match="this reply goes by no SMS"):
        await send_sms_reply(ps, req, in_hours, TEXT, folder=tmp_path / "j", now=NOW,
                             sender=phone)
    assert phone.calls == []


@pytest.mark.parametrize(("text", "words"), [
    ("", "empty"), ("  \n", "empty"), ("Hi\x1b[31m", r"U\+001B"), ("a\x00b", r"U\+0000"),
    ("x" * 2001, "2001 characters"),
])
async def test_a_text_that_cannot_go(ps, tmp_path, text, words):
    phone = FakePhone()
    req, d = decided(ps, None)
    with pytest.raises(SmsReplyError, match=words):
        await send_sms_reply(ps, req, d, text, folder=tmp_path / "j", now=NOW, sender=phone)
    assert phone.calls == []


async def test_a_journal_folder_that_cannot_be_made_stops_it_before_sending(ps, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    phone = FakePhone()
    req, d = decided(ps, None)
    with pytest.raises(service.JournalWriteError):
        await send_sms_reply(ps, req, d, TEXT, folder=blocker / "journal", now=NOW,
                             sender=phone)
    assert phone.calls == []


async def test_a_journal_that_cannot_be_written_after_the_send_says_so(ps, tmp_path):
    from boundaries.journal.store import device_name

    journal = tmp_path / "journal"
    (journal / f"2026-01.{device_name()}.jsonl").mkdir(parents=True)  # no file can go there
    phone = FakePhone()
    req, d = decided(ps, None)
    sent = await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW, sender=phone)
    assert sent.journal is None and "could not write the journal" in sent.problem
    with pytest.raises(SmsReplyError, match="in this session"):  # it went: never again
        await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW, sender=phone)
    assert len(phone.calls) == 1


# -- the pure parts ---------------------------------------------------------------------
def test_the_shape_preferred_among_those_offered():
    assert choose_method(["avsavx", "avsav"]) == "avsav"
    assert choose_method(["avsavx"]) == "avsavx"
    assert choose_method(["vsx", "vs", "ss"]) == "ss"
    assert choose_method(["vsx", "vs"]) == "vs"
    assert choose_method(["ass"]) is None and choose_method([]) is None


def test_signatures_from_introspection():
    assert sms_signatures(sms_introspection("20.12")) == ["avsavx", "avsav"]
    assert sms_signatures(sms_introspection("20.04")) == ["ss"]
    assert sms_signatures(sms_introspection("none")) is None
    assert sms_signatures("<node><interface") is None


@given(number=st.from_regex(r"\+[1-9][0-9]{5,14}", fullmatch=True),
       text=st.text(min_size=1, max_size=300))
def test_every_shape_marshals_what_it_is_given(number, text):
    try:
        check_text(text)
    except SmsReplyError:
        return  # refused before any call
    for form in K.FORMS:
        body = sms_arguments(form, number, text)
        blob = Message(destination=K.BUS_NAME, path=K.plugin_path(PIXEL),
                       interface=K.SMS_INTERFACE, member=K.METHOD, signature=form,
                       body=body)._marshall(False)
        got = Unmarshaller(io.BytesIO(blob)).unmarshall()
        assert got.signature == form and plain(list(got.body)) == plain(body)
        assert text in got.body and number in json.dumps(got.body, default=repr)


def test_the_module_imports_no_dbus_library_until_it_runs():
    import subprocess
    import sys

    code = ("import sys, boundaries.sources.calls.kdeconnect_sms, boundaries.service.sms; "
            "print('dbus_fast' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=60)
    assert out.stdout.strip() == "False"


async def test_the_reply_is_no_twin_of_the_call_it_answers(ps, tmp_path):
    from boundaries.service.call_journal import CallIndex, owed_call

    journal = tmp_path / "journal"
    req, d = decided(ps, journal)
    await send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW, sender=FakePhone())
    entries, _ = read(journal)
    # the missed call, recorded when it ends (`watch --log`), is still recorded
    index = CallIndex(entries)
    assert index.twin("kdeconnect", f"{PIXEL}:{ANNA}@2026-01-08T18:20:00", "client:acme",
                      d.at, False) is None
    assert not owed_call(entries, "client:acme", NOW)  # nor does it stand for a call


@needs_dbus
async def test_the_session_bus_of_the_environment_by_default(bus, ps, tmp_path, monkeypatch):
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    journal = tmp_path / "journal"
    req, d = decided(ps, journal)
    phone = await running(bus, sms="20.04")
    try:
        shown = await service.sms_phone()  # what the dialog names
        sent = await service.send_sms_reply(ps, req, d, TEXT, folder=journal, now=NOW)
    finally:
        await phone.stop()
    assert shown == K.SmsPhone(PIXEL, "Pixel 7", "ss")
    assert phone.sms.calls == [(PIXEL, "ss", [ANNA, TEXT])]
    assert sent.journal is not None and len(read(journal)[0]) == 1

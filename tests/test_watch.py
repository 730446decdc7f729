"""`boundaries watch` (sources.md §8, issue #15 part 5), as a user runs it: whole processes
reading an event file, standard input, a FIFO the test writes, and a stand-in FRITZ!Box (a
real asyncio TCP server on 127.0.0.1); the journal in a tmp folder. Every wait is bounded
(asyncio.wait_for, subprocess timeouts); nothing sleeps for timing."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boundaries.core.calls import CallEvent
from boundaries.journal.store import append, read
from boundaries.policy.load import load
from boundaries.service import Incoming, JournalCache, make_entry
from boundaries.service.incoming import ALREADY, RECORDED

from .cli_helpers import systemd_verify
from .test_engine import CLIENTS, DE, DISCREET, EN, MAINT, ME_AWAY, NIGHT, PREMIUM, UNKNOWN

TIMEOUT = 30  # seconds any one wait may take; a healthy run takes a fraction of one
REPEATING = """\
[hours]
mon-fri = "08:00-17:00"

[extra_effort]
allowed = true
min_urgency = "normal"
per_month = 1

[[rules]]
when = { repeat = 3 }
decide = "answer"
note = "the third call in 15 minutes"

[[rules]]
when = { hours = "out" }
decide = "later"
note = "after hours"
"""
HOTLINE = """
[clients.hotline]
name = "Hotline GmbH"
tier = "repeating"
phones = ["+43 1 5556677"]
"""
TIERS = {"tiers/maint.toml": MAINT, "tiers/premium.toml": PREMIUM, "tiers/unknown.toml": UNKNOWN,
         "tiers/discreet.toml": DISCREET, "tiers/night.toml": NIGHT,
         "tiers/repeating.toml": REPEATING, "clients.toml": CLIENTS + HOTLINE,
         "replies/de.toml": DE, "replies/en.toml": EN}
ACME = "+43 664 1234567"  # acme's mobile (clients.toml has it as 0664 1234567)


def ev(event: str, id_: str, at: str | None = None, **fields: object) -> str:
    """One line of the event stream; `at` is a wall-clock time of 2026-01-08 in Vienna."""
    data: dict = {"event": event, "id": id_, **fields}
    if at is not None:
        data["at"] = f"2026-01-08T{at}+01:00"
    return json.dumps(data)


# a Thursday evening: acme (maint, Mon–Fri 08–12, 13–17) is outside its hours
CALLS = [
    ev("ring", "c1", "18:20:05", **{"from": ACME}),
    ev("connect", "c1", "18:20:11"),
    ev("end", "c1", "18:26:40"),  # answered: 6 min 29 s, rounded up
    ev("message", "m1", "18:21:00", **{"from": ACME, "channel": "sms"}),
    ev("ring", "c2", "18:30:00"),  # withheld: no `from`
    ev("end", "c2", "18:30:25"),  # missed
    "this line is no JSON",
]


@pytest.fixture
def policies(write_set) -> Path:
    return write_set(TIERS, me=ME_AWAY)


@pytest.fixture
def journal(tmp_path) -> Path:
    return tmp_path / "journal"


def env_for(journal: Path) -> dict[str, str]:
    return {**os.environ, "BOUNDARIES_JOURNAL": str(journal)}


def watch(policies: Path, journal: Path, *args: str, stdin: str | None = None
          ) -> subprocess.CompletedProcess:
    """A whole `boundaries watch` process, to its end (a file or a pipe that ends)."""
    return subprocess.run([sys.executable, "-m", "boundaries", "watch", "--policies",
                           str(policies), *args], input=stdin, capture_output=True,
                          text=True, timeout=TIMEOUT, env=env_for(journal))


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def json_lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def entries(journal: Path) -> list[dict]:
    found, warnings = read(journal)
    assert not warnings
    return [e.data for e in found]


# -- the event stream, from a file and from a pipe ------------------------------------------
def test_a_file_of_events_gives_one_json_line_per_event(policies, journal, tmp_path):
    done = watch(policies, journal, "--events", str(write_lines(tmp_path / "e.jsonl", CALLS)),
                 "--json")
    assert done.returncode == 0, done.stderr
    lines = json_lines(done.stdout)
    assert [(x["event"], x["id"], x["source"]) for x in lines] == [
        ("ring", "c1", "events"), ("connect", "c1", "events"), ("end", "c1", "events"),
        ("message", "m1", "events"), ("ring", "c2", "events"), ("end", "c2", "events")]
    ring, connect, end, message, withheld, missed = lines
    # the check --json object, decided at the ring, carried by the call's later lines
    assert ring["decision"] == "later" and ring["client"] == "acme" and ring["tier"] == "maint"
    assert ring["within_hours"] is False and ring["reasons"] and ring["from"] == ACME
    assert ring["at"] == "2026-01-08T18:20:05+01:00"
    assert "outcome" not in ring and "outcome" not in connect
    assert {k: end[k] for k in ring if k != "event"} == {k: v for k, v in ring.items()
                                                          if k != "event"}
    assert (end["outcome"], end["minutes"]) == ("answered", 7)
    assert (message["decision"], message["outcome"], message["minutes"]) == ("later",
                                                                            "received", 0)
    # a withheld number: the unknown tier decides (no calls for unknown senders)
    assert withheld["from"] is None and withheld["client"] is None
    assert (withheld["tier"], withheld["decision"]) == ("unknown", "decline")
    assert (missed["outcome"], missed["minutes"]) == ("missed", 0)
    assert "logged" not in end  # without --log nothing is written
    assert not journal.exists()
    assert "1 line skipped (last: line 7: not JSON)" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_summary_is_one_line_per_event(policies, journal, tmp_path):
    done = watch(policies, journal, "--events", str(write_lines(tmp_path / "e.jsonl", CALLS)))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("2026-01-08 18:20:05  call")
    assert "acme (ACME Abrechnung GmbH) · LATER · outside reachability hours" in lines[0]
    assert "talking" in lines[1] and "answered" in lines[2] and "7 min" in lines[2]
    assert lines[3].split()[2] == "sms"
    assert "withheld · DECLINE" in lines[4] and "missed" in lines[5]


def test_a_discreet_client_is_named_by_id_only(policies, journal, tmp_path):
    lines = [ev("ring", "p1", "18:00:00", **{"from": "+43 732 778899"})]
    done = watch(policies, journal, "--events", str(write_lines(tmp_path / "e.jsonl", lines)))
    assert done.returncode == 0, done.stderr
    assert "praxis · " in done.stdout and "Berger" not in done.stdout


def test_standard_input_from_a_pipe(policies, journal, tmp_path):
    from_file = watch(policies, journal, "--events",
                      str(write_lines(tmp_path / "e.jsonl", CALLS)), "--json")
    piped = watch(policies, journal, "--events", "-", "--json",
                  stdin="\n".join(CALLS) + "\n")
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout == from_file.stdout
    assert "events -: 1 line skipped" in piped.stderr


def test_a_reader_that_goes_away_ends_watch_quietly(policies, journal, tmp_path):
    """`watch --events FILE --json | head -1`: the lines of a file go out in large writes;
    when the reader has gone, watch ends with exit 0 and no traceback."""
    many = [ev("ring", f"c{i}", "18:20:05", **{"from": ACME}) for i in range(3000)]
    events = write_lines(tmp_path / "many.jsonl", many)
    proc = subprocess.Popen([sys.executable, "-m", "boundaries", "watch", "--policies",
                             str(policies), "--events", str(events), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env_for(journal))
    assert proc.stdout is not None and proc.stderr is not None
    first = json.loads(proc.stdout.readline())
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=TIMEOUT) == 0, err
    assert (first["event"], first["id"]) == ("ring", "c0")
    assert "Traceback" not in err


# -- the journal ----------------------------------------------------------------------------
def test_log_twice_over_the_same_file_records_each_call_once(policies, journal, tmp_path):
    events = write_lines(tmp_path / "e.jsonl", CALLS)
    first = watch(policies, journal, "--events", str(events), "--json", "--log")
    assert first.returncode == 0, first.stderr
    assert [x.get("logged") for x in json_lines(first.stdout)] == [
        None, None, "recorded", "recorded", None, "recorded"]
    again = watch(policies, journal, "--events", str(events), "--json", "--log")
    assert again.returncode == 0, again.stderr
    assert [x.get("logged") for x in json_lines(again.stdout)] == [
        None, None, "already", "already", None, "already"]
    got = entries(journal)
    assert [(e["source"], e["source_id"], e.get("outcome"), e["minutes"], e["channel"])
            for e in got] == [("events", "c1", "answered", 7, "call"),
                              ("events", "m1", "received", 0, "sms"),
                              ("events", "c2", "missed", 0, "call")]
    assert got[0]["client"] == "acme" and got[0]["decision"] == "later"
    assert got[2]["sender"] == "raw:" and got[2]["from"] == ""  # withheld


def test_my_call_back_is_recorded_as_called_back(policies, journal, tmp_path):
    lines = [ev("ring", "c1", "18:20:00", **{"from": "0664 1234567"}),
             ev("end", "c1", "18:20:30"),  # missed
             ev("outgoing", "c2", "19:00:00", to=ACME),
             ev("connect", "c2", "19:00:10"),
             ev("end", "c2", "19:03:00"),  # 2 min 50 s
             ev("outgoing", "c3", "19:10:00", to="+43 699 9999999"),  # never called me
             ev("connect", "c3", "19:10:05"),
             ev("end", "c3", "19:11:00")]
    done = watch(policies, journal, "--events", str(write_lines(tmp_path / "e.jsonl", lines)),
                 "--json", "--log")
    assert done.returncode == 0, done.stderr
    out = json_lines(done.stdout)
    assert [(x["event"], x.get("called_back"), x.get("logged")) for x in out] == [
        ("ring", None, None), ("end", None, "recorded"),
        ("outgoing", True, None), ("connect", True, None), ("end", True, "recorded"),
        ("outgoing", False, None), ("connect", False, None), ("end", False, "skipped")]
    assert out[2]["to"] == ACME and out[2]["client"] == "acme"
    got = entries(journal)
    assert [(e["source_id"], e["outcome"], e["minutes"]) for e in got] == [
        ("c1", "missed", 0), ("c2", "called-back", 3)]


def test_a_call_back_in_a_later_run_finds_the_missed_call_in_the_journal(policies, journal,
                                                                         tmp_path):
    missed = [ev("ring", "c1", "18:20:00", **{"from": ACME}), ev("end", "c1", "18:20:30")]
    back = [ev("outgoing", "c2", "19:00:00", to="0664 1234567"),
            ev("connect", "c2", "19:00:10"), ev("end", "c2", "19:01:00")]
    for lines, name in ((missed, "a.jsonl"), (back, "b.jsonl")):
        done = watch(policies, journal, "--events", str(write_lines(tmp_path / name, lines)),
                     "--log")
        assert done.returncode == 0, done.stderr
    assert "called back · recorded" in done.stdout
    assert [e["outcome"] for e in entries(journal)] == ["missed", "called-back"]


@pytest.mark.parametrize("log", [False, True])
def test_three_rings_in_15_minutes_are_a_repeat(policies, journal, tmp_path, log):
    hotline = "+43 1 5556677"
    lines = []
    for n, minute in enumerate((20, 25, 30), start=1):
        lines += [ev("ring", f"r{n}", f"18:{minute}:00", **{"from": hotline}),
                  ev("end", f"r{n}", f"18:{minute}:20")]
    lines.append(ev("ring", "r4", "18:50:00", **{"from": hotline}))  # the window has passed
    done = watch(policies, journal, "--events", str(write_lines(tmp_path / "e.jsonl", lines)),
                 "--json", *(["--log"] if log else []))
    assert done.returncode == 0, done.stderr
    rings = [x for x in json_lines(done.stdout) if x["event"] == "ring"]
    assert [x["decision"] for x in rings] == ["later", "later", "answer", "later"]
    assert rings[2]["reasons"][0]["text"] == "the third call in 15 minutes"
    assert rings[2]["reasons"][0]["source"].startswith("tiers/repeating.toml:")


def test_the_budget_is_spent_live(policies, journal, tmp_path):
    hotline = "+43 1 5556677"
    lines = []
    for n, minute in enumerate((20, 22, 24), start=1):
        lines += [ev("ring", f"r{n}", f"18:{minute}:00", **{"from": hotline}),
                  ev("end", f"r{n}", f"18:{minute}:20")]
    lines[-1:] = [ev("connect", "r3", "18:24:05"), ev("end", "r3", "18:30:00")]  # taken
    for n, minute in enumerate((50, 52, 54), start=4):  # a second burst, the same month
        lines += [ev("ring", f"r{n}", f"18:{minute}:00", **{"from": hotline}),
                  ev("end", f"r{n}", f"18:{minute}:20")]
    done = watch(policies, journal, "--events", str(write_lines(tmp_path / "e.jsonl", lines)),
                 "--json", "--log")
    assert done.returncode == 0, done.stderr
    rings = [x for x in json_lines(done.stdout) if x["event"] == "ring"]
    assert [x["decision"] for x in rings] == ["later"] * 2 + ["answer"] + ["later"] * 3
    assert rings[2]["extra_effort"] is True
    assert rings[5]["reasons"][0]["text"].startswith("budget used: 1 of 1")
    spent = [e for e in entries(journal) if e.get("extra_effort")]
    assert [(e["source_id"], e["outcome"], e["minutes"]) for e in spent] == [
        ("r3", "answered", 6)]


def test_the_journal_of_an_earlier_run_counts_for_repeat(policies, journal, tmp_path):
    hotline = "+43 1 5556677"
    first = [ev("ring", "r1", "18:20:00", **{"from": hotline}), ev("end", "r1", "18:20:20"),
             ev("ring", "r2", "18:25:00", **{"from": hotline}), ev("end", "r2", "18:25:20")]
    done = watch(policies, journal, "--events", str(write_lines(tmp_path / "a.jsonl", first)),
                 "--log")
    assert done.returncode == 0, done.stderr
    third = [ev("ring", "r3", "18:30:00", **{"from": hotline})]
    done = watch(policies, journal, "--events", str(write_lines(tmp_path / "b.jsonl", third)),
                 "--json")
    assert json_lines(done.stdout)[0]["decision"] == "answer"


# -- a FIFO, and a stand-in FRITZ!Box -------------------------------------------------------
async def _start(policies: Path, journal: Path, *args: str,
                 env: dict[str, str] | None = None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "boundaries", "watch", "--policies", str(policies), *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**env_for(journal), **(env or {})})


async def _line(stream: asyncio.StreamReader) -> str:
    line = await asyncio.wait_for(stream.readline(), TIMEOUT)
    assert line, "the stream ended"
    return line.decode("utf-8")


async def _until(stream: asyncio.StreamReader, text: str) -> list[str]:
    """stderr's lines up to the first that holds `text`."""
    seen = []
    while True:
        seen.append(await _line(stream))
        if text in seen[-1]:
            return seen


async def _end(proc: asyncio.subprocess.Process, sig: int = signal.SIGINT) -> tuple[int, str]:
    """Send `sig`; the exit code and the rest of stderr."""
    proc.send_signal(sig)
    rest = await asyncio.wait_for(proc.stderr.read(), TIMEOUT)
    return await asyncio.wait_for(proc.wait(), TIMEOUT), rest.decode("utf-8")


def _write_fifo(path: Path, line: str) -> None:
    """Open the FIFO (watch holds it open for reading), write one line, close it: as an
    AGI script does for each call."""
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    try:
        os.write(fd, (line + "\n").encode())
    finally:
        os.close(fd)


def test_a_fifo_outlives_its_writers(policies, journal, tmp_path):
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)

    async def scenario() -> tuple[list[dict], int, str]:
        proc = await _start(policies, journal, "--events", str(fifo), "--json")
        try:
            await _until(proc.stderr, "reading")
            got = []
            for line in CALLS[:3]:  # each written by a writer of its own
                _write_fifo(fifo, line)
                got.append(json.loads(await _line(proc.stdout)))
            code, rest = await _end(proc)
            return got, code, rest
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()

    got, code, rest = asyncio.run(scenario())
    assert [x["event"] for x in got] == ["ring", "connect", "end"]
    assert got[2]["outcome"] == "answered"
    assert code == 0 and "Traceback" not in rest


class StandInBox:
    """A FRITZ!Box call monitor: writes `lines` (CRLF) to each connection, then holds it."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.server: asyncio.Server | None = None

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        for line in self.lines:
            writer.write(line.encode() + b"\r\n")
        await writer.drain()
        await reader.read()  # until watch goes
        writer.close()

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


def test_a_missed_call_from_the_fritzbox(policies, journal):
    box = StandInBox(["08.01.26 18:40:00;RING;1;06641234567;732123456;SIP0;",
                      "08.01.26 18:40:20;DISCONNECT;1;0;"])

    async def scenario() -> tuple[list[dict], list[str], int, str]:
        port = await box.start()
        proc = await _start(policies, journal, "--fritzbox", f"127.0.0.1:{port}", "--json",
                            "--log")
        try:
            states = await _until(proc.stderr, "connected")
            got = [json.loads(await _line(proc.stdout)) for _ in range(2)]
            code, rest = await _end(proc, signal.SIGTERM)
            return got, states, code, rest
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await box.close()

    (ring, end), states, code, rest = asyncio.run(scenario())
    assert (ring["event"], ring["source"], ring["client"], ring["decision"]) == (
        "ring", "fritzbox", "acme", "later")
    assert ring["from"] == "+436641234567" and ring["at"] == "2026-01-08T18:40:00+01:00"
    assert (end["event"], end["outcome"], end["minutes"], end["logged"]) == (
        "end", "missed", 0, "recorded")
    assert [e["source"] for e in entries(journal)] == ["fritzbox"]
    assert code == 0 and "Traceback" not in rest
    assert "fritzbox 127.0.0.1" in states[0]


def test_a_missed_call_on_the_mobile_through_kde_connect(policies, journal):
    """A private session bus (dbus-daemon) and a stand-in kdeconnectd that emits the real
    callReceived(sss) signal: watch --kdeconnect decides the ring and logs it missed."""
    from .kdeconnect_standin import DBUS_DAEMON, SKIP_REASON, PrivateBus, StandInKdeConnect

    if DBUS_DAEMON is None:
        pytest.skip(SKIP_REASON)
    bus = PrivateBus()

    async def scenario() -> tuple[dict, dict, int, str]:
        phone = await StandInKdeConnect(bus.address).start()
        proc = await _start(policies, journal, "--kdeconnect", "--json", "--log",
                            env={"DBUS_SESSION_BUS_ADDRESS": bus.address})
        try:
            await _until(proc.stderr, "connected")
            phone.ring("a1b2c3d4_pixel", "0664 1234567", "Anna Gruber")
            ring = json.loads(await _line(proc.stdout))
            phone.missed("a1b2c3d4_pixel", "0664 1234567", "Anna Gruber")
            end = json.loads(await _line(proc.stdout))
            code, rest = await _end(proc)
            return ring, end, code, rest
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await phone.stop()

    try:
        bus.start()
        ring, end, code, rest = asyncio.run(scenario())
    finally:
        bus.remove()
    assert (ring["event"], ring["source"], ring["client"], ring["from"]) == (
        "ring", "kdeconnect", "acme", "+436641234567")
    assert (end["event"], end["outcome"], end["logged"]) == ("end", "missed", "recorded")
    assert [(e["source"], e["outcome"]) for e in entries(journal)] == [("kdeconnect", "missed")]
    assert code == 0 and "Traceback" not in rest


def _refused_port() -> int:
    """A loopback port nobody listens on (the OS gave it, and it was closed again)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_ends_watch_cleanly_while_the_box_is_unreachable(policies, journal, sig):
    port = _refused_port()

    async def scenario() -> tuple[list[str], int, str, bytes]:
        proc = await _start(policies, journal, "--fritzbox", f"127.0.0.1:{port}")
        try:
            told = await _until(proc.stderr, "retrying")
            code, rest = await _end(proc, sig)
            return told, code, rest, await proc.stdout.read()
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()

    told, code, rest, out = asyncio.run(scenario())
    assert code == 0 and out == b""
    assert f"boundaries: fritzbox 127.0.0.1:{port}: retrying in 1 s: connection refused" in \
        told[-1]
    assert "Traceback" not in rest and "error" not in rest
    assert rest.splitlines()[-1] == f"boundaries: fritzbox 127.0.0.1:{port}: stopped"


# -- the sources: flags, [sources], none ----------------------------------------------------
def test_sources_in_me_toml_are_used_without_a_flag(write_set, journal):
    me = ME_AWAY + '\n[sources]\nevents = "phone/events.jsonl"\n'
    root = write_set(TIERS, me=me, name="with-sources")
    (root / "phone").mkdir()
    write_lines(root / "phone" / "events.jsonl", CALLS[:3])
    done = watch(root, journal, "--json")
    assert done.returncode == 0, done.stderr
    assert [x["event"] for x in json_lines(done.stdout)] == ["ring", "connect", "end"]
    assert f"events {root / 'phone' / 'events.jsonl'}: reading" in done.stderr


def test_a_flag_replaces_the_sources_of_me_toml(write_set, journal, tmp_path):
    me = ME_AWAY + f'\n[sources]\nfritzbox = "127.0.0.1:{_refused_port()}"\n'
    root = write_set(TIERS, me=me, name="with-box")
    done = watch(root, journal, "--events", str(write_lines(tmp_path / "e.jsonl", CALLS[:1])))
    assert done.returncode == 0, done.stderr  # the file ended: the box was never followed
    assert "fritzbox" not in done.stderr and "call" in done.stdout


def test_no_source_is_a_usage_error_with_a_hint(policies, journal):
    done = watch(policies, journal)
    assert done.returncode == 2
    assert done.stderr.startswith("boundaries: error: watch needs a phone source\n")
    assert "--events" in done.stderr and "--kdeconnect" in done.stderr
    assert "[sources]" in done.stderr


def test_a_source_that_cannot_be_opened_is_exit_2(write_set, policies, journal, tmp_path):
    done = watch(policies, journal, "--events", str(tmp_path / "missing.jsonl"))
    assert done.returncode == 2
    assert done.stderr.startswith("boundaries: error: --events: ")
    assert "cannot open the event stream" in done.stderr
    done = watch(policies, journal, "--fritzbox", "fritz.box:99999")
    assert done.returncode == 2 and "--fritzbox: `fritz.box:99999` is not an address" in \
        done.stderr
    me = ME_AWAY + '\n[sources]\nfritzbox = "fritz.box:0"\n'
    done = watch(write_set(TIERS, me=me, name="bad-box"), journal)
    assert done.returncode == 2 and "error: me.toml:" in done.stderr
    assert "Traceback" not in done.stderr


def test_lint_checks_the_sources_table(load_set):
    me = ME_AWAY + '\n[sources]\nevents = " "\nkdeconnect = "yes"\nfritz = "fritz.box"\n'
    result = load_set(TIERS, me=me)
    found = {(d.line, d.message) for d in result.diagnostics if d.path == "me.toml"}
    first = ME_AWAY.count("\n") + 3
    assert found == {(first, "`events` in [sources] is empty"),
                     (first + 1, "`kdeconnect` must be a boolean (`true` or `false`), "
                                 "not a string"),
                     (first + 2, "unknown key `fritz` in [sources]")}


# -- the use case in the process: what the service decides and records -----------------------
VIENNA_EVENING = datetime(2026, 1, 8, 17, 20, tzinfo=UTC)  # 18:20 in Vienna


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def call(event: str, sid: str, minutes: float, **kw: object) -> CallEvent:
    return CallEvent("events", sid, event, VIENNA_EVENING + timedelta(minutes=minutes), **kw)


@pytest.fixture
def pset(policies):
    result = load(policies)
    assert result.ok
    return result.policies


def test_a_call_recorded_by_hand_in_the_same_minute_is_not_recorded_again(pset, journal):
    req_time = VIENNA_EVENING + timedelta(seconds=30)
    probe = Incoming(pset, journal, log=False, clock=Clock(VIENNA_EVENING))
    req, d = probe._decide(probe._sender(ACME), probe.book.feed(
        call("ring", "x", 0.5, from_=ACME)).call)
    assert req.at == req_time
    append(journal, make_entry(pset, req, d, "answered", 4, "by hand", VIENNA_EVENING),
           "2026-01")
    incoming = Incoming(pset, journal, log=True, clock=Clock(VIENNA_EVENING))
    incoming.take(call("ring", "c1", 0.2, from_=ACME))
    (seen,) = incoming.take(call("end", "c1", 3))
    assert seen.logged == ALREADY
    # a message in that minute is no call: it is recorded
    (msg,) = incoming.take(call("message", "m1", 0.6, from_=ACME, channel="sms"))
    assert msg.logged == RECORDED
    assert len(entries(journal)) == 2


def test_minutes_are_clamped_to_the_journals_maximum(pset, journal):
    from boundaries.journal.schema import MAX_MINUTES

    incoming = Incoming(pset, journal, log=True, clock=Clock(VIENNA_EVENING))
    incoming.take(call("ring", "c1", 0, from_=ACME))
    # a box that reconnected mid-call: no connect seen, the talk time it counted
    (seen,) = incoming.take(call("end", "c1", 1, seconds=(MAX_MINUTES + 500) * 60))
    assert seen.logged == RECORDED and seen.minutes == MAX_MINUTES
    assert entries(journal)[0]["minutes"] == MAX_MINUTES


def test_a_call_whose_end_never_came_is_lost_not_recorded(pset, journal):
    clock = Clock(VIENNA_EVENING)
    incoming = Incoming(pset, journal, log=True, clock=clock)
    (ring,) = incoming.take(call("ring", "c1", 0, from_=ACME))
    assert incoming.tick() == []
    clock.now += timedelta(minutes=11)  # ringing for more than ten minutes
    (lost,) = incoming.tick()
    assert (lost.kind, lost.call.source_id, lost.decision) == ("lost", "c1", ring.decision)
    assert incoming.take(call("end", "c1", 12)) == []  # its late end: a duplicate
    assert incoming.duplicates == 1 and not journal.exists()


def test_an_end_of_a_call_that_never_rang_shows_nothing(pset, journal):
    incoming = Incoming(pset, journal, log=True, clock=Clock(VIENNA_EVENING))
    assert incoming.take(call("end", "nowhere", 1)) == []
    assert incoming.ignored == 1


def test_a_sender_that_is_no_number_is_decided_as_unknown(pset, journal):
    incoming = Incoming(pset, None, clock=Clock(VIENNA_EVENING))
    (seen,) = incoming.take(call("message", "m1", 0, from_="Zoë", channel="chat"))
    assert (seen.decision.tier, seen.decision.client, seen.sender.raw) == ("unknown", None,
                                                                          "Zoë")


def test_the_journal_cache_sees_a_file_that_changed(pset, journal):
    cache = JournalCache(journal)
    assert cache.entries(["2026-01"]) == ([], [])
    probe = Incoming(pset, None, clock=Clock(VIENNA_EVENING))
    (seen,) = probe.take(call("message", "m1", 0, from_=ACME, channel="sms"))
    append(journal, make_entry(pset, seen.request, seen.decision, None, 0, "",
                               VIENNA_EVENING), "2026-01")
    assert cache.entries(["2026-01"])[0] == []  # kept until asked to look again
    cache.refresh()
    assert len(cache.entries(["2026-01"])[0]) == 1


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["ring", "connect", "end", "message"]),
                          st.integers(0, 4), st.integers(0, 40),
                          st.sampled_from([ACME, "+43 1 5556677", None])), max_size=25))
def test_a_restart_over_the_same_events_records_nothing_new(pset, steps):
    """Any events, in any order, repeated or not: a second run over them (a restart that
    reads the same file, a monitor that replays its lines) writes nothing."""
    events = [call(kind, f"{'m' if kind == 'message' else 'c'}{n}", minute, from_=who,
                   channel="sms" if kind == "message" else "call")
              for kind, n, minute, who in steps]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "journal"
        run = Incoming(pset, folder, log=True, clock=Clock(VIENNA_EVENING))
        logged = [s.logged for e in events for s in run.take(e) if s.logged]
        written = read(folder)[0] if folder.exists() else []
        assert logged.count(RECORDED) == len(written)
        again = Incoming(pset, folder, log=True, clock=Clock(VIENNA_EVENING))
        assert RECORDED not in [s.logged for e in events for s in again.take(e)]
        assert len(read(folder)[0] if folder.exists() else []) == len(written)


def test_a_line_is_its_json_object(pset, journal):
    """The line encoder (the check object encoded once per call) writes `json_object`."""
    from boundaries.cli.watch import _Watch, json_object, json_parts

    incoming = Incoming(pset, journal, log=True, clock=Clock(VIENNA_EVENING))
    out = _Watch(pset, incoming, [], json_lines=True, tz=incoming.tz, clock=incoming.clock)
    events = [call("ring", "c1", 0, from_=ACME), call("connect", "c1", 1),
              call("end", "c1", 3), call("ring", "c2", 4), call("end", "c2", 5),
              call("outgoing", "c3", 6, to=ACME), call("end", "c3", 7),
              call("message", "m1", 8, from_="Zoë", channel="chat")]
    for seen in (s for e in events for s in incoming.take(e)):
        line = out.encode(*json_parts(seen, incoming.tz, True))
        assert "\n" not in line
        assert json.loads(line) == json_object(seen, incoming.tz, True)


# -- docs/calls.md's recipes, run ------------------------------------------------------------
DOC = Path(__file__).resolve().parent.parent / "docs" / "calls.md"


def doc_block(lang: str) -> str:
    """The one fenced block of docs/calls.md in `lang`."""
    import re

    found = re.findall(rf"^```{lang}\n(.*?)^```", DOC.read_text("utf-8"), flags=re.M | re.S)
    assert len(found) == 1, (lang, len(found))
    return found[0]


def _follow_fifo(policies: Path, journal: Path, fifo: Path, feed, count: int) -> list[dict]:
    """watch --json on `fifo`; `feed()` (in a thread) writes to it; `count` lines back."""
    async def scenario() -> list[dict]:
        proc = await _start(policies, journal, "--events", str(fifo), "--json")
        try:
            await _until(proc.stderr, "reading")
            fed = asyncio.create_task(asyncio.to_thread(feed))
            got = [json.loads(await _line(proc.stdout)) for _ in range(count)]
            await asyncio.wait_for(fed, TIMEOUT)
            code, _ = await _end(proc)
            assert code == 0
            return got
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()

    return asyncio.run(scenario())


def test_the_shell_recipe_rings(policies, journal, tmp_path):
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    script = doc_block("bash") + ('boundaries_ring c1 "0664 1234567"\n'
                                  "boundaries_end c1 125\n"
                                  'boundaries_ring c2 ""\n'
                                  "boundaries_end c2\n")

    def feed() -> None:
        subprocess.run(["bash", "-euc", script], check=True, timeout=TIMEOUT,
                       env={**os.environ, "BOUNDARIES_FIFO": str(fifo)})

    got = _follow_fifo(policies, journal, fifo, feed, 5)
    assert [(x["event"], x["id"]) for x in got] == [
        ("ring", "c1"), ("connect", "c1"), ("end", "c1"), ("ring", "c2"), ("end", "c2")]
    assert got[0]["client"] == "acme" and got[3]["from"] is None
    # 125 s talked, but here the ring came a moment before the end: a connect never lies
    # before its ring, so the minutes are from the ring, rounded up
    assert (got[2]["outcome"], got[2]["minutes"]) == ("answered", 1)
    assert got[4]["outcome"] == "missed"


def agi(script: Path, fifo: Path, **variables: str) -> subprocess.CompletedProcess:
    """The AGI script as Asterisk runs it: its variables on stdin, up to a blank line."""
    env_lines = "".join(f"agi_{k}: {v}\n" for k, v in {
        "request": "boundaries-event.agi", "channel": "PJSIP/trunk-00000001",
        "language": "en", "type": "PJSIP", **variables}.items()) + "\n"
    return subprocess.run([sys.executable, str(script)], input=env_lines, text=True,
                          capture_output=True, timeout=TIMEOUT,
                          env={**os.environ, "BOUNDARIES_FIFO": str(fifo)})


def test_the_asterisk_agi_script_rings(policies, journal, tmp_path):
    script = tmp_path / "boundaries-event.agi"
    script.write_text(doc_block("python"), encoding="utf-8")
    fifo = tmp_path / "boundaries.fifo"
    os.mkfifo(fifo)
    assert agi(script, fifo, uniqueid="1.1", callerid="06641234567",
               arg_1="ring").returncode == 0  # nobody reads: dropped, at once

    def feed() -> None:
        for variables in ({"uniqueid": "1700000000.42", "callerid": "06641234567",
                           "arg_1": "ring"},
                          {"uniqueid": "1700000000.42", "arg_1": "end", "arg_2": "125"},
                          {"uniqueid": "1700000000.43", "callerid": "unknown",
                           "arg_1": "ring"},
                          {"uniqueid": "1700000000.43", "arg_1": "end", "arg_2": "0"}):
            done = agi(script, fifo, **variables)
            assert done.returncode == 0 and not done.stdout, done.stderr

    got = _follow_fifo(policies, journal, fifo, feed, 5)
    assert [(x["event"], x["id"]) for x in got] == [
        ("ring", "1700000000.42"), ("connect", "1700000000.42"), ("end", "1700000000.42"),
        ("ring", "1700000000.43"), ("end", "1700000000.43")]
    assert got[0]["client"] == "acme" and got[3]["from"] is None
    # answered (the seconds talked make a connect; here the ring was a moment ago, and a
    # connect never lies before its ring), and a withheld call missed
    assert (got[2]["outcome"], got[2]["minutes"], got[4]["outcome"]) == ("answered", 1,
                                                                          "missed")


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze")
def test_the_systemd_unit_verifies(tmp_path):
    unit = doc_block("ini")
    assert "ExecStart=%h/.local/bin/boundaries watch --log" in unit
    systemd_verify(tmp_path, unit, "boundaries-watch.service", TIMEOUT)


def test_the_sources_table_of_the_docs_loads(load_set):
    table = doc_block("toml")
    result = load_set(TIERS, me=ME_AWAY + "\n" + table)
    assert not [d for d in result.diagnostics if d.path == "me.toml"]


def test_a_month_let_go_is_read_again_when_asked(pset, journal):
    cache = JournalCache(journal)
    assert cache.entries(["2026-01"]) == ([], [])
    probe = Incoming(pset, None, clock=Clock(VIENNA_EVENING))
    (seen,) = probe.take(call("message", "m1", 0, from_=ACME, channel="sms"))
    append(journal, make_entry(pset, seen.request, seen.decision, None, 0, "",
                               VIENNA_EVENING), "2026-01")
    cache.drop_before("2026-01")  # kept: not before
    assert cache.entries(["2026-01"])[0] == []
    cache.drop_before("2026-02")
    assert len(cache.entries(["2026-01"])[0]) == 1


def test_a_journal_that_cannot_be_written_is_said_and_watch_goes_on(policies, tmp_path):
    blocked = tmp_path / "journal"
    blocked.write_text("a file where the journal folder should be\n")
    done = watch(policies, blocked, "--events", str(write_lines(tmp_path / "e.jsonl", CALLS)),
                 "--json", "--log")
    assert done.returncode == 0
    out = json_lines(done.stdout)
    assert len(out) == 6 and [x.get("logged") for x in out] == [
        None, None, "failed", "failed", None, "failed"]
    problems = [ln for ln in done.stderr.splitlines() if "error" in ln]
    assert len(problems) == 3 and all(
        ln.startswith("boundaries: error: could not write the journal") and
        ln.endswith("; not recorded") for ln in problems)
    assert "Traceback" not in done.stderr

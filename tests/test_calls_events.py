"""The event stream (sources/calls/events.py, sources.md §8): JSON lines from a real file,
standard input, a real FIFO; lines it cannot read skipped and counted; an overlong line
dropped with its memory bounded; unicode as written."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from boundaries.core.calls import CallBook
from boundaries.sources.calls.events import EventsError, LineError, open_events, parse_event
from boundaries.sources.calls.lines import LineSplitter

DATA = Path(__file__).parent / "data" / "calls"
VIENNA = ZoneInfo("Europe/Vienna")
NOW = datetime(2026, 1, 8, 18, 0, tzinfo=VIENNA)
REPO = Path(__file__).resolve().parent.parent


def clock() -> datetime:
    return NOW


async def collect(stream, limit: int = 1000, timeout: float = 10) -> list:
    async def run():
        out = []
        async for event in stream:
            out.append(event)
            if len(out) >= limit:
                break
        return out

    return await asyncio.wait_for(run(), timeout)


async def test_a_file_of_events_read_and_its_bad_lines_counted():
    stream = open_events(DATA / "events.jsonl", clock=clock, tz=VIENNA)
    events = await collect(stream)
    assert [(e.event, e.source_id) for e in events] == [
        ("ring", "c17"), ("connect", "c17"), ("end", "c17"), ("message", "m3"),
        ("ring", "18"), ("end", "18"), ("message", "m4"), ("outgoing", "c21"),
        ("end", "c21")]
    assert stream.skips.count == 4  # no JSON, `hangup`, a list, kind `invoice`; not the blank
    assert stream.skips.last == ("line 12: `kind` must be one of question, task, change, "
                                 "billing, complaint, not `invoice`")
    assert stream.skips.describe().startswith("4 lines skipped (last: line 12: `kind`")
    assert stream.events == 9
    assert (stream.state.state, stream.state.detail) == ("ended", "end of input")
    ring, _, _, msg, withheld, _, chat, out, _ = events
    assert ring.from_ == "+43 664 1234567" and ring.channel == "call"
    assert ring.at == datetime(2026, 1, 8, 18, 20, 5, tzinfo=VIENNA)
    assert msg.channel == "sms"
    assert withheld.from_ is None  # `"from": ""` is a withheld number
    assert withheld.at == datetime(2026, 1, 8, 18, 30, tzinfo=VIENNA)  # no offset: my time
    assert (chat.from_, chat.channel, chat.kind, chat.urgency) == (
        "Zoë Ümlaut", "chat", "complaint", "urgent")
    assert chat.at == NOW  # no `at`: when the line arrived
    assert (out.to, out.from_) == ("+43 664 1234567", None)


async def test_the_files_calls_through_the_book():
    book = CallBook()
    steps = [book.feed(e) for e in await collect(open_events(DATA / "events.jsonl",
                                                              clock=clock, tz=VIENNA))]
    finished = [(s.call.source_id, s.call.outcome, s.call.minutes) for s in steps
                if s.kind in ("finished", "message")]
    assert finished == [("c17", "answered", 7), ("m3", "received", 0),
                        ("18", "missed", 0), ("m4", "received", 0),
                        ("c21", "unanswered", 0)]
    dialing = next(s for s in steps if s.kind == "dialing")
    assert [c.source_id for c in dialing.called_back] == ["c17"]


async def test_a_missing_path_or_a_folder_is_an_error_with_a_hint(tmp_path):
    with pytest.raises(EventsError) as err:
        open_events(tmp_path / "nope.jsonl", clock=clock, tz=VIENNA)
    assert "nope.jsonl: cannot open the event stream: No such file" in str(err.value)
    assert "FIFO" in err.value.hint
    with pytest.raises(EventsError, match="is a folder"):
        open_events(tmp_path, clock=clock, tz=VIENNA)


async def test_a_fifo_outlives_its_writers(tmp_path):
    """An AGI script opens the FIFO per call, writes a line and closes it: reading goes on."""
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    states = []
    stream = open_events(fifo, clock=clock, tz=VIENNA, on_state=states.append)
    received: asyncio.Queue = asyncio.Queue()

    async def read():
        async for event in stream:
            await received.put(event)

    reader = asyncio.create_task(read())
    for i in range(3):
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)  # the reader holds it open
        os.write(fd, json.dumps({"event": "message", "id": f"m{i}", "from": "+1"}).encode()
                 + b"\n")
        os.close(fd)
        event = await asyncio.wait_for(received.get(), 5)
        assert event.source_id == f"m{i}"
    assert not reader.done()  # three writers came and went; the stream has not ended
    reader.cancel()
    with pytest.raises(asyncio.CancelledError):
        await reader
    assert [s.state for s in states] == ["reading", "stopped"]
    assert stream._fd is None  # closed


async def test_an_overlong_line_in_a_fifo_is_dropped_with_bounded_memory(tmp_path):
    fifo = tmp_path / "events.fifo"
    os.mkfifo(fifo)
    stream = open_events(fifo, clock=clock, tz=VIENNA, max_line=4096, chunk=1024)
    good = json.dumps({"event": "ring", "id": "after", "from": "+1"}).encode() + b"\n"

    def write():
        with open(fifo, "wb") as f:
            f.write(b'{"event": "ring", "id": "' + b"x" * 5_000_000 + b'"}\n' + good)

    writer = asyncio.create_task(asyncio.to_thread(write))
    events = await collect(stream, limit=1)
    await asyncio.wait_for(writer, 10)
    assert [e.source_id for e in events] == ["after"]
    assert stream.skips.count == 1 and stream.skips.last == "line 1: longer than 4,096 bytes"
    assert stream.splitter.max_buffered <= 4096 + 1


async def test_five_megabytes_without_a_newline_in_a_file(tmp_path):
    path = tmp_path / "big.jsonl"
    good = json.dumps({"event": "message", "id": "m", "from": "+1"})
    path.write_bytes(good.encode() + b"\n" + b"y" * 5_000_000)
    stream = open_events(path, clock=clock, tz=VIENNA)
    events = await collect(stream)
    assert [e.source_id for e in events] == ["m"]
    assert stream.skips.last == "line 2: longer than 65,536 bytes"
    assert stream.splitter.max_buffered <= 65_536 + 1
    assert stream.splitter.buffered == 0


async def test_bytes_that_are_not_utf8_and_a_last_line_without_newline(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_bytes(b'{"event": "message", "id": "\xff"}\r\n'
                     b'{"event": "message", "id": "\xe2\x98\x8e", "from": "Jos\xc3\xa9"}')
    stream = open_events(path, clock=clock, tz=VIENNA)
    events = await collect(stream)
    assert [(e.source_id, e.from_) for e in events] == [("☎", "José")]
    assert stream.skips.last == "line 1: not UTF-8"


def run_reader(stdin=None, *, input_bytes: bytes | None = None) -> list[str]:
    """`-` in a real process: its standard input a pipe or a file, left open and blocking
    as it was (the shell's terminal must not stay non-blocking)."""
    script = textwrap.dedent("""
        import asyncio, os, sys
        from datetime import datetime
        from zoneinfo import ZoneInfo
        from boundaries.sources.calls.events import open_events
        tz = ZoneInfo("Europe/Vienna")
        async def main():
            stream = open_events("-", clock=lambda: datetime(2026, 1, 8, tzinfo=tz), tz=tz)
            async for e in stream:
                print(e.event, e.source_id, e.from_, flush=True)
            print("skipped", stream.skips.count, stream.state.state)
        asyncio.run(main())
        print("stdin still open:", not sys.stdin.closed, "blocking:", os.get_blocking(0))
    """)
    stdin_arg = {"input": input_bytes} if input_bytes is not None else {"stdin": stdin}
    done = subprocess.run([sys.executable, "-c", script], **stdin_arg,
                          capture_output=True, timeout=60, cwd=REPO, check=True)
    return done.stdout.decode().splitlines()


def test_standard_input_a_pipe():
    lines = run_reader(input_bytes=(
        b'{"event": "ring", "id": "1", "from": "+43 664 1234567"}\n'
        b'garbage\n{"event": "end", "id": "1"}\n'))
    assert lines == ["ring 1 +43 664 1234567", "end 1 None", "skipped 1 ended",
                     "stdin still open: True blocking: True"]


def test_standard_input_a_file(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"event": "message", "id": "m", "from": "Zoë"}\n', encoding="utf-8")
    with path.open("rb") as f:
        lines = run_reader(f)
    assert lines == ["message m Zoë", "skipped 0 ended", "stdin still open: True blocking: True"]


# --- one line ------------------------------------------------------------------------------

def parse(obj: object) -> object:
    return parse_event(json.dumps(obj), arrived=NOW, tz=VIENNA)


def test_parse_ids_times_and_defaults():
    ring = parse({"event": "ring", "id": 7, "at": "2026-01-08T17:20:05Z"})
    assert ring.source_id == "7" and ring.from_ is None and ring.channel == "call"
    assert ring.at == datetime(2026, 1, 8, 18, 20, 5, tzinfo=VIENNA)
    msg = parse({"event": "message", "from": "+1", "at": "2026-01-08T18:21:00+01:00"})
    assert msg.source_id == "2026-01-08T18:21:00+01:00|+1|"  # no id: when, who, how
    assert msg.at - NOW == timedelta(minutes=21)
    assert parse({"event": "ring", "id": "a", "from": "  "}).from_ is None
    assert parse({"event": "ring", "id": "a", "extra": {"x": 1}}).source_id == "a"


@pytest.mark.parametrize(("obj", "reason"), [
    ({"event": "ring"}, "a ring needs an `id`"),
    ({"event": "ring", "id": True}, "`id` must be text or a whole number, not `true`"),
    ({"event": "ring", "id": "x" * 201}, "`id` is longer than 200 characters"),
    ({"event": "outgoing", "id": "o"}, "an outgoing call needs `to`"),
    ({"event": "ring", "id": "a", "at": "yesterday"}, "`at`: `yesterday` is not"),
    ({"event": "ring", "id": "a", "at": 5}, "`at` must be an ISO 8601 time, not `5`"),
    ({"event": "ring", "id": "a", "at": "2300-01-01T00:00+00:00"}, "outside 1970–2200"),
    ({"event": "ring", "id": "a", "from": 436641234567}, "`from` must be text"),
    ({"event": "ring", "id": "a", "channel": "fax"}, "`channel` must be one of call, sms"),
    ({"event": "ring", "id": "a", "urgency": "high"}, "`urgency` must be one of normal"),
    ({"id": "a"}, "`event` must be one of ring, connect, end, message, outgoing, not `null`"),
])
def test_parse_refuses_with_a_reason(obj, reason):
    with pytest.raises(LineError) as err:
        parse(obj)
    assert reason in str(err.value)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.dictionaries(
    st.sampled_from(["event", "id", "from", "to", "at", "channel", "kind", "urgency"]),
    st.none() | st.booleans() | st.integers() | st.text(max_size=30)
    | st.sampled_from(["ring", "end", "message", "outgoing", "2026-01-08T18:00:00+01:00"]),
).map(json.dumps)
       # a real event with one key changed or dropped: the well-formed branch is reached too
       | st.tuples(st.sampled_from(["from", "channel", "at", "kind", "none"]),
                   st.sampled_from(["", "sms", "+43 664 1234567", "2026-01-08T18:00"])).map(
           lambda t: json.dumps({**{"event": "ring", "id": "c1", "from": "+43 664 1234567",
                                    "at": "2026-01-08T18:20:05+01:00"},
                                 **({} if t[0] == "none" else {t[0]: t[1]})})))
@example('{"event": "ring", "id": "c17", "from": "+43 664 1234567", "channel": "call", '
         '"at": "2026-01-08T18:20:05+01:00"}')
def test_any_line_is_an_event_or_a_line_error(text):
    try:
        event = parse_event(text, arrived=NOW, tz=VIENNA)
    except LineError as err:
        assert str(err)
    else:
        assert event.at.tzinfo is not None and event.source_id


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=40).map(lambda b: b.replace(b"\n", b"")), max_size=20),
       st.lists(st.integers(1, 30), min_size=1, max_size=20))
def test_the_splitter_gives_the_same_lines_however_the_bytes_are_chunked(lines, cuts):
    blob = b"".join(line + b"\n" for line in lines)
    splitter = LineSplitter(max_line=25)
    got, i, k = [], 0, 0
    while i < len(blob):
        step = cuts[k % len(cuts)]
        got += splitter.feed(blob[i:i + step])
        assert splitter.buffered <= 26
        i, k = i + step, k + 1
    got += splitter.finish()
    want = [None if len(line.removesuffix(b"\r")) > 25 or len(line) > 26
            else line.removesuffix(b"\r") for line in lines]
    assert [g.data for g in got] == want
    assert [g.number for g in got] == list(range(1, len(lines) + 1))

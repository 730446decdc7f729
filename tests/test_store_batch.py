"""journal.store.append_many: a batch of entries appended as `append` appends one — whole
lines, 0600, never through a symlink, a torn line never swallowing one — with one write and
one fsync per month file (what lets `mail --maildir` record 10,000 messages quickly)."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boundaries.journal import store
from boundaries.journal.store import append, append_many, new_id, read


def entry(day: int, month: int = 1, **kw) -> dict:
    base = {"id": new_id(), "at": f"2026-{month:02d}-{day:02d}T21:00:00+01:00",
            "sender": "client:stahl", "client": "stahl", "extra_effort": False,
            "outcome": "received", "within_hours": False, "minutes": 0}
    return {**base, **kw}


@pytest.fixture
def laptop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOUNDARIES_DEVICE", "laptop")


def test_a_batch_reads_back_in_order_from_private_month_files(tmp_path, laptop):
    folder = tmp_path / "journal"
    jan = [entry(d, note=f"jan-{d}") for d in (3, 1, 2)]
    feb = [entry(5, 2, note="feb-5")]
    paths = append_many(folder, {"2026-01": jan, "2026-02": feb})
    assert paths == {"2026-01": folder / "2026-01.laptop.jsonl",
                     "2026-02": folder / "2026-02.laptop.jsonl"}
    assert folder.stat().st_mode & 0o777 == 0o700
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in paths.values())
    assert paths["2026-01"].read_bytes().count(b"\n") == 3
    entries, warnings = read(folder)
    assert warnings == []
    assert [e.data["note"] for e in entries] == ["jan-1", "jan-2", "jan-3", "feb-5"]


def test_a_batch_costs_one_write_and_one_fsync_per_month(tmp_path, laptop, monkeypatch):
    calls: list[str] = []
    real_write, real_fsync = os.write, os.fsync
    monkeypatch.setattr(store.os, "write", lambda fd, b: calls.append("write") or
                        real_write(fd, b))
    monkeypatch.setattr(store.os, "fsync", lambda fd: calls.append("fsync") or real_fsync(fd))
    append_many(tmp_path, {"2026-01": [entry(d) for d in range(1, 29)],
                           "2026-02": [entry(d, 2) for d in range(1, 29)]})
    assert calls == ["write", "fsync", "write", "fsync"]
    assert len(read(tmp_path)[0]) == 56


def test_an_entry_that_does_not_fit_the_schema_means_nothing_is_written(tmp_path, laptop):
    bad = {**entry(2), "minutes": "ten"}
    with pytest.raises(ValueError):
        append_many(tmp_path / "journal", {"2026-01": [entry(1)], "2026-02": [bad]})
    assert not (tmp_path / "journal").exists()


def test_a_symlinked_month_file_is_refused_and_nothing_written_through_it(tmp_path, laptop):
    folder = tmp_path / "journal"
    folder.mkdir()
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("")
    (folder / "2026-01.laptop.jsonl").symlink_to(target)
    with pytest.raises(OSError) as caught:
        append_many(folder, {"2026-01": [entry(1), entry(2)]})
    assert caught.value.errno == errno.ELOOP
    assert target.read_text() == ""


def test_a_readable_month_file_becomes_private(tmp_path, laptop):
    path = tmp_path / "2026-01.laptop.jsonl"
    path.write_text("")
    path.chmod(0o644)
    append_many(tmp_path, {"2026-01": [entry(1)]})
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_torn_last_line_does_not_swallow_the_batch(tmp_path, laptop):
    path = tmp_path / "2026-01.laptop.jsonl"
    path.write_text(json.dumps(entry(1)) + "\n" + '{"id": "01ABC", "at": "20')
    append_many(tmp_path, {"2026-01": [entry(2), entry(3)]})
    entries, warnings = read(tmp_path)
    assert len(entries) == 3
    assert [w.message for w in warnings] == ["corrupt entry skipped"]


def test_append_is_a_batch_of_one(tmp_path, laptop):
    one = entry(1)
    path = append(tmp_path, one, "2026-01")
    assert path.read_text(encoding="utf-8") == json.dumps(
        one, ensure_ascii=False, separators=(",", ":")) + "\n"


def test_empty_months_write_no_file(tmp_path, laptop):
    assert append_many(tmp_path / "journal", {"2026-01": []}) == {}
    assert not (tmp_path / "journal").exists()


def _batch_writer(args) -> None:
    folder, worker, batches, per = args
    os.environ["BOUNDARIES_DEVICE"] = "laptop"
    for b in range(batches):
        append_many(Path(folder), {"2026-01": [entry(8, note=f"{worker}-{b}-{i}")
                                               for i in range(per)]})


def test_concurrent_batches_keep_every_entry_exactly_once(tmp_path):
    folder = tmp_path / "journal"
    workers, batches, per = 4, 40, 25
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(workers) as pool:
        pool.map(_batch_writer, [(str(folder), w, batches, per) for w in range(workers)])
    lines = b"".join(p.read_bytes() for p in folder.iterdir()).splitlines()
    notes = [json.loads(line)["note"] for line in lines]  # every line is whole, valid JSON
    assert sorted(notes) == sorted(f"{w}-{b}-{i}" for w in range(workers)
                                   for b in range(batches) for i in range(per))


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.tuples(st.integers(1, 12), st.text(max_size=20)), max_size=8),
                max_size=5))
def test_batches_read_back_as_the_same_entries_appended_one_by_one(tmp_path_factory, batches):
    one, many = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("many")
    with mock.patch.dict(os.environ, BOUNDARIES_DEVICE="laptop"):  # restored as it was
        for batch in batches:
            by_month: dict[str, list[dict]] = {}
            for month, note in batch:
                e = entry(1, month, note=note)
                append(one, e, f"2026-{month:02d}")
                by_month.setdefault(f"2026-{month:02d}", []).append(e)
            append_many(many, by_month)
    assert sorted(p.name for p in one.iterdir()) == sorted(p.name for p in many.iterdir())
    assert [e.data for e in read(one)[0]] == [e.data for e in read(many)[0]]

"""`boundaries log --import FILE.csv` and `boundaries replay FILE.csv` with a FRITZ!Box call
list export (sources.md §8, issue #15 part 7): both header variants, both encodings, each
call decided as `check` would have at its time, importing twice records nothing new."""

from __future__ import annotations

import argparse
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from boundaries.cli.errors import report
from boundaries.cli.journal import run_log
from boundaries.core.errors import BoundariesError
from boundaries.journal.store import read
from boundaries.replay.fritz_export import (
    BadLine,
    CallRow,
    ExportError,
    ExportReader,
    SourceIds,
    is_export_head,
    open_export,
    parse_date,
    parse_duration,
)

from .cli_helpers import run
from .test_engine import CLIENTS, DE, DISCREET, EN, MAINT, ME_AWAY, NIGHT, PREMIUM, UNKNOWN

DATA = Path(__file__).parent / "data" / "calls"
A = DATA / "fritz-export-7490-utf8.csv"  # no Landes-/Ortsnetzbereich, UTF-8, LF
B = DATA / "fritz-export-7590-latin1.csv"  # with Landes-/Ortsnetzbereich, ISO-8859-1, CRLF
ENGLISH = DATA / "fritz-export-english-bom.csv"  # English firmware, a UTF-8 BOM
PROBLEMS = DATA / "fritz-export-problems.csv"
NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
TIERS = {"tiers/maint.toml": MAINT, "tiers/premium.toml": PREMIUM, "tiers/unknown.toml": UNKNOWN,
         "tiers/discreet.toml": DISCREET, "tiers/night.toml": NIGHT, "clients.toml": CLIENTS,
         "replies/de.toml": DE, "replies/en.toml": EN}
HEADER = "sep=;\nTyp;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\n"


@pytest.fixture
def pset(write_set) -> Path:
    return write_set(TIERS, me=ME_AWAY)


@pytest.fixture
def journal(tmp_path) -> Path:
    return tmp_path / "journal"


def log_import(capsys, path: Path | str, policies: Path, journal: Path,
               **given: object) -> tuple[int, str, str]:
    """`boundaries log --import PATH` as `cli/main.py` runs it (a BoundariesError is exit 2
    and a `boundaries: error:` line), with `log`'s other options at their defaults."""
    args = argparse.Namespace(import_file=str(path), policies=str(policies),
                              journal=str(journal), sender=None, at=None, channel="call",
                              kind="question", urgency="normal", outcome=None, minutes=0,
                              note="")
    for key, value in given.items():
        setattr(args, key, value)
    try:
        code = run_log(args, NOW)
    except BoundariesError as exc:
        code = report(exc)
    out, err = capsys.readouterr()
    return code, out, err


def entries(journal: Path) -> list[dict]:
    """The journal's entries, every known field present (the reader drops nulls)."""
    found, warnings = read(journal)
    assert not warnings
    return [{"client": None, "reply_key": None, **e.data} for e in found]


def by_time(journal: Path) -> dict[str, dict]:
    return {e["at"][:16]: e for e in entries(journal)}


def export(tmp_path: Path, lines: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + lines, encoding="utf-8")
    return path


# -- reading the export ----------------------------------------------------------------------
def read_all(path: Path) -> list[CallRow | BadLine]:
    reader = open_export(str(path))
    try:
        return list(reader)
    finally:
        reader.close()


def test_both_header_variants_give_the_same_calls():
    a = {(r.wall, r.number): r for r in read_all(A)}
    b = {(r.wall, r.number): r for r in read_all(B)}
    stahl_a = a[(datetime(2026, 1, 13, 10, 5), "06645550101")]
    stahl_b = b[(datetime(2026, 1, 13, 10, 5), "06645550101")]
    assert (stahl_a.kind, stahl_a.minutes, stahl_a.own) == ("answered", 12, "7329876543")
    assert (stahl_b.kind, stahl_b.minutes, stahl_b.own) == ("answered", 12, "7329876543")
    assert stahl_a.identity == stahl_b.identity  # the same call in both exports
    assert len(stahl_b.cells) == 8 and stahl_b.cells[4] == "Mobilfunk"
    kinds = [r.kind for r in read_all(A)]
    assert kinds == ["outgoing", "missed", "answered", "missed", "outgoing", "rejected",
                     "voicemail"]  # the answering machine took the last one


def test_iso_8859_1_utf8_and_a_bom_read_their_names():
    assert read_all(B)[0].cells[2] == "Bäckerei Mayr"  # ISO-8859-1 bytes
    assert read_all(A)[0].cells[4] == "Büro"  # UTF-8
    english = read_all(ENGLISH)  # BOM, `Telephone number` for both numbers
    assert [(r.kind, r.number, r.own, r.minutes) for r in english] == [
        ("missed", "+81312345678", "7329876543", 0),
        ("answered", "+436645550101", "7329876543", 65)]


def test_a_withheld_number_is_empty_and_the_own_number_is_never_the_caller():
    withheld = read_all(A)[3]
    assert (withheld.kind, withheld.number, withheld.own) == ("missed", "", "7329876543")


def test_source_ids_are_stable_and_tell_twins_apart():
    once = SourceIds()
    ids_b = [once.of(r) for r in read_all(B)]
    again = SourceIds()
    assert [again.of(r) for r in read_all(B)] == ids_b  # read again: the same ids
    assert ids_b[1] != ids_b[2]  # two missed calls alike in every column
    one = SourceIds()
    ids_a = {r.wall: one.of(r) for r in read_all(A)}
    assert ids_a[datetime(2026, 1, 13, 10, 5)] == ids_b[3]  # across header variants
    assert all(i.startswith("fritzbox-export:2026-01-") for i in ids_b)


@pytest.mark.parametrize("text", [
    "from,at\nacme,2026-01-08T18:20\n", "Typ;Datum\n1;08.01.26 10:00\n", "", "sep=;\n",
    "\x00\x01binary\xff\n"])
def test_a_file_that_is_no_export_is_refused_with_a_hint(text):
    with pytest.raises(ExportError) as caught:
        ExportReader(io.BytesIO(text.encode("latin-1")), "x.csv")
    assert "x.csv" in str(caught.value) and "sep=;" in caught.value.hint


def test_the_head_tells_an_export_from_other_csv():
    assert is_export_head(b"sep=;\n")
    assert is_export_head(b"\xef\xbb\xbfsep=;\r\n")
    assert is_export_head(b"Typ;Datum;Name;Rufnummer;Nebenstelle;Eigene Rufnummer;Dauer\n")
    assert not is_export_head(b"from,at,channel\n")
    assert not is_export_head(b"from;at;Typ\n")


def test_an_overlong_line_is_one_bad_line_and_reading_goes_on():
    raw = (HEADER + "1;" + "9" * 200_000 + "\n2;13.01.26 18:20;;0664123;;1;0:00\n").encode()
    rows = list(ExportReader(io.BytesIO(raw), "x.csv"))
    assert isinstance(rows[0], BadLine) and rows[0].line == 3 and "65,536" in rows[0].message
    assert isinstance(rows[1], CallRow) and rows[1].line == 4


_ROW = st.lists(st.binary(max_size=12).filter(lambda b: b"\n" not in b and b";" not in b),
                min_size=7, max_size=7).map(b";".join)
_REAL_ROW = st.sampled_from([b"2;13.01.26 18:20;ACME;06641234567;;7329876543;0:00",
                             b"1;14.01.26 09:10;;0732123456;B\xfcro;7329876543;1:07"])


@given(st.lists(st.binary(max_size=80).filter(lambda b: b"\n" not in b) | _ROW | _REAL_ROW,
                max_size=20))
@example([b"1;14.01.26 09:10;;0732123456;;7329876543;0:07"])
@settings(max_examples=200, deadline=None)
def test_any_bytes_are_calls_or_bad_lines_never_a_crash(lines):
    raw = HEADER.encode() + b"\n".join(lines)
    for item in ExportReader(io.BytesIO(raw), "x.csv"):
        assert isinstance(item, CallRow | BadLine)
        if isinstance(item, CallRow):
            assert item.minutes >= 0 and len(item.cells) == 7


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)),
       st.integers(0, 9999 * 60 + 59))
def test_dates_and_durations_read_back(when, minutes):
    when = when.replace(second=0, microsecond=0)
    assert parse_date(when.strftime("%d.%m.%y %H:%M")) == when
    assert parse_duration(f"{minutes // 60}:{minutes % 60:02d}") == minutes


# -- log --import ----------------------------------------------------------------------------
def test_import_records_each_call_with_its_outcome(capsys, pset, journal):
    code, out, err = log_import(capsys, A, pset, journal)
    assert code == 0, err
    assert out.strip() == (
        f"{A}: 5 imported (1 answered, 3 missed, 1 called-back), 0 already in the journal, "
        "2 skipped (1 outgoing to a number that had not called, 1 rejected by the box) → "
        f"{journal}")
    got = by_time(journal)
    stahl = got["2026-01-13T10:05"]  # taken: answered, with its minutes
    assert (stahl["client"], stahl["outcome"], stahl["minutes"], stahl["decision"]) == (
        "stahl", "answered", 12, "answer")
    acme = got["2026-01-13T18:20"]  # missed, after hours: later
    assert (acme["client"], acme["outcome"], acme["minutes"], acme["decision"]) == (
        "acme", "missed", 0, "later")
    back = got["2026-01-14T09:10"]  # my call to acme's landline after acme's missed call
    assert (back["client"], back["outcome"], back["minutes"]) == ("acme", "called-back", 7)
    machine = got["2026-01-12T08:15"]  # the answering machine took it: nobody talked
    assert (machine["outcome"], machine["minutes"], machine["sender"]) == (
        "missed", 0, "number:+436761234567")  # the national number read with me.region
    assert "2026-01-12T11:00" not in got and "2026-01-12T08:30" not in got
    for e in got.values():
        assert e["source"] == "fritzbox-export"
        assert e["source_id"].startswith("fritzbox-export:" + e["at"][:16])
        assert e["channel"] == "call" and e["recorded_at"] == "2026-02-01T12:00:00+00:00"


def test_a_withheld_number_is_decided_by_the_unknown_tier(capsys, pset, journal):
    log_import(capsys, A, pset, journal)
    withheld = by_time(journal)["2026-01-12T19:45"]
    assert (withheld["from"], withheld["client"], withheld["tier"]) == ("", None, "unknown")
    assert (withheld["outcome"], withheld["decision"]) == ("missed", "decline")  # no calls


def test_the_own_number_is_never_the_caller(capsys, tmp_path, pset, journal):
    # Eigene Rufnummer is stahl's mobile: the call is still a withheld one
    path = export(tmp_path, "2;13.01.26 18:20;;;;+43 664 5550101;0:00\n")
    log_import(capsys, path, pset, journal)
    [e] = entries(journal)
    assert (e["client"], e["sender"]) == (None, "raw:")


def test_importing_twice_records_nothing_new(capsys, pset, journal):
    log_import(capsys, A, pset, journal)
    first = entries(journal)
    code, out, _ = log_import(capsys, A, pset, journal)
    assert code == 0
    assert ": 0 imported, 5 already in the journal, 2 skipped (" in out
    assert entries(journal) == first


def test_overlapping_exports_record_each_call_once(capsys, pset, journal):
    log_import(capsys, A, pset, journal)
    code, out, _ = log_import(capsys, B, pset, journal)  # the other header, ISO-8859-1
    assert code == 0
    assert ": 3 imported (1 answered, 2 missed), 1 already in the journal, 0 skipped" in out
    twins = [e for e in entries(journal) if e["at"].startswith("2026-01-15T07:40")]
    assert len(twins) == 2 and twins[0]["source_id"] != twins[1]["source_id"]
    assert ": 0 imported, 4 already in the journal" in log_import(capsys, B, pset, journal)[1]
    assert len(entries(journal)) == 8


def test_each_call_is_decided_as_check_would_have(capsys, pset, journal, tmp_path):
    log_import(capsys, A, pset, journal)
    for at, number in (("2026-01-13T10:05", "06645550101"), ("2026-01-13T18:20",
                                                               "0664 1234567")):
        code, out, _ = run(capsys, "check", "--policies", str(pset), "--from", number,
                           "--at", at, "--json", "--journal", str(tmp_path / "empty"))
        assert code == 0
        checked = json.loads(out)
        e = by_time(journal)[at]
        assert (e["decision"], e["tier"], e["client"], e["reason"]) == (
            checked["decision"], checked["tier"], checked["client"],
            checked["reasons"][0]["source"])


def test_the_journal_as_it_stood_at_each_call_decides_it(capsys, write_set, tmp_path,
                                                         journal):
    rule = MAINT + ('\n[[rules]]\nwhen = { repeat = 3 }\ndecide = "decline"\n'
                    'note = "three calls in 15 minutes"\n')
    pset = write_set({**TIERS, "tiers/maint.toml": rule}, me=ME_AWAY)
    path = export(tmp_path, "2;13.01.26 10:14;;0732123456;;1;0:00\n"
                            "2;13.01.26 10:10;;0732123456;;1;0:00\n"
                            "2;13.01.26 10:04;;0732123456;;1;0:00\n"
                            "2;13.01.26 09:56;;0732123456;;1;0:00\n")
    log_import(capsys, path, pset, journal)
    got = by_time(journal)
    # the third call in 15 minutes (09:56, 10:04, 10:10) and the next (10:04, 10:10, 10:14)
    assert [got[f"2026-01-13T{t}"]["decision"] for t in ("09:56", "10:04", "10:10",
                                                        "10:14")] == [
        "answer", "answer", "decline", "decline"]


def test_a_call_recorded_by_hand_is_not_recorded_again(capsys, pset, journal):
    code, _, err = run(capsys, "log", "--policies", str(pset), "--journal", str(journal),
                       "--from", "+43 664 5550101", "--at", "2026-01-13T10:05",
                       "--outcome", "answered", "--minutes", "15")
    assert code == 0, err
    _, out, _ = log_import(capsys, A, pset, journal)
    assert ": 4 imported (3 missed, 1 called-back), 1 already in the journal" in out
    stahl = [e for e in entries(journal) if e.get("client") == "stahl"]
    assert [e["minutes"] for e in stahl] == [15]  # mine is kept as I wrote it


def test_an_outgoing_call_calls_back_only_what_it_owes(capsys, tmp_path, pset, journal):
    path = export(tmp_path, "4;14.01.26 11:00;;0732123456;;1;0:02\n"   # owes nothing now
                            "4;14.01.26 10:00;;0732123456;;1;0:05\n"   # calls back
                            "4;14.01.26 09:50;;0732123456;;1;0:00\n"   # nobody answered
                            "2;14.01.26 09:00;;06641234567;;1;0:00\n")  # acme's mobile
    _, out, _ = log_import(capsys, path, pset, journal)
    assert ": 2 imported (1 missed, 1 called-back), 0 already in the journal, 2 skipped " \
           "(1 outgoing to a number that had not called, 1 outgoing, not answered)" in out
    assert by_time(journal)["2026-01-14T10:00"]["outcome"] == "called-back"


def test_national_numbers_are_read_with_my_region(capsys, write_set, tmp_path, journal):
    me = ME_AWAY.replace('holidays = "AT-4"', 'holidays = "DE-BE"\nregion = "DE"')
    clients = ('[clients.berlin]\nname = "Berlin GmbH"\ntier = "maint"\n'
               'phones = ["+49 30 1234567"]\n')
    pset = write_set({**TIERS, "clients.toml": clients}, me=me)
    path = export(tmp_path, "1;13.01.26 10:05;;0301234567;;1;0:03\n")
    log_import(capsys, path, pset, journal)
    [e] = entries(journal)
    assert (e["client"], e["sender"]) == ("berlin", "client:berlin")


def test_bad_lines_are_warned_at_their_line_and_counted(capsys, pset, journal):
    code, out, err = log_import(capsys, PROBLEMS, pset, journal)
    assert code == 0
    assert out.strip() == (f"{PROBLEMS}: 1 imported (1 answered), 0 already in the journal, "
                           f"1 skipped (1 internal), 5 bad lines → {journal}")
    warned = [line.split(": warning: ")[0] for line in err.splitlines()]
    assert warned == [f"{PROBLEMS}:{n}" for n in (4, 5, 6, 7, 9)]
    assert "unknown Typ `7`" in err and "Datum `32.01.26 09:00`" in err
    assert "Dauer `5 min` is not H:MM" in err and "6 fields, the header has 7" in err


@pytest.mark.parametrize("make, words", [
    (lambda tmp: Path(__file__).parent / "data" / "replay" / "calls.csv",
     "not a FRITZ!Box call list export"),
    (lambda tmp: tmp / "missing.csv", "no such file"),
    (lambda tmp: tmp, "is a folder"),
])
def test_a_file_that_is_no_export_is_exit_2_with_a_hint(capsys, tmp_path, pset, journal,
                                                        make, words):
    code, out, err = log_import(capsys, make(tmp_path), pset, journal)
    assert code == 2 and not out
    assert words in err and "hint: export the call list in the FRITZ!Box" in err
    assert not journal.exists()


def test_a_journal_that_cannot_be_written_is_exit_2(capsys, tmp_path, pset):
    blocked = tmp_path / "journal"
    blocked.write_text("a file, not a folder", encoding="utf-8")
    code, out, err = log_import(capsys, A, pset, blocked)
    assert code == 2 and not out
    assert "boundaries: error: could not write the journal" in err and "--journal DIR" in err


def test_the_use_case_reports_progress_and_its_counts(pset, journal):
    from boundaries.service import import_call_list, load_set

    ps = load_set(pset).policies
    heard: list[tuple[int, int]] = []
    result = import_call_list(ps, str(A), journal, NOW, lambda *p: heard.append(p))
    assert heard == [(n, 7) for n in range(1, 8)]
    assert (result.recorded, result.already, result.bad, result.warnings) == (
        {"missed": 3, "answered": 1, "called-back": 1}, 0, [], [])
    assert result.files == sorted({journal / p.name for p in journal.glob("2026-01.*.jsonl")})


def test_import_takes_no_request_options(capsys, pset, journal):
    code, _, err = log_import(capsys, A, pset, journal, sender="acme", outcome="answered")
    assert code == 2 and "leave out --from, --outcome" in err
    assert not journal.exists()


def test_log_without_import_still_needs_from_and_outcome(capsys, pset, journal):
    code, _, err = log_import(capsys, A, pset, journal, import_file=None)
    assert code == 2 and "log needs --from and --outcome, or --import FILE.csv" in err


# -- replay FILE.csv with an export ----------------------------------------------------------
def test_replay_decides_every_call_that_rang_in_time_order(capsys, pset):
    code, out, err = run(capsys, "replay", str(A), "--policies", str(pset), "--format",
                         "json", "--no-history")
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    numbered = [r for r in rows if r["from"]]
    assert [(r["at"], r["from"], r["channel"], r["decision"], r["client"]) for r in numbered] \
        == [("2026-01-12T08:15", "06761234567", "call", "decline", None),
            ("2026-01-13T10:05", "06645550101", "call", "answer", "stahl"),
            ("2026-01-13T18:20", "06641234567", "call", "later", "acme")]
    assert numbered[1]["Name"] == "Stahlwerk Enns" and numbered[1]["Dauer"] == "0:12"
    assert "earlier than the row before it" not in err  # oldest first, whatever the file


def test_replay_reads_the_other_header_and_iso_8859_1(capsys, pset):
    code, out, _ = run(capsys, "replay", str(B), "--policies", str(pset), "--format", "csv")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith("Typ,Datum,Name,Rufnummer,Landes-/Ortsnetzbereich,Nebenstelle,"
                               "Eigene Rufnummer,Dauer,from,at,channel,decision,")
    assert lines[1].startswith("1,13.01.26 10:05,Stahlwerk Enns,")  # oldest first
    assert lines[2].startswith("2,15.01.26 07:40,Praxis Dr. Berger,")
    assert lines[-1].startswith("1,15.01.26 14:02,Bäckerei Mayr,")
    assert len(lines) == 5


def test_replay_tells_bad_lines_of_an_export(capsys, pset):
    code, _, err = run(capsys, "replay", str(PROBLEMS), "--policies", str(pset))
    assert code == 0
    assert f"{PROBLEMS}:4: error: unknown Typ `7`" in err
    assert f"{PROBLEMS}:7: error: 6 fields, the header has 7" in err
    assert "**610" not in err  # an internal call: skipped, no error


def test_replay_reads_an_export_from_stdin(capsys, monkeypatch, pset):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(B.read_bytes())))
    code, out, _ = run(capsys, "replay", "-", "--policies", str(pset), "--format", "csv")
    assert code == 0 and len(out.splitlines()) == 5 and "Bäckerei Mayr" in out


class _Pipe(io.BytesIO):
    """Standard input from a pipe: it cannot seek back."""

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        raise OSError("illegal seek")


@pytest.mark.parametrize("data, rows", [
    (A.read_bytes(), 3), (b"from,at,channel\nstahl,2026-01-13T10:05,call\n", 1)])
def test_replay_reads_an_export_or_our_csv_from_a_pipe(capsys, monkeypatch, pset, data, rows):
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(_Pipe(data)))
    code, out, _ = run(capsys, "replay", "-", "--policies", str(pset), "--format", "json")
    assert code == 0
    decided = [json.loads(line) for line in out.splitlines()]
    assert len([r for r in decided if r["from"]]) == rows
    assert any(r["client"] == "stahl" and r["decision"] == "answer" for r in decided)


def test_replay_of_our_own_csv_is_as_before(capsys, pset, tmp_path):
    path = tmp_path / "calls.csv"
    path.write_text("from,at,channel\nstahl,2026-01-13T10:05,call\n", encoding="utf-8")
    code, out, _ = run(capsys, "replay", str(path), "--policies", str(pset), "--format", "csv")
    assert code == 0 and out.splitlines()[1].startswith("stahl,2026-01-13T10:05,call,answer,")


def test_replay_decides_a_withheld_call_with_the_unknown_tier(capsys, pset):
    code, out, err = run(capsys, "replay", str(A), "--policies", str(pset), "--format", "json")
    assert code == 0 and "empty sender" not in err
    withheld = [json.loads(line) for line in out.splitlines() if '"from": ""' in line]
    assert [(r["tier"], r["decision"]) for r in withheld] == [("unknown", "decline")]


def test_log_import_from_the_command_line_twice(capsys, pset, journal):
    args = ("log", "--import", str(A), "--policies", str(pset), "--journal", str(journal))
    code, out, err = run(capsys, *args)
    first = entries(journal)
    assert code == 0 and first and "imported" in out, out + err
    code, out, err = run(capsys, *args)
    assert code == 0 and entries(journal) == first  # nothing new the second time
    assert "0 imported" in out, out
    code, _, err = run(capsys, "log", "--policies", str(pset), "--journal", str(journal))
    assert code == 2 and "--from" in err  # a log without --import still needs a request

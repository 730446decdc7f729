"""`boundaries replay --maildir DIR` and `--mbox FILE` (issue 16 part 7) as a user runs them:
last year's mail replayed as `mail` would have decided it, an edit's changes with
`--against`, a broken message skipped with a warning, and the user's Maildir and mbox left
exactly as they were. The mail is the fixtures of tests/data/mail/ (as real mailers write
them), copied into temporary folders; the example set is only read."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boundaries.policy.load import load
from boundaries.service.mail_replay import MailInput

from .cli_helpers import run
from .conftest import EXAMPLE

MAIL = Path(__file__).resolve().parent / "data" / "mail"
FIXTURES = sorted(MAIL.glob("*.eml"))
NO_TIME = {"no-date.eml"}  # `mail FILE` decides it at the moment it runs: no fixed answer
UNREADABLE = {"no-from.eml"}  # no From: no one to answer
DELIVERED = 1_764_590_400  # 2025-12-01T12:00:00Z: when the Maildir says no-date.eml came
FROM_LINE = b"From MAILER-DAEMON Tue Dec  1 12:00:00 2026\n"


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file and folder under `folder` (or the file itself): hash, mtime, mode."""
    paths = [folder] if folder.is_file() else [
        Path(d) / n for d, dirs, files in os.walk(folder) for n in dirs + files]
    out = {}
    for p in paths:
        st_ = p.stat()
        digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
        out[str(p)] = (digest, st_.st_mtime_ns, st_.st_mode)
    return out


def make_maildir(folder: Path, files: list[Path]) -> Path:
    """The fixtures as mbsync leaves them: every other one read (`cur/NAME:2,S`), the rest
    new; each file's name is its fixture's, so a row says which it was."""
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for i, src in enumerate(files):
        dest = folder / ("cur" if i % 2 else "new") / (src.stem + (":2,S" if i % 2 else ""))
        shutil.copyfile(src, dest)
        os.utime(dest, (DELIVERED + i, DELIVERED + i))
    return folder


def mbox_bytes(messages: list[bytes]) -> bytes:
    """Messages as an mbox (mboxrd, as mutt and Thunderbird write it): each after a `From `
    line, its lines with LF ends, a body line starting `From ` (or `>From `) escaped with
    one more `>`, an empty line after each."""
    out = bytearray()
    for blob in messages:
        lines = blob.replace(b"\r\n", b"\n").rstrip(b"\n").split(b"\n")
        out += FROM_LINE
        out += b"\n".join(b">" + line if re.match(rb">*From ", line) else line
                          for line in lines) + b"\n\n"
    return bytes(out)


def rows_of(out: str) -> dict[str, dict]:
    """`--format json` rows by the fixture each came from."""
    found = {}
    for line in out.splitlines():
        row = json.loads(line)
        found[Path(row["message"].partition(":")[0]).name] = row
    return found


def replay(capsys, *args: str, policies: Path = EXAMPLE) -> tuple[int, str, str]:
    return run(capsys, "replay", *args, "--policies", str(policies))


@pytest.fixture
def inbox(tmp_path) -> Path:
    return make_maildir(tmp_path / "INBOX", FIXTURES)


# -- decided as `mail` decides -----------------------------------------------------------
def test_each_message_is_decided_as_mail_decides_it(capsys, inbox):
    before = snapshot(inbox)
    code, out, err = replay(capsys, "--maildir", str(inbox), "--format", "json")
    assert code == 0, err
    rows = rows_of(out)
    assert set(rows) == {f.stem for f in FIXTURES} - {Path(u).stem for u in UNREADABLE}
    for fixture in FIXTURES:
        if fixture.name in NO_TIME | UNREADABLE:
            continue
        code, out, err = run(capsys, "mail", str(fixture), "--json", "--policies",
                             str(EXAMPLE))
        assert code == 0, err
        mail = json.loads(out)
        row = rows[fixture.stem]
        assert (row["decision"], row["client"], row["tier"], row["within_hours"],
                row["in_writing"]) == (mail["decision"], mail["client"], mail["tier"],
                                       mail["within_hours"], mail["in_writing"]), fixture.name
        suppressed = mail["mail"]["suppressed"]
        assert row["no_reply"] == (suppressed["rule"] if suppressed else ""), fixture.name
        # a reply goes (via names where) exactly when `mail` makes a message of one
        sends = mail["mail"]["message"] is not None or mail["mail"]["confirm_message"] is not None
        assert (row["via"] is not None) == sends, fixture.name
        assert row["channel"] == "email"
    assert snapshot(inbox) == before


def test_the_row_holds_the_request_mail_makes(capsys, inbox):
    code, out, err = replay(capsys, "--maildir", str(inbox), "--format", "json")
    assert code == 0, err
    rows = rows_of(out)
    acme = rows["outlook-aw-de"]  # `AW: Rechnung November 2026`: billing by [mail.kinds]
    assert (acme["from"], acme["at"], acme["channel"], acme["kind"], acme["client"]) == (
        "office@acme.example", "2026-12-02T06:58:11+00:00", "email", "billing", "acme")
    assert acme["in_writing"] is True  # acme confirms billing in writing
    assert rows["mailman-list"]["no_reply"] != ""  # a list: no reply, its decision kept
    assert rows["mailman-list"]["via"] is None
    # no Date: when the Maildir says it was delivered (the file's modification time)
    i = FIXTURES.index(MAIL / "no-date.eml")
    assert rows["no-date"]["at"] == f"2025-12-01T12:00:{i:02d}+00:00"
    # in time order, whatever order the files lie in
    ats = [json.loads(line)["at"] for line in out.splitlines()]
    from datetime import datetime

    assert [datetime.fromisoformat(a) for a in ats] == sorted(
        datetime.fromisoformat(a) for a in ats)


def test_an_mbox_replays_as_the_maildir_of_the_same_mail(capsys, inbox, tmp_path):
    # a body line starting `From ` (escaped `>From `) is no new message
    letter = (b"From: Anna Leitner <office@acme.example>\r\nTo: martin@huber-it.example\r\n"
              b"Subject: Frage\r\nDate: Tue, 1 Dec 2026 10:00:00 +0100\r\n"
              b"Message-ID: <from-line@acme.example>\r\n\r\nHallo,\r\n"
              b"From here on the server is down.\r\n>From the logs: nothing.\r\n")
    mbox = tmp_path / "Inbox.mbox"
    mbox.write_bytes(mbox_bytes([f.read_bytes() for f in FIXTURES] + [letter]))
    assert b"\n>From here on" in mbox.read_bytes() and b"\n>>From the logs" in mbox.read_bytes()
    before = snapshot(mbox)
    code, out, err = replay(capsys, "--mbox", str(mbox), "--format", "json")
    assert code == 0, err
    assert f"{mbox}#{FIXTURES.index(MAIL / 'no-from.eml') + 1}: warning: " in err
    by_number = {int(r["message"].rpartition("#")[2]): r
                 for r in map(json.loads, out.splitlines())}
    assert len(by_number) == len(FIXTURES)  # every fixture but no-from, and the letter
    assert by_number[len(FIXTURES) + 1]["from"] == "office@acme.example"
    _, md, _ = replay(capsys, "--maildir", str(inbox), "--format", "json")
    in_maildir = rows_of(md)
    for n, row in by_number.items():
        if n > len(FIXTURES):
            continue
        fixture = FIXTURES[n - 1]
        if fixture.name in NO_TIME:  # delivered: the `From ` line's date, in UTC
            assert row["at"] == "2026-12-01T12:00:00+00:00"
            continue
        other = in_maildir[fixture.stem]
        for column in ("from", "at", "kind", "no_reply", "decision", "client", "tier", "via"):
            assert row[column] == other[column], (fixture.name, column)
    assert snapshot(mbox) == before


# -- what an edit would change -----------------------------------------------------------
def test_against_shows_the_mail_a_changed_tier_answers_differently(capsys, inbox, tmp_path):
    edited = tmp_path / "policies-new"
    shutil.copytree(EXAMPLE, edited)
    tier = edited / "tiers" / "maintenance.toml"
    text = tier.read_text(encoding="utf-8")
    assert 'mon-fri = ["08:00-12:00", "13:00-17:00"]' in text
    tier.write_text(text.replace('"13:00-17:00"]', '"13:00-20:00"]'), encoding="utf-8")

    code, out, err = replay(capsys, "--maildir", str(inbox), "--against", str(edited))
    assert code == 0, err
    assert re.search(r"later → answer\s+·\s+1 request\n", out)
    assert "thunderbird-de" in out  # the bakery's mail at 19:42 on a Tuesday
    code, out, err = replay(capsys, "--maildir", str(inbox), "--against", str(edited),
                            "--format", "json")
    changed = [json.loads(line) for line in out.splitlines()]
    assert [(Path(c["message"].partition(":")[0]).name, c["client"], c["old_decision"],
             c["new_decision"], c["line"]) for c in changed] == [
        ("thunderbird-de", "baeckerei", "later", "answer", None)]
    code, _, _ = replay(capsys, "--maildir", str(inbox), "--against", str(edited),
                        "--fail-on-change")
    assert code == 1


def test_against_a_set_with_other_mail_kinds_says_whose_kinds_count(capsys, inbox, tmp_path):
    edited = tmp_path / "policies-new"
    shutil.copytree(EXAMPLE, edited)
    me = edited / "me.toml"
    me.write_text(me.read_text(encoding="utf-8").replace(
        'billing = ["Rechnung", "Mahnung", "invoice"]', 'billing = ["Mahnung"]'),
        encoding="utf-8")
    code, _, err = replay(capsys, "--maildir", str(inbox), "--against", str(edited))
    assert code == 0
    assert "[mail.kinds] or addresses differ" in err


# -- the summary, and what cannot be read ------------------------------------------------
def test_the_summary_counts_no_reply_and_the_skipped(capsys, inbox):
    code, out, err = replay(capsys, "--maildir", str(inbox))
    assert code == 0, err
    decided = len(FIXTURES) - len(UNREADABLE)
    assert out.startswith(f"Replayed {inbox}: {decided} requests decided")
    line = next(x for x in out.splitlines() if x.startswith("  no reply"))
    assert re.search(r"\d+  messages no reply may go to \(.*precedence \d", line)
    assert re.search(r"messages skipped\s+1\b", out)
    assert re.fullmatch(rf"{re.escape(str(inbox))}/(new|cur)/no-from(:2,S)?: warning: no "
                        r"`From` header: no one to answer; skipped\n", err)


def test_a_broken_message_is_skipped_with_a_warning_and_the_others_decided(capsys, tmp_path):
    box = make_maildir(tmp_path / "INBOX", [MAIL / "gmail.eml", MAIL / "apple-mail.eml"])
    broken = box / "cur" / "1764590000.M1P1.host:2,S"
    broken.write_bytes(b"\x00\x01 not a message\r\n\r\nat all\r\n")
    too_long = box / "new" / "1764590001.M2P1.host"
    too_long.write_bytes(b"X-Junk: " + b"a" * (2 * 1024 * 1024) + b"\r\n")
    before = snapshot(box)
    code, out, err = replay(capsys, "--maildir", str(box), "--strict")
    assert code == 0, err  # a skipped message is no bad row: --strict is about rows
    assert f"{broken}: warning: " in err and f"{too_long}: warning: " in err
    assert out.startswith(f"Replayed {box}: 2 requests decided")
    assert re.search(r"messages skipped\s+2\b", out)
    assert snapshot(box) == before


def test_my_own_mail_and_what_thunderbird_deleted_are_no_requests(capsys, tmp_path):
    """A Thunderbird folder file: its `From - DATE` lines, X-Mozilla-Status on each message;
    a deleted (or moved) one stays in the file, flagged 0x0008, until the folder is
    compacted. And my own mail (a Takeout's Sent) is no request to me."""
    def message(sender: str, status: str, n: int) -> bytes:
        return (f"From - Tue Dec 01 1{n}:00:00 2026\r\nX-Mozilla-Status: {status}\r\n"
                f"X-Mozilla-Status2: 00000000\r\nFrom: {sender}\r\n"
                f"To: martin@huber-it.example\r\nSubject: Frage {n}\r\n"
                f"Date: Tue, 1 Dec 2026 1{n}:00:00 +0100\r\nMessage-ID: <m{n}@example>\r\n"
                f"\r\nHallo\r\n\r\n").encode()

    folder = tmp_path / "Inbox"  # Thunderbird's mbox files have no extension
    folder.write_bytes(message("office@acme.example", "0001", 0)
                       + message("Martin Huber <Martin@Huber-IT.example>", "0001", 1)
                       + message("office@acme.example", "0009", 2)  # read, then deleted
                       + message("it@stahlwerk.example", "0000", 3))
    code, out, err = replay(capsys, "--mbox", str(folder))
    assert code == 0, err
    assert err == ""
    assert out.startswith(f"Replayed {folder}: 2 requests decided")
    assert re.search(r"messages skipped\s+2  (from me 1, deleted 1|deleted 1, from me 1)\n",
                     out + "\n")


def test_many_unreadable_messages_are_named_fifty_times_then_counted(capsys, tmp_path):
    box = make_maildir(tmp_path / "INBOX", [MAIL / "gmail.eml"])
    for i in range(60):
        (box / "new" / f"17645900{i:02d}.M{i}P1.host").write_bytes(b"Subject: no sender\r\n")
    code, out, err = replay(capsys, "--maildir", str(box))
    assert code == 0
    lines = err.splitlines()
    assert len(lines) == 51 and all(": warning: " in x for x in lines[:50])
    assert lines[50] == "boundaries: … and 10 more messages skipped"
    assert re.search(r"messages skipped\s+60  unreadable 60  \(named on stderr\)", out)


@pytest.mark.parametrize("args, message", [
    (["--maildir", "A", "--mbox", "B"], "not both --maildir and --mbox"),
    (["x.csv", "--maildir", "A"], "not both a CSV file and --maildir"),
    (["--journal", "2026-01", "--mbox", "B"], "not both --journal and --mbox"),
    ([], "--maildir DIR or --mbox FILE"),
])
def test_one_thing_to_replay(capsys, args, message):
    code, _, err = replay(capsys, *args)
    assert code == 2
    assert message in err


def test_what_is_no_maildir_or_no_mbox_exits_2_with_a_hint(capsys, tmp_path):
    (tmp_path / "calls.csv").write_text("from,at\nacme,2026-01-08T18:20\n", encoding="utf-8")
    cases = [
        (["--maildir", str(tmp_path)], "not a Maildir (it has no new/ and no cur/)", "--mbox"),
        (["--maildir", str(tmp_path / "gone")], "no such folder", "new/"),
        (["--mbox", str(tmp_path / "calls.csv")], "not an mbox", "From SENDER DATE"),
        (["--mbox", str(tmp_path)], "is a folder, not an mbox file", "--maildir"),
        (["--mbox", str(tmp_path / "gone.mbox")], "cannot be read", "mbox file"),
    ]
    for args, message, hint in cases:
        code, out, err = replay(capsys, *args)
        assert code == 2, args
        assert message in err and hint in err and "Traceback" not in err, args
        assert out == ""


def test_help_says_each_input_is_instead_of_the_others(capsys):
    code, out, _ = run(capsys, "replay", "--help")
    assert code == 0
    text = " ".join(out.split())
    assert "or every message of a Maildir or an mbox file (one of the four)" in text
    assert "--maildir DIR replay every message of this Maildir (new/ and cur/) instead of a " \
           "file" in text
    assert "--mbox FILE replay every message of this mbox file" in text


# -- time order, as a property -----------------------------------------------------------
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.permutations(range(6)))
def test_rows_come_in_time_order_whatever_order_the_files_lie_in(order):
    """Delivery times (file order) shuffled against the Dates: the rows follow the Dates,
    and the same mail gives the same rows."""
    ps = load(EXAMPLE).policies
    with tempfile.TemporaryDirectory() as tmp:
        box = Path(tmp)
        for sub in ("tmp", "new", "cur"):
            (box / sub).mkdir()
        for day, position in enumerate(order):
            path = box / "cur" / f"{position}.M1P1.host:2,S"
            path.write_bytes(f"From: a{day}@client.example\r\nTo: martin@huber-it.example\r\n"
                             f"Subject: Frage\r\nDate: Mon, {day + 1:02d} Mar 2027 10:00:00 "
                             f"+0100\r\n\r\nHallo\r\n".encode())
            os.utime(path, (DELIVERED + position, DELIVERED + position))
        skipped: list[str] = []
        source = MailInput(maildir=str(box)).source(ps, lambda p, w: skipped.append(p))
        rows = list(source.rows)
    assert not skipped
    assert [r[2] for r in rows] == [f"a{day}@client.example" for day in range(6)]
    assert [r[3][:10] for r in rows] == [f"2027-03-{d + 1:02d}" for d in range(6)]


def test_reading_a_big_maildir_reports_its_progress(tmp_path):
    """What the progress bar is fed while a Maildir's headers are read: messages read, and
    done of the Maildir's total (an mbox: its total unknown, None)."""
    from boundaries.service.mail_replay import PROGRESS_EVERY

    ps = load(EXAMPLE).policies
    box = make_maildir(tmp_path / "INBOX", [])
    n = PROGRESS_EVERY + 44
    for i in range(n):
        (box / "cur" / f"{i}.M1P1.host:2,S").write_bytes(
            f"From: a{i}@client.example\r\nDate: Mon, 01 Mar 2027 10:00:00 +0100\r\n\r\n"
            .encode())
    reading = MailInput(maildir=str(box))
    assert reading.total == n
    seen: list[tuple[int, int | None]] = []
    source = reading.source(ps, lambda p, w: None, lambda rows, done: seen.append((rows, done)))
    assert seen == [(PROGRESS_EVERY, PROGRESS_EVERY), (n, n)]
    assert (source.size, source.position()) == (n, n)
    mbox = tmp_path / "all.mbox"
    mbox.write_bytes(mbox_bytes([(MAIL / "gmail.eml").read_bytes()]))
    seen.clear()
    MailInput(mbox=str(mbox)).source(ps, lambda p, w: None,
                                     lambda rows, done: seen.append((rows, done)))
    assert seen == [(1, None)]


def test_a_mail_with_reply_to_is_answered_there_as_mail_answers_it(capsys, tmp_path):
    # Hartley's accounts mail asks for replies to James Hartley: `mail` writes to him, and
    # replay's via says the same; a mail without Reply-To still goes to its From
    box = make_maildir(tmp_path / "INBOX", [MAIL / "gmail.eml", MAIL / "outlook-aw-de.eml"])
    code, out, err = replay(capsys, "--maildir", str(box), "--format", "json")
    assert code == 0, err
    rows = rows_of(out)
    assert rows["gmail"]["reply_to"] == "james.hartley@hartley.example"
    assert rows["gmail"]["via"] == "email:james.hartley@hartley.example"
    assert rows["outlook-aw-de"]["reply_to"] == ""
    assert rows["outlook-aw-de"]["via"] == "email:office@acme.example"
    code, out, err = run(capsys, "mail", str(MAIL / "gmail.eml"), "--json",
                         "--policies", str(EXAMPLE))
    assert code == 0, err
    mailed = json.loads(out)
    assert mailed["reply"]["via"] == {"channel": "email", "to": "james.hartley@hartley.example"}

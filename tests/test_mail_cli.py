"""`boundaries mail` as a user runs it (sources.md §9, issue 16): a message file decided and
its reply shown, a Maildir's mail drafted into a Drafts Maildir (read back with
`mailbox.Maildir`, and with mblaze where it is installed), sent through a stand-in sendmail,
and watched as a whole process. A temporary copy of the example set, the journal in a tmp
folder; the user's Maildir hashed before and after. Every wait is bounded; nothing sleeps for
timing."""

from __future__ import annotations

import contextlib
import email
import hashlib
import json
import mailbox
import os
import shutil
import signal
import subprocess
import sys
import time
from email import policy
from pathlib import Path

import pytest

from .cli_helpers import run, systemd_verify
from .conftest import EXAMPLE

TIMEOUT = 30  # seconds any one wait may take; a healthy run takes a fraction of one
ME = "martin@huber-it.example"


def mail(sender: str, subject: str, date: str, msgid: str | None, *, to: str = ME,
         extra: str = "", body: str = "Hallo,\nbitte um Rückruf.\n") -> bytes:
    """A message as a mail client writes it (CRLF line ends)."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", f"Date: {date}"]
    if msgid:
        lines.append(f"Message-ID: {msgid}")
    lines += [h for h in extra.splitlines() if h]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8",
              "Content-Transfer-Encoding: 8bit", "", body]
    return "\r\n".join(lines).encode("utf-8")


# Thursday 8 January 2026, 18:20 in Vienna: acme (maintenance, Mon–Fri 08–12, 13–17) is
# outside its hours; acme confirms everything in writing
ACME = mail("Anna Leitner <office@acme.example>", "Rechnung 2026-01 fehlt",
            "Thu, 08 Jan 2026 18:20:00 +0100", "<r1@acme.example>")
# 10:00 in Tokyo is 02:00 in Vienna: the partner's window (06:30–09:00 Vienna) is at 14:30
TANAKA = mail("Kenji Tanaka <k.tanaka@tanaka-systems.example>", "Question about the VPN",
              "Thu, 08 Jan 2026 10:00:00 +0900", "<t1@tanaka-systems.example>",
              body="Hello Martin,\nthe VPN is down.\n")
LIST = mail("Dev List <devs@lists.example>", "[devs] release 2.0",
            "Thu, 08 Jan 2026 19:00:00 +0100", "<l1@lists.example>", to="devs@lists.example",
            extra="List-Id: Developers <devs.lists.example>\n"
                  "List-Unsubscribe: <mailto:devs-request@lists.example?subject=unsubscribe>\n"
                  "Precedence: list")
NOT_FOR_ME = mail("Shop <news@shop.example>", "Angebote der Woche",
                  "Thu, 08 Jan 2026 19:10:00 +0100", "<n1@shop.example>",
                  to="someone.else@example.org")
BROKEN = b"this is no header line\r\n\r\nand no From either\r\n"


@pytest.fixture
def policies(tmp_path) -> Path:
    """A copy of the example set (its me.toml names my address)."""
    root = tmp_path / "policies"
    shutil.copytree(EXAMPLE, root)
    assert f'addresses = ["{ME}"]' in (root / "me.toml").read_text(encoding="utf-8")
    return root


def me_toml(root: Path, *, top: str = "", mail_table: str = "") -> None:
    """Add top-level keys (before the first table) and keys of [mail] to the set's me.toml."""
    path = root / "me.toml"
    text = path.read_text(encoding="utf-8")
    if top:
        text = text.replace(f'addresses = ["{ME}"]\n', f'addresses = ["{ME}"]\n{top}\n', 1)
    if mail_table:
        text = text.replace("[mail.kinds]\n", f"[mail]\n{mail_table}\n\n[mail.kinds]\n", 1)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def journal(tmp_path) -> Path:
    return tmp_path / "journal"


def maildir(folder: Path, messages: dict[str, bytes]) -> Path:
    """A Maildir as mbsync leaves it: `new/NAME` unread, `cur/NAME:2,S` read."""
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    for name, blob in messages.items():
        (folder / name).write_bytes(blob)
    return folder


def snapshot(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file and folder under `folder`: its hash, mtime and mode."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            st = p.stat()
            digest = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            out[str(p.relative_to(folder))] = (digest, st.st_mtime_ns, st.st_mode)
    return out


def drafts_of(folder: Path) -> list[mailbox.MaildirMessage]:
    """The drafts as a Maildir client sees them, by subject and message id."""
    box = mailbox.Maildir(folder, factory=None, create=False)
    found = [box[key] for key in box.iterkeys()]
    return sorted(found, key=lambda m: (str(m["Subject"]), str(m["Message-ID"])))


def body(message: email.message.Message) -> str:
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    return parsed.get_content()


def journal_lines(journal: Path) -> list[dict]:
    if not journal.is_dir():
        return []
    return [json.loads(line) for p in sorted(journal.glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines() if line.strip()]


def run_mail(capsys, policies: Path, journal: Path, *args: str) -> tuple[int, str, str]:
    return run(capsys, "mail", "--policies", str(policies), "--journal", str(journal), *args)


# -- one message -----------------------------------------------------------------------------
def test_a_german_client_is_answered_in_german_on_vienna_time(capsys, policies, journal,
                                                              tmp_path):
    eml = tmp_path / "acme.eml"
    eml.write_bytes(ACME)
    code, out, err = run_mail(capsys, policies, journal, str(eml))
    assert code == 0, err
    assert out.startswith("LATER  acme (ACME Abrechnung GmbH) · tier maintenance · email · "
                          "Thu 2026-01-08 18:20 Europe/Vienna")
    _, _, reply = out.partition("--- reply to office@acme.example ---\n")
    reply, _, confirm = reply.partition(
        "--- confirmation in writing to office@acme.example ---\n")
    msg = email.message_from_string(reply, policy=policy.default)
    assert msg["From"] == f"Martin Huber <{ME}>"
    assert msg["To"] == "office@acme.example"
    assert msg["Subject"] == "Re: Rechnung 2026-01 fehlt"
    assert msg["In-Reply-To"] == msg["References"] == "<r1@acme.example>"
    assert msg["Message-ID"].endswith("@huber-it.example>")
    assert msg["Auto-Submitted"] is None  # shown, not sent: nobody sends it but me
    assert "morgen ab 08:00 Uhr" in msg.get_content()
    # acme confirms everything in writing: a second message of the same form
    second = email.message_from_string(confirm, policy=policy.default)
    assert second["Subject"] == msg["Subject"] and second["Message-ID"] != msg["Message-ID"]
    assert "schriftlich" in second.get_content()
    assert not journal.exists()  # `mail FILE` shows; it records nothing


def test_a_japanese_partner_is_answered_in_english_on_tokyo_time(capsys, policies, journal):
    import io

    sys.stdin = io.TextIOWrapper(io.BytesIO(TANAKA))
    try:
        code, out, err = run_mail(capsys, policies, journal, "-", "--json")
    finally:
        sys.stdin = sys.__stdin__
    assert code == 0, err
    got = json.loads(out)
    assert (got["client"], got["tier"], got["decision"]) == ("tanaka", "partner", "later")
    assert got["at"] == "2026-01-08T02:00:00+01:00"  # 10:00 in Tokyo
    assert got["reply"]["locale"] == "en"
    assert set(got["mail"]) == {"to", "suppressed", "message", "confirm_message"}
    assert got["mail"]["to"] == "k.tanaka@tanaka-systems.example"
    assert got["mail"]["suppressed"] is None and got["mail"]["confirm_message"] is None
    msg = email.message_from_string(got["mail"]["message"], policy=policy.default)
    assert msg["Subject"] == "Re: Question about the VPN"
    assert "today from 14:30" in msg.get_content()  # 06:30 in Vienna, on the partner's clock
    assert msg.get_content_type() == "text/plain" and msg.get_content_charset() == "utf-8"
    # the check --json object is all there, as `check` prints it
    code, out, _ = run(capsys, "check", "--policies", str(policies), "--journal",
                       str(journal), "--from", "k.tanaka@tanaka-systems.example",
                       "--channel", "email", "--at", "2026-01-08T10:00:00+09:00", "--json")
    assert set(json.loads(out)) == set(got) - {"mail"}


def test_a_list_mail_gets_no_reply_and_says_which_rule_and_header(capsys, policies, journal,
                                                                  tmp_path):
    eml = tmp_path / "list.eml"
    eml.write_bytes(LIST)
    code, out, err = run_mail(capsys, policies, journal, str(eml), "--json")
    assert code == 0, err
    got = json.loads(out)
    # the rules' order (sources.md §9): Precedence before the List-* headers
    assert got["mail"]["suppressed"] == {"rule": "precedence", "header": "Precedence"}
    assert got["reply"] is None and got["confirm"] is None and got["mail"]["message"] is None
    assert any("no reply to" in r["text"] for r in got["reasons"])
    code, out, _ = run_mail(capsys, policies, journal, str(eml))
    assert "no reply: no reply to" in out and "--- reply" not in out


def test_a_list_mail_without_precedence_names_its_list_header(capsys, policies, journal,
                                                              tmp_path):
    eml = tmp_path / "list.eml"
    eml.write_bytes(LIST.replace(b"Precedence: list\r\n", b""))
    code, out, err = run_mail(capsys, policies, journal, str(eml), "--json")
    assert code == 0, err
    assert json.loads(out)["mail"]["suppressed"] == {"rule": "list", "header": "List-Id"}


def test_a_message_that_cannot_be_read_is_named(capsys, policies, journal, tmp_path):
    eml = tmp_path / "broken.eml"
    eml.write_bytes(BROKEN)
    code, _, err = run_mail(capsys, policies, journal, str(eml))
    assert code == 2 and f"{eml}: " in err and "Traceback" not in err


# -- a Maildir -------------------------------------------------------------------------------
INBOX = {"new/1767892800.M1P100.mx": ACME, "cur/1767892801.M2P100.mx:2,S": TANAKA,
         "new/1767892802.M3P100.mx": LIST, "cur/1767892803.M4P100.mx:2,RS": NOT_FOR_ME}


def test_a_maildir_is_drafted_into_drafts_and_left_as_it_was(capsys, policies, journal,
                                                            tmp_path):
    inbox = maildir(tmp_path / "INBOX", INBOX)
    before = snapshot(inbox)
    drafts = tmp_path / "Drafts"
    code, out, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                              str(drafts))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[-1] == "4 messages: 2 drafts, 2 no reply (precedence 1, not-for-me 1)"
    assert any(ln.startswith("new/1767892800.M1P100.mx  acme (ACME Abrechnung GmbH) · LATER")
               and "draft written" in ln for ln in lines)
    assert snapshot(inbox) == before  # not a byte, name, mode or mtime changed
    found = drafts_of(drafts)
    assert [m.get_subdir() for m in found] == ["cur"] * 3
    assert [m.get_flags() for m in found] == ["D"] * 3
    assert not os.listdir(drafts / "tmp") and not os.listdir(drafts / "new")
    subjects = [(m["Subject"], m["To"]) for m in found]
    assert subjects == [("Re: Question about the VPN", "k.tanaka@tanaka-systems.example"),
                        ("Re: Rechnung 2026-01 fehlt", "office@acme.example"),
                        ("Re: Rechnung 2026-01 fehlt", "office@acme.example")]
    assert "today from 14:30" in body(found[0])
    assert all(oct(os.stat(p).st_mode & 0o777) == "0o600" for p in (drafts / "cur").iterdir())
    # remembered: each message once, as mail, with the reply's key where one was drafted
    entries = journal_lines(journal)
    assert sorted((e["source"], e["source_id"], e["outcome"], e["channel"])
                  for e in entries) == [
        ("mail", "<l1@lists.example>", "received", "email"),
        ("mail", "<n1@shop.example>", "received", "email"),
        ("mail", "<r1@acme.example>", "received", "email"),
        ("mail", "<t1@tanaka-systems.example>", "received", "email")]
    keys = {e["source_id"]: e["reply_key"] for e in entries}
    assert keys["<r1@acme.example>"] == "after-hours" and keys["<l1@lists.example>"] is None
    assert {e["kind"] for e in entries if e["client"] == "acme"} == {"billing"}  # Rechnung


def test_a_second_run_writes_nothing_new(capsys, policies, journal, tmp_path):
    inbox = maildir(tmp_path / "INBOX", INBOX)
    drafts = tmp_path / "Drafts"
    args = ("--maildir", str(inbox), "--drafts", str(drafts))
    assert run_mail(capsys, policies, journal, *args)[0] == 0
    drafted, recorded = snapshot(drafts), journal_lines(journal)
    code, out, err = run_mail(capsys, policies, journal, *args)
    assert code == 0, err
    assert out == "0 messages; 4 decided before\n"
    assert snapshot(drafts) == drafted and journal_lines(journal) == recorded
    # the mail client read one (new/ → cur/ with :2,S): still the same message
    os.rename(inbox / "new/1767892800.M1P100.mx", inbox / "cur/1767892800.M1P100.mx:2,S")
    code, out, _ = run_mail(capsys, policies, journal, *args)
    assert out == "0 messages; 4 decided before\n"
    assert snapshot(drafts) == drafted and journal_lines(journal) == recorded


def test_a_broken_message_is_skipped_and_the_others_decided(capsys, policies, journal,
                                                           tmp_path):
    inbox = maildir(tmp_path / "INBOX", {**INBOX, "new/1767892804.M5P100.mx": BROKEN})
    code, out, err = run_mail(capsys, policies, journal, "--maildir", str(inbox),
                              "--drafts", str(tmp_path / "Drafts"))
    assert code == 0
    assert f"{inbox}/new/1767892804.M5P100.mx: warning: " in err and "Traceback" not in err
    assert out.splitlines()[-1].endswith(", 1 skipped")
    assert len(journal_lines(journal)) == 4


def test_without_drafts_or_send_nothing_is_written(capsys, policies, journal, tmp_path):
    inbox = maildir(tmp_path / "INBOX", INBOX)
    code, out, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--json")
    assert code == 0
    assert "nothing is written or recorded" in err
    got = [json.loads(line) for line in out.splitlines()]
    assert {g["mail"]["done"] for g in got} == {"preview"}
    assert {g["file"] for g in got} == set(INBOX)
    assert not journal.exists()


def test_reply_once_days_holds_across_runs(capsys, policies, journal, tmp_path):
    me_toml(policies, top="reply_once_days = 7")
    inbox = maildir(tmp_path / "INBOX", {"new/1767892800.M1P100.mx": ACME})
    drafts = tmp_path / "Drafts"
    args = ("--maildir", str(inbox), "--drafts", str(drafts), "--json")
    code, out, err = run_mail(capsys, policies, journal, *args)
    assert code == 0, err and json.loads(out)["mail"]["done"] == "drafted"
    # two days later acme writes again: a draft counts as a reply sent
    again = mail("Anna Leitner <office@acme.example>", "Noch eine Frage",
                 "Sat, 10 Jan 2026 10:00:00 +0100", "<r2@acme.example>")
    (inbox / "new/1768035600.M9P100.mx").write_bytes(again)
    code, out, err = run_mail(capsys, policies, journal, *args)
    assert code == 0, err
    got = json.loads(out)
    assert got["mail"]["suppressed"] == {"rule": "replied-recently", "header": None}
    assert got["mail"]["done"] == "no-reply" and got["reply"] is None
    assert len(drafts_of(drafts)) == 2  # the first run's reply and confirmation only


# -- sending -----------------------------------------------------------------------------------
def sendmail(tmp_path: Path, *, fail: bool = False) -> tuple[str, Path]:
    """A stand-in for `msmtp -t`: records each message it is given (or fails as msmtp does
    when the server cannot be reached)."""
    out = tmp_path / "sent"
    out.mkdir()
    script = tmp_path / "fake-msmtp"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib, uuid\n"
        f"out = pathlib.Path({str(out)!r})\n"
        "data = sys.stdin.buffer.read()\n"
        + ("sys.stderr.write('msmtp: cannot connect to mail.example, port 587\\n')\n"
           "sys.exit(69)\n" if fail else "")
        + "(out / (uuid.uuid4().hex + '.eml')).write_bytes(data)\n", encoding="utf-8")
    script.chmod(0o755)
    return f"{script} -t", out


def test_send_pipes_each_reply_to_sendmail_marked_auto_replied(capsys, policies, journal,
                                                               tmp_path):
    command, sent = sendmail(tmp_path)
    me_toml(policies, mail_table=f'sendmail = "{command}"')
    inbox = maildir(tmp_path / "INBOX", INBOX)
    drafts = tmp_path / "Drafts"
    code, out, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                              str(drafts), "--send")
    assert code == 0, err
    assert out.splitlines()[-1].startswith("4 messages: 2 sent, 2 no reply")
    got = sorted((email.message_from_bytes(p.read_bytes(), policy=policy.default)
                  for p in sent.iterdir()), key=lambda m: (m["To"], m["Message-ID"]))
    assert [(m["To"], m["Auto-Submitted"]) for m in got] == [
        ("k.tanaka@tanaka-systems.example", "auto-replied"),
        ("office@acme.example", "auto-replied"), ("office@acme.example", "auto-replied")]
    assert not (drafts / "cur").exists() or not os.listdir(drafts / "cur")  # sent, no drafts
    keys = {e["source_id"]: e["reply_key"] for e in journal_lines(journal)}
    assert keys["<t1@tanaka-systems.example>"] == "after-hours"
    # never twice: the next run sends nothing
    assert run_mail(capsys, policies, journal, "--maildir", str(inbox), "--send")[0] == 0
    assert len(list(sent.iterdir())) == 3


def test_a_failing_sendmail_keeps_the_reply_as_a_draft_and_says_so(capsys, policies, journal,
                                                                   tmp_path):
    command, _ = sendmail(tmp_path, fail=True)
    me_toml(policies, mail_table=f'sendmail = "{command}"')
    inbox = maildir(tmp_path / "INBOX", {"cur/1767892801.M2P100.mx:2,S": TANAKA})
    drafts = tmp_path / "Drafts"
    code, out, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                              str(drafts), "--send")
    assert code == 1
    assert "not sent to k.tanaka@tanaka-systems.example" in err
    assert "cannot connect to mail.example" in err
    assert "not sent: kept as a draft" in out
    (draft,) = drafts_of(drafts)
    assert draft["To"] == "k.tanaka@tanaka-systems.example" and draft.get_flags() == "D"
    assert draft["Auto-Submitted"] is None  # I send the draft myself: no auto-reply
    assert [e["reply_key"] for e in journal_lines(journal)] == ["after-hours"]


def test_a_failing_sendmail_without_drafts_records_nothing_and_tries_again(capsys, policies,
                                                                           journal, tmp_path,
                                                                           monkeypatch):
    monkeypatch.setenv("BOUNDARIES_CACHE", str(tmp_path / "cache"))  # not kept as decided
    command, _ = sendmail(tmp_path, fail=True)
    me_toml(policies, mail_table=f'sendmail = "{command}"')
    inbox = maildir(tmp_path / "INBOX", {"cur/1767892801.M2P100.mx:2,S": TANAKA})
    for _ in range(2):
        code, out, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--send")
        assert code == 1 and "not sent" in err
        assert out.splitlines()[-1] == "1 message: 1 not sent"
    assert journal_lines(journal) == []


def test_send_without_a_sendmail_is_a_usage_error_with_a_hint(capsys, policies, journal,
                                                              tmp_path):
    inbox = maildir(tmp_path / "INBOX", INBOX)
    code, _, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--send")
    assert code == 2 and 'sendmail = "msmtp -t"' in err


def test_no_address_of_mine_refuses_to_draft(capsys, policies, journal, tmp_path):
    path = policies / "me.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(f'addresses = ["{ME}"]\n', ""),
                    encoding="utf-8")
    inbox = maildir(tmp_path / "INBOX", INBOX)
    code, _, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                            str(tmp_path / "Drafts"))
    assert code == 2 and "addresses = [" in err
    eml = tmp_path / "acme.eml"
    eml.write_bytes(ACME)
    code, out, err = run_mail(capsys, policies, journal, str(eml), "--json")
    assert code == 0 and json.loads(out)["mail"]["message"] is None
    assert "names no `addresses`" in err


@pytest.mark.skipif(not shutil.which("mlist") or not shutil.which("mshow"),
                    reason="mblaze is not installed (make test installs it)")
def test_a_real_maildir_client_reads_the_drafts(capsys, policies, journal, tmp_path):
    inbox = maildir(tmp_path / "INBOX", {"cur/1767892801.M2P100.mx:2,S": TANAKA})
    drafts = tmp_path / "Drafts"
    assert run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                    str(drafts))[0] == 0
    listed = subprocess.run(["mlist", "-D", str(drafts)], capture_output=True, text=True,
                            timeout=TIMEOUT, check=True).stdout.split("\n")
    (path,) = [p for p in listed if p]
    shown = subprocess.run(["mshow", path], capture_output=True, text=True, timeout=TIMEOUT,
                           check=True, env={**os.environ, "MBLAZE": str(tmp_path / "mblaze")})
    assert "Subject: Re: Question about the VPN" in shown.stdout
    assert "today from 14:30" in shown.stdout


# -- watching ----------------------------------------------------------------------------------
def _deliver(inbox: Path, name: str, blob: bytes) -> None:
    """As a delivery agent does: write into tmp/, then rename into new/."""
    tmp = inbox / "tmp" / name
    tmp.write_bytes(blob)
    os.rename(tmp, inbox / "new" / name)


def _wait_for(predicate, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        assert time.monotonic() < deadline, f"no {what} within {TIMEOUT} s"
        time.sleep(0.05)


@contextlib.contextmanager
def _watching(policies, journal, inbox: Path, drafts: Path, errors: Path, env: dict):
    """`boundaries mail --maildir INBOX --drafts DRAFTS --watch` running in a child process
    (stdout piped, stderr into `errors`, `env` over this environment); killed at the end."""
    with open(errors, "wb") as err_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "boundaries", "mail", "--policies", str(policies),
             "--journal", str(journal), "--maildir", str(inbox), "--drafts", str(drafts),
             "--watch"], stdout=subprocess.PIPE, stderr=err_file, env={**os.environ, **env})
        try:
            yield proc
        finally:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_watch_drafts_mail_as_it_arrives_and_ends_cleanly(policies, journal, tmp_path, sig):
    inbox = maildir(tmp_path / "INBOX", {"cur/1767892801.M2P100.mx:2,S": TANAKA})
    drafts = tmp_path / "Drafts"
    errors = tmp_path / "stderr"
    with _watching(policies, journal, inbox, drafts, errors,
                   {"BOUNDARIES_JOURNAL": str(journal)}) as proc:
        _wait_for(lambda: len(drafts_of(drafts)) == 1 if drafts.is_dir() else False,
                  "draft of the mail already there")
        _wait_for(lambda: b"watching" in errors.read_bytes(), "watch")
        _deliver(inbox, "1767892800.M1P100.mx", ACME)
        _wait_for(lambda: len(drafts_of(drafts)) == 3, "draft of the new mail")
        proc.send_signal(sig)
        out, _ = proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == 0, errors.read_text()
    lines = out.decode().splitlines()
    assert [ln.split("  ")[0] for ln in lines] == ["cur/1767892801.M2P100.mx:2,S",
                                                    "new/1767892800.M1P100.mx"]
    assert len(journal_lines(journal)) == 2
    assert "Traceback" not in errors.read_text()


def test_a_run_with_nothing_new_reads_no_message(capsys, policies, journal, tmp_path,
                                                 monkeypatch):
    monkeypatch.setenv("BOUNDARIES_CACHE", str(tmp_path / "cache"))
    inbox = maildir(tmp_path / "INBOX", INBOX)
    args = ("--maildir", str(inbox), "--drafts", str(tmp_path / "Drafts"))
    assert run_mail(capsys, policies, journal, *args)[0] == 0
    (seen,) = (tmp_path / "cache" / "mail").iterdir()
    assert oct(seen.stat().st_mode & 0o777) == "0o600"
    # a decided file made unreadable as a message: a run that read it would warn
    (inbox / "new/1767892802.M3P100.mx").write_bytes(BROKEN)
    code, out, err = run_mail(capsys, policies, journal, *args)
    assert (code, out) == (0, "0 messages; 4 decided before\n") and "warning" not in err
    # without the cache every message is read, and the journal still knows the rest
    seen.unlink()
    code, out, err = run_mail(capsys, policies, journal, *args)
    assert out == "1 message: 1 skipped; 3 decided before\n" and "warning" in err


DATA = Path(__file__).parent / "data" / "mail"
# what a run does with each of the fixtures (tests/data/mail/README or tests/data/README.md)
EXPECTED = {
    "apple-mail": "drafted", "broken-charset": "drafted", "gmail": "drafted",
    "japanese-partner": "drafted", "no-date": "drafted", "no-message-id": "drafted",
    "outlook-aw-de": "drafted", "thunderbird-de": "drafted",
    "exchange-oof": "auto-submitted", "exchange-ticket-notification": "auto-response-suppress",
    "google-groups": "precedence", "mailman-list": "precedence", "newsletter": "precedence",
    "noreply": "robot-sender", "postfix-bounce": "auto-submitted",
}


def test_the_shapes_real_mailers_write_are_drafted_or_left_alone(capsys, policies, journal,
                                                                 tmp_path):
    inbox = maildir(tmp_path / "INBOX", {
        f"new/17649{i:05d}.M{i}P1.{p.stem}": p.read_bytes()
        for i, p in enumerate(sorted(DATA.glob("*.eml")))})
    drafts = tmp_path / "Drafts"
    code, out, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                              str(drafts), "--json")
    assert code == 0
    got = {}
    for line in out.splitlines():
        obj = json.loads(line)
        mail_ = obj["mail"]
        got[obj["file"].rpartition(".")[2]] = (mail_["suppressed"]["rule"]
                                               if mail_["suppressed"] else mail_["done"])
    assert got == EXPECTED
    assert "no-from: warning: no `From` header" in err  # named and skipped, exit 0
    by_to = {(m["To"], m["Subject"]) for m in drafts_of(drafts)}
    assert ("office@acme.example", "AW: Rechnung November 2026") in by_to  # no second prefix
    # Gmail's Reply-To: the reply goes to the person, not to the accounts address
    assert any(to.startswith("James Hartley <james.hartley@") or to.startswith("james.hartley@")
               for to, _ in by_to)
    # a discreet client's reply names nobody: my address without my name
    kanzlei = [m for m in drafts_of(drafts) if m["To"].endswith("@gruber-partner.example")]
    assert kanzlei and all(m["From"] == ME and "Martin Huber" not in body(m) for m in kanzlei)


# -- the setups of docs/mail.md, each checked by the program it is for -------------------------
DOC = Path(__file__).parent.parent / "docs" / "mail.md"


def doc_block(lang: str) -> str:
    """The one fenced block of docs/mail.md in `lang`."""
    import re

    found = re.findall(rf"^```{lang}\n(.*?)^```", DOC.read_text("utf-8"), flags=re.M | re.S)
    assert len(found) == 1, (lang, len(found))
    return found[0]


def test_the_me_toml_of_the_docs_loads(load_set):
    from .conftest import ME as BASE

    result = load_set({"tiers/x.toml": '[hours]\nmon-fri = "08:00-17:00"\n'},
                      me=BASE + doc_block("toml"))
    assert not [d for d in result.diagnostics if d.path == "me.toml"]
    me = result.policies.me
    assert me.addresses == (ME,) and me.sendmail == "msmtp -t"
    assert [k for k, _ in me.mail_kinds] == ["billing", "complaint", "change"]


@pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="no systemd-analyze")
def test_the_systemd_unit_of_the_docs_verifies(tmp_path):
    unit = doc_block("ini")
    assert "ExecStart=%h/.local/bin/boundaries mail --watch" in unit
    systemd_verify(tmp_path, unit, "boundaries-mail.service", TIMEOUT)


@pytest.mark.skipif(not shutil.which("msmtp"), reason="msmtp is not installed")
def test_the_msmtprc_of_the_docs_is_read_by_msmtp(tmp_path):
    rc = tmp_path / "msmtprc"
    rc.write_text(doc_block("msmtp"))
    rc.chmod(0o600)  # msmtp refuses a file others can read
    fake = tmp_path / "bin"
    fake.mkdir()
    (fake / "pass").write_text("#!/bin/sh\necho secret\n")
    (fake / "pass").chmod(0o755)
    done = subprocess.run(["msmtp", "-C", str(rc), "--pretend"], capture_output=True,
                          text=True, timeout=TIMEOUT,
                          env={**os.environ, "HOME": str(tmp_path),
                               "PATH": f"{fake}:{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    assert "host = smtp.huber-it.example" in done.stdout
    assert f"from = {ME}" in done.stdout


@pytest.mark.skipif(not shutil.which("mbsync"), reason="isync (mbsync) is not installed")
def test_the_mbsyncrc_of_the_docs_is_read_by_mbsync(tmp_path):
    rc = tmp_path / "mbsyncrc"
    rc.write_text(doc_block("mbsync"))
    rc.chmod(0o600)
    done = subprocess.run(["mbsync", "-c", str(rc), "-l", "work"], capture_output=True,
                          text=True, timeout=TIMEOUT, env={**os.environ, "HOME": str(tmp_path)})
    # every line read (a keyword it does not know is `FILE:LINE: …`); then it stops at the
    # server, which a test cannot reach (.example never resolves)
    assert f"{rc}:" not in done.stderr, done.stderr
    assert "imap.huber-it.example" in done.stderr


@pytest.mark.skipif(not shutil.which("neomutt"), reason="neomutt is not installed")
def test_the_neomuttrc_of_the_docs_finds_the_drafts(tmp_path):
    rc = tmp_path / "neomuttrc"
    rc.write_text(doc_block("muttrc"))
    done = subprocess.run(["neomutt", "-n", "-F", str(rc), "-Q", "postponed", "-Q",
                           "mbox_type"], capture_output=True, text=True, timeout=TIMEOUT,
                          env={**os.environ, "HOME": str(tmp_path)}, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f'set postponed = "{tmp_path}/Mail/work/Drafts"',
                                        'set mbox_type = "Maildir"']


def test_watch_looks_every_two_seconds_where_watchfiles_cannot_watch(policies, journal,
                                                                     tmp_path):
    broken = tmp_path / "no-watchfiles"
    broken.mkdir()
    (broken / "watchfiles.py").write_text("raise OSError('inotify watch limit reached')\n")
    inbox = maildir(tmp_path / "INBOX", {})
    drafts = tmp_path / "Drafts"
    errors = tmp_path / "stderr"
    with _watching(policies, journal, inbox, drafts, errors, {"PYTHONPATH": os.pathsep.join(
            [str(broken), *filter(None, [os.environ.get("PYTHONPATH")])])}) as proc:
        _wait_for(lambda: b"looking every 2 s" in errors.read_bytes(), "fallback")
        _deliver(inbox, "1767892800.M1P100.mx", TANAKA)
        _wait_for(lambda: drafts.is_dir() and len(drafts_of(drafts)) == 1, "draft")
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=TIMEOUT)
    told = errors.read_text()
    assert proc.returncode == 0, told
    assert "cannot watch" in told and "inotify watch limit reached" in told


def test_a_journal_that_cannot_be_written_ends_the_run_before_any_draft(capsys, policies,
                                                                       tmp_path):
    journal = tmp_path / "journal"
    journal.write_text("a file where the journal folder should be")
    inbox = maildir(tmp_path / "INBOX", {"cur/1767892801.M2P100.mx:2,S": TANAKA})
    code, _, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                            str(tmp_path / "Drafts"))
    assert code == 2 and "boundaries: error: could not write the journal" in err
    assert not (tmp_path / "Drafts").exists()  # a draft not remembered would come again


def test_a_drafts_folder_that_cannot_be_written_ends_the_run_with_a_hint(capsys, policies,
                                                                        journal, tmp_path):
    blocked = tmp_path / "Drafts"
    blocked.write_text("a file where the Drafts folder should be")
    inbox = maildir(tmp_path / "INBOX", {"cur/1767892801.M2P100.mx:2,S": TANAKA})
    code, _, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                            str(blocked))
    assert code == 2 and "cannot write a draft" in err and "hint: " in err
    assert journal_lines(journal) == []  # not recorded: the next run drafts it


def test_the_maildir_and_drafts_of_sources_in_me_toml_need_no_flags(capsys, policies, journal,
                                                                   tmp_path):
    code, _, err = run_mail(capsys, policies, journal)
    assert code == 2 and '[sources] maildir = "~/Mail/work/INBOX"' in err
    inbox = maildir(tmp_path / "INBOX", {"cur/1767892801.M2P100.mx:2,S": TANAKA})
    with (policies / "me.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[sources]\nmaildir = "{inbox}"\ndrafts = "../Drafts"\n')
    code, out, err = run_mail(capsys, policies, journal)
    assert code == 0, err
    assert out.splitlines()[-1] == "1 message: 1 draft"
    assert len(drafts_of(tmp_path / "Drafts")) == 1  # relative to the policy folder


# a sender whose address has a non-ASCII local part (RFC 6532): no reply can go to it
UMLAUT = mail("Jürgen Öller <jürgen@oeller.example>", "Frage zum Server",
              "Thu, 08 Jan 2026 18:40:00 +0100", "<u1@oeller.example>")


def test_a_sender_no_reply_can_reach_is_decided_and_the_others_sent_once(capsys, policies,
                                                                         journal, tmp_path):
    command, sent = sendmail(tmp_path)
    me_toml(policies, mail_table=f'sendmail = "{command}"')
    inbox = maildir(tmp_path / "INBOX", {"new/1767892800.M1P100.mx": ACME,
                                         "new/1767892805.M6P100.mx": UMLAUT})
    code, out, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--send")
    assert code == 0, err
    assert "Traceback" not in err
    (line,) = [x for x in out.splitlines() if x.startswith("new/1767892805")]
    assert "no reply message: `jürgen@oeller.example` is no address a reply can be sent to" \
        in line
    assert out.splitlines()[-1] == "2 messages: 1 sent, 1 with nothing to send"
    assert len(list(sent.iterdir())) == 2  # ACME's reply and its confirmation
    keys = {e["source_id"]: e["reply_key"] for e in journal_lines(journal)}
    assert keys == {"<r1@acme.example>": "after-hours", "<u1@oeller.example>": None}
    # the next run sends nothing again
    code, out, _ = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--send")
    assert (code, out) == (0, "0 messages; 2 decided before\n")
    assert len(list(sent.iterdir())) == 2


def test_a_reply_sent_is_recorded_when_the_drafts_of_its_batch_cannot_be_written(
        capsys, policies, journal, tmp_path):
    """--send with --drafts: ACME's replies go out, Tanaka's send fails and its draft cannot
    be written (the run ends, exit 2); ACME is recorded, so the next run sends it no more."""
    sent = tmp_path / "sent"
    sent.mkdir()
    script = tmp_path / "picky-msmtp"
    script.write_text(
        f"#!{sys.executable}\n"
        "import sys, pathlib, uuid\n"
        "data = sys.stdin.buffer.read()\n"
        "if b'tanaka' in data: sys.exit('msmtp: cannot connect to mail.example, port 587')\n"
        f"(pathlib.Path({str(sent)!r}) / (uuid.uuid4().hex + '.eml')).write_bytes(data)\n",
        encoding="utf-8")
    script.chmod(0o755)
    me_toml(policies, mail_table=f'sendmail = "{script} -t"')
    blocked = tmp_path / "Drafts"
    blocked.write_text("a file where the Drafts folder should be")
    inbox = maildir(tmp_path / "INBOX", {"new/1767892800.M1P100.mx": ACME,
                                         "cur/1767892801.M2P100.mx:2,S": TANAKA})
    args = ("--maildir", str(inbox), "--drafts", str(blocked), "--send")
    code, _, err = run_mail(capsys, policies, journal, *args)
    assert code == 2 and "cannot write a draft" in err
    assert len(list(sent.iterdir())) == 2  # ACME's reply and confirmation
    assert [e["source_id"] for e in journal_lines(journal)] == ["<r1@acme.example>"]
    run_mail(capsys, policies, journal, *args)
    assert len(list(sent.iterdir())) == 2  # not sent again


@pytest.mark.parametrize("inside", ["", "new", "cur/Drafts", "tmp"])
def test_a_drafts_folder_in_the_maildir_is_a_usage_error_and_nothing_is_made_there(
        capsys, policies, journal, tmp_path, inside):
    inbox = maildir(tmp_path / "INBOX", {"new/1767892800.M1P100.mx": ACME})
    before = snapshot(inbox)
    code, _, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                            str(inbox / inside))
    assert code == 2 and "the Drafts folder is the Maildir itself" in err
    assert snapshot(inbox) == before and journal_lines(journal) == []


def test_a_maildir_plus_plus_drafts_subfolder_is_fine(capsys, policies, journal, tmp_path):
    # Dovecot's layout: ~/Maildir is INBOX, ~/Maildir/.Drafts its Drafts
    inbox = maildir(tmp_path / "Maildir", {"new/1767892800.M1P100.mx": ACME})
    code, out, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                              str(inbox / ".Drafts"))
    assert code == 0, err
    assert len(drafts_of(inbox / ".Drafts")) == 2
    code, out, _ = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--drafts",
                            str(inbox / ".Drafts"))
    assert out == "0 messages; 1 decided before\n"  # its own drafts are no new mail


def test_a_first_run_over_old_mail_replies_once_to_each_sender(capsys, policies, journal,
                                                               tmp_path):
    """Months of mail in the INBOX at the first run: each reply goes out now, so a sender
    with many old mails gets one reply within reply_once_days, not one per old mail."""
    command, sent = sendmail(tmp_path)
    me_toml(policies, top="reply_once_days = 7", mail_table=f'sendmail = "{command}"')
    old = {f"cur/17678928{i:02d}.M{i}P100.mx:2,S": mail(
        "Anna Leitner <office@acme.example>", f"Frage {i}",
        f"Thu, {8 + i:02d} Jan 2026 18:20:00 +0100" if i < 3 else
        f"Mon, {i:02d} Feb 2026 18:20:00 +0100", f"<old{i}@acme.example>")
        for i in range(1, 6)}
    inbox = maildir(tmp_path / "INBOX", old)
    code, out, err = run_mail(capsys, policies, journal, "--maildir", str(inbox), "--send")
    assert code == 0, err
    assert out.splitlines()[-1] == "5 messages: 1 sent, 4 no reply (replied-recently 4)"
    assert {email.message_from_bytes(p.read_bytes())["To"] for p in sent.iterdir()} == {
        "office@acme.example"}
    assert len(list(sent.iterdir())) == 2  # one reply and its confirmation

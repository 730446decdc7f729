"""The mail use case (service/mail.py): a message as a request, its kind from the Subject,
the no-reply guard on the decision, and a run's memory — each message recorded once, this
run's mail counted for what comes next, mail in `report` and for `repeat` like calls.
Fixed clocks; temp folders only."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from boundaries.policy.load import load
from boundaries.service import MailRun, decide_one, mail_kind, mail_request
from boundaries.service.mail import ALREADY, DRAFTED, HELD, NO_REPLY, UNSENT
from boundaries.sources.mail.read import parse_headers

from .cli_helpers import run
from .conftest import EXAMPLE

ME = "martin@huber-it.example"
NOW = datetime(2026, 1, 9, 7, 0, tzinfo=UTC)
KINDS = (("billing", ("Rechnung", "Mahnung", "invoice")),
         ("complaint", ("Beschwerde", "Reklamation", "complaint")),
         ("change", ("Änderung", "Änderungswunsch", "change request")))


def headers(sender: str = "Anna Leitner <office@acme.example>", *, subject: str = "Frage",
            date: str | None = "Thu, 08 Jan 2026 18:20:00 +0100", msgid: str | None = "<a@x>",
            to: str = ME, extra: str = "", delivered: datetime | None = None):
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}"]
    lines += [f"Date: {date}"] if date else []
    lines += [f"Message-ID: {msgid}"] if msgid else []
    lines += [h for h in extra.splitlines() if h]
    return parse_headers(("\r\n".join(lines) + "\r\n\r\n").encode(), "test.eml", delivered)


@pytest.fixture(scope="module")
def ps(tmp_path_factory):
    root = tmp_path_factory.mktemp("set") / "policies"
    shutil.copytree(EXAMPLE, root)
    text = (root / "me.toml").read_text(encoding="utf-8")
    (root / "me.toml").write_text(text.replace(f'addresses = ["{ME}"]\n',
                                               f'addresses = ["{ME}"]\nreply_once_days = 7\n'),
                                  encoding="utf-8")
    result = load(root)
    assert result.ok, result.errors
    return result.policies


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


# -- the kind ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("subject", "kind"), [
    ("Rechnung 2026-01", "billing"), ("AW: ihre RECHNUNG", "billing"),
    ("Beschwerde wegen Rechnung", "billing"),  # the first kind in the file wins
    ("Rechnungen für 2025", "question"),  # a whole word, not a part of one
    ("Re: change request for the shop", "change"), ("changes requested", "question"),
    ("Änderungswunsch Webshop", "change"), ("(invoice)", "billing"), ("", "question")])
def test_the_kind_comes_from_whole_words_of_the_subject(subject, kind):
    assert mail_kind(subject, KINDS) == kind


@given(st.text(st.characters(categories=("L",)), min_size=1, max_size=5),
       st.sampled_from(["Rechnung", "invoice", "Beschwerde"]),
       st.text(st.characters(categories=("L",)), min_size=1, max_size=5))
@example("s", "Rechnung", "en")
def test_a_word_inside_another_word_is_no_kind(before, word, after):
    assert mail_kind(f"{before}{word}{after}", KINDS) == "question"
    assert mail_kind(f"{before} {word}, {after}", KINDS) != "question"


# -- the request ----------------------------------------------------------------------------------
def test_a_message_is_a_request_from_its_address_at_its_date(ps):
    req = mail_request(ps, headers(subject="Mahnung"), NOW)
    assert (req.sender.client_id, req.sender.via, req.channel, req.kind) == (
        "acme", "email", "email", "billing")
    assert req.at.isoformat() == "2026-01-08T18:20:00+01:00"
    delivered = datetime(2026, 1, 8, 9, 0, tzinfo=UTC)
    assert mail_request(ps, headers(date=None, delivered=delivered), NOW).at == delivered
    assert mail_request(ps, headers(date=None), NOW).at == NOW  # from stdin: now
    unknown = mail_request(ps, headers("x@elsewhere.example"), NOW)
    assert (unknown.sender.client_id, unknown.sender.raw) == (None, "x@elsewhere.example")


def test_the_reply_goes_to_reply_to(ps, tmp_path):
    msg = headers(extra="Reply-To: Buchhaltung <buha@acme.example>")
    m, _ = decide_one(ps, msg, tmp_path / "journal", NOW)
    assert m.to == m.reply["To"] == "buha@acme.example"
    assert m.decision.reply.via.as_json() == {"channel": "email", "to": "buha@acme.example"}


def test_a_suppressed_message_keeps_its_decision_and_says_why(ps, tmp_path):
    plain, _ = decide_one(ps, headers(), tmp_path / "journal", NOW)
    listed, _ = decide_one(ps, headers(extra="List-Id: <acme.lists.example>"),
                           tmp_path / "journal", NOW)
    assert listed.decision.decision == plain.decision.decision == "later"
    assert listed.decision.next_window == plain.decision.next_window
    assert plain.reply is not None and plain.confirm is not None
    assert listed.reply is listed.confirm is None
    assert listed.decision.reply is listed.decision.confirm is None
    assert listed.suppressed.as_json() == {"rule": "list", "header": "List-Id"}
    assert listed.decision.reasons[-1].text == listed.suppressed.text
    assert listed.decision.reasons[:-1] == plain.decision.reasons


# -- a run -------------------------------------------------------------------------------------
def entries(journal: Path) -> list[dict]:
    return [json.loads(line) for p in sorted(journal.glob("*.jsonl"))
            for line in p.read_text(encoding="utf-8").splitlines()]


def test_a_run_remembers_each_message_once_and_counts_its_own_mail(ps, tmp_path):
    journal, drafts = tmp_path / "journal", tmp_path / "Drafts"
    mail_run = MailRun(ps, journal, drafts=drafts, sendmail=None, clock=Clock(NOW))
    first = mail_run.take(headers())
    assert first.done == DRAFTED and len(first.written) == 2  # reply and confirmation
    assert mail_run.take(headers()).done == ALREADY
    # the same sender an hour later, in the same run: within reply_once_days, no reply
    later = mail_run.take(headers(msgid="<b@x>", date="Thu, 08 Jan 2026 19:20:00 +0100"))
    assert later.done == NO_REPLY and later.decided.suppressed.rule == "replied-recently"
    assert [e["source_id"] for e in entries(journal)] == ["<a@x>", "<b@x>"]
    assert [e["reply_key"] for e in entries(journal)] == ["after-hours", None]
    # a new run (a restart) knows both from the journal alone
    again = MailRun(ps, journal, drafts=drafts, sendmail=None, clock=Clock(NOW))
    assert again.take(headers(msgid="<b@x>")).done == ALREADY
    assert len(entries(journal)) == 2


def test_a_message_without_an_id_is_remembered_by_its_headers(ps, tmp_path):
    mail_run = MailRun(ps, tmp_path / "journal", drafts=tmp_path / "D", sendmail=None,
                       clock=Clock(NOW))
    assert mail_run.take(headers(msgid=None)).done == DRAFTED
    (entry,) = entries(tmp_path / "journal")
    assert entry["source_id"].startswith("sha256:")
    assert mail_run.take(headers(msgid=None)).done == ALREADY


def test_mail_counts_for_repeat_and_in_the_report(ps, tmp_path, capsys):
    from boundaries.core.request import Request
    from boundaries.service import decide_with_journal

    journal = tmp_path / "journal"
    mail_run = MailRun(ps, journal, drafts=tmp_path / "D", sendmail=None, clock=Clock(NOW))
    mail_run.take(headers())
    call = mail_request(ps, headers(date="Thu, 08 Jan 2026 18:25:00 +0100"), NOW)
    decided = decide_with_journal(ps, Request(call.sender, call.at, "call"), journal)
    assert decided.facts.recent_requests == 2  # the mail five minutes before, and this call
    code, out, _ = run(capsys, "report", "--policies", str(ps.root), "--journal",
                       str(journal), "--month", "2026-01", "--format", "json")
    assert code == 0
    (acme,) = [row for row in json.loads(out) if row["client"] == "acme"]
    assert (acme["requests"], acme["after_hours"], acme["answered"]) == (1, 1, 0)


def test_a_send_that_fails_without_drafts_is_tried_again_by_the_next_run(ps, tmp_path):
    journal = tmp_path / "journal"
    fail = f"{shutil.which('false')}"
    mail_run = MailRun(ps, journal, drafts=None, sendmail=fail, clock=Clock(NOW))
    handled = mail_run.take(headers())
    assert handled.done == UNSENT and "not sent to office@acme.example" in handled.problem
    assert handled.problem.startswith("the reply to test.eml not sent to ")
    assert "Frage" not in handled.problem  # the subject: no part of an error line
    assert mail_run.take(headers()).done == HELD  # not again in this session
    assert entries(journal) == []
    assert MailRun(ps, journal, drafts=None, sendmail=fail,
                   clock=Clock(NOW + timedelta(hours=1))).take(headers()).done == UNSENT


def test_a_journal_folder_that_cannot_be_made_is_an_error_before_any_draft(ps, tmp_path):
    from boundaries.service import JournalWriteError

    journal = tmp_path / "journal"
    journal.write_text("a file, not a folder")
    mail_run = MailRun(ps, journal, drafts=tmp_path / "D", sendmail=None, clock=Clock(NOW))
    with pytest.raises(JournalWriteError):
        mail_run.take(headers())
    assert not (tmp_path / "D").exists()


def test_an_entry_the_journal_cannot_take_is_said_and_its_draft_made_once(ps, tmp_path):
    from boundaries.journal.store import device_name

    journal = tmp_path / "journal"
    (journal / f"2026-01.{device_name()}.jsonl").mkdir(parents=True)  # in the way
    mail_run = MailRun(ps, journal, drafts=tmp_path / "D", sendmail=None, clock=Clock(NOW))
    handled = mail_run.take(headers())
    assert handled.done == DRAFTED and "could not write the journal" in handled.problem
    assert mail_run.take(headers()).done == ALREADY
    assert len(list((tmp_path / "D" / "cur").iterdir())) == 2


def test_two_runs_on_one_journal_never_decide_a_message_twice(ps, tmp_path):
    journal = tmp_path / "journal"
    first = MailRun(ps, journal, drafts=tmp_path / "D", sendmail=None, clock=Clock(NOW))
    second = MailRun(ps, journal, drafts=tmp_path / "D", sendmail=None, clock=Clock(NOW))
    assert not second.journal.holds("<a@x>")  # it has read the journal: nothing yet
    assert first.take(headers()).done == DRAFTED
    assert second.take(headers()).done == ALREADY  # the journal changed: looked at again
    assert len(entries(journal)) == 1


SENDERS = [("client:acme", "acme"), ("client:tanaka", "tanaka"), ("raw:x@elsewhere.example", None)]
# an entry of a client under another sender key (written by hand, or by an older version)
WRITTEN = [*SENDERS, ("number:+436641234567", "acme")]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(WRITTEN), st.integers(0, 80 * 24 * 60),
                          st.booleans(), st.sampled_from(["answered", "missed", "received"]),
                          st.sampled_from([None, "after-hours", "confirm"])), max_size=30),
       st.sampled_from(SENDERS), st.integers(0, 80 * 24 * 60))
def test_the_runs_index_gives_the_facts_the_journal_gives(ps, entries_, asked, minute):
    """MailJournal reads a month once and looks only at the sender's and client's entries of
    the months a decision needs: the same facts as reading the journal whole."""
    import tempfile

    from boundaries.core.request import Request, Sender
    from boundaries.journal.store import append, month_of
    from boundaries.service import JournalCache
    from boundaries.service.mail import MailJournal

    start = datetime(2026, 1, 1, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        journal = Path(folder)
        for i, ((sender, client), at, extra, outcome, reply) in enumerate(entries_):
            when = (start + timedelta(minutes=at)).astimezone(ps_zone(ps))
            append(journal, {"id": f"{i:026d}", "at": when.isoformat(), "sender": sender,
                             "client": client, "channel": "email", "extra_effort": extra,
                             "outcome": outcome, "reply_key": reply}, month_of(when))
        sender, client = asked
        raw = sender.removeprefix("raw:") if client is None else client
        req = Request(Sender(raw, client, "email" if client is None else "id"),
                      (start + timedelta(minutes=minute)).astimezone(ps_zone(ps)), "email")
        assert MailJournal(journal).facts(ps, req) == JournalCache(journal).facts(ps, req)


def ps_zone(ps):
    from boundaries.core.time import zone

    return zone(ps.me.timezone)


def test_a_robot_sender_has_one_reason_the_rule_with_its_header(ps, tmp_path):
    m, _ = decide_one(ps, headers("Portal <no-reply@portal.example>"), tmp_path / "j", NOW)
    assert m.suppressed.as_json() == {"rule": "robot-sender", "header": "From"}
    robots = [r.text for r in m.decision.reasons if "robot" in r.text]
    assert robots == [m.suppressed.text]


def test_a_run_interrupted_in_a_batch_records_the_replies_it_sent(ps, tmp_path, monkeypatch):
    """Ctrl+C (or any failure) while the second message of a batch is decided: the reply
    already sent to the first is in the journal, so the next run does not send it again."""
    import boundaries.service.mail as mail_use_case

    sent = tmp_path / "sent"
    script = tmp_path / "fake-sendmail"
    script.write_text(f"#!/bin/sh\ncat >> {sent}\n", encoding="utf-8")
    script.chmod(0o755)
    journal = tmp_path / "journal"
    real = mail_use_case.decide_mail
    calls = []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(mail_use_case, "decide_mail", interrupted)
    first, second = headers(), headers("k.tanaka@tanaka-systems.example", msgid="<t@x>")
    mail_run = MailRun(ps, journal, drafts=None, sendmail=str(script), clock=Clock(NOW))
    with pytest.raises(KeyboardInterrupt):
        mail_run.take_many([first, second])
    assert sent.read_bytes().count(b"\nIn-Reply-To: <a@x>\n") == 2  # reply, confirmation
    assert [e["source_id"] for e in entries(journal)] == ["<a@x>"]
    monkeypatch.setattr(mail_use_case, "decide_mail", real)
    again = MailRun(ps, journal, drafts=None, sendmail=str(script), clock=Clock(NOW))
    assert [h.done for h in again.take_many([first, second])] == [ALREADY, "sent"]


def test_a_reply_sent_is_in_the_journal_before_the_next_message_is_decided(ps, tmp_path,
                                                                           monkeypatch):
    """A run killed at any moment after a send (no exception: SIGKILL, a power cut) has
    recorded that send: the next run does not send it again."""
    import boundaries.service.mail as mail_use_case

    script = tmp_path / "fake-sendmail"
    script.write_text("#!/bin/sh\ncat > /dev/null\n", encoding="utf-8")
    script.chmod(0o755)
    journal = tmp_path / "journal"
    real = mail_use_case.decide_mail
    on_disk = []

    def looking(*args, **kwargs):
        on_disk.append([e["source_id"] for e in entries(journal)] if journal.is_dir() else [])
        return real(*args, **kwargs)

    monkeypatch.setattr(mail_use_case, "decide_mail", looking)
    mail_run = MailRun(ps, journal, drafts=None, sendmail=str(script), clock=Clock(NOW))
    second = headers("k.tanaka@tanaka-systems.example", msgid="<t@x>")
    assert [h.done for h in mail_run.take_many([headers(), second])] == ["sent", "sent"]
    assert on_disk == [[], ["<a@x>"]]

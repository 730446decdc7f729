"""A Maildir of realistic mail for the mail benchmarks, in the shapes real mailers write.

`write_maildir(folder, n, seed)`: n messages over one year (2026), three in four in `cur/`
(flags `S`, some `RS`), the rest in `new/`. Senders: the example set's clients (their
addresses in policies/clients.toml), unknown people, mailing lists (List-Id, Precedence),
newsletters to another address, bounces (MAILER-DAEMON, `Return-Path: <>`), out-of-office
replies (Auto-Submitted, X-Auto-Response-Suppress) and no-reply senders. Mailers: Thunderbird,
Outlook (`AW:`, Thread-Index), Gmail (Reply-To), Apple Mail (encoded words); German and
English subjects, one in four a reply with References. Bodies of 0.5 to 13 KiB, one message
in 25 with a base64 attachment of 20 to 200 KiB, so that reading past the headers would show.
"""

from __future__ import annotations

import base64
import os
import random
from datetime import UTC, datetime, timedelta, timezone
from email.header import Header
from email.utils import format_datetime
from pathlib import Path

ME = "martin@huber-it.example"
CLIENTS = [("Office ACME", "office@acme.example"), ("Josef Mayr", "chef@baeckerei-mayr.example"),
           ("IT Stahlwerk", "it@stahlwerk.example"),
           ("Sekretariat Gruber", "sekretariat@gruber-partner.example"),
           ("Kenji Tanaka", "k.tanaka@tanaka-systems.example"),
           ("Ordination Dr. Berger", "ordination@praxis-berger.example"),
           ("Hartley Accounts", "accounts@hartley.example")]
UNKNOWN = [("Eva Leitner", "eva.leitner@mail.example"), ("Tom Baker", "tom@startup.example"),
           ("Jürgen Hofer", "j.hofer@gmx.example")]
SUBJECTS = ["Frage zum Server", "Rechnung Nr. {n}", "Beschwerde: Ausfall am Montag",
            "Änderungswunsch Webshop", "Drucker geht nicht", "Termin nächste Woche?",
            "Question about the VPN", "invoice {n}", "Backup failed again",
            "Kurze Rückfrage", "Angebot {n}", "Update on the migration"]
MAILERS = ["Mozilla Thunderbird", "Microsoft Outlook 16.0", "Apple Mail (2.3826)", None]
TZ = [timezone(timedelta(hours=1)), timezone(timedelta(hours=2)), timezone(timedelta(hours=9)),
      UTC]


def _addr(name: str, address: str) -> str:
    if name.isascii():
        return f'"{name}" <{address}>'
    return f"{Header(name, 'utf-8').encode()} <{address}>"


def _subject(text: str, rnd: random.Random) -> str:
    if not text.isascii() and rnd.random() < 0.7:
        return Header(text, "utf-8").encode()
    return text


def message(i: int, rnd: random.Random) -> tuple[bytes, datetime]:
    """Message number i as bytes (CRLF line ends), and when it was delivered."""
    when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(
        minutes=rnd.randrange(0, 365 * 24 * 60))
    pick = rnd.random()
    headers: list[str] = [
        f"Received: from mx{i % 7}.example (mx{i % 7}.example [192.0.2.{i % 250}]) by "
        f"mail.huber-it.example with ESMTPS id {i:08X}; {format_datetime(when)}",
        f"Received: from client.example by mx{i % 7}.example; {format_datetime(when)}"]
    to = ME
    subject = rnd.choice(SUBJECTS).format(n=2026_0000 + i)
    if pick < 0.55:
        name, sender = rnd.choice(CLIENTS)
    elif pick < 0.70:
        name, sender = rnd.choice(UNKNOWN)
    elif pick < 0.80:
        name, sender = "Linux Users Linz", "lug-linz@lists.example"
        headers += ["List-Id: LUG Linz <lug-linz.lists.example>",
                    "List-Unsubscribe: <mailto:lug-linz-leave@lists.example>",
                    "List-Post: <mailto:lug-linz@lists.example>", "Precedence: list",
                    "X-BeenThere: lug-linz@lists.example"]
    elif pick < 0.87:
        name, sender = "Newsletter", "news@shop.example"
        to = "info@huber-it.example"
        headers += ["Precedence: bulk", "List-Unsubscribe: <https://shop.example/u/1>"]
    elif pick < 0.92:
        name, sender = "Mail Delivery System", "MAILER-DAEMON@mail.huber-it.example"
        headers += ["Return-Path: <>", "Auto-Submitted: auto-replied"]
        subject = "Undelivered Mail Returned to Sender"
    elif pick < 0.96:
        name, sender = rnd.choice(CLIENTS)
        headers += ["Auto-Submitted: auto-generated", "X-Auto-Response-Suppress: All"]
        subject = "Automatische Antwort: " + subject
    else:
        name, sender = "Paketdienst", "noreply@parcel.example"
    date = when.astimezone(rnd.choice(TZ))
    headers += [f"From: {_addr(name, sender)}", f"To: {to}",
                f"Subject: {_subject(subject, rnd)}", f"Date: {format_datetime(date)}",
                f"Message-ID: <{i:06d}.{rnd.randrange(1 << 40):010x}@{sender.split('@')[1]}>",
                "MIME-Version: 1.0"]
    mailer = rnd.choice(MAILERS)
    if mailer:
        headers.append(f"{'User-Agent' if 'Thunderbird' in mailer else 'X-Mailer'}: {mailer}")
    if "Outlook" in (mailer or ""):
        headers += ["Thread-Index: AQHa" + base64.b64encode(os.urandom(12)).decode(),
                    "Content-Language: de-AT"]
    if rnd.random() < 0.25:
        parent = f"<{max(i - 3, 0):06d}.parent@{sender.split('@')[1]}>"
        headers += [f"In-Reply-To: {parent}", f"References: {parent}"]
        headers = [h if not h.startswith("Subject:") else
                   h.replace("Subject: ", "Subject: AW: " if mailer and "Outlook" in mailer
                             else "Subject: Re: ", 1) for h in headers]
    if "gmail" in sender or rnd.random() < 0.05:
        headers.append(f"Reply-To: {sender}")
    text = ("Sehr geehrter Herr Huber,\r\n\r\n" + "bitte um Rückmeldung. " * rnd.randrange(
        20, 600) + "\r\n\r\nMit freundlichen Grüßen\r\n")
    if rnd.random() < 0.04:
        blob = base64.encodebytes(os.urandom(rnd.randrange(20_000, 200_000))).decode()
        headers.append('Content-Type: multipart/mixed; boundary="b1"')
        body = ("--b1\r\nContent-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 8bit\r\n\r\n" + text +
                "--b1\r\nContent-Type: application/pdf; name=\"scan.pdf\"\r\n"
                "Content-Transfer-Encoding: base64\r\n\r\n" + blob.replace("\n", "\r\n") +
                "--b1--\r\n")
    else:
        headers += ["Content-Type: text/plain; charset=utf-8",
                    "Content-Transfer-Encoding: 8bit"]
        body = text
    return ("\r\n".join(headers) + "\r\n\r\n" + body).encode("utf-8"), when


def write_maildir(folder: Path, n: int, seed: int = 2026) -> list[Path]:
    """Write n messages into the Maildir `folder` (created); returns their paths."""
    rnd = random.Random(seed)
    for sub in ("tmp", "new", "cur"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        blob, when = message(i, rnd)
        name = f"{int(when.timestamp())}.M{i:06d}P4242Q{i}.bench"
        if rnd.random() < 0.75:
            path = folder / "cur" / f"{name}:2,{'RS' if rnd.random() < 0.3 else 'S'}"
        else:
            path = folder / "new" / name
        path.write_bytes(blob)
        stamp = when.timestamp()
        os.utime(path, (stamp, stamp))
        paths.append(path)
    return paths


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench-maildir")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    write_maildir(out, count)
    print(f"wrote {count} messages to {out}")

"""What a run over a Maildir remembers (service/mail.py's `MailRun`): the journal's mail and
facts, read a month at a time and indexed by sender (`MailJournal`), and the Maildir files
decided before, by name, kept in the cache between runs (`SeenFiles`)."""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from boundaries.journal.store import SPENT, month_of

if TYPE_CHECKING:
    from boundaries.core.model import PolicySet
    from boundaries.core.request import Facts, Request
    from boundaries.journal.store import Entry

SOURCE = "mail"  # the journal's `source` of a decided mail


class MailJournal:
    """The journal as a run over a Maildir reads it: the `source_id`s of the mail it holds
    (all months, read once), and each month's entries indexed by sender and client (read
    when a message first asks for the month), with this run's records added as they go."""

    def __init__(self, folder: Path | None) -> None:
        self.folder = folder
        self.warnings: list[str] = []
        self._keys: set[str] | None = None
        self._replied: dict[str, datetime] = {}  # sender -> when a reply to a mail last went
        self._tz: Any = None  # my timezone: the months are mine, as the journal's files
        self._months: set[str] = set()
        # (sender, month) -> entries, (client, month) -> those that spent my time: a decision
        # looks at its months only
        self._by_sender: dict[tuple[str, str], list[Entry]] = {}
        self._spent_by_client: dict[tuple[str, str], list[Entry]] = {}
        self._stamp: tuple | None = None  # the journal's files when this run last looked

    def holds(self, key: str) -> bool:
        """Whether a mail with this key (`MailMessage.key`) was decided before."""
        if self._keys is None:
            self._keys, self._replied = set(), {}
            for e in self._read(None, must_contain=SOURCE):
                if e.data.get("source") == SOURCE and isinstance(e.data.get("source_id"), str):
                    self._keys.add(e.data["source_id"])
                    self._note_reply(e)
        return key in self._keys

    def replied_at(self, sender: str) -> datetime | None:
        """When (by the clock: the entry's `recorded_at`) a reply to a mail last went to
        this sender (`sender_key`), drafted or sent — whatever the mail's Date was."""
        if self._keys is None:
            self.holds("")
        return self._replied.get(sender)

    def _note_reply(self, e: Entry) -> None:
        if not e.data.get("reply_key"):
            return
        try:
            when = datetime.fromisoformat(e.data["recorded_at"])
        except (KeyError, TypeError, ValueError):
            return
        if when.tzinfo is not None and (e.sender not in self._replied
                                        or self._replied[e.sender] < when):
            self._replied[e.sender] = when

    def facts(self, ps: PolicySet, req: Request) -> Facts:
        """What the journal (and this run) says about `req`: budget, repeats, replies."""
        from boundaries.core.request import sender_key
        from boundaries.core.time import zone
        from boundaries.journal.facts import facts_for, months_needed

        self._tz = tz = zone(ps.me.timezone)
        months = months_needed(req.at, tz, ps.me.reply_once_days)
        for month in months:
            if month not in self._months:
                self._months.add(month)
                for e in self._read([month]):
                    self._index(e)
        client = req.sender.client_id
        key = sender_key(client, req.sender.number, req.sender.raw)
        # `facts_for` counts this sender's entries, and the client's time spent: a client's
        # entry of another sender that spent no time counts for nothing, so only the spent
        # ones are indexed by client (a mail is `received`: none of a run's own), and those
        # of this sender are left out there, being among the sender's already
        mine: list[Entry] = []
        for month in months:
            mine += self._by_sender.get((key, month), ())
            if client is not None:
                mine += (e for e in self._spent_by_client.get((client, month), ())
                         if e.sender != key)
        return facts_for(mine, req, client, tz, ps.me.reply_once_days)

    def add(self, entry: Entry) -> None:
        """An entry this run recorded: it counts for what comes next (a month not read yet
        will be read with it)."""
        if self._keys is not None and entry.data.get("source") == SOURCE:
            self._keys.add(entry.data["source_id"])
            self._note_reply(entry)
        if self._tz is not None and self._month(entry) in self._months:
            self._index(entry)

    def clear(self) -> None:
        """Forget what was read: read again."""
        self._keys = None
        self._replied = {}
        self._months.clear()
        self._by_sender.clear()
        self._spent_by_client.clear()

    def sync(self) -> None:
        """Forget what was read if the journal's files changed since this run last looked
        (another front end recorded): a listing and a stat of each file, nothing read."""
        now = self._files()
        if now != self._stamp:
            self.clear()
            self._stamp = now

    def mark(self) -> None:
        """The journal's files as this run's own records left them."""
        self._stamp = self._files()

    def _files(self) -> tuple:
        import os

        from boundaries.journal.store import files_for

        out = []
        for path in files_for(self.folder) if self.folder is not None else ():
            with contextlib.suppress(OSError):
                st = os.stat(path)
                out.append((path.name, st.st_size, st.st_mtime_ns, st.st_ino))
        return tuple(out)

    def _month(self, e: Entry) -> str:
        return month_of(e.at.astimezone(self._tz))

    def _index(self, e: Entry) -> None:
        month = self._month(e)
        self._by_sender.setdefault((e.sender, month), []).append(e)
        if e.client and e.data.get("extra_effort") and e.data.get("outcome") in SPENT:
            self._spent_by_client.setdefault((e.client, month), []).append(e)

    def _read(self, months: list[str] | None, must_contain: str | None = None) -> list[Entry]:
        from boundaries.journal.store import read

        if self.folder is None or not self.folder.is_dir():
            return []
        entries, warnings = read(self.folder, months, must_contain=must_contain)
        self.warnings += [w.format() for w in warnings]
        return entries


class SeenFiles:
    """The files of one Maildir that a run with one journal decided, by their unique names
    (a name without its `:2,` flags: the same in `new/` and `cur/`), kept in the cache
    folder between runs, so that a run with nothing new lists the Maildir and reads no
    message. Only a shortcut: without it (no cache, `BOUNDARIES_CACHE=off`, a lost file)
    every message is read and the journal says what was decided before — the same result."""

    def __init__(self, maildir: Path, journal: Path | None) -> None:
        self.path = _seen_path(maildir, journal)
        self.names: set[str] = set()
        self._added = False
        if self.path is not None:
            with contextlib.suppress(OSError, ValueError):
                self.names = set(self.path.read_text(encoding="utf-8",
                                                     errors="surrogateescape").split("\n"))
            self.names.discard("")

    def __contains__(self, name: str) -> bool:
        return name in self.names

    def add(self, name: str) -> None:
        if name not in self.names:
            self.names.add(name)
            self._added = True

    def save(self) -> None:
        """Write the names (atomically, 0600) if any were added; a cache that cannot be
        written is no error: the next run reads the messages instead."""
        from boundaries.fsutil import atomic_write_in

        if self.path is None or not self._added:
            return
        data = "".join(f"{n}\n" for n in sorted(self.names)).encode("utf-8", "surrogateescape")
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            atomic_write_in(self.path.parent, self.path.name, lambda fh: fh.write(data),
                            mode=0o600, sync_folder=False)
            self._added = False


def _seen_path(maildir: Path, journal: Path | None) -> Path | None:
    """`<cache>/mail/<hash of the Maildir's and the journal's real paths>.seen`, or None
    when caching is off."""
    import os

    from boundaries.policy.cache import ENV_CACHE, cache_dir

    base = cache_dir()
    if base is None:
        return None
    folder = (base if os.environ.get(ENV_CACHE) else base.parent) / "mail"
    key = f"{os.path.realpath(maildir)}\0{os.path.realpath(journal) if journal else ''}"
    return folder / f"{hashlib.sha256(key.encode('utf-8', 'surrogateescape')).hexdigest()}.seen"




__all__ = ["SOURCE", "MailJournal", "SeenFiles"]

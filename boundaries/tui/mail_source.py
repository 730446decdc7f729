"""Mail in the TUI (sources.md §9, issue 16 part 6): the Maildir of `[sources] maildir` (or
`--maildir`) followed inside the app, each new message decided as `mail --maildir` decides
it (`service/mail_incoming.py`) and listed in Incoming (F10) with its verdict; `Enter` opens
it in Ask with its reply in the editable draft, and Ctrl+S writes the draft as it stands
into the Drafts Maildir (`[sources] drafts` or `--drafts`).

`MailSource` is a part of the app (a mixin, as `PhoneSources` is); its plain state is
`app.mail` (`MailState`), which the Incoming pane reads. Decided here, as docs/mail.md says:

- At the start the list shows the mail delivered today (in my timezone, by the file's
  time, as every Maildir tool takes it); then each message as it arrives — watchfiles
  wakes the app at every change of `new/` and `cur/`, else it looks every `POLL` seconds.
  Listing and reading run in a thread; deciding in the app's loop.
- The TUI writes nothing by itself: no draft, no journal entry, until the user presses
  Ctrl+S. Then it writes the reply (and the written confirmation, where the decision has
  one) as it stands in Ask — the real text while names are hidden — and records the
  message as `mail --maildir` records a drafted one, so no other run drafts it again and
  `reply_once_days` holds. `--log` is for calls; mail is recorded by its draft.
- The same text is not written twice for one mail: Ctrl+S again says where the draft is;
  an edited text is written as a new draft (the one before stays: a file in Drafts is
  the mail client's).
"""

from __future__ import annotations

import asyncio
import os
import threading
from collections import OrderedDict
from datetime import datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from boundaries.journal.schema import RECEIVED

if TYPE_CHECKING:
    from boundaries.core.model import PolicySet
    from boundaries.core.request import Decision, Request
    from boundaries.service.mail import MailDecided
    from boundaries.service.mail_incoming import MailSeen, Saved

POLL = 2.0  # seconds between looks where watchfiles cannot watch
MAX_ROWS = 500  # mail kept for the Incoming list
CHANNEL = "email"
DRAFTS_HINT = ('name your mail client\'s Drafts Maildir in me.toml — [sources] drafts = '
               '"~/Mail/work/Drafts" — or start with --drafts DIR')


class MailRow(NamedTuple):
    """One mail of the Incoming list: its time as a request (`Date`, else delivery), who
    wrote (`party`: the From address), the decision made when it came, what happened;
    `arrived` the day it is listed for (its delivery)."""

    at: datetime
    party: str
    decision: Decision
    happened: str
    key: str
    arrived: datetime
    seen: MailSeen
    channel: str = CHANNEL
    missed: bool = False


class MailState:
    """The Maildir's plain state: `rows` (Message-ID or hash → MailRow) for the list,
    `state` (a SourceState) for the header, `opened` the mail Ask shows."""

    def __init__(self, *, maildir: str | None = None, drafts: str | None = None) -> None:
        self.flags = {"maildir": maildir, "drafts": drafts}
        self.maildir: Path | None = None
        self.drafts: Path | None = None
        self.name = ""
        self.incoming: Any = None  # service.mail_incoming.MailIncoming
        self.rows: OrderedDict[str, MailRow] = OrderedDict()
        self.state: Any = None  # SourceState
        self.how = "reading"  # then watching, or polling
        self.off = ""  # why the Maildir cannot be read now
        self.seen: set[str] = set()  # unique names listed this session
        self.unreadable: dict[str, str] = {}  # path -> why, each told once
        self.saved: dict[str, tuple[tuple[str | None, str | None], tuple[Path, ...]]] = {}
        self.opened: tuple[str, MailDecided, Any] | None = None  # key, decided, with ps
        self.started = False
        self.looks = 0
        self.poll = POLL
        self.stop = threading.Event()  # ends watchfiles' thread at once
        self.task: asyncio.Task | None = None


class MailSource:
    """The app's Maildir: `start_mail(ps)` once a set is in use, `stop_mail()` at the end."""

    mail: MailState

    # -- starting and stopping -----------------------------------------------------------
    def start_mail(self, ps: PolicySet) -> None:
        """Follow the Maildir the flags or `[sources]` name (once); a later set is used for
        new decisions."""
        st = self.mail
        if st.started:
            if st.incoming is not None:
                st.incoming.ps = ps
            return
        st.started = True
        from boundaries.policy.phone_sources import sources_in
        from boundaries.sources.mail.drafts import inside_maildir

        table = sources_in(Path(ps.root))
        maildir = st.flags["maildir"] or table.maildir
        if not maildir:
            return
        drafts = st.flags["drafts"] or table.drafts
        st.maildir = Path(maildir).expanduser()
        st.drafts = Path(drafts).expanduser() if drafts else None
        if st.drafts is not None and inside_maildir(st.maildir, st.drafts):
            self.notify("The Drafts folder is the Maildir itself (or in its new/, cur/ or "
                        "tmp/): no drafts are written. "
                        f"Give {DRAFTS_HINT.removeprefix('name ')}.", title="Mail",
                        severity="error", timeout=30)
            st.drafts = None
        st.name = f"maildir {_shown(st.maildir)}"
        from boundaries.service.mail_incoming import MailIncoming

        st.incoming = MailIncoming(ps, self.journal_folder, self.journal_cache,
                                   clock=self.now)
        self._mail_state()
        self._phone_opened()  # the header, and the Incoming tab and pane
        self.refresh_bindings()
        st.task = asyncio.get_running_loop().create_task(self._mail_follow())

    def stop_mail(self) -> None:
        st = self.mail
        st.stop.set()
        if st.task is not None and not st.task.done():
            st.task.cancel()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Ctrl+S (save draft) is there only while a Maildir is followed."""
        if action == "save_draft":
            return self.mail.maildir is not None
        return super().check_action(action, parameters)  # type: ignore[misc]

    # -- following the Maildir -----------------------------------------------------------
    async def _mail_follow(self) -> None:
        st = self.mail
        await self._mail_look()
        if await self._mail_watch():
            return
        st.how = "polling"
        self._mail_state()
        while not st.stop.is_set():
            await asyncio.sleep(st.poll)
            await self._mail_look()

    async def _mail_watch(self) -> bool:
        """Look again at each change of `new/` and `cur/` until stopped (True); False when
        watchfiles cannot watch them (the caller polls). Once the watch is set up (its
        first quiet moment) the Maildir is looked at again: what arrived meanwhile."""
        st = self.mail
        assert st.maildir is not None
        try:
            import watchfiles

            paths = [st.maildir / sub for sub in ("new", "cur") if (st.maildir / sub).is_dir()]
            if not paths:
                return False
            ready = False
            async for changed in watchfiles.awatch(
                    *paths, watch_filter=None, debounce=200, step=50, stop_event=st.stop,
                    rust_timeout=500, yield_on_timeout=True, recursive=False):
                if changed or not ready:
                    await self._mail_look()
                if not ready:
                    ready = True
                    st.how = "watching"
                    self._mail_state()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # no inotify, too many watches, a folder gone
            self.notify(f"Cannot watch {_shown(st.maildir)} ({type(exc).__name__}: {exc}): "
                        f"looking every {st.poll:g} s instead.", title="Mail",
                        severity="warning")
            return False
        return True

    async def _mail_look(self) -> None:
        """The messages delivered today that this session has not seen, decided and
        listed; a file that is no message told once."""
        from boundaries.core.time import zone
        from boundaries.service.mail_incoming import scan_maildir
        from boundaries.sources.mail.maildir import MaildirError

        st = self.mail
        assert st.maildir is not None and st.incoming is not None
        tz = zone(st.incoming.ps.me.timezone)
        today = datetime.combine(self.now().astimezone(tz).date(), time(), tz)
        try:
            scan = await asyncio.to_thread(scan_maildir, st.maildir, frozenset(st.seen),
                                           today.timestamp())
        except MaildirError as exc:
            if st.off != str(exc):
                st.off = str(exc)
                self.notify(f"{exc}" + (f" — {exc.hint}" if exc.hint else ""),
                            title="Mail", severity="error", timeout=30)
                self._mail_state()
            return
        st.off = ""
        st.looks += 1
        st.seen |= scan.names
        for path, why in scan.skipped:
            self._mail_skipped(path, why)
        st.incoming.journal.refresh()  # what another front end recorded meanwhile
        for item in scan.items:
            self._mail_show(st.incoming.decide(item.message), told=st.looks > 1)
        self._mail_state()
        self._mail_refill()

    def _mail_show(self, seen: MailSeen, *, told: bool) -> None:
        st = self.mail
        msg, m = seen.message, seen.decided
        if m is None:
            self._mail_skipped(msg.path, seen.problem)
            return
        if msg.key in st.rows:
            return  # the same message twice (a copy in new/ and cur/)
        st.rows[msg.key] = MailRow(m.request.at, msg.from_address or "", m.decision,
                                   _happened(seen), msg.key, msg.delivered or m.request.at,
                                   seen)
        while len(st.rows) > MAX_ROWS:
            st.rows.popitem(last=False)
        if told:
            d = m.decision
            summary = CHANNEL if d.discreet else self.mask(
                f"{CHANNEL} · {d.client_name or d.client or msg.from_address} · "
                f"{d.decision.upper()}", multiline=False)
            self.notify(f"{summary} — in Incoming (F10)", title="New mail")

    def _mail_skipped(self, path: str, why: str) -> None:
        """A file that is no message: said once this session, and counted in the header."""
        st = self.mail
        if path not in st.unreadable:
            st.unreadable[path] = why
            self.notify(f"{path}: {why}; skipped", title="Mail", severity="warning")

    def _mail_refill(self) -> None:
        for pane in self.query("IncomingPane"):
            pane.came()  # type: ignore[attr-defined]

    def _mail_state(self) -> None:
        from boundaries.sources.calls.state import SourceState

        st = self.mail
        details = []
        if st.off:
            state, details = "off", [st.off]
        else:
            state = st.how
            if st.how == "polling":
                details.append(f"looking every {st.poll:g} s")
        if st.unreadable:
            n = len(st.unreadable)
            details.append(f"{n} message{'s' if n != 1 else ''} not readable")
        if st.drafts is None:
            details.append("no Drafts")
        st.state = SourceState(st.name, state, ", ".join(details))
        self._update_header()

    def mail_header(self) -> list[str]:
        """The Maildir's state for the header (none when no Maildir is followed)."""
        from boundaries.core.text import visible

        state = self.mail.state
        return [] if state is None else [visible(state.describe(), multiline=False)]

    # -- a mail in Ask ---------------------------------------------------------------------
    def on_incoming_pane_ask_mail(self, message: Any) -> None:
        self.ask_mail(message.key)

    def ask_mail(self, key: str) -> None:
        """A mail of the list into Ask: from its address, channel email, at its time, its
        kind; decided again now (the journal as it is), with its no-reply rule."""
        from textual.widgets import Input

        from boundaries.tui.ask import AskPane
        from boundaries.tui.widgets import ChoiceBar

        st = self.mail
        row = st.rows.get(key)
        if row is None or st.incoming is None:
            return
        seen = st.incoming.decide(row.seen.message)
        if seen.decided is None:
            return
        m = seen.decided
        st.opened = (key, m, st.incoming.ps)
        self.action_tab("ask")
        ask = self.query_one(AskPane)
        when = m.request.at.isoformat(timespec="seconds")
        with self.prevent(Input.Changed, ChoiceBar.Changed):
            self.query_one("#channel", ChoiceBar).value = CHANNEL
            self.query_one("#when", Input).value = when
            self.query_one("#kind", ChoiceBar).value = m.request.kind
            self.query_one("#urgency", ChoiceBar).value = m.request.urgency
            ask.set_who(row.party)
        self.ringing.filled = {row.party, when, ""}
        ask.update_verdict()

    def mail_decision(self, req: Request) -> Decision | None:
        """The decision of the mail Ask shows, with its no-reply rule, while the form
        still holds that mail (its address, channel, time, kind); else None."""
        found = self._mail_in_ask(req)
        return found[1].decision if found is not None else None

    def _mail_in_ask(self, req: Request | None) -> tuple[str, MailDecided] | None:
        st = self.mail
        if st.opened is None or req is None:
            return None
        key, m, ps = st.opened
        r = m.request
        if (req.sender != r.sender or req.channel != r.channel or req.kind != r.kind
                or req.urgency != r.urgency
                or req.at.replace(microsecond=0) != r.at.replace(microsecond=0)):
            return None
        if ps is not st.incoming.ps and key in st.rows:  # policies reloaded: decide again
            seen = st.incoming.decide(st.rows[key].seen.message)
            if seen.decided is None:
                return None
            m = seen.decided
            st.opened = (key, m, st.incoming.ps)
        return key, m

    def mail_record_defaults(self, req: Request | None) -> tuple[str, int, str] | None:
        """F9 on the mail Ask shows: `received`, and whether its draft was written."""
        found = self._mail_in_ask(req)
        if found is None:
            return None
        return RECEIVED, 0, " · draft written" if found[0] in self.mail.saved else ""

    # -- Ctrl+S: the draft into Drafts -----------------------------------------------------
    def action_save_draft(self) -> None:
        """Write the reply of the mail in Ask, as it stands, into Drafts."""
        from boundaries.tui.ask import AskPane

        st = self.mail
        ask = self.query_one(AskPane)
        found = self._mail_in_ask(ask.request)
        if found is None:
            self.notify("Ctrl+S writes the reply to a mail into Drafts: open the mail from "
                        "Incoming (F10) with Enter first.", severity="warning")
            return
        key, m = found
        if st.drafts is None:
            self.notify(f"No Drafts folder to write the reply into: {DRAFTS_HINT}.",
                        title="Mail", severity="error", timeout=20)
            return
        if m.suppressed is not None:
            self.notify(f"No draft for this mail: {m.suppressed.text}.", severity="warning")
            return
        if m.reply is None and m.confirm is None:
            self.notify(f"No draft for this mail: {m.note or 'the decision has no message'}.",
                        severity="warning")
            return
        texts = tuple(_text(ask.draft(which)) if rep is not None else None
                      for which, rep in (("reply", m.reply), ("confirm", m.confirm)))
        if texts == (None, None):
            self.notify("The draft is empty: nothing to write.", severity="warning")
            return
        before = st.saved.get(key)
        if before is not None and before[0] == texts:
            self.notify(f"This draft is in Drafts already ({_names(before[1])}): edit it to "
                        "write another.", title="Drafts")
            return
        reply, confirm = texts
        drafts = st.drafts
        incoming = st.incoming

        def write() -> None:
            from boundaries.core.errors import BoundariesError

            try:
                saved = incoming.save(m, reply, confirm, drafts)
            except BoundariesError as exc:
                hint = f" — {exc.hint}" if exc.hint else ""
                self.call_from_thread(self.notify, f"No draft written: {exc}{hint}",
                                      title="Drafts", severity="error", timeout=20)
                return
            self.call_from_thread(self._mail_saved, key, texts, saved)

        self.run_worker(write, thread=True, group="mail-draft", exit_on_error=False)

    def _mail_saved(self, key: str, texts: tuple[str | None, str | None],
                    saved: Saved) -> None:
        st = self.mail
        st.saved[key] = (texts, saved.written)
        self.journal_cache.clear()  # the entry counts for every decision from now on
        row = st.rows.get(key)
        if row is not None:
            st.rows[key] = row._replace(happened="draft written")
        self._mail_refill()
        n = len(saved.written)
        where = ", ".join(_shown(p) for p in saved.written)
        note = ""
        if saved.already:
            note = " (the journal held this mail already: another run decided it)"
        self.notify(f"{'Drafts' if n > 1 else 'Draft'} written: {where}{note}.",
                    title="Drafts")
        if saved.problem:
            self.notify(f"Not recorded: {saved.problem}", severity="error", timeout=20)

    if TYPE_CHECKING:  # provided by the app
        from boundaries.tui.app import BoundariesApp as _App

        journal_folder: Any
        journal_cache: Any
        ringing: Any
        now = _App.now
        notify = _App.notify
        mask = _App.mask
        prevent = _App.prevent
        query = _App.query
        query_one = _App.query_one
        action_tab = _App.action_tab
        refresh_bindings = _App.refresh_bindings
        run_worker = _App.run_worker
        call_from_thread = _App.call_from_thread
        _update_header = _App._update_header
        _phone_opened = _App._phone_opened


def _happened(seen: MailSeen) -> str:
    """What the list says happened to a mail when it came."""
    from boundaries.service.mail_incoming import REPLIED

    m = seen.decided
    assert m is not None
    if seen.before is not None:
        return "decided before · replied" if seen.before == REPLIED else "decided before"
    if m.suppressed is not None:
        return f"no reply: {m.suppressed.rule}"
    if m.note:
        from boundaries.service.mail import NO_ADDRESS_OF_MINE

        return ("no reply: no address of mine" if m.note == NO_ADDRESS_OF_MINE
                else "no reply: no address to reply to")
    if m.reply is None and m.confirm is None:
        return "no message to send"
    return "reply ready"


def _text(draft: str) -> str | None:
    """A draft as it stands, or None when nothing but white space is left of it."""
    return draft if draft.strip() else None


def _names(paths: tuple[Path, ...]) -> str:
    return ", ".join(p.name for p in paths)


def _shown(path: Path) -> str:
    """A folder or file as the user wrote it: under ~ as `~/…`."""
    home = os.path.expanduser("~")
    text = os.fspath(path)
    if home not in ("", "/") and (text == home or text.startswith(home + os.sep)):
        return "~" + text[len(home):]
    return text


__all__ = ["POLL", "MailRow", "MailSource", "MailState"]

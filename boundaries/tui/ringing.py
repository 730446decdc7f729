"""The phone in the TUI (sources.md §8): the sources followed inside the app, each event
decided through `service.Incoming` with the app's JournalCache, and what the app does with
it — a ring takes the Ask screen (unless the user is typing there), rings the bell and
notifies; every request is kept for the Incoming list (`tui/incoming.py`).

`PhoneSources` is a part of the app (a mixin, as `LiveReload` is): it acts on the app
itself. Its plain state is `app.ringing` (`Ringing`), which the Incoming pane reads.

The sources are opened when the first good policy set is in use (their timezone and region
come from me.toml), from the flags (`--events`, `--fritzbox`, `--kdeconnect`) or me.toml's
`[sources]`. They run as one asyncio task in the app's loop — not a Textual worker: a call
monitor never ends, and `app.workers.wait_for_complete()` must still return — cancelled
when the app ends. A source that cannot be opened is a notification and `off` in the
header; the app goes on without it.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from boundaries.journal.schema import RECEIVED

if TYPE_CHECKING:
    from boundaries.core.model import PolicySet
    from boundaries.service.incoming import Seen

TYPING_SECONDS = 5.0  # an edit in Ask this recent, with the focus still there: "typing"
INCOMING_TAB = ("incoming", "Incoming F10", "")  # shown once a phone source is followed
MAX_ROWS = 500  # requests kept for the Incoming list
_HAPPENED = {"ring": "ringing", "connected": "talking", "message": "received",
             "lost": "its end never came"}


class Row(NamedTuple):
    """One request of the Incoming list: its call (as far as it went), who, the decision
    made when it came (None: withheld and undecidable never happens; my own calls are not
    listed), and what happened so far."""

    at: datetime
    party: str | None
    channel: str
    decision: Any
    happened: str
    missed: bool = False
    logged: str | None = None
    outcome: str | None = None  # at its end: answered, missed; a message: received
    minutes: int = 0


class Ringing:
    """The phone's plain state: `rows` for the Incoming list, `states` (source name →
    SourceState) for the header; `handled` is set after each event (tests wait on it)."""

    def __init__(self, *, events: str | None = None, fritzbox: str | None = None,
                 kdeconnect: bool = False, log: bool = False,
                 sources: list[Any] | None = None, filled: str = "") -> None:
        self.flags = {"events": events, "fritzbox": fritzbox, "kdeconnect": kdeconnect}
        self.log = log
        self.given = sources  # already opened (a test's stand-in)
        self.incoming: Any = None
        self.rows: OrderedDict[tuple[str, str], Row] = OrderedDict()
        self.states: dict[str, Any] = {}
        self.handled = asyncio.Event()
        self.started = False
        self.task: asyncio.Task | None = None
        self.last_edit = -TYPING_SECONDS
        self.filled = {filled, ""}  # what the app itself put into "who" (and "when")


class PhoneSources:
    """The app's phone: `start_phone(ps)` once a set is in use, `stop_phone()` at the end;
    the sources' events and states arrive in `on_phone_event` and `on_phone_state`."""

    ringing: Ringing

    # -- starting and stopping -----------------------------------------------------------
    def start_phone(self, ps: PolicySet) -> None:
        """Open the sources and follow them (once); a later set is used for new decisions."""
        r = self.ringing
        if r.started:
            if r.incoming is not None:
                r.incoming.ps = ps
            return
        r.started = True
        from boundaries.service import SourceError, chosen_sources, follow, open_sources

        sources = r.given
        if sources is None:
            specs = chosen_sources(ps, **r.flags)
            if not specs:
                return
            if any(s.kind == "events" and s.value == "-" for s in specs):
                self.notify("--events -: the TUI reads the keyboard from standard input; "
                            "give a file or a FIFO", severity="error", timeout=30)
                r.states["events -"] = _off("events -")
                specs = [s for s in specs if not (s.kind == "events" and s.value == "-")]
            try:
                sources = open_sources(specs, ps, clock=self.now, on_state=self.on_phone_state)
            except SourceError as exc:
                self.notify(f"{exc}" + (f" — {exc.hint}" if exc.hint else ""),
                            title="Phone source", severity="error", timeout=30)
                r.states["source"] = _off(str(exc).split(":")[0])
                self._phone_opened()
                return
        from boundaries.service import Incoming

        for source in sources:
            state = getattr(source, "state", None)
            if state is not None:
                r.states[state.source] = state
        r.incoming = Incoming(ps, self.journal_folder, log=r.log, clock=self.now,
                              journal=self.journal_cache)
        r.task = asyncio.get_running_loop().create_task(
            follow(sources, self.on_phone_event, on_tick=self.on_phone_tick))
        self._phone_opened()

    def _phone_opened(self) -> None:
        """The sources were opened (or failed to): the header says so, and the Incoming
        tab and pane appear."""
        from textual.widgets import ContentSwitcher

        from boundaries.tui.incoming import IncomingPane
        from boundaries.tui.widgets import TabBar

        self._update_header()
        if self.query("IncomingPane"):
            return
        bar = self.query_one("#tabs", TabBar)
        bar.options = [*bar.options, INCOMING_TAB]
        bar.refresh(layout=True)
        pane = IncomingPane(id="incoming")
        pane.display = False
        self.query_one("#main", ContentSwitcher).mount(pane)

    def stop_phone(self) -> None:
        task = self.ringing.task
        if task is not None and not task.done():
            task.cancel()

    # -- what the sources say --------------------------------------------------------------
    def on_phone_state(self, state: Any) -> None:
        self.ringing.states[state.source] = state
        self._update_header()

    def on_phone_event(self, source: Any, event: Any) -> None:
        try:
            for seen in self.ringing.incoming.take(event):
                self._phone_show(seen)
        finally:
            self.ringing.handled.set()

    def on_phone_tick(self) -> None:
        for seen in self.ringing.incoming.tick():
            self._phone_show(seen)

    def _phone_show(self, seen: Seen) -> None:
        """Keep the request for the list; a ring (or a message) told as §8 says."""
        call = seen.call
        if call.direction == "out":
            return  # my own call: recorded when it returns one, never listed
        if seen.problem:
            self.notify(f"Not recorded: {seen.problem}", severity="error")
        happened = _HAPPENED.get(seen.kind, seen.kind)
        if seen.kind == "finished":
            happened = (f"answered {seen.minutes} min" if seen.outcome == "answered"
                        else seen.outcome or "ended")
        rows = self.ringing.rows
        old = rows.get(call.key)
        decision = seen.decision if seen.decision is not None else (
            old.decision if old else None)
        rows[call.key] = Row(call.started, call.party, call.channel, decision, happened,
                             seen.kind == "finished" and seen.outcome != "answered",
                             seen.logged,
                             seen.outcome if seen.kind in ("finished", "message") else None,
                             seen.minutes)
        while len(rows) > MAX_ROWS:
            rows.popitem(last=False)
        if seen.kind == "ring":
            self._phone_ring(seen)
        elif seen.kind == "message":
            self.notify(self._phone_summary(seen), title=f"Incoming {call.channel}")
        for pane in self.query("IncomingPane"):
            pane.came()  # type: ignore[attr-defined]

    def _phone_ring(self, seen: Seen) -> None:
        """The bell, a notification, and the Ask screen with the caller — unless the user is
        typing there (or a dialog is open, or the number is withheld)."""
        self.bell()
        summary = self._phone_summary(seen)
        party = seen.call.party
        if party is None or self.phone_typing() or len(self.screen_stack) > 1:
            self.notify(f"{summary} — in Incoming (F10)", title="Incoming call")
            return
        from textual.widgets import Input

        from boundaries.tui.widgets import ChoiceBar

        self.ringing.filled = {party, ""}
        # ask_call decides once and shows it; the form's own Changed messages would decide
        # (and draw) it all again before the frame with the verdict goes out
        with self.prevent(Input.Changed, ChoiceBar.Changed):
            self.ask_call(party, seen.call.channel)
        # the toast after the frame with the verdict: its layout would hold that frame back
        self.call_after_refresh(self.notify, summary, title="Incoming call")

    def _phone_summary(self, seen: Seen) -> str:
        """`call · ACME Abrechnung GmbH · LATER`; of a discreet client only "call"."""
        d = seen.decision
        channel = seen.call.channel
        if d is None or d.discreet:
            return channel
        return self.mask(f"{channel} · {who(d, seen.call.party)} · {d.decision.upper()}",
                         multiline=False)

    def phone_record_defaults(self, party: str) -> tuple[str, int, str] | None:
        """F9 pre-filled from the newest finished call or message of `party` (as the Ask form
        has it): its outcome (a message: `received`), minutes, and what `--log` did with it;
        None if there is none."""
        for row in reversed(self.ringing.rows.values()):
            if row.party == party and row.outcome is not None:
                outcome = row.outcome if row.outcome in ("answered", RECEIVED) else "missed"
                logged = {"recorded": " · recorded by --log",
                          "already": " · already in the journal"}.get(row.logged or "", "")
                return outcome, row.minutes, logged
        return None

    # -- is the user typing? ---------------------------------------------------------------
    def phone_edited(self, widget: Any, value: str) -> None:
        """An input or draft in Ask changed: an edit of the user's if it has the focus and
        the value is not what the app itself put there (a caller, an emptied "when"; a
        draft filled with a new verdict has no focus)."""
        r = self.ringing
        if widget is self.focused and value not in r.filled:
            r.last_edit = time.monotonic()
            r.filled = set()

    def phone_typing(self) -> bool:
        """An input or draft of Ask has the focus and was edited in the last few seconds."""
        from textual.widgets import Input, TextArea

        from boundaries.tui.ask import AskPane

        focused = self.focused
        if not isinstance(focused, Input | TextArea):
            return False
        if not any(isinstance(a, AskPane) for a in focused.ancestors):
            return False
        return time.monotonic() - self.ringing.last_edit < TYPING_SECONDS

    if TYPE_CHECKING:  # provided by the app
        from boundaries.tui.app import BoundariesApp as _App

        journal_folder: Any
        journal_cache: Any
        focused: Any
        screen_stack: Any
        now = _App.now
        notify = _App.notify
        mask = _App.mask
        prevent = _App.prevent
        call_after_refresh = _App.call_after_refresh
        ask_call = _App.ask_call
        _update_header = _App._update_header
        bell = _App.bell
        query = _App.query
        query_one = _App.query_one


def who(d: Any, party: str | None) -> str:
    """The client's name (or id), else the number as it came, else `withheld`."""
    return d.client_name or d.client or party or "withheld"


def _off(name: str) -> Any:
    from boundaries.sources.calls.state import SourceState

    return SourceState(name, "off")


__all__ = ["TYPING_SECONDS", "PhoneSources", "Ringing", "Row", "who"]

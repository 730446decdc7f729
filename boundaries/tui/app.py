"""The Textual app: "Should I answer?" in one glance."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.markup import escape
from textual.notifications import SeverityLevel
from textual.reactive import reactive
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.widgets import ContentSwitcher, Footer, Header, Input

from boundaries.core.diagnostics import Diagnostic
from boundaries.core.model import PolicySet
from boundaries.core.text import visible
from boundaries.policy.discovery import Found
from boundaries.policy.result import LoadResult
from boundaries.service import JournalCache, find_set, peek_set
from boundaries.tui.ask import AskPane
from boundaries.tui.calendar_view import calendar_trouble
from boundaries.tui.mail_source import MailSource, MailState
from boundaries.tui.masking import HIDDEN, Masker
from boundaries.tui.reload import LiveReload, _stamp
from boundaries.tui.ringing import PhoneSources, Ringing
from boundaries.tui.sms_send import SmsSend
from boundaries.tui.widgets import ChoiceBar, OpenSource, TabBar

if TYPE_CHECKING:
    from boundaries.tui.incoming import IncomingPane
    from boundaries.tui.panes import ClientsPane

LAZY_PANES = ("WeekPane", "ClientsPane", "ProblemsPane", "JournalPane")  # see LazyPane
TABS = [("ask", "Ask F1", ""), ("week", "Week F2", ""), ("clients", "Clients F3", ""),
        ("problems", "Problems F4", ""), ("journal", "Journal F5", "")]

Clock = Callable[[], datetime]
Editor = Callable[[Path, int], None]

CLIPBOARD_NOTE = ("sent to your terminal's clipboard (OSC 52); if nothing arrives, your "
                  "terminal may not support it — select the text with the mouse instead")


class BoundariesApp(LiveReload, PhoneSources, MailSource, SmsSend, App[None]):
    """The boundaries TUI. Build it with `make_app`."""

    TITLE = "boundaries"
    AUTO_FOCUS = "#who"
    CSS = """
    #main { height: 1fr; }
    #main > * { padding: 0 1; }
    """
    BINDINGS = [
        Binding("f1", "tab('ask')", "Ask", show=False),
        Binding("f2", "tab('week')", "Week", show=False),
        Binding("f3", "tab('clients')", "Clients", show=False),
        Binding("f4", "tab('problems')", "Problems", show=False),
        # before the focused widget's: a draft's TextArea binds F6 and F7 (select line, all)
        Binding("f6", "toggle_discreet", "Hide names", priority=True),
        Binding("f7", "copy('reply')", "Copy reply", priority=True),
        Binding("f8", "copy('confirm')", "Copy confirm", show=False),
        Binding("f5", "tab('journal')", "Journal", show=False),
        Binding("f9", "record", "Record"),
        Binding("f10", "tab('incoming')", "Incoming", show=False),
        Binding("ctrl+s", "save_draft", "Save draft"),  # a mail's, into Drafts (mail_source)
        Binding("ctrl+t", "send_sms", "Send SMS"),  # the reply, after a dialog (sms_send)
        Binding("ctrl+r", "reload", "Reload", show=False),
        Binding("question_mark", "help", "Keys", priority=True),
        Binding("ctrl+q", "quit", "Quit"),
    ]

    discreet_screen: reactive[bool] = reactive(False, init=False)

    def __init__(self, found: Found, clock: Clock, editor: Editor | None,
                 watch_interval: float | None, preloaded: LoadResult | None = None,
                 initial_who: str = "", journal: Path | None = None,
                 phone: dict | None = None, mail: dict | None = None) -> None:
        super().__init__()
        self.journal_folder = journal
        self._journal = JournalCache(journal)  # each month read once, until a record
        self._preloaded = preloaded
        self.initial_who = initial_who
        self.found = found
        self.clock = clock
        self.editor = editor
        self.watch_interval = watch_interval
        self.policies: PolicySet | None = None
        self.diagnostics: tuple[Diagnostic, ...] = ()
        self.stale = False
        self.loaded = False
        self._stamp: tuple = ()
        self._calendar_stamp: tuple | None = None
        self._calendar_told: frozenset[str] = frozenset()
        self._masker = Masker(None)
        self._panes_mounted = False
        self.ringing = Ringing(**(phone or {}), filled=initial_who)  # tui/ringing.py
        self.mail = MailState(**(mail or {}))  # tui/mail_source.py

    # -- layout ----------------------------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield TabBar(TABS, "ask", id="tabs")
        with ContentSwitcher(id="main", initial="ask"):
            yield AskPane(id="ask")
            # the other panes (and their module) are mounted after the first paint
        yield Footer()

    def on_mount(self) -> None:
        self.call_after_refresh(self._mount_other_panes)
        self._update_header()
        if self._preloaded is not None:  # a warm compiled cache, read before the UI started
            self.apply_result(self._preloaded, _stamp(self.found.path))
            self._preloaded = None
            self.call_after_refresh(self.stamp_calendars)  # the vdir's stats after the paint
        else:
            self.load_policies()
        if self.watch_interval:
            self.set_interval(self.watch_interval, self.poll_files)
        self.set_interval(30, self._follow_clock)

    def _mount_other_panes(self) -> AwaitMount | None:
        """Week, Clients, Problems and Journal, hidden until their tab is shown (once)."""
        if self._panes_mounted:
            return None
        self._panes_mounted = True
        from boundaries.tui.journal_view import JournalPane
        from boundaries.tui.panes import ClientsPane, ProblemsPane, WeekPane

        panes = (WeekPane(id="week"), ClientsPane(id="clients"), ProblemsPane(id="problems"),
                 JournalPane(id="journal"))
        for pane in panes:
            pane.display = False
        return self.query_one("#main", ContentSwitcher).mount(*panes)

    # -- the journal ---------------------------------------------------------------------------
    def journal_entries(self, months: list[str]) -> tuple[list, list]:
        """Entries and warnings of these months (read once, kept until something is recorded)."""
        return self._journal.entries(months)

    def journal_month_entries(self) -> tuple[list[str], list, list]:
        from boundaries.core.time import zone
        from boundaries.journal.store import month_of

        tz = zone(self.policies.me.timezone) if self.policies else UTC
        month = month_of(self.now().astimezone(tz))
        entries, warnings = self.journal_entries([month])
        return [month], entries, warnings

    @property
    def journal_cache(self) -> JournalCache:
        """The app's journal months, shared with the phone's decisions (`Incoming`)."""
        return self._journal

    def facts_for(self, req):
        """What the journal says about `req` (budget used, repeats, replies sent)."""
        assert self.policies is not None
        return self._journal.facts(self.policies, req)

    def action_record(self) -> None:
        """Record the request on the Ask screen, its decision and what I did."""
        from boundaries.tui.journal_view import RecordScreen

        ask = self.query_one(AskPane)
        d, req = ask.decision, ask.request
        if d is None or req is None:
            self.notify("Nothing to record: type who is calling first.", severity="warning")
            return
        if self.journal_folder is None:
            self.notify("No journal folder.", severity="error")
            return
        who = d.client_name or d.client or req.sender.raw
        summary = self.mask(f"{d.decision.upper()} · {who} · {req.channel} · "
                            f"{d.at.strftime('%a %d.%m. %H:%M')}")
        default = {"answer": "answered", "later": "missed", "decline": "declined"}[d.decision]
        minutes = 0
        from_call = self.mail_record_defaults(req) or self.phone_record_defaults(
            ask.fields()["from"])  # a mail, or a call of Incoming
        if from_call is not None:
            default, minutes, logged = from_call
            summary += logged

        def done(result: tuple[str, int, str] | None) -> None:
            if result is not None:
                self._write_record(req, d, *result)

        screen = RecordScreen(summary, default)
        self.push_screen(screen, done)
        if minutes:
            self.call_after_refresh(lambda: setattr(screen.query_one("#minutes", Input),
                                                    "value", str(minutes)))

    @work(thread=True, exit_on_error=False, group="record")
    def _write_record(self, req, d, outcome: str, minutes: int, note: str) -> None:
        from boundaries.service import JournalWriteError, record

        ps = self.policies
        assert ps is not None and self.journal_folder is not None
        try:
            path = record(ps, req, d, outcome, minutes, note, self.journal_folder, self.now())
        except JournalWriteError as exc:
            self.call_from_thread(self.notify, f"Could not write the journal: {exc.reason}",
                                  severity="error")
            return
        self.call_from_thread(self._recorded, path, outcome)

    def _recorded(self, path: Path, outcome: str) -> None:
        self._journal.clear()
        self.refresh_all()
        self.notify(f"Recorded ({outcome}) in {path.name}.", title="Journal")

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """A toast with its control characters made visible, and (by default) no markup: a
        message may quote a file name, an error or a note."""
        super().notify(visible(message), title=visible(title, multiline=False),
                       severity=severity, timeout=timeout, markup=markup)

    # -- time and masking --------------------------------------------------------------------
    def now(self) -> datetime:
        """The app's clock (injectable for tests)."""
        return self.clock()

    def mask(self, text: str, *, multiline: bool = True, private: Iterable[str] = ()) -> str:
        """`text` as the screen may show it: names and numbers hidden while the discreet
        screen is on — and each of `private` (a calendar event's summary) that it quotes —
        and control characters made visible (`core.text.visible`). Every string from a file
        or an input reaches a widget through here or `visible`."""
        if self.discreet_screen:
            for secret in sorted({p for p in private if p}, key=len, reverse=True):
                text = text.replace(secret, HIDDEN)
            text = self._masker(text)
        return visible(text, multiline=multiline)

    def _follow_clock(self) -> None:
        ask = self.query_one(AskPane)
        if ask.now_follows_clock():
            ask.update_verdict()

    # -- loading and live reload (tui/reload.py) ------------------------------------------
    def take_policies(self) -> None:
        """A new set (or the last good one with its calendars read again) is in use."""
        self._masker = Masker(self.policies)
        if self.policies is not None:
            self.start_phone(self.policies)
            self.start_mail(self.policies)

    def refresh_all(self) -> None:
        self._update_header()
        ask = self.query_one(AskPane)
        ask.refresh_suggestions()
        ask.update_verdict()
        # the other panes mount after the first paint and fill themselves then (LazyPane)
        for name in (*LAZY_PANES, "IncomingPane"):
            for pane in self.query(name):
                if pane.ready:  # type: ignore[attr-defined]
                    pane.refill()  # type: ignore[attr-defined]

    def _update_header(self) -> None:
        where = "example set (shipped)" if self.found.is_example else _short(self.found.path)
        parts = [f"policies: {visible(where, multiline=False)}"]
        if not self.loaded:
            parts.append("loading…")
        elif self.stale:
            parts.append("⚠ errors — using last good set")
        elif self.policies is None:
            parts.append("⚠ errors — nothing to decide with")
        if self.policies is not None and self.policies.calendar.problems:
            parts.append(calendar_trouble(self.policies))
        if self.discreet_screen:
            parts.append("◌ names hidden")
        parts += [visible(s.describe(), multiline=False) for s in self.ringing.states.values()]
        parts += self.mail_header()
        self.sub_title = " · ".join(parts)

    # -- actions -------------------------------------------------------------------------------
    FOCUS_IN_TAB = {"ask": "#who", "week": "#week-of", "clients": "#client-filter",
                    "problems": "#problem-table", "journal": "#journal-table",
                    "incoming": "#incoming-table"}

    @property
    def active_tab(self) -> str:
        """The id of the tab shown: ask, week, clients, problems, journal or incoming."""
        return self.query_one("#main", ContentSwitcher).current or "ask"

    def action_tab(self, tab: str) -> None:
        """Show a tab and focus its first control (focus left behind would pull it back)."""
        bar = self.query_one("#tabs", TabBar)
        with bar.prevent(ChoiceBar.Changed):
            bar.value = tab
        self._show_tab(tab, focus=True)

    def on_choice_bar_changed(self, event: ChoiceBar.Changed) -> None:
        """A click on the tab row, or ←/→ on it: focus moves into the tab shown."""
        if event.bar.id == "tabs":
            self._show_tab(event.value, focus=False)

    def _show_tab(self, tab: str, focus: bool) -> None:
        """Show `tab`; the Week follows the Ask form. Focus moves to the tab's first control
        if `focus`, or if it is left outside the tab."""
        mounting = self._mount_other_panes()
        if tab == "incoming" and not self.query("IncomingPane"):
            return  # no phone source followed: no Incoming tab
        if mounting is not None:  # a key pressed before the first paint's callbacks ran
            async def when_mounted() -> None:
                await mounting
                self._show_tab(tab, focus)

            self.call_later(when_mounted)
            return
        self.query_one("#main", ContentSwitcher).current = tab
        if tab == "week":
            d = self.query_one(AskPane).decision
            if d is not None:
                for week in self.query("WeekPane"):
                    week.show_for(f"client:{d.client}" if d.client  # type: ignore[attr-defined]
                                  else f"tier:{d.tier}")
        pane = self.query_one(f"#{tab}")
        if focus or self.focused is None or pane not in self.focused.ancestors:
            for target in self.query(self.FOCUS_IN_TAB[tab]):
                self.set_focus(target)

    def action_reload(self) -> None:
        self.load_policies()

    def action_toggle_discreet(self) -> None:
        self.discreet_screen = not self.discreet_screen

    def watch_discreet_screen(self, hidden: bool) -> None:
        self.query_one("#who", Input).password = hidden
        self.refresh_all()

    def action_copy(self, which: str) -> None:
        text = self.query_one(AskPane).draft(which)
        label = "Reply" if which == "reply" else "Confirmation"
        if not text.strip():
            self.notify(f"No {label.lower()} to copy for this request.", severity="warning")
            return
        self.copy_to_clipboard(text)
        self.notify(f"{label} {CLIPBOARD_NOTE}.", title="Copied")

    def action_help(self) -> None:
        from textual.widgets import TextArea  # imported with the drafts, after the first paint

        focused = self.focused
        if isinstance(focused, Input):
            focused.insert_text_at_cursor("?")
        elif isinstance(focused, TextArea) and not focused.read_only:
            focused.insert("?")
        elif self.screen.query("HelpPanel"):
            self.action_hide_help_panel()
        else:
            self.action_show_help_panel()

    # -- what the widgets ask for (messages up; see tui/widgets.py) ---------------------------
    def on_clients_pane_ask_about(self, message: ClientsPane.AskAbout) -> None:
        self.ask_about(message.client_id)

    def on_open_source(self, message: OpenSource) -> None:
        self.open_source(message.source)

    # -- the phone (tui/ringing.py, tui/incoming.py) -----------------------------------------
    def on_incoming_pane_ask_about(self, message: IncomingPane.AskAbout) -> None:
        self.ask_call(message.party, message.channel)

    def ask_call(self, party: str, channel: str) -> None:
        """A caller (a ring, or a row of Incoming) into the Ask form, decided now."""
        self.action_tab("ask")
        ask = self.query_one(AskPane)
        self.query_one("#channel", ChoiceBar).value = channel
        self.query_one("#when", Input).value = ""
        ask.set_who(party)
        ask.update_verdict()

    def on_input_changed(self, event: Input.Changed) -> None:
        if any(isinstance(a, AskPane) for a in event.input.ancestors):
            self.phone_edited(event.input, event.value)

    def on_text_area_changed(self, event) -> None:  # a draft edited in Ask
        self.phone_edited(event.text_area, event.text_area.text)

    def on_unmount(self) -> None:
        self.stop_phone()
        self.stop_mail()

    def ask_about(self, client_id: str) -> None:
        """Put a client into the Ask form and show it."""
        self.action_tab("ask")
        self.query_one(AskPane).set_who(client_id)

    def week_of(self, key: str) -> None:
        self.action_tab("week")
        for week in self.query("WeekPane"):
            week.show_for(key)  # type: ignore[attr-defined]

    def open_source(self, source: str) -> None:
        """Open `PATH:LINE` (relative to the policy folder) in $VISUAL / $EDITOR."""
        rel, _, line_s = source.rpartition(":")
        # a calendar outside the folder is named as me.toml wrote it (~ expanded here)
        path = (self.found.path / os.path.expanduser(rel)) if rel else self.found.path
        line = int(line_s) if line_s.isdigit() else 1
        if self.editor is not None:
            self.editor(path, line)
            return
        if self.found.is_example:
            self.notify("This is the shipped example set: copy it and pass --policies to edit "
                        "your own.", severity="warning")
        import subprocess

        command = editor_command(path, line)
        try:
            with self.suspend():
                subprocess.call(command)
        except (OSError, Exception) as exc:  # no terminal to hand over, or no such editor
            self.notify(f"Could not open an editor ({exc}). Set $EDITOR.", severity="error")
            return
        self.poll_files()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Ask", "The request form (F1)", lambda: self.action_tab("ask"))
        yield SystemCommand("Week", "The coming week (F2)", lambda: self.action_tab("week"))
        yield SystemCommand("Clients", "All clients (F3)", lambda: self.action_tab("clients"))
        yield SystemCommand("Problems", "Policy diagnostics (F4)",
                            lambda: self.action_tab("problems"))
        yield SystemCommand("Hide or show names", "Discreet screen (F6)",
                            self.action_toggle_discreet)
        yield SystemCommand("Copy reply", "To the clipboard (F7)",
                            lambda: self.action_copy("reply"))
        yield SystemCommand("Reload policies", "Read the policy files again (Ctrl+R)",
                            self.action_reload)
        ps = self.policies
        if ps is None:
            return
        def shown(text: str) -> str:  # the palette reads markup
            return escape(self.mask(text, multiline=False))

        for c in sorted(ps.clients.values(), key=lambda c: c.name):
            yield SystemCommand(shown(f"Ask about {c.name}"),
                                shown(f"client {c.id}, tier {c.tier}"),
                                lambda cid=c.id: self.ask_about(cid))
        for t in sorted(ps.tiers):
            yield SystemCommand(shown(f"Week of tier {t}"), shown(ps.tiers[t].description or ""),
                                lambda key=f"tier:{t}": self.week_of(key))


def editor_command(path: Path, line: int) -> list[str]:
    """The command that opens `path` at `line` in the user's editor."""
    import shlex

    raw = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    parts = shlex.split(raw)
    name = Path(parts[0]).name
    if name in ("code", "codium"):
        return [*parts, "-g", f"{path}:{line}"]
    if name in ("subl", "zed", "hx", "helix"):
        return [*parts, f"{path}:{line}"]
    return [*parts, f"+{line}", str(path)]


def _short(path: Path) -> str:
    """The folder as a user recognises it: relative to here, else to ~, else absolute."""
    full = path.resolve()
    for base, prefix in ((Path.cwd(), ""), (Path.home(), "~/")):
        try:
            return prefix + str(full.relative_to(base.resolve()))
        except ValueError:
            continue
    return str(full)


def make_app(policies: str | os.PathLike | None = None, clock: Clock | None = None,
             editor: Editor | None = None, watch_interval: float | None = 1.0,
             who: str = "", journal: str | os.PathLike | None = None, *,
             events: str | None = None, fritzbox: str | None = None, kdeconnect: bool = False,
             log: bool = False, call_sources: list | None = None, maildir: str | None = None,
             drafts: str | None = None) -> BoundariesApp:
    """The one factory for the CLI and every test: discovery, clock and editor injectable.

    `who` prefills the Ask form (e.g. the caller's number from a phone integration).
    `events`, `fritzbox`, `kdeconnect` name the phone sources (else me.toml's `[sources]`),
    `log` records finished calls; `call_sources` are sources already opened (a test's).
    `maildir`, `drafts` name the Maildir followed and the Drafts (else `[sources]`).
    """
    from boundaries.journal.store import journal_dir

    found = find_set(policies)
    return BoundariesApp(found, clock or (lambda: datetime.now(UTC)), editor, watch_interval,
                         peek_set(found), initial_who=who,
                         journal=journal_dir(journal),
                         phone={"events": events, "fritzbox": fritzbox,
                                "kdeconnect": kdeconnect, "log": log,
                                "sources": call_sources},
                         mail={"maildir": maildir, "drafts": drafts})

"""The journal in the TUI: recording a request, and the Journal pane (entries and report)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Label, Static

from boundaries.core.text import visible
from boundaries.journal.store import OUTCOMES
from boundaries.tui.widgets import ChoiceBar, LazyPane

if TYPE_CHECKING:
    from boundaries.tui.app import BoundariesApp

OUTCOME_OPTIONS = [("answered", "answered", "a"), ("called-back", "called back", "c"),
                   ("missed", "missed", "m"), ("declined", "declined", "d"),
                   ("received", "received", "r")]  # a message that came in: nothing done
assert [o[0] for o in OUTCOME_OPTIONS] == list(OUTCOMES)


class RecordScreen(ModalScreen[tuple[str, int, str] | None]):
    """What did I do about this request? Outcome, minutes, a note."""

    DEFAULT_CSS = """
    RecordScreen { align: center middle; }
    RecordScreen > Vertical { width: 64; height: auto; border: thick $accent;
                              background: $surface; padding: 1 2; }
    RecordScreen Label { margin-top: 1; color: $text-muted; }
    RecordScreen #record-buttons { height: auto; margin-top: 1; }
    RecordScreen #record-error { color: $error; height: auto; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, summary: str, default_outcome: str) -> None:
        super().__init__()
        self.summary = summary
        self.default_outcome = default_outcome

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.summary, markup=False)
            yield Label("What did I do? keys a c m d r", markup=False)
            yield ChoiceBar(OUTCOME_OPTIONS, self.default_outcome, id="outcome")
            yield Label("Minutes spent", markup=False)
            yield Input("0", id="minutes", type="integer", compact=True)
            yield Label("Note (what was agreed)", markup=False)
            yield Input("", id="note", compact=True)
            yield Static("", id="record-error")
            with Horizontal(id="record-buttons"):
                yield Button("Save (Ctrl+S)", variant="primary", id="save")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#outcome").focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        raw = self.query_one("#minutes", Input).value.strip() or "0"
        if not raw.isdigit():
            self.query_one("#record-error", Static).update("Minutes: a whole number, e.g. 15.")
            return
        outcome = self.query_one("#outcome", ChoiceBar).value
        self.dismiss((outcome, int(raw), self.query_one("#note", Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)


class JournalPane(LazyPane, VerticalScroll):
    """Recent journal entries and this month's report per client."""

    DEFAULT_CSS = """
    JournalPane #journal-state { padding: 0 1; height: auto; color: $text-muted; }
    JournalPane DataTable { height: auto; max-height: 14; }
    JournalPane #report { padding: 1 1 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="journal-state", markup=False)
        yield DataTable(id="journal-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="report", markup=False)

    @property
    def bapp(self) -> BoundariesApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        table = self.query_one("#journal-table", DataTable)
        for col in ("when", "who", "channel", "decision", "outcome", "min", "note"):
            table.add_column(col, key=col)
        self.refill()
        self.ready = True

    def refill(self) -> None:
        self.refresh_journal()

    def refresh_journal(self) -> None:
        """Show the last 50 entries, the current month's report and any conflict copies."""
        from boundaries.journal.report import build, render_text
        from boundaries.journal.store import conflict_copies

        app = self.bapp
        months, entries, warnings = app.journal_month_entries()

        def cell(text: str) -> Text:  # text from the journal: masked, control chars shown
            return Text(visible(app.mask(text), multiline=False))

        table = self.query_one("#journal-table", DataTable)
        table.clear()
        for e in reversed(entries[-50:]):
            d = e.data
            table.add_row(Text(e.at.strftime("%a %d.%m. %H:%M")),
                          cell(d.get("client") or d.get("from", "")), cell(d.get("channel", "")),
                          cell(d.get("decision", "")), cell(d.get("outcome", "")),
                          Text(str(d.get("minutes") or "")), cell(d.get("note", "")))
        from boundaries.tui.app import _short

        folder = app.journal_folder
        where = _short(folder) if folder else "none"
        state = f"journal: {where} · {len(entries)} entries in {months[-1]}"
        if warnings:
            state += f" · {len(warnings)} unreadable line(s): {warnings[0]}"
        copies = conflict_copies(folder) if folder else []
        if copies:
            state += (f" · {len(copies)} conflict cop{'y' if len(copies) == 1 else 'ies'} of a "
                      f"sync tool, read and each entry counted once: "
                      f"{', '.join(p.name for p in copies)} (see `boundaries where`)")
        self.query_one("#journal-state", Static).update(
            visible(app.mask(state), multiline=False))
        report = render_text(build(entries, app.policies, 1), f"Report {months[-1]}")
        self.query_one("#report", Static).update(app.mask(report))

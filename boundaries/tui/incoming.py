"""The Incoming pane: today's calls and messages as they came (sources.md §8), and today's
mail (§9, `tui/mail_source.py`) — time, who (hidden by F6 like every name), the channel,
the verdict, what happened (a mail: `reply ready`, `no reply: list`, `draft written`, …),
and for a missed call that I may call back (its callback is not `never`) when: the next
window of the decision made at its ring. The consultant's call-back list. Under the list,
where the reply of the row under the cursor would go ("reply via SMS to +43 664 1234567",
sources.md §10; a line, not a column: the row's cells stay as they were). Enter on a row
posts `AskAbout` (a call or message: the app puts the caller into Ask) or `AskMail` (a
mail: the app opens it in Ask with its draft)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Static

from boundaries.core.text import visible
from boundaries.core.time import zone
from boundaries.tui.ringing import who
from boundaries.tui.widgets import LazyPane

if TYPE_CHECKING:
    from boundaries.tui.app import BoundariesApp
    from boundaries.tui.mail_source import MailRow
    from boundaries.tui.ringing import Row

VERDICT = {"answer": "✔ answer", "later": "◷ later", "decline": "✖ decline"}


class IncomingPane(LazyPane, Vertical):
    """Today's requests, newest first; Enter opens one in Ask."""

    DEFAULT_CSS = """
    IncomingPane #incoming-state { padding: 0 1; height: auto; color: $text-muted; }
    IncomingPane DataTable { height: 1fr; }
    IncomingPane #incoming-via { padding: 0 1; height: 1; color: $text-muted; }
    """

    class AskAbout(Message):
        """Put `party` (on `channel`) into the Ask form: the app handles it."""

        def __init__(self, party: str, channel: str) -> None:
            super().__init__()
            self.party = party
            self.channel = channel

    class AskMail(Message):
        """Open the mail with this key (Message-ID, else hash) in Ask: the app handles it."""

        def __init__(self, key: str) -> None:
            super().__init__()
            self.key = key

    def compose(self) -> ComposeResult:
        yield Static("", id="incoming-state", markup=False)
        yield DataTable(id="incoming-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="incoming-via", markup=False)

    @property
    def bapp(self) -> BoundariesApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        table = self.query_one("#incoming-table", DataTable)
        for col in ("time", "who", "channel", "verdict", "what happened", "call back"):
            table.add_column(col, key=col)
        self.refill()
        self.ready = True

    stale = False  # a request came while the pane was hidden

    def on_show(self) -> None:
        if self.stale:
            self.refill()

    def came(self) -> None:
        """A row came or changed: the list drawn again now if it is shown, else when it is
        (a ring's frame has no table to redo)."""
        if self.ready and self.display:
            self.refill()
        else:
            self.stale = True

    def refill(self) -> None:
        """Today's rows (in my timezone), newest first: calls and messages by when they
        came, mail by when it was delivered (shown at its Date)."""
        self.stale = False
        app = self.bapp
        ps = app.policies
        tz = zone(ps.me.timezone) if ps is not None else None
        today = app.now().astimezone(tz).date()
        table = self.query_one("#incoming-table", DataTable)
        table.clear()
        rows: list[tuple[str, Row | MailRow]] = [
            ("c\x1f" + "\x1f".join(key), r) for key, r in app.ringing.rows.items()
            if r.at.astimezone(tz).date() == today]
        rows += [("m\x1f" + key, r) for key, r in app.mail.rows.items()
                 if r.arrived.astimezone(tz).date() == today]
        rows.sort(key=lambda kr: kr[1].at)
        for key, r in reversed(rows):
            table.add_row(*self.cells(r, tz, today), key=key)
        owed = sum(1 for _k, r in rows if r.missed and _may_call_back(r))
        state = f"{len(rows)} today"
        if owed:
            state += f" · {owed} to call back"
        if not rows:
            state = "nothing yet today: calls, messages and mail show here as they come"
        self.query_one("#incoming-state", Static).update(state)
        self.show_via()

    def show_via(self) -> None:
        """Where the reply of the row under the cursor goes (masked by F6)."""
        from boundaries.tui.ask import via_line

        table = self.query_one("#incoming-table", DataTable)
        line = ""
        if table.row_count and table.cursor_row >= 0:
            key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value or ""
            r = self._row(key)
            d = r.decision if r is not None else None
            line = via_line("reply", d) or ("no reply to send" if d is not None else "")
            if line:  # which row: its time, as the list shows it
                line = f"▸ {table.get_cell_at(Coordinate(table.cursor_row, 0))} · {line}"
        self.query_one("#incoming-via", Static).update(self.bapp.mask(line, multiline=False))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.show_via()

    def _row(self, key: str) -> Row | MailRow | None:
        kind, _, value = key.partition("\x1f")
        if kind == "m":
            return self.bapp.mail.rows.get(value)
        source, _, sid = value.partition("\x1f")
        return self.bapp.ringing.rows.get((source, sid))

    def cells(self, r: Row | MailRow, tz, today) -> list[Text]:
        app = self.bapp
        d = r.decision
        name = who(d, r.party) if d is not None else (r.party or "withheld")
        back = ""
        if r.missed and _may_call_back(r):
            back = _window(d, tz)
        at = r.at.astimezone(tz)
        return [Text(at.strftime("%H:%M:%S" if at.date() == today else "%a %d.%m. %H:%M")),
                Text(app.mask(name, multiline=False)), Text(r.channel),
                Text(VERDICT.get(d.decision, d.decision) if d is not None else ""),
                Text(visible(r.happened, multiline=False)), Text(back)]

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value or ""
        kind, _, mail_key = key.partition("\x1f")
        if kind == "m":
            self.post_message(self.AskMail(mail_key))
            return
        row = self._row(key)
        if row is not None and row.party is not None:
            self.post_message(self.AskAbout(row.party, row.channel))


def _may_call_back(r: Row | MailRow) -> bool:
    return r.decision is not None and r.decision.callback != "never"


def _window(d, tz) -> str:
    """When I may call back: the decision's next window (`now, until 17:00` when it is
    open at the ring; `Fri 09.01. 08:00–12:00`), or `no window within a year`."""
    if d.next_window is None:
        return "no window within a year"
    start, end = (t.astimezone(tz) for t in d.next_window)
    if start <= d.at < end:
        return f"now, until {end.strftime('%H:%M')}"
    day = "today" if start.date() == d.at.astimezone(tz).date() else start.strftime("%a %d.%m.")
    return f"{day} {start.strftime('%H:%M')}–{end.strftime('%H:%M')}"

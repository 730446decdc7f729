"""The Week, Clients and Problems panes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widgets import DataTable, Input, Select, Static

from boundaries.core.model import PolicySet, Tier
from boundaries.core.text import visible
from boundaries.core.time import zone
from boundaries.core.week import DayRow, week_rows
from boundaries.tui.calendar_view import week_event_lines
from boundaries.tui.widgets import LazyPane, OpenSource, SafeInput

if TYPE_CHECKING:
    from boundaries.tui.app import BoundariesApp

_CELL_STYLE = {"█": "$success", "▒": "$warning", "×": "bold $error", "·": "$text-disabled"}
LEGEND = "█ reachable  ▒ partly  · not  ▶ today  │ now"
LEGEND_CALENDAR = "█ reachable  ▒ partly  × busy (calendar)  · not  ▶ today  │ now"


def _grid(rows: list[DayRow], title: str, now_day, now_slot: int | None) -> Content:
    """The week as a grid; `title` is shown as given (made safe by the caller)."""
    head = " " * 11 + "".join(f"{h:02d}    " for h in range(0, 24, 3))
    lines = [Content.styled(title, "bold"), Content.styled(head.rstrip(), "dim")]
    for r in rows:
        marker = "▶" if r.day == now_day else " "
        line = Content(f"{marker}{r.day.strftime('%a %d.%m'):<10}")
        for i, cell in enumerate(r.cells):
            style = _CELL_STYLE.get(cell, "")
            if r.day == now_day and i == now_slot:
                line = line.append(Content.styled("│", "bold $accent"))
            else:
                line = line.append(Content.styled(cell, style))
        line = line.append(Content("  " + visible(r.mark or r.windows or "—", multiline=False)))
        lines.append(line)
    return Content("\n").join(lines)


class WeekPane(LazyPane, VerticalScroll):
    """The coming week of one tier or client: reachable time, holidays, time off, now."""

    DEFAULT_CSS = """
    WeekPane #week-pick { height: auto; }
    WeekPane #week-pick Select { width: 40; }
    WeekPane Static { padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="week-pick"):
            yield Select([], prompt="tier or client", id="week-of", compact=True)
        yield Static("", id="week-grid")
        yield Static(LEGEND, id="legend")
        yield Static("", id="week-events", markup=False)  # the calendar's events, masked

    def on_mount(self) -> None:
        self.refill()
        self.ready = True

    def refill(self) -> None:
        self.refresh_choices()
        self.render_week()

    @property
    def bapp(self) -> BoundariesApp:
        return self.app  # type: ignore[return-value]

    def refresh_choices(self) -> None:
        ps = self.bapp.policies
        select = self.query_one("#week-of", Select)
        if ps is None:
            select.set_options([])
            return
        mask = self.bapp.mask
        # Text, not str: a Select reads a str label as markup
        options = [(Text(visible(f"tier {t}", multiline=False)), f"tier:{t}")
                   for t in sorted(ps.tiers)]
        options += [(Text(mask(f"client {c.name} ({c.id})", multiline=False)), f"client:{c.id}")
                    for c in sorted(ps.clients.values(), key=lambda c: c.name)]
        current = select.value
        select.set_options(options)
        if current in {v for _, v in options}:
            select.value = current
        elif options:
            select.value = options[0][1]

    def show_for(self, key: str) -> None:
        select = self.query_one("#week-of", Select)
        try:
            select.value = key
        except Exception:  # an id that is not (or no longer) among the options
            return

    def on_select_changed(self, event: Select.Changed) -> None:
        self.render_week()

    def render_week(self) -> None:
        ps = self.bapp.policies
        grid = self.query_one("#week-grid", Static)
        value = self.query_one("#week-of", Select).value
        events = self.query_one("#week-events", Static)
        events.update("")
        events.display = False
        if ps is None or not isinstance(value, str):
            grid.update("")
            return
        self.query_one("#legend", Static).update(LEGEND_CALENDAR if ps.calendar else LEGEND)
        kind, _, name = value.partition(":")
        tier: Tier | None
        sender_tz = None
        title = ""
        if kind == "tier":
            tier = ps.tiers.get(name)
            title = visible(f"tier {name}", multiline=False)
        else:
            client = ps.clients.get(name)
            tier = ps.tiers.get(client.tier) if client else None
            title = self.bapp.mask(f"{client.name} · tier {client.tier}" if client else name,
                                   multiline=False)
            if client and client.timezone and client.timezone != ps.me.timezone:
                sender_tz = zone(client.timezone)
        if tier is None:
            grid.update("")
            return
        grid.update(self._content(ps, tier, title, sender_tz))
        lines = week_event_lines(self.bapp, ps, self.bapp.now().astimezone(zone(ps.me.timezone))
                                 .date())
        if lines:
            events.update("\n".join([f"calendar ({ps.me.timezone}):", *lines]))
            events.display = True

    def _content(self, ps: PolicySet, tier: Tier, title: str, sender_tz) -> Content:
        tz = zone(ps.me.timezone)
        now = self.bapp.now().astimezone(tz)
        slot = (now.hour * 60 + now.minute) // 30
        parts = [_grid(week_rows(ps, tier, now.date()), f"{title} — my time, {tz.key}",
                       now.date(), slot)]
        if sender_tz is not None:
            theirs = now.astimezone(sender_tz)
            tslot = (theirs.hour * 60 + theirs.minute) // 30
            parts.append(_grid(week_rows(ps, tier, theirs.date(), tz=sender_tz),
                               f"their time, {sender_tz.key}", theirs.date(), tslot))
        return Content("\n\n").join(parts)


CLIENT_COLUMNS = ("name", "id", "tier", "trust", "callback", "discreet", "in writing",
                  "phones", "mails", "notes")


class ClientsPane(LazyPane, Vertical):
    """All clients: filter as you type, click a header to sort, Enter asks about one
    (posts `AskAbout`)."""

    DEFAULT_CSS = """
    ClientsPane #client-filter { margin: 0 0 1 0; }
    ClientsPane DataTable { height: 1fr; }
    """
    BINDINGS = [Binding("enter", "ask", "Ask about client", show=True)]

    sort_key: str = "name"
    reverse: bool = False

    class AskAbout(Message):
        """Put this client into the Ask form and show it."""

        def __init__(self, client_id: str) -> None:
            super().__init__()
            self.client_id = client_id

    def compose(self) -> ComposeResult:
        yield SafeInput(placeholder="filter: name, tier, number, mail, note…",
                        id="client-filter", compact=True)
        yield DataTable(id="client-table", cursor_type="row", zebra_stripes=True)

    @property
    def bapp(self) -> BoundariesApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        table = self.query_one("#client-table", DataTable)
        for col in CLIENT_COLUMNS:
            table.add_column(col, key=col)
        self.refill()
        self.ready = True

    def refill(self) -> None:
        self.refresh_table()

    def rows(self) -> list[tuple[str, tuple[str, ...]]]:
        ps = self.bapp.policies
        if ps is None:
            return []
        out = []
        for c in ps.clients.values():
            tier = ps.tiers.get(c.tier)
            callback = c.callback or (tier.callback if tier else "")
            discreet = bool(c.discreet or (tier and tier.discreet))
            writing = "always" if c.in_writing else (
                ", ".join(sorted(tier.in_writing)) if tier else "")
            out.append((c.id, (c.name, c.id, c.tier, c.trust, callback,
                               "yes" if discreet else "no", writing, ", ".join(c.phones),
                               ", ".join(c.emails), c.notes)))
        return out

    def refresh_table(self) -> None:
        table = self.query_one("#client-table", DataTable)
        needle = self.query_one("#client-filter", Input).value.strip().casefold()
        mask = self.bapp.mask
        rows = [r for r in self.rows() if not needle or needle in " ".join(r[1]).casefold()]
        idx = CLIENT_COLUMNS.index(self.sort_key)
        rows.sort(key=lambda r: r[1][idx].casefold(), reverse=self.reverse)
        table.clear()
        for key, values in rows:
            table.add_row(*(Text(mask(v, multiline=False)) for v in values), key=key)

    def on_input_changed(self, event: Input.Changed) -> None:
        event.stop()
        self.refresh_table()

    def on_data_table_header_selected(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        self.reverse = (not self.reverse) if key == self.sort_key else False
        self.sort_key = key
        self.refresh_table()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        if event.row_key.value:
            self.post_message(self.AskAbout(str(event.row_key.value)))

    def action_ask(self) -> None:
        table = self.query_one("#client-table", DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key:
                self.post_message(self.AskAbout(str(key)))


class ProblemsPane(LazyPane, Vertical):
    """The lint diagnostics of the policy folder; Enter opens one in $EDITOR (posts
    `OpenSource`)."""

    DEFAULT_CSS = """
    ProblemsPane #problems-state { padding: 0 1; height: auto; }
    ProblemsPane DataTable { height: 1fr; }
    """
    BINDINGS = [Binding("e", "edit", "Edit file", show=True)]

    def compose(self) -> ComposeResult:
        yield Static("", id="problems-state", markup=False)
        yield DataTable(id="problem-table", cursor_type="row")

    @property
    def bapp(self) -> BoundariesApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        table = self.query_one("#problem-table", DataTable)
        for col in ("where", "severity", "message"):
            table.add_column(col, key=col)
        self.refill()
        self.ready = True

    def refill(self) -> None:
        self.refresh_problems()

    def refresh_problems(self) -> None:
        app = self.bapp
        diags = app.diagnostics
        table = self.query_one("#problem-table", DataTable)
        table.clear()
        errors = sum(d.is_error for d in diags)
        state = f"{errors} error(s), {len(diags) - errors} warning(s)"
        if app.stale:
            state += " — still deciding with the last good policies"
        self.query_one("#problems-state", Static).update(state if diags else "No problems.")
        for i, d in enumerate(diags):
            message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
            style = "bold red" if d.is_error else "yellow"
            table.add_row(Text(visible(f"{d.path}:{d.line}:{d.col}", multiline=False)),
                          Text(d.severity, style=style),
                          Text(app.mask(message)), key=str(i), height=2 if d.hint else 1)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._open(event.row_key.value)

    def action_edit(self) -> None:
        table = self.query_one("#problem-table", DataTable)
        if table.row_count:
            self._open(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _open(self, key: str | None) -> None:
        if key is None:
            return
        d = self.bapp.diagnostics[int(key)]
        self.post_message(OpenSource(f"{d.path}:{d.line}"))

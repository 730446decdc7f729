"""Attributes down, messages up: the TUI's widgets ask the app for actions by posting
messages (tui/widgets.py says which reads of the app are fine), driven by Textual's pilot
at a fixed size with a fixed clock."""

from __future__ import annotations

import ast
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from textual.message import Message
from textual.widgets import DataTable, Input

from boundaries.tui import make_app
from boundaries.tui.ask import Drafts
from boundaries.tui.widgets import OpenSource

from .tui_helpers import settle

DATA = Path(__file__).parent / "data" / "tui"
TUI = Path(__file__).parent.parent / "boundaries" / "tui"
EVENING = datetime(2026, 1, 8, 18, 20, tzinfo=ZoneInfo("Europe/Vienna"))  # Thursday
SIZE = (100, 30)

# what a widget may call on the app: read-only queries, answered with values
APP_QUERIES = {"mask", "now", "facts_for", "journal_month_entries", "mail_decision"}


def app_for(**kw):
    return make_app(DATA, clock=lambda: EVENING, watch_interval=None, **kw)


def posted(seen: list[Message], kind: type[Message]) -> list:
    """The messages of `kind` posted, each once (the hook sees a message at every hop up)."""
    return list({id(m): m for m in seen if isinstance(m, kind)}.values())


async def test_enter_on_a_client_row_posts_ask_about_and_the_ask_tab_shows_that_client():
    from boundaries.tui.panes import ClientsPane

    seen: list[Message] = []
    app = app_for()
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        for ch in "stahl":
            await pilot.press(ch)
        await pilot.pause()
        app.query_one("#client-table", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        asks = posted(seen, ClientsPane.AskAbout)
        assert [m.client_id for m in asks] == ["stahl"]
        assert asks[0].handler_name == "on_clients_pane_ask_about"
        assert app.active_tab == "ask"
        assert app.query_one("#who", Input).value == "stahl"
        assert "(stahl)" in str(app.query_one("#who-line").render())


async def test_the_message_alone_fills_the_ask_form():
    """The app acts on the message, whoever posts it: the pane calls nothing on the app."""
    from boundaries.tui.panes import ClientsPane

    app = app_for()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("f3")
        app.query_one(ClientsPane).post_message(ClientsPane.AskAbout("acme"))
        await pilot.pause()
        assert app.active_tab == "ask"
        assert app.query_one("#who", Input).value == "acme"
        assert "ACME Abrechnung GmbH (acme)" in str(app.query_one("#who-line").render())


async def test_a_reason_and_a_problem_post_open_source_and_the_app_opens_the_editor():
    seen: list[Message] = []
    opened: list[tuple[Path, int]] = []
    app = app_for(editor=lambda path, line: opened.append((path, line)))
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(app, pilot)
        assert posted(seen, Drafts.Ready)  # the drafts tell the Ask pane they are mounted
        for ch in "acme":
            await pilot.press(ch)
        reasons = app.query_one("#reasons")
        reasons.focus()
        reasons.highlighted = 0
        await pilot.press("e")
        await pilot.press("f4")
        app.query_one("#problem-table", DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert [m.source for m in posted(seen, OpenSource)] == ["tiers/maint.toml:6",
                                                               "tiers/spare.toml:1"]
        assert opened == [(DATA / "tiers/maint.toml", 6), (DATA / "tiers/spare.toml", 1)]


def _app_calls(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, name) of every call of a method of the app: `self.app.x()`, `self.bapp.x()`,
    or `app.x()` on a local `app = self.bapp`."""
    def is_app(node: ast.expr) -> bool:
        if isinstance(node, ast.Attribute) and node.attr in ("app", "bapp"):
            return isinstance(node.value, ast.Name) and node.value.id == "self"
        return isinstance(node, ast.Name) and node.id == "app"

    return [(n.lineno, n.func.attr) for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
            and is_app(n.func.value)]


def test_widgets_call_only_the_apps_read_only_queries():
    bad = []
    for path in sorted(TUI.glob("*.py")):
        if path.name in ("app.py", "__init__.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bad += [f"{path.name}:{line}: app.{name}()" for line, name in _app_calls(tree)
                if name not in APP_QUERIES]
    assert not bad, "post a Message instead:\n" + "\n".join(bad)

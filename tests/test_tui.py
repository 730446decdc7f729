"""The TUI driven as a user would (Textual's pilot), with a fixed clock and size."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.widgets import DataTable, Input, TextArea

from boundaries.tui import make_app
from boundaries.tui.app import editor_command
from boundaries.tui.widgets import ChoiceBar, TabBar

from .tui_helpers import settle

DATA = Path(__file__).parent / "data" / "tui"
VIENNA = ZoneInfo("Europe/Vienna")
EVENING = datetime(2026, 1, 8, 18, 20, tzinfo=VIENNA)   # Thursday, after hours
MORNING = datetime(2026, 1, 8, 10, 0, tzinfo=VIENNA)    # Thursday, within hours


def app_for(clock=EVENING, policies=DATA, **kw):
    return make_app(policies, clock=lambda: clock, watch_interval=None, **kw)


async def ready(app, pilot):
    await settle(app, pilot)


async def type_text(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch)
    await pilot.pause()


def verdict(app) -> str:
    return str(app.query_one("#verdict").render())


def shown(app, wid: str) -> str:
    return str(app.query_one(wid).render())


async def test_typing_a_number_resolves_the_client_and_decides():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert app.focused is app.query_one("#who", Input)  # the cursor starts at "who"
        await type_text(pilot, "0732 123456")
        assert verdict(app) == "◷ LATER"
        assert "ACME Abrechnung GmbH (acme)" in shown(app, "#who-line")
        assert "morgen ab 08:00 Uhr" in shown(app, "#next")
        assert "call back: never (landline)" in shown(app, "#badges")
        assert "in writing" in shown(app, "#badges")
        assert "morgen ab 08:00 Uhr" in app.query_one("#reply", TextArea).text


async def test_within_hours_answers():
    app = app_for(clock=MORNING)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "acme")
        assert verdict(app) == "✔ ANSWER"
        assert "reachable now, until 12:00" in shown(app, "#next")
        assert app.query_one("#reply", TextArea).text == ""


async def test_channel_the_tier_lacks_declines():
    app = app_for(clock=MORNING)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "acme")
        app.query_one("#channel").focus()
        await pilot.press("h")  # chat
        await pilot.pause()
        assert verdict(app) == "✖ DECLINE"
        assert "SMS" in app.query_one("#reply", TextArea).text


async def test_kind_keys_and_a_click_on_the_wrapped_line():
    app = app_for(clock=MORNING)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "stahl")
        assert "in writing" not in shown(app, "#badges")  # a question is not confirmed
        kind = app.query_one("#kind", ChoiceBar)
        assert kind.size.height == 2  # five kinds do not fit the form's width: they wrap
        kind.focus()
        await pilot.press("o")  # complaint
        await pilot.pause()
        assert kind.value == "complaint" and "in writing" in shown(app, "#badges")
        await pilot.click("#kind", offset=(13, 0))  # " task " on the first line
        await pilot.pause()
        assert kind.value == "task" and "in writing" not in shown(app, "#badges")
        await pilot.click("#kind", offset=(2, 1))  # " billing " opens the second line
        await pilot.pause()
        assert kind.value == "billing" and "in writing" in shown(app, "#badges")
        await pilot.press("left", "left")
        assert kind.value == "task"


async def test_typed_time_out_of_hours_gives_later_with_next_window():
    app = app_for(clock=MORNING)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "stahl")
        app.query_one("#when", Input).focus()
        await type_text(pilot, "2026-01-09T16:00")  # Friday, premium ends at 15:00
        assert verdict(app) == "◷ LATER"
        assert "next: Montag ab 07:30 Uhr (Mon 12.01. 07:30–18:00)" in shown(app, "#next")


async def test_unknown_text_is_explained_not_crashed():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "nobody")
        assert verdict(app) == "…"
        assert "is no client id" in shown(app, "#who-line")
        app.query_one("#when", Input).focus()
        await type_text(pilot, "2026-13-99")
        assert verdict(app) == "…"


async def test_discreet_client_reply_holds_no_name():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "praxis")
        reply = app.query_one("#reply", TextArea).text
        assert verdict(app) == "◷ LATER" and reply
        for name in ("Martin", "Huber", "Berger", "Praxis"):
            assert name not in reply


async def test_discreet_screen_hides_names_and_numbers_and_copy_still_works():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "+43 732 123456")
        await pilot.press("f6")
        await pilot.pause()
        assert app.query_one("#who", Input).password
        assert "ACME" not in shown(app, "#who-line")
        assert "Martin Huber" not in app.query_one("#reply", TextArea).text
        assert "names hidden" in app.sub_title
        await pilot.press("f3")
        await pilot.pause()
        table = app.query_one("#client-table", DataTable)
        cells = " ".join(str(table.get_cell_at((r, c))) for r in range(table.row_count)
                         for c in range(3))
        assert "ACME" not in cells and "Stahlwerk" not in cells
        await pilot.press("f6")
        await pilot.pause()
        assert "ACME" in " ".join(str(table.get_cell_at((r, 0)))
                                  for r in range(table.row_count))


async def test_copy_puts_the_reply_on_the_clipboard():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "acme")
        await pilot.press("f7")
        await pilot.pause()
        assert app.clipboard == app.query_one("#reply", TextArea).text
        assert app.clipboard.startswith("Guten Tag, ich melde mich morgen ab 08:00 Uhr.")
        await pilot.press("f8")
        assert app.clipboard.startswith("Wie besprochen, ACME Abrechnung GmbH")


async def test_copy_sends_what_the_user_edited():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "acme")
        app.query_one("#reply", TextArea).text = "Edited by hand."
        await pilot.press("f7")
        assert app.clipboard == "Edited by hand."


async def test_clients_table_fills_the_form():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("f3")
        await pilot.pause()
        assert app.active_tab == "clients"
        assert app.focused is app.query_one("#client-filter", Input)
        table = app.query_one("#client-table", DataTable)
        assert table.row_count == 5
        await type_text(pilot, "stahl")
        await pilot.pause()
        assert table.row_count == 1
        table.focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.active_tab == "ask"
        assert app.query_one("#who", Input).value == "stahl"
        assert verdict(app) == "◷ LATER"


async def test_clients_sort_by_header():
    app = app_for()
    async with app.run_test(size=(120, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("f3")
        await pilot.pause()
        pane = app.query_one("ClientsPane")
        table = app.query_one("#client-table", DataTable)
        names = [str(table.get_cell_at((r, 0))) for r in range(table.row_count)]
        assert names == sorted(names, key=str.casefold)
        pane.sort_key, pane.reverse = "name", True
        pane.refresh_table()
        assert [str(table.get_cell_at((r, 0))) for r in range(table.row_count)] == names[::-1]


async def test_reason_opens_the_editor_at_its_line():
    opened = []
    app = app_for(editor=lambda path, line: opened.append((path, line)))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "acme")
        reasons = app.query_one("#reasons")
        reasons.focus()
        reasons.highlighted = 0
        await pilot.press("e")
        assert opened == [(DATA / "tiers/maint.toml", 6)]


async def test_problem_opens_the_editor():
    opened = []
    app = app_for(editor=lambda path, line: opened.append((path, line)))
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("f4")
        await pilot.pause()
        table = app.query_one("#problem-table", DataTable)
        assert table.row_count == 1
        table.focus()
        await pilot.press("enter")
        assert opened == [(DATA / "tiers/spare.toml", 1)]


async def test_broken_edit_keeps_last_good_policies_and_fixing_recovers(tmp_path):
    root = tmp_path / "set"
    shutil.copytree(DATA, root)
    app = make_app(root, clock=lambda: EVENING, watch_interval=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "acme")
        assert verdict(app) == "◷ LATER"
        maint = root / "tiers" / "maint.toml"
        good = maint.read_text()
        maint.write_text(good.replace('mon-fri = ["08:00-12:00", "13:00-17:00"]',
                                      'mon-fir = "08:00-20:00"'))
        app.poll_files()
        await ready(app, pilot)
        await ready(app, pilot)
        assert app.stale and "using last good set" in app.sub_title
        assert verdict(app) == "◷ LATER"  # still the last good decision
        problems = app.query_one("#problem-table", DataTable)
        assert "tiers/maint.toml:6:1" in str(problems.get_cell_at((0, 0)))
        assert any("still deciding with the last good" in n.message
                   for n in app._notifications)
        maint.write_text(good.replace("18:00", "19:00").replace("13:00-17:00", "13:00-19:00"))
        app.poll_files()
        await ready(app, pilot)
        await ready(app, pilot)
        assert not app.stale
        assert verdict(app) == "✔ ANSWER"  # the fixed file's new hours apply


async def test_question_mark_types_in_inputs_and_shows_keys_elsewhere():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await pilot.press("question_mark")
        assert app.query_one("#who", Input).value == "?"
        reply = app.query_one("#reply")
        reply.focus()
        before = reply.text
        await pilot.press("question_mark")  # an editable draft takes it as text too
        assert reply.text.count("?") == before.count("?") + 1
        assert not app.screen.query("HelpPanel")
        app.query_one("#reasons").focus()
        await pilot.press("question_mark")
        await pilot.pause()
        assert app.screen.query("HelpPanel")


async def test_command_palette_lists_clients_tiers_and_actions():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Ask about ACME Abrechnung GmbH" in titles
        assert "Week of tier maint" in titles
        assert "Copy reply" in titles
        command = next(c for c in app.get_system_commands(app.screen)
                       if c.title == "Ask about Stahlwerk AG")
        command.callback()
        await pilot.pause()
        assert app.query_one("#who", Input).value == "stahl"


async def test_function_keys_switch_tabs():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        bar = app.query_one("#tabs", TabBar)
        for key, tab in (("f2", "week"), ("f4", "problems"), ("f3", "clients"), ("f5", "journal"),
                         ("f1", "ask")):
            await pilot.press(key)
            await pilot.pause()
            assert app.active_tab == tab and bar.value == tab
            shown_panes = [w.id for w in app.query_one("#main").children if w.display]
            assert shown_panes == [tab]


async def test_tab_row_click_and_arrows_switch_tabs():
    app = app_for()
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        # " Ask F1 " " Week F2 " " Clients F3 ": Clients starts at column 19
        await pilot.click("#tabs", offset=(21, 0))
        await pilot.pause()
        assert app.active_tab == "clients"
        assert app.focused is app.query_one("#client-filter", Input)
        app.query_one("#tabs", TabBar).focus()
        await pilot.press("right")
        await pilot.pause()
        assert app.active_tab == "problems"


async def test_a_tab_key_before_the_other_panes_are_mounted():
    app = app_for()
    app._panes_mounted = True  # the first paint's callback mounts nothing ...
    async with app.run_test(size=(100, 30)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not app.query("ClientsPane")
        app._panes_mounted = False  # ... so F3 finds the panes not yet there
        await pilot.press("f3")
        await pilot.pause()
        assert app.active_tab == "clients"
        assert app.focused is app.query_one("#client-filter", Input)
        assert app.query_one("#client-table", DataTable).row_count == 5


async def test_week_shows_grid_and_both_timezones():
    app = app_for(clock=datetime(2026, 1, 5, 10, 0, tzinfo=VIENNA))
    async with app.run_test(size=(100, 40)) as pilot:
        await ready(app, pilot)
        app.week_of("client:tanaka")
        await pilot.pause()
        assert app.active_tab == "week"
        text = shown(app, "#week-grid")
        assert "my time, Europe/Vienna" in text and "their time, Asia/Tokyo" in text
        assert "holiday: Heilige Drei Könige" in text


async def test_missing_folder_shows_problem_not_crash(tmp_path):
    app = make_app(tmp_path / "nope", clock=lambda: EVENING, watch_interval=None)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        assert verdict(app) == "⚠ NO POLICIES"
        assert "nothing to decide with" in app.sub_title


@pytest.mark.parametrize(("editor", "expected"), [
    ("vim", ["vim", "+12", "/p/x.toml"]),
    ("code --wait", ["code", "--wait", "-g", "/p/x.toml:12"]),
    ("hx", ["hx", "/p/x.toml:12"]),
])
def test_editor_command(monkeypatch, editor, expected):
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", editor)
    assert editor_command(Path("/p/x.toml"), 12) == expected


async def test_recording_writes_one_entry_and_the_budget_badge_updates(tmp_path):
    from boundaries.journal.store import read

    journal = tmp_path / "journal"
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None, journal=journal)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "stahl")
        app.query_one("#urgency").focus()
        await pilot.press("u")
        await pilot.pause()
        assert verdict(app) == "✔ ANSWER"
        assert "budget 0 of 3 used in January" in shown(app, "#badges")
        await pilot.press("f9")
        await pilot.pause()
        assert app.screen.query_one("#outcome").value == "answered"
        app.screen.query_one("#minutes", Input).value = "25"
        app.screen.query_one("#note", Input).value = "Server down"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        entries, warnings = read(journal)
        assert warnings == [] and len(entries) == 1
        e = entries[0].data
        assert (e["client"], e["outcome"], e["minutes"], e["note"], e["extra_effort"]) == (
            "stahl", "answered", 25, "Server down", True)
        assert e["policy_hash"] == app.policies.fingerprint
        assert "budget 1 of 3 used in January" in shown(app, "#badges")
        await pilot.press("f5")
        await pilot.pause()
        assert app.query_one("#journal-table", DataTable).row_count == 1
        assert "stahl" in shown(app, "#report")


async def test_cancelled_record_writes_nothing(tmp_path):
    journal = tmp_path / "journal"
    app = make_app(DATA, clock=lambda: EVENING, watch_interval=None, journal=journal)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(app, pilot)
        await type_text(pilot, "acme")
        await pilot.press("f9")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not journal.exists()

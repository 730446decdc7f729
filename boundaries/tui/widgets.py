"""Small widgets of the TUI: a one-key-per-option choice bar, an input that shows control
characters visibly, and what lazy panes share.

Attributes down, messages up: a widget or pane reads the app's plain state (`policies`,
`diagnostics`, `stale`, `discreet_screen`, `initial_who`, `journal_folder`, `mask()`,
`now()`) and asks its read-only queries (`facts_for()`, `journal_month_entries()`,
`mail_decision()`: values back, nothing on screen changes); whatever acts beyond the
widget — switching tabs, filling the Ask form, opening $EDITOR — it posts as a `Message`
that bubbles up to an `on_…` handler in `tui/app.py`. Copying (F7, F8) and recording (F9)
are the app's own bindings."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.events import Click, Key
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input

from boundaries.core.text import visible


class OpenSource(Message):
    """Open `PATH:LINE` of the policy folder in $EDITOR: posted by a reason (Ask) and by a
    problem (Problems); the app handles it in `on_open_source`."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source


class ChoiceBar(Widget, can_focus=True):
    """A row of options; each has a hotkey, ←/→ move, a click selects. Options that do not
    fit the width wrap onto further lines."""

    DEFAULT_CSS = """
    ChoiceBar { height: auto; width: 1fr; }
    ChoiceBar:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("left", "move(-1)", "previous", show=False),
        Binding("right", "move(1)", "next", show=False),
    ]

    value: reactive[str] = reactive("", init=False)

    class Changed(Message):
        """The selected option changed."""

        def __init__(self, bar: ChoiceBar, value: str) -> None:
            super().__init__()
            self.bar = bar
            self.value = value

        @property
        def control(self) -> ChoiceBar:
            return self.bar

    def __init__(self, options: list[tuple[str, str, str]], value: str, *,
                 id: str | None = None) -> None:
        """options: (value, label, hotkey); the hotkey letter is shown underlined ("" for
        none)."""
        super().__init__(id=id)
        self.options = options
        self.set_reactive(ChoiceBar.value, value)

    def layout_lines(self, width: int) -> list[list[tuple[int, int]]]:
        """Per line, (x, option index) of each option, wrapped to `width` cells."""
        lines: list[list[tuple[int, int]]] = [[]]
        x = 0
        for i, (_value, label, _key) in enumerate(self.options):
            cells = len(label) + 2
            if lines[-1] and x + 1 + cells > width:
                lines.append([])
                x = 0
            elif lines[-1]:
                x += 1
            lines[-1].append((x, i))
            x += cells
        return lines

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.layout_lines(width))

    def render(self) -> Content:
        rows: list[Content] = []
        for line in self.layout_lines(self.content_size.width or 1_000):
            parts: list[Content] = []
            for _x, i in line:
                value, label, key = self.options[i]
                text = Content(f" {label} ")
                at = label.lower().find(key) if key else -1
                if at >= 0:
                    text = text.stylize("underline", at + 1, at + 2)
                if value == self.value:
                    text = text.stylize("reverse bold")
                parts.append(text)
            rows.append(Content(" ").join(parts))
        return Content("\n").join(rows)

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))

    def action_move(self, step: int) -> None:
        values = [o[0] for o in self.options]
        i = values.index(self.value) if self.value in values else 0
        self.value = values[(i + step) % len(values)]

    def on_key(self, event: Key) -> None:
        for value, _label, key in self.options:
            if key and event.character == key:
                self.value = value
                event.stop()
                event.prevent_default()
                return

    def on_click(self, event: Click) -> None:
        lines = self.layout_lines(self.content_size.width)
        if not 0 <= event.y < len(lines):
            return
        for x, i in lines[event.y]:
            if x <= event.x < x + len(self.options[i][1]) + 2:
                self.value = self.options[i][0]
                return


class TabBar(ChoiceBar):
    """The row of tabs above the panes: F1…F5 or a click switch, ←/→ too when it has focus.

    One widget, where Textual's `TabbedContent` builds sixteen: the first frame costs
    about 9% less (docs/performance.md)."""

    DEFAULT_CSS = """
    TabBar { background: $panel; }
    """


class SafeInput(Input):
    """An Input whose value never holds a control character: what is typed, pasted (a
    number copied from a mail) or set (`--from`, a client id) shows them as `\\u001b`."""

    def validate_value(self, value: str) -> str:
        return visible(value, multiline=False)

    def replace(self, text: str, start: int, end: int) -> None:
        # made visible before it is inserted, so the cursor lands after what is shown
        super().replace(visible(text, multiline=False), start, end)


class LazyPane:
    """A pane mounted after the first paint. It fills itself in `on_mount` and then sets
    `ready`; a reload calls `refill` on ready panes only (a pane caught half-mounted has no
    children yet, and fills itself when its mount completes)."""

    ready = False

    def refill(self) -> None:
        """Show the current policy set (and journal)."""
        raise NotImplementedError

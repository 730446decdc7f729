"""Small widgets of the TUI: a one-key-per-option choice bar, and what lazy panes share."""

from __future__ import annotations

from textual.binding import Binding
from textual.content import Content
from textual.events import Click, Key
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget


class ChoiceBar(Widget, can_focus=True):
    """A row of options; each has a hotkey, ←/→ move, a click selects."""

    DEFAULT_CSS = """
    ChoiceBar { height: 1; width: 1fr; }
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
        """options: (value, label, hotkey); the hotkey letter is shown underlined."""
        super().__init__(id=id)
        self.options = options
        self.set_reactive(ChoiceBar.value, value)

    def render(self) -> Content:
        parts: list[Content] = []
        for value, label, key in self.options:
            i = label.lower().find(key)
            text = Content(f" {label} ")
            if i >= 0:
                text = text.stylize("underline", i + 1, i + 2)
            if value == self.value:
                text = text.stylize("reverse bold")
            parts.append(text)
        return Content(" ").join(parts)

    def watch_value(self, value: str) -> None:
        self.post_message(self.Changed(self, value))

    def action_move(self, step: int) -> None:
        values = [o[0] for o in self.options]
        i = values.index(self.value) if self.value in values else 0
        self.value = values[(i + step) % len(values)]

    def on_key(self, event: Key) -> None:
        for value, _label, key in self.options:
            if event.character == key:
                self.value = value
                event.stop()
                event.prevent_default()
                return

    def on_click(self, event: Click) -> None:
        x = 0
        for value, label, _key in self.options:
            width = len(label) + 2
            if x <= event.x < x + width:
                self.value = value
                return
            x += width + 1


class LazyPane:
    """A pane mounted after the first paint. It fills itself in `on_mount` and then sets
    `ready`; a reload calls `refill` on ready panes only (a pane caught half-mounted has no
    children yet, and fills itself when its mount completes)."""

    ready = False

    def refill(self) -> None:
        """Show the current policy set (and journal)."""
        raise NotImplementedError

"""The confirmation before an SMS reply goes (sources.md §10, issue 18 part 3): a dialog that
shows the number, the phone it goes through and the exact text, with Send and Cancel.

Nothing is sent from here: `Send` dismisses the dialog with the phone it named, and the app
(`tui/sms_send.py`) sends through that phone. Decided here:

- The phone is looked up when the dialog opens (`service.sms_phone`: KDE Connect's first
  reachable paired device with the SMS plugin); until it is found, and when it cannot be
  (no bus, KDE Connect not running, no phone reachable…), there is no Send, and the dialog
  says why and what to do. The dialog is offered whether or not `--kdeconnect` is on: a
  phone may be paired all the same.
- A request that had its SMS reply (this session, or the journal says so) gets the reason
  and only Close.
- Focus starts on Cancel: Enter on an opened dialog sends nothing. `s` or the Send button
  sends, Escape cancels.
- While names are hidden (F6), the number and the names in the text are hidden here too,
  and a line says that what goes is the real text, to the real number; F6 in the dialog
  shows them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from boundaries.sources.calls.kdeconnect_sms import SmsPhone
    from boundaries.tui.app import BoundariesApp

LOOKING = "looking for the phone (KDE Connect)…"
HIDDEN_NOTE = ("names hidden (F6): the real number and text go — F6 here shows them")


class SmsDialog(ModalScreen["SmsPhone | None"]):
    """Send this reply as an SMS? Dismissed with the phone to send through, or None."""

    DEFAULT_CSS = """
    SmsDialog { align: center middle; }
    SmsDialog > Vertical { width: 72; max-width: 100%; height: auto; max-height: 100%;
                           border: thick $accent; background: $surface; padding: 1 2; }
    SmsDialog #sms-title { text-style: bold; }
    SmsDialog .sms-field { height: auto; }
    SmsDialog #sms-text-box { height: auto; max-height: 10; border: round $primary;
                              margin-top: 1; }
    SmsDialog #sms-text { height: auto; }
    SmsDialog #sms-count, SmsDialog #sms-hidden { color: $text-muted; height: auto; }
    SmsDialog #sms-why { color: $text-error; height: auto; margin-top: 1; }
    SmsDialog #sms-buttons { height: auto; margin-top: 1; }
    SmsDialog #sms-buttons Button { margin-right: 2; }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("s", "send", "Send"),
                Binding("f6", "app.toggle_discreet", "Hide names")]  # a modal blocks the app's

    def __init__(self, to: str, who: str, text: str, refused: str | None) -> None:
        """`to`: the E.164 number; `who`: the sender as Ask names them; `text`: the exact
        text that goes; `refused`: why no SMS may go for this request (already sent)."""
        super().__init__()
        self.to = to
        self.who = who
        self.text = text
        self.refused = refused
        self.phone: SmsPhone | None = None
        self.problem: str | None = None  # why the phone could not be found

    @property
    def bapp(self) -> BoundariesApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Send this reply as an SMS?", id="sms-title", markup=False)
            yield Static("", id="sms-to", classes="sms-field", markup=False)
            yield Static("", id="sms-phone", classes="sms-field", markup=False)
            with VerticalScroll(id="sms-text-box"):
                yield Static("", id="sms-text", markup=False)
            yield Static("", id="sms-count", markup=False)
            yield Static("", id="sms-hidden", markup=False)
            yield Static("", id="sms-why", markup=False)
            with Horizontal(id="sms-buttons"):
                yield Button("Send (s)", variant="primary", id="send", disabled=True)
                yield Button("Close (Esc)" if self.refused else "Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#sms-text-box").border_title = "the text, exactly as it goes"
        self.watch(self.app, "discreet_screen", lambda _hidden: self.show(), init=False)
        self.query_one("#cancel", Button).focus()
        if self.refused:
            self.query_one("#send", Button).display = False
        else:
            self.look_for_phone()
        self.show()

    @work(exclusive=True, exit_on_error=False, group="sms-phone")
    async def look_for_phone(self) -> None:
        from boundaries.core.errors import BoundariesError
        from boundaries.service import sms_phone

        try:
            self.phone = await sms_phone()
        except BoundariesError as exc:
            self.problem = f"{exc}" + (f" — {exc.hint}" if exc.hint else "")
        self.show()

    def show(self) -> None:
        """Fill the fields from what is known (the phone, whether names are hidden)."""
        from boundaries.policy.phones import international

        mask = self.bapp.mask
        hidden = self.bapp.discreet_screen
        to = international(self.to)
        self.query_one("#sms-to", Static).update(
            mask(f"to       {to} · {self.who}" if self.who else f"to       {to}",
                 multiline=False))
        if self.phone is not None:
            phone = f"through  {self.phone.name} (KDE Connect)"
        elif self.problem is not None or self.refused:
            phone = "through  no phone" if not self.refused else "through  —"
        else:
            phone = f"through  {LOOKING}"
        self.query_one("#sms-phone", Static).update(mask(phone, multiline=False))
        self.query_one("#sms-text", Static).update(mask(self.text))
        self._count()
        self.call_after_refresh(self._count)  # once laid out: whether it must be scrolled
        note = self.query_one("#sms-hidden", Static)
        note.update(HIDDEN_NOTE if hidden else "")
        note.display = hidden
        why = self.refused and f"Not sent again: {self.refused}."
        if not why and self.problem:
            why = f"No phone to send through: {self.problem}"
        line = self.query_one("#sms-why", Static)
        line.update(mask(why or "", multiline=False))
        line.display = bool(why)
        self.query_one("#send", Button).disabled = not self.can_send

    def _count(self) -> None:
        n = len(self.text)
        more = self.query_one("#sms-text-box", VerticalScroll).max_scroll_y > 0
        self.query_one("#sms-count", Static).update(
            f"{n} character{'s' * (n != 1)}" + (" · more below: scroll the text to read it all"
                                                 if more else ""))

    @property
    def can_send(self) -> bool:
        """A phone was found and nothing refuses this request."""
        return self.phone is not None and not self.refused

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "send":
            self.action_send()
        else:
            self.action_cancel()

    def action_send(self) -> None:
        if self.can_send:
            self.dismiss(self.phone)

    def action_cancel(self) -> None:
        self.workers.cancel_group(self, "sms-phone")
        self.dismiss(None)

"""Ctrl+T in the TUI: the reply in Ask sent as an SMS through the paired phone, after the
user confirmed it in `tui/sms_dialog.py` (sources.md §10, issue 18 part 3).

`SmsSend` is a part of the app (a mixin, as `MailSource` is). The key is there (and in the
footer) only while the decision in Ask has its reply going by SMS (`service.sms_target`).
It takes the request, the decision and the reply as they stand when it is pressed — the
real text while names are hidden — and opens the dialog; only the dialog's Send sends,
through the phone the dialog named (`service.send_sms_reply`, in an async worker). Then:

- sent: a toast names the number and the phone; the app's journal months are read again,
  and Ask decides again (`reply_once_days` may now withhold the reply); when the journal
  could not be written, a second toast says so (the SMS went all the same);
- refused or failed (`SmsReplyError`, `SmsError`, `JournalWriteError`): a toast with the
  error and its hint; the draft stays as it was, edits and all.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from textual import work

if TYPE_CHECKING:
    from boundaries.core.request import Decision, Request
    from boundaries.sources.calls.kdeconnect_sms import SmsPhone

ACTION = "send_sms"


class SmsSend:
    """The app's Ctrl+T (`action_send_sms`)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Ctrl+T is there only while Ask shows a reply that goes by SMS."""
        if action == ACTION:
            return self._sms_ready()
        return super().check_action(action, parameters)  # type: ignore[misc]

    def _sms_ready(self) -> bool:
        from boundaries.tui.ask import AskPane

        if len(self.screen_stack) > 1 or not any(p.sms_offered for p in self.query(AskPane)):
            return False
        return self.active_tab == "ask"

    def on_ask_pane_sms_offered(self, message: Any) -> None:
        self.refresh_bindings()

    def action_send_sms(self) -> None:
        """Open the confirmation for the reply in Ask; Send there sends it."""
        from boundaries.service import already_sent, sms_target
        from boundaries.tui.ask import AskPane
        from boundaries.tui.sms_dialog import SmsDialog

        ask = self.query_one(AskPane)
        d, req = ask.decision, ask.request
        via = sms_target(d) if d is not None else None
        if d is None or req is None or via is None:
            self.notify("This reply goes by no SMS: see the line under the draft.",
                        severity="warning")
            return
        text = ask.draft("reply")
        refused = already_sent(req, d, self.journal_folder)
        if refused is None and self.journal_folder is None:
            refused = "there is no journal folder to record it in"
        who, to = d.client_name or d.client or "", via.to

        def sent(phone: SmsPhone | None) -> None:
            if phone is not None:
                self._send_sms(req, d, text, phone, to)

        self.push_screen(SmsDialog(to, who, text, refused), sent)

    @work(group="sms-send", exit_on_error=False)
    async def _send_sms(self, req: Request, d: Decision, text: str, phone: SmsPhone,
                        number: str) -> None:
        """Send `text` to `number` (the decision's SMS reply) through `phone`."""
        from boundaries.core.errors import BoundariesError
        from boundaries.policy.phones import international
        from boundaries.service import send_sms_reply
        from boundaries.sources.calls.kdeconnect_sms import send_sms

        ps = self.policies
        assert ps is not None and self.journal_folder is not None
        to = self.mask(international(number), multiline=False)
        self.notify(f"Sending the SMS to {to} through {phone.name}…", title="SMS")
        try:
            sent = await send_sms_reply(ps, req, d, text, folder=self.journal_folder,
                                        now=self.now(),
                                        sender=functools.partial(send_sms, device=phone.device))
        except BoundariesError as exc:
            hint = f" — {exc.hint}" if exc.hint else ""
            self.notify(f"SMS not sent: {exc}{hint}. The reply stays a draft.", title="SMS",
                        severity="error", timeout=30)
            return
        self.notify(f"SMS sent to {to} through {sent.device_name}.", title="SMS")
        if sent.problem:
            self.notify(f"The SMS went, but was not recorded: {sent.problem}", title="SMS",
                        severity="warning", timeout=30)
        self.journal_cache.clear()  # the reply's entry counts from now on (reply_once_days)
        self.refresh_all()

    if TYPE_CHECKING:  # provided by the app
        from boundaries.tui.app import BoundariesApp as _App

        journal_folder: Any
        journal_cache: Any
        policies: Any
        screen_stack: Any
        active_tab: Any
        now = _App.now
        notify = _App.notify
        mask = _App.mask
        query = _App.query
        query_one = _App.query_one
        push_screen = _App.push_screen
        refresh_bindings = _App.refresh_bindings
        refresh_all = _App.refresh_all


__all__ = ["ACTION", "SmsSend"]

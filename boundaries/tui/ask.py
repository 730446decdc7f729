"""The Ask pane: who is calling, on which channel, when — and the verdict, live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.lazy import Lazy
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from boundaries.core.engine import decide
from boundaries.core.errors import RequestError
from boundaries.core.reasons import NO_WAY, no_way_text
from boundaries.core.request import NO_FACTS, Decision, Facts, Request
from boundaries.core.text import visible
from boundaries.core.time import zone
from boundaries.core.tone import placeholder_fills, tone_problems
from boundaries.core.vocabulary import KINDS
from boundaries.core.wording import human_next
from boundaries.service import build_request
from boundaries.tui.calendar_view import decision_spans, event_content, private_texts
from boundaries.tui.widgets import ChoiceBar, OpenSource, SafeInput

if TYPE_CHECKING:
    from textual.widgets import TextArea

    from boundaries.tui.app import BoundariesApp

CHANNEL_OPTIONS = [("call", "call", "c"), ("sms", "SMS", "s"), ("email", "email", "e"),
                   ("chat", "chat", "h")]
KIND_KEYS = {"question": "q", "task": "t", "change": "c", "billing": "b", "complaint": "o"}
KIND_OPTIONS = [(k, k, KIND_KEYS[k]) for k in KINDS]
URGENCY_OPTIONS = [("normal", "normal", "n"), ("urgent", "urgent", "u"),
                   ("emergency", "emergency", "m")]
VERDICT_MARK = {"answer": "✔ ANSWER", "later": "◷ LATER", "decline": "✖ DECLINE"}
CALLBACK_WORDS = {"always": "call back: yes", "on-request": "call back: on request",
                  "never": "call back: never"}
DRAFT_LABELS = {"reply": "reply", "confirm": "confirm in writing"}
SEND_KEY = "Ctrl+T"  # the app's send_sms binding (tui/sms_send.py)


def via_line(which: str, d: Decision | None) -> str:
    """Where the draft `which` goes: "reply via SMS to +43 664 1234567", or "no way to
    reach the sender: …" (the decision's own reason for it), or "" without that draft."""
    rep = (d.reply if which == "reply" else d.confirm) if d is not None else None
    if rep is None or d is None:
        return ""
    if rep.via is None:
        return no_way_text(d.reasons) or NO_WAY
    from boundaries.policy.phones import via_words

    return f"{DRAFT_LABELS[which]} via {via_words(rep.via)}"


class ReasonList(OptionList):
    """The reasons, deciding one first; Enter or `e` opens the file at that line (posts
    `OpenSource`)."""

    BINDINGS = [Binding("e", "edit", "Edit file", show=True)]

    def action_edit(self) -> None:
        if self.highlighted is not None:
            option = self.get_option_at_index(self.highlighted)
            if option.id:
                self.post_message(OpenSource(option.id))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(OpenSource(event.option.id))


class Drafts(Vertical):
    """The reply and the written confirmation, editable; mounted after the first paint
    (TextArea, ≈20 ms to import, is imported only then). Posts `Ready` once mounted.

    Under each draft a line says where it goes ("reply via SMS to +43 664 1234567 ·
    Ctrl+T sends it", or that no way reaches the sender; hidden without a draft), and a line
    shows its tone problems (`core.tone`), live as it is edited: "tone: doubt — 'wirklich'
    in a question", hidden while there are none."""

    DEFAULT_CSS = """
    Drafts .via { height: auto; padding: 0 1; color: $text-muted; }
    Drafts .via.nowhere { color: $text-warning; }
    Drafts .tone { height: auto; padding: 0 1; color: $text-warning; display: none; }
    """

    class Ready(Message):
        """The drafts' text areas are mounted: the Ask pane fills them."""

    _tone_known: tuple[object, dict[str, tuple]] | None = None  # (decision, which -> arguments)

    def compose(self) -> ComposeResult:
        from textual.widgets import TabbedContent, TabPane

        from boundaries.tui.safe_area import SafeTextArea

        with TabbedContent():
            with TabPane("Reply", id="reply-tab"):
                yield SafeTextArea("", id="reply", soft_wrap=True)
                yield Static("", id="reply-via", classes="via", markup=False)
                yield Static("", id="reply-tone", classes="tone", markup=False)
            with TabPane("Confirm in writing", id="confirm-tab"):
                yield SafeTextArea("", id="confirm", soft_wrap=True)
                yield Static("", id="confirm-via", classes="via", markup=False)
                yield Static("", id="confirm-tone", classes="tone", markup=False)

    def on_mount(self) -> None:
        self.post_message(self.Ready())

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        which = event.text_area.id
        if which in ("reply", "confirm"):
            self.show_tone(which, event.text_area.text)

    def show_via(self, d: Decision | None) -> None:
        """The line under each draft that says where it goes (masked by F6)."""
        from boundaries.service import sms_target

        app = self.query_ancestor(AskPane).bapp
        for which in ("reply", "confirm"):
            text = via_line(which, d)
            if text and which == "reply" and d is not None and sms_target(d) is not None:
                text += f" · {SEND_KEY} sends it"
            for line in self.query(f"#{which}-via").results(Static):  # once composed
                line.update(app.mask(text, multiline=False))
                line.set_class(text.startswith(NO_WAY), "nowhere")
                line.display = bool(text)

    def show_tone(self, which: str, text: str) -> None:
        """Check the draft `which` ("reply" or "confirm") and show the line under it."""
        app = self.query_ancestor(AskPane).bapp
        line = self.query_one(f"#{which}-tone", Static)
        locale, key, defers, filled = self._tone_arguments(which)
        me = app.policies.me if app.policies is not None else None
        problems = tone_problems(text, locale, key, later_or_decline=defers and bool(text),
                                 avoid=me.tone_avoid if me else (),
                                 allow=me.tone_allow if me else (), filled=filled)
        words = [p.message for p in problems[:2]]
        if len(problems) > 2:
            words.append(f"+{len(problems) - 2} more")
        line.update(app.mask("tone: " + " · ".join(words), multiline=False) if problems
                    else "")
        line.display = bool(problems)

    def _tone_arguments(self, which: str) -> tuple[str, str, bool, dict[str, str] | None]:
        """Locale, key, whether it defers or declines, and what its placeholders became —
        worked out once per decision (each keystroke only checks the text)."""
        pane = self.query_ancestor(AskPane)
        d = pane.decision
        ps = pane.bapp.policies
        if self._tone_known is None or self._tone_known[0] is not d:
            self._tone_known = (d, {})
        known = self._tone_known[1]
        if which not in known:
            rep = (d.reply if which == "reply" else d.confirm) if d else None
            if rep is None or ps is None:
                known[which] = (ps.me.locale if ps else "en", which, False, None)
            else:
                tpl = ps.replies.get(rep.locale, {}).get(rep.key)
                filled = placeholder_fills(tpl.text, rep.text) if tpl else None
                # a draft whose template cannot be lined up is not checked for a way forward
                defers = which == "reply" and d.decision != "answer" and filled is not None
                known[which] = (rep.locale, rep.key, defers, filled)
        return known[which]


class AskPane(Vertical):
    """A request form and its verdict; the verdict follows every change."""

    decision: Decision | None = None
    request: Request | None = None
    facts: Facts = NO_FACTS
    sms_offered = False  # the decision's reply goes by SMS: Ctrl+T in the footer
    # per draft: what it was filled from (the form, the reply's locale, key and text), its
    # real text as it stood when last filled, and whether it is shown masked (F6)
    _drafted: dict[str, tuple[object, str, bool]]

    class SmsOffered(Message):
        """`sms_offered` changed: the app shows or hides Ctrl+T (tui/sms_send.py)."""

    DEFAULT_CSS = """
    AskPane #form { width: 36; padding: 0 1 0 0; height: auto; }
    AskPane #form Label { color: $text-muted; margin-top: 1; }
    AskPane #form Label.first { margin-top: 0; }
    AskPane #form Input { width: 100%; }
    AskPane #top { height: auto; }
    AskPane #verdict-box { width: 1fr; height: auto; }
    AskPane #verdict { text-style: bold; padding: 0 1; width: 100%; height: 1; }
    AskPane #verdict.answer { background: $success 40%; }
    AskPane #verdict.later { background: $warning 40%; }
    AskPane #verdict.decline { background: $error 40%; }
    AskPane #verdict.none { background: $panel; }
    AskPane #who-line, AskPane #next, AskPane #badges { height: auto; padding: 0 1; }
    AskPane #badges { color: $text-accent; }
    AskPane #event { height: auto; padding: 0 1; color: $text-warning; }
    AskPane #reasons { height: auto; max-height: 6; min-height: 3; border: none; }
    AskPane #drafts { height: 1fr; min-height: 6; }
    AskPane #drafts TabbedContent { height: 1fr; }
    AskPane #drafts ContentSwitcher { height: 1fr; }
    AskPane TextArea { height: 1fr; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(id="top"):
            with Vertical(id="form"):
                yield Label("Who? id, name, number or mail", classes="first", markup=False)
                yield SafeInput(self.bapp.initial_who, placeholder="e.g. +43 732 123456",
                                id="who", compact=True)
                yield Label("Channel: keys c s e h", markup=False)
                yield ChoiceBar(CHANNEL_OPTIONS, "call", id="channel")
                yield Label("When? empty = now; ISO or HH:MM", markup=False)
                yield SafeInput(placeholder="now", id="when", compact=True)
                yield Label("Kind: keys q t c b o", markup=False)
                yield ChoiceBar(KIND_OPTIONS, "question", id="kind")
                yield Label("Urgency: keys n u m", markup=False)
                yield ChoiceBar(URGENCY_OPTIONS, "normal", id="urgency")
            with Vertical(id="verdict-box"):
                yield Static("", id="verdict", classes="none")
                yield Static("", id="who-line", markup=False)
                yield Static("", id="next", markup=False)
                yield Static("", id="badges", markup=False)
                yield Static("", id="event", markup=False)  # a calendar event, if one decides
                yield ReasonList(id="reasons")
        yield Lazy(Drafts(id="drafts"))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._drafted = {}

    @property
    def bapp(self) -> BoundariesApp:
        return self.app  # type: ignore[return-value]

    def on_mount(self) -> None:
        self.refresh_suggestions()
        self.update_verdict()

    def refresh_suggestions(self) -> None:
        ps = self.bapp.policies
        words: list[str] = []
        if ps is not None:
            for c in ps.clients.values():
                words += [c.id, c.name, *c.phones, *c.emails]
        words = [visible(w, multiline=False) for w in words]  # shown as the input's ghost text
        self.query_one("#who", Input).suggester = SuggestFromList(words, case_sensitive=False)

    # -- events that change the request -------------------------------------------------------
    def on_input_changed(self, event: Input.Changed) -> None:
        self.update_verdict()

    def on_choice_bar_changed(self, event: ChoiceBar.Changed) -> None:
        self.update_verdict()

    def on_drafts_ready(self, event: Drafts.Ready) -> None:
        event.stop()
        self.fill_drafts()

    def set_who(self, who: str) -> None:
        self.query_one("#who", Input).value = who
        self.query_one("#who", Input).focus()

    def fields(self) -> dict:
        when = self.query_one("#when", Input).value.strip()
        return {
            "from": self.query_one("#who", Input).value,
            "channel": self.query_one("#channel", ChoiceBar).value,
            "kind": self.query_one("#kind", ChoiceBar).value,
            "urgency": self.query_one("#urgency", ChoiceBar).value,
            "at": when or None,
        }

    # -- the verdict ---------------------------------------------------------------------
    def update_verdict(self) -> None:
        """Decide the form's request with the current (last good) policies and show it."""
        app = self.bapp
        ps = app.policies
        verdict = self.query_one("#verdict", Static)
        fields = self.fields()
        self.decision = None
        self.request = None
        if ps is None:
            self._show_message("no policies", "The policy set has errors and no earlier good "
                               "version: see Problems (F4).")
            return
        if not fields["from"].strip():
            self._show_message("none", "Type who is calling: a client id, name, phone number "
                               "or mail address.")
            return
        try:
            req = build_request(ps, fields, app.now())
        except RequestError as exc:
            hint = f" — {exc.hint}" if exc.hint else ""
            self._show_message("none", f"{exc}{hint}")
            return
        facts = app.facts_for(req)
        d = app.mail_decision(req) or decide(ps, req, facts)  # a mail of Incoming: its own
        self.decision = d
        self.request = req
        self.facts = facts
        verdict.update(VERDICT_MARK[d.decision])
        verdict.set_classes(d.decision)
        self._show_decision(d, req.channel)

    def _show_message(self, kind: str, text: str) -> None:
        verdict = self.query_one("#verdict", Static)
        verdict.update("…" if kind == "none" else "⚠ NO POLICIES")
        verdict.set_classes("none")
        self.query_one("#who-line", Static).update(self.bapp.mask(text, multiline=False))
        for wid in ("#next", "#badges"):
            self.query_one(wid, Static).update("")
        self._show_event(None)
        self.query_one("#reasons", ReasonList).clear_options()
        self.fill_drafts()

    def _show_decision(self, d: Decision, channel: str) -> None:
        app = self.bapp
        ps = app.policies
        assert ps is not None
        private = private_texts(ps, d)  # calendar summaries: hidden by F6 like names

        def mask(text: str, multiline: bool = True) -> str:
            return app.mask(text, multiline=multiline, private=private)

        who = d.client or "unknown sender"
        if d.client_name:
            who = f"{d.client_name} ({d.client})"
        self.query_one("#who-line", Static).update(
            mask(f"{who} · tier {d.tier} · {channel} · {d.at.strftime('%a %d.%m. %H:%M')}",
                 multiline=False))
        self.query_one("#next", Static).update(visible(self._next_text(d)))
        badges = [CALLBACK_WORDS[d.callback] + (" (landline)" if d.landline else "")]
        if d.in_writing:
            badges.append("✎ in writing")
        if d.extra_effort:
            badges.append("★ extra effort")
        if d.discreet:
            badges.append("◌ discreet")
        if d.holiday:
            badges.append(f"⚑ holiday: {d.holiday}")
        event = event_content(app, ps, d)
        if d.away and (event is None or decision_spans(ps, d)[0] is None):
            badges.append(f"✈ away: {d.away}")  # [[away]]; the calendar's is the event line
        tier = ps.tiers.get(d.tier)
        if tier is not None and tier.extra_effort.allowed and tier.extra_effort.per_month:
            month = d.at.strftime("%B")
            badges.append(f"budget {self.facts.extra_effort_used} of "
                          f"{tier.extra_effort.per_month} used in {month}")
        self.query_one("#badges", Static).update(mask(" · ".join(badges), multiline=False))
        self._show_event(event)
        reasons = self.query_one("#reasons", ReasonList)
        reasons.clear_options()
        for i, r in enumerate(d.reasons):
            text = Content(("▸ " if i == 0 else "  ") + mask(r.text, multiline=False) + "  "
                           ).append(Content.styled(visible(r.source, multiline=False), "dim"))
            reasons.add_option(Option(text, id=r.source if r.source != "builtin" else None))
        self.fill_drafts()

    def _show_event(self, event: Content | None) -> None:
        line = self.query_one("#event", Static)
        line.update(event or "")
        line.display = event is not None

    def fill_drafts(self) -> None:
        """Put the decision's reply and confirmation into the editable drafts (if mounted).

        A draft keeps the user's edits while the form and the engine's text stay the same
        (the 30-second clock deciding "now" again, F6, a reload): only another request or
        another text replaces it. While names are hidden it shows the edited text masked."""
        d = self.decision
        hidden = self.bapp.discreet_screen
        form = tuple(self.fields().items())
        reply, confirm = (d.reply, d.confirm) if d else (None, None)
        for which, rep in (("reply", reply), ("confirm", confirm)):
            for area in self.query(f"#{which}"):  # the TextAreas, once mounted
                origin = (form, rep.locale, rep.key, rep.text) if rep else None
                text = rep.text if rep else ""
                was = self._drafted.get(which)
                if was is not None and was[0] == origin:
                    text = was[1] if was[2] else area.text  # as it stands, edits and all
                shown = self.bapp.mask(text)
                if area.text != shown:  # unchanged: the cursor stays where it is
                    area.text = shown
                else:
                    for drafts in self.query(Drafts):
                        drafts.show_tone(which, shown)  # another decision, the same text
                area.read_only = hidden  # a masked draft is not for editing
                self._drafted[which] = (origin, text, hidden)
        for drafts in self.query(Drafts):
            drafts.show_via(d)
        from boundaries.service import sms_target

        offered = d is not None and sms_target(d) is not None
        if offered != self.sms_offered:
            self.sms_offered = offered
            self.post_message(self.SmsOffered())  # the footer shows Ctrl+T only while so

    def _next_text(self, d: Decision) -> str:
        ps = self.bapp.policies
        assert ps is not None
        if d.next_window is None:
            return "next window: none within a year"
        start, end = d.next_window
        tz = zone(ps.me.timezone)
        if start <= d.at < end:  # within hours, and no calendar event in the way
            line = f"reachable now, until {end.strftime('%H:%M')}"
        else:
            words = human_next(start, d.at, tz, ps.me.locale, ps.locale_names)
            line = f"next: {words} ({start.strftime('%a %d.%m. %H:%M')}–{end.strftime('%H:%M')})"
        if d.sender_timezone != ps.me.timezone:
            stz = zone(d.sender_timezone)
            s = start.astimezone(stz)
            theirs = human_next(start, d.at, stz, d.sender_locale, ps.locale_names)
            line += f"\ntheir time ({d.sender_timezone}): {theirs} ({s.strftime('%a %H:%M')})"
        return line

    def now_follows_clock(self) -> bool:
        return not self.query_one("#when", Input).value.strip()

    def draft(self, which: str) -> str:
        """The reply (or confirm) text as it stands, edits included — the real one while
        names are hidden."""
        was = self._drafted.get(which)
        if was is not None and was[2]:
            return was[1]  # shown masked: the real text as it was last filled
        areas = list(self.query(f"#{which}"))
        if areas and (was is not None or not self.bapp.discreet_screen):
            return areas[0].text
        d = self.decision
        rep = (d.reply if which == "reply" else d.confirm) if d else None
        return rep.text if rep else ""

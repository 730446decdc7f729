"""The reply drafts' editor: a TextArea that shows control characters visibly.

Its own module, so that TextArea (≈20 ms to import) is still imported only with the drafts,
after the first paint."""

from __future__ import annotations

from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult

from boundaries.core.text import visible


class SafeTextArea(TextArea):
    """A TextArea whose text holds no control character but newlines and tabs: a draft
    filled from a template, or text typed or pasted into it, shows them as `\\u001b`."""

    def load_text(self, text: str) -> None:
        super().load_text(visible(text))

    def edit(self, edit: Edit) -> EditResult:
        edit.text = visible(edit.text)  # every insert, paste and replace comes here
        return super().edit(edit)

"""Untrusted text made safe for a terminal: control characters shown, never obeyed.

Every string that came from a file or an input (a client's name, a tier description, a
note, a CSV cell, a template) may hold escape sequences: ESC ] 0 ; … BEL retitles the
terminal, OSC 52 writes the clipboard, CSI 2 J clears the screen. `visible()` renders each
control character as a visible escape (`\\x1b`, `\\x07`, `\\u202e`), so the text reads the
same and does nothing. JSON output needs none of this: JSON escapes control characters
itself, and it must stay exact.
"""

from __future__ import annotations


def _escape(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _table(keep: str) -> dict[int, str]:
    codes = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0),
             # bidirectional overrides and isolates: they reorder what the user reads
             *range(0x202A, 0x202F), *range(0x2066, 0x206A),
             0x2028, 0x2029]  # line and paragraph separators
    return {c: _escape(c) for c in codes if chr(c) not in keep}


_MULTILINE = _table("\n\t")
_ONE_LINE = _table("")


def visible(text: str, *, multiline: bool = True) -> str:
    """`text` with every control character rendered visibly.

    `multiline` keeps newlines and tabs (a reply, a file's listing); without it they are
    escaped too (a name in a one-line label, a diagnostic)."""
    if text.isprintable() and (multiline or "\t" not in text):
        return text  # the common case, fast
    return text.translate(_MULTILINE if multiline else _ONE_LINE)


def is_safe(text: str, *, multiline: bool = True) -> bool:
    """True if `text` holds no character that `visible()` would render."""
    return visible(text, multiline=multiline) == text


__all__ = ["is_safe", "visible"]

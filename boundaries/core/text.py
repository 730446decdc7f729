"""Untrusted text made safe for a terminal: control characters shown, never obeyed.

Every string that came from a file or an input (a client's name, a tier description, a
note, a CSV cell, a template, a file name) may hold escape sequences: ESC ] 0 ; … BEL
retitles the terminal, OSC 52 writes the clipboard, CSI 2 J clears the screen. `visible()`
renders each control character as a visible escape (`\\u001b`, `\\u0007`, `\\u202e`), so the
text reads the same and does nothing.

The escapes are JSON's own: JSON text passed through `visible()` stays valid JSON with the
same values (JSON escapes C0 itself; a raw DEL, C1 or bidi character inside a string becomes
its `\\uXXXX` form). So one sink, `cli.output.VisibleStream`, can guard all of stdout and
stderr.
"""

from __future__ import annotations

import re
from functools import cache

# what a terminal may obey: C0 (newline and tab aside, in multi-line text), DEL and C1; the
# bidi marks, overrides and isolates, which reorder what the user reads; the line and
# paragraph separators; lone surrogates (undecodable bytes of an argument)
_OTHERS = r"\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ud800-\udfff"


@cache
def _find(multiline: bool) -> re.Pattern[str]:
    """The pattern of what `visible` escapes (compiled on first need: ~0.8 ms at start)."""
    return re.compile(rf"[\x00-\x08\x0b-\x1f{_OTHERS}]" if multiline
                      else rf"[\x00-\x1f{_OTHERS}]")


def _escape(m: re.Match[str]) -> str:
    return f"\\u{ord(m.group()):04x}"


def visible(text: str, *, multiline: bool = True) -> str:
    """`text` with every control character rendered visibly.

    `multiline` keeps newlines and tabs (a reply, a file's listing); without it they are
    escaped too (a name in a one-line label, a diagnostic)."""
    probe = text.replace("\n", "").replace("\t", "") if multiline else text
    if probe.isprintable():  # the common case, fast: nothing a terminal obeys is printable
        return text
    return _find(multiline).sub(_escape, text)


__all__ = ["visible"]

"""Input quoted back in a message: short, whatever its length.

A replayed cell, an `--at` value or a value in a policy file can be thousands of
characters long (a stray quote in a CSV swallows the rest of the file into one cell). A
message shows its first `LIMIT` characters and how long it was, never the whole of it.
Control characters are left to the output edge (`core.text.visible`).
"""

from __future__ import annotations

LIMIT = 60


def clip(text: str, limit: int = LIMIT) -> str:
    """`text`, or its first `limit` characters, `…` and its length when it is longer."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def quoted(text: str, limit: int = LIMIT) -> str:
    """`text` in backticks, clipped to `limit` characters."""
    if len(text) <= limit:
        return f"`{text}`"
    return f"`{text[:limit]}…` ({len(text):,} characters)"


def clip_cells(message: str, cells: list[str], limit: int = LIMIT) -> str:
    """`message` with every long cell of `cells` it quotes (as written or stripped) clipped."""
    for cell in cells:
        if len(cell) > limit:
            for form in dict.fromkeys((cell, cell.strip())):
                if len(form) > limit:
                    message = message.replace(f"`{form}`", quoted(form, limit))
                    message = message.replace(form, clip(form, limit))
    return message

"""The discreet screen: hide every client name, phone number and mail address in a text."""

from __future__ import annotations

import re

from boundaries.core.model import PolicySet

# a phone number starts with +, 00 or a trunk 0 (dates and clock times do not)
_DIGITS = re.compile(r"(?<![\w.:])(?:\+|\(?0)[\d ()./-]{5,}\d")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _number(m: re.Match[str]) -> str:
    text = m.group(0)
    if _DATE.fullmatch(text.strip()) or sum(c.isdigit() for c in text) < 7:
        return text
    return HIDDEN
_MAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
HIDDEN = "•••"


class Masker:
    """Replaces what identifies a person; built once per policy set."""

    def __init__(self, ps: PolicySet | None) -> None:
        names = set()
        if ps is not None:
            names = {c.name for c in ps.clients.values()} | {ps.me.name}
            names |= {c.id for c in ps.clients.values()}
        words = sorted((n for n in names if n), key=len, reverse=True)
        self._names = re.compile("|".join(re.escape(w) for w in words)) if words else None

    def __call__(self, text: str) -> str:
        text = _MAIL.sub(HIDDEN, text)
        text = _DIGITS.sub(_number, text)
        if self._names is not None:
            text = self._names.sub(HIDDEN, text)
        return text

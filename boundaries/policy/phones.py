"""Phone numbers: E.164 normalisation and fixed-line vs mobile (phonenumbers, imported lazily)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from boundaries.core.via import Via

_LOOKS_LIKE_NUMBER = re.compile(r"^[+(]?[\d\s()./-]{3,}$")


def looks_like_phone(text: str) -> bool:
    """Whether `text` is written like a phone number (digits, spaces, + ( ) - / .)."""
    return bool(_LOOKS_LIKE_NUMBER.match(text.strip())) and sum(c.isdigit() for c in text) >= 3


@lru_cache(maxsize=8192)
def classify(text: str, region: str | None) -> tuple[str, str] | None:
    """E.164 and line type of a number (None if it is not a possible number), from one
    parse: `("+436641234567", "mobile")`."""
    import phonenumbers
    from phonenumbers import PhoneNumberType as T

    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    kind = phonenumbers.number_type(num)
    if kind == T.FIXED_LINE:
        line = "fixed"
    elif kind == T.MOBILE:
        line = "mobile"
    elif kind == T.FIXED_LINE_OR_MOBILE:
        line = "fixed-or-mobile"
    else:
        line = "other"
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164), line


def normalise(text: str, region: str | None) -> str | None:
    """`"0664 1234567"` -> `"+436641234567"` (None if it is not a possible number)."""
    found = classify(text, region)
    return found[0] if found else None


def line_type(e164: str) -> str:
    """`fixed`, `mobile`, `fixed-or-mobile` (can't tell, e.g. US) or `other`."""
    found = classify(e164, None)
    return found[1] if found else "other"


@lru_cache(maxsize=1024)
def international(e164: str) -> str:
    """`"+436641234567"` -> `"+43 664 1234567"` (phonenumbers' INTERNATIONAL format, for
    people to read); a number it cannot parse is returned as given."""
    import phonenumbers

    try:
        num = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def valid_region(code: str) -> bool:
    """Whether `code` is a region phonenumbers knows (e.g. `AT`)."""
    import phonenumbers

    return code.upper() in phonenumbers.SUPPORTED_REGIONS


@lru_cache(maxsize=16384)
def valid_number(text: str, region: str | None) -> str | None:
    """E.164 of `text` when phonenumbers finds it a valid number, else None: one parse, and
    the same E.164 as `normalise` gives (what `client add` stores and `check
    --from` looks up; a test holds them equal)."""
    import phonenumbers

    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


_VIA_NAMES = {"sms": "SMS", "email": "mail", "chat": "chat"}


def via_words(via: Via) -> str:
    """Where a reply goes, as people say it: `SMS to +43 664 1234567` (the number in
    international format), `mail to office@acme.example` — for `check`, `log` and the TUI."""
    to = international(via.to) if via.to.startswith("+") else via.to
    return f"{_VIA_NAMES.get(via.channel, via.channel)} to {to}"

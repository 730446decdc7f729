"""Phone numbers: E.164 normalisation and fixed-line vs mobile (phonenumbers, imported lazily)."""

from __future__ import annotations

import re

_LOOKS_LIKE_NUMBER = re.compile(r"^[+(]?[\d\s()./-]{3,}$")


def looks_like_phone(text: str) -> bool:
    """Whether `text` is written like a phone number (digits, spaces, + ( ) - / .)."""
    return bool(_LOOKS_LIKE_NUMBER.match(text.strip())) and sum(c.isdigit() for c in text) >= 3


def normalise(text: str, region: str | None) -> str | None:
    """`"0664 1234567"` -> `"+436641234567"` (None if it is not a possible number)."""
    import phonenumbers

    try:
        num = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


def line_type(e164: str) -> str:
    """`fixed`, `mobile`, `fixed-or-mobile` (can't tell, e.g. US) or `other`."""
    import phonenumbers
    from phonenumbers import PhoneNumberType as T

    try:
        num = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return "other"
    kind = phonenumbers.number_type(num)
    if kind == T.FIXED_LINE:
        return "fixed"
    if kind == T.MOBILE:
        return "mobile"
    if kind == T.FIXED_LINE_OR_MOBILE:
        return "fixed-or-mobile"
    return "other"


def valid_region(code: str) -> bool:
    """Whether `code` is a region phonenumbers knows (e.g. `AT`)."""
    import phonenumbers

    return code.upper() in phonenumbers.SUPPORTED_REGIONS

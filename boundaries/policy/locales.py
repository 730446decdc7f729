"""Locale codes: which ones a policy may name, and their day and month names (from
pendulum's locale tables)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from boundaries.core.diagnostics import suggest
from boundaries.core.vocabulary import EN_NAMES
from boundaries.core.wording import language
from boundaries.policy.schema import LOCALE_PATTERN

_SHAPE = re.compile(LOCALE_PATTERN)
_SHOWN = 24  # characters of a bad code quoted in a message


@functools.cache
def known_languages() -> frozenset[str]:
    """Language codes of the C library's locale table (Python's `locale.locale_alias`):
    every language pendulum has names for, and a few hundred more."""
    import locale

    langs = {language(name.split(".")[0].split("@")[0]) for name in locale.locale_alias}
    return frozenset(lang for lang in langs if re.fullmatch(r"[a-z]{2,3}", lang))


def is_locale_code(code: str) -> bool:
    """Whether `code` is written as a locale code (`LOCALE_PATTERN`)."""
    return _SHAPE.fullmatch(code) is not None


def locale_problem(code: str, defined: Iterable[str] = ()) -> tuple[str, str] | None:
    """Why `code` cannot be a locale, as (message, hint); None when it can.

    A locale is well-formed (`LOCALE_PATTERN`) and its language is known: in
    `known_languages()` or that of a locale in `defined` (the set's replies files).
    """
    if not is_locale_code(code):
        shown = code if len(code) <= _SHOWN else code[:_SHOWN] + "…"
        lowered = code.lower().replace("_", "-")
        fix = f"write `{lowered}`; " if _SHAPE.fullmatch(lowered) else ""
        return (f"`{shown}` is not a locale code",
                f"{fix}a language code, e.g. `de` or `en`, optionally with a region: `de-AT`")
    lang = language(code)
    if lang in known_languages() or lang in {language(d) for d in defined}:
        return None
    return (f"unknown language `{lang}` in locale `{code}`",
            suggest(lang, sorted(known_languages())) or "an ISO 639 language code, e.g. "
            "`de` or `en`, or the name of a file in replies/")


def names_for(locale: str) -> dict[str, tuple[str, ...]]:
    """{"days": Monday..Sunday, "months": January..December} in `locale`, English if unknown
    (or not a locale code at all: only well-formed codes reach pendulum)."""
    if not is_locale_code(locale):
        return dict(EN_NAMES)
    lang = locale.replace("-", "_").lower()
    try:
        from pendulum.locales.locale import Locale

        data = Locale.load(lang)
    except (ValueError, ImportError, OSError):
        try:
            from pendulum.locales.locale import Locale

            data = Locale.load(language(lang))
        except (ValueError, ImportError, OSError):
            return dict(EN_NAMES)
    days = data.get("translations.days.wide")
    months = data.get("translations.months.wide")
    return {  # pendulum numbers days from 0 = Monday and months from 1
        "days": tuple(days[i] for i in range(7)),
        "months": tuple(months[i + 1] for i in range(12)),
    }

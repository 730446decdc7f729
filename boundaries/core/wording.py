"""Human wording of times and channels in the sender's language (pure).

Day and month names come from pendulum's locale tables; they are read once when
a policy set is compiled (see `locale_names`) and passed in here, so deciding
never has to import pendulum.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from boundaries.core.vocabulary import EN_NAMES

_PHRASES = {
    "en": {
        "today": "today from {time}",
        "tomorrow": "tomorrow from {time}",
        "weekday": "{day} from {time}",
        "date": "{day}, {month} {d} from {time}",
        "date_year": "{day}, {month} {d}, {year} from {time}",
        "now": "right now",
        "none": "as soon as I can",
        "or": "or",
    },
    "de": {
        "today": "heute ab {time} Uhr",
        "tomorrow": "morgen ab {time} Uhr",
        "weekday": "{day} ab {time} Uhr",
        "date": "{day}, {d}. {month} ab {time} Uhr",
        "date_year": "{day}, {d}. {month} {year} ab {time} Uhr",
        "now": "gleich jetzt",
        "none": "sobald es mir möglich ist",
        "or": "oder",
    },
}

_CHANNEL_WORDS = {  # keys: vocabulary.CHANNELS
    "en": {"call": "phone", "sms": "SMS", "email": "email", "chat": "chat"},
    "de": {"call": "Telefon", "sms": "SMS", "email": "E-Mail", "chat": "Chat"},
}

@lru_cache(maxsize=256)
def language(locale: str) -> str:
    """The language part of a locale code: `de-AT` -> `de`."""
    return locale.replace("-", "_").split("_")[0].lower()


def human_next(
    start: datetime | None,
    ref: datetime,
    tz: ZoneInfo,
    locale: str,
    names: Mapping[str, Mapping[str, tuple[str, ...]]],
) -> str:
    """`start` worded relative to `ref` in `tz`: "morgen ab 08:00 Uhr", "Monday from 08:00"."""
    lang = language(locale)
    phrases = _PHRASES.get(lang)
    if start is None:
        return (phrases or _PHRASES["en"])["none"]
    local = start.astimezone(tz)
    now = ref.astimezone(tz)
    if local <= now:
        return (phrases or _PHRASES["en"])["now"]
    table = names.get(lang) or names.get(locale) or EN_NAMES
    day_name = table["days"][local.weekday()]
    month = table["months"][local.month - 1]
    hhmm = f"{local.hour:02d}:{local.minute:02d}"
    if phrases is None:  # a language without phrases: plain, unambiguous
        return f"{day_name} {local.date().isoformat()} {hhmm}"
    days_ahead = (local.date() - now.date()).days
    if days_ahead == 0:
        key = "today"
    elif days_ahead == 1:
        key = "tomorrow"
    elif days_ahead < 7:
        key = "weekday"
    elif local.year == now.year or days_ahead < 180:
        key = "date"
    else:
        key = "date_year"
    return phrases[key].format(time=hhmm, day=day_name, month=month, d=local.day,
                               year=local.year)


@lru_cache(maxsize=1024)
def human_channels(channels: tuple[str, ...], locale: str) -> str:
    """`("sms", "email")` -> "SMS or email" / "SMS oder E-Mail"."""
    lang = language(locale)
    words = _CHANNEL_WORDS.get(lang, _CHANNEL_WORDS["en"])
    conj = _PHRASES.get(lang, _PHRASES["en"])["or"]
    items = [words.get(c, c) for c in channels]
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conj} {items[-1]}"

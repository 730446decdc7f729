"""Day and month names per language, read from pendulum's locale tables."""

from __future__ import annotations

from .wording import EN_NAMES


def names_for(locale: str) -> dict[str, tuple[str, ...]]:
    """{"days": Monday..Sunday, "months": January..December} in `locale`, English if unknown."""
    lang = locale.replace("-", "_").lower()
    try:
        from pendulum.locales.locale import Locale

        data = Locale.load(lang)
    except (ValueError, ImportError):
        try:
            from pendulum.locales.locale import Locale

            data = Locale.load(lang.split("_")[0])
        except (ValueError, ImportError):
            return dict(EN_NAMES)
    days = data.get("translations.days.wide")
    months = data.get("translations.months.wide")
    return {  # pendulum numbers days from 0 = Monday and months from 1
        "days": tuple(days[i] for i in range(7)),
        "months": tuple(months[i + 1] for i in range(12)),
    }

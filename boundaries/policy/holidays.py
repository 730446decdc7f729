"""Public holidays from the `holidays` package (imported lazily), PUBLIC category only."""

from __future__ import annotations

from datetime import date


def _split(region: str) -> tuple[str, str | None]:
    country, _, sub = region.partition("-")
    return country.upper(), (sub or None)


def check_region(region: str) -> tuple[str | None, list[str]]:
    """None if `region` (`"AT-4"`, `"DE"`) is known, else (message, close choices)."""
    import holidays

    country, sub = _split(region)
    codes = _country_codes()
    if country not in codes:
        return f"unknown holiday country `{country}`", sorted(codes)
    if sub is not None:
        subs = [str(s) for s in getattr(holidays, country).subdivisions]  # one country's module
        if sub not in subs:
            return (f"unknown subdivision `{sub}` of {country}",
                    [f"{country}-{s}" for s in subs])
    return None, []


def _country_codes() -> set[str]:
    """Every country code `holidays` knows, read from its registry without importing the
    250 country modules (`list_supported_countries` imports them all: ≈0.2 s)."""
    try:
        from holidays.registry import EntityLoader

        return set(EntityLoader.get_country_codes())
    except (ImportError, AttributeError):  # pragma: no cover - another holidays layout
        import holidays

        return set(holidays.list_supported_countries())


def compute(region: str, year: int, language: str = "en") -> dict[date, str]:
    """{date: name} of the public holidays of `region` in `year`."""
    import holidays

    country, sub = _split(region)
    try:
        table = holidays.country_holidays(country, subdiv=sub, years=year, language=language)
    except NotImplementedError:
        return {}
    return {d: n for d, n in table.items() if d.year == year}

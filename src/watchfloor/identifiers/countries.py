"""ISO 3166-1 alpha-2 countries and ISO 4217 currencies, from pycountry (not a hand list)."""

from __future__ import annotations

from functools import lru_cache

import pycountry


@lru_cache(maxsize=1)
def country_codes() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries)


@lru_cache(maxsize=1)
def currency_codes() -> frozenset[str]:
    return frozenset(c.alpha_3 for c in pycountry.currencies)


_COUNTRIES = country_codes()
_CURRENCIES = currency_codes()


def validate_country(code: str) -> str:
    """Return the upper-cased alpha-2 code or raise ValueError naming the bad value."""
    if code in _COUNTRIES:
        return code  # the common case, without a copy
    value = code.strip().upper()
    if value not in country_codes():
        raise ValueError(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return value


def validate_currency(code: str) -> str:
    if code in _CURRENCIES:
        return code
    value = code.strip().upper()
    if value not in currency_codes():
        raise ValueError(f"{code!r} is not an ISO 4217 currency code")
    return value


def country_name(code: str | None) -> str:
    if not code:
        return ""
    c = pycountry.countries.get(alpha_2=code)
    return c.name if c else code

"""Identifiers in one normal form, whichever domain meets them.

A phone, an e-mail, a URL, a handle, a wallet, an image hash, a person's or company's name,
an address or a country is written many ways; shipments, listings, seizures, watchlists,
signal tokens and entity screening must agree on when two of them are the same. Each kind
is normalised here and nowhere else:

- :mod:`.contacts`: phones (E.164), e-mails, URLs and domains, handles, image hashes,
  wallets by kind;
- :mod:`.wallets`: the checksums of Bitcoin, Ethereum and Monero addresses;
- :mod:`.names`: names of persons and companies (any script, folded with ``unidecode``),
  their words, phonetic keys and skeletons, and addresses;
- :mod:`.countries`: ISO 3166-1 alpha-2 countries and ISO 4217 currencies.

:func:`normalise` is the registry over all of them: ``normalise(kind, raw)`` gives the value
as it is stored and compared, or None when ``raw`` is no valid identifier of that kind.

>>> normalise("email", " Seller@Example.COM ")
'seller@example.com'
>>> normalise("name", "Straße Hans") == normalise("name", "strasse hans")
True
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from watchfloor.identifiers.contacts import (
    normalise_email,
    normalise_handle,
    normalise_image_hash,
    normalise_phone,
    normalise_url,
    quick_email,
    quick_phone,
    wallet_kind,
)
from watchfloor.identifiers.countries import (
    country_codes,
    country_name,
    validate_country,
    validate_currency,
)
from watchfloor.identifiers.names import (
    TRADE,
    address_key,
    fold,
    legal_form_of,
    name_key,
    name_tokens,
    one_name,
    phonetic,
    pinyin_syllables,
    screenable,
    skeleton,
    token_skeleton,
    unvowelled,
)
from watchfloor.identifiers.wallets import B58

Kind = Literal[
    "name", "address", "phone", "email", "btc", "eth", "xmr", "pgp", "telegram", "wickr",
    "account", "image", "url",
]  # fmt: skip
KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]


def _pgp(text: str) -> str | None:
    value = "".join(text.split()).replace(":", "").upper()
    return value if len(value) == 40 and all(c in "0123456789ABCDEF" for c in value) else None


def _account(text: str) -> str | None:
    """``<platform>:<handle>``: one seller account on one platform."""
    platform, _, handle = text.partition(":")
    value = normalise_handle(handle)
    return f"{platform.strip().lower()}:{value}" if platform.strip() and value else None


def _wallet(kind: str) -> Callable[[str], str | None]:
    return lambda text: text if wallet_kind(text) == kind else None


def _name(text: str) -> str | None:
    key = name_key(text)
    return key if key and len(key.replace(" ", "")) >= 4 else None  # "Li" is no one


def _address(text: str) -> str | None:
    key = address_key(text)
    return key if key and " " in key else None  # one word is no address


_NORMAL: dict[str, Callable[[str], str | None]] = {
    "name": _name,
    "address": _address,
    "email": normalise_email,
    "url": normalise_url,
    "btc": _wallet("btc"),
    "eth": _wallet("eth"),
    "xmr": _wallet("xmr"),
    "pgp": _pgp,
    "telegram": normalise_handle,
    "wickr": normalise_handle,
    "account": _account,
    "image": normalise_image_hash,
}


def normalise(kind: str, raw: str, *, region: str | None = None) -> str | None:
    """``raw`` as an identifier of ``kind`` is stored and compared; None when it is not a
    valid one. ``region`` (ISO alpha-2) reads phone numbers written without ``+``."""
    text = raw.strip()
    if kind == "phone":
        return normalise_phone(text, region)
    fn = _NORMAL.get(kind)
    return fn(text) if fn is not None else None


__all__ = [
    "one_name",
    "B58",
    "KINDS",
    "Kind",
    "TRADE",
    "address_key",
    "country_codes",
    "country_name",
    "fold",
    "legal_form_of",
    "name_key",
    "name_tokens",
    "normalise",
    "normalise_email",
    "normalise_handle",
    "normalise_image_hash",
    "normalise_phone",
    "normalise_url",
    "phonetic",
    "pinyin_syllables",
    "quick_email",
    "quick_phone",
    "screenable",
    "skeleton",
    "token_skeleton",
    "unvowelled",
    "validate_country",
    "validate_currency",
    "wallet_kind",
]

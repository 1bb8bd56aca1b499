"""Contact identifiers in the one form every domain compares them in: phone numbers in
E.164 (libphonenumber, through ``phonenumbers``), e-mail addresses in lower case, URLs
without fragment, default port or ``www.``, messenger handles without ``@``, image hashes
as lower-case hex, wallets only when their checksum holds (:mod:`.wallets`).

The ``quick_`` forms serve bulk screening, where libphonenumber would cost more than the
rest of an intake: a phone by its digits alone, an e-mail by its case.

>>> normalise_phone("+1 (604) 555-0143")
'+16045550143'
>>> quick_phone("0049 30 1234567")
'+49301234567'
>>> normalise_url("WWW.Example.com:443/shop/")
'http://example.com/shop'
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

import phonenumbers

from watchfloor.identifiers.wallets import is_btc_legacy, is_btc_segwit, is_eth, is_xmr

_HEX = re.compile(r"^[0-9a-f]{16,128}$")
_DIGITS = re.compile(r"\D+")
TRAILING = ".,;:!?)]}'\""  # punctuation that ends a sentence, not a URL


def normalise_email(text: str) -> str | None:
    """Lower case, exactly one ``@`` and a dotted domain; None otherwise."""
    text = text.strip().lower()
    if text.count("@") != 1:
        return None
    local, domain = text.split("@")
    return f"{local}@{domain}" if local and "." in domain else None


def normalise_url(text: str) -> str | None:
    """Scheme and host in lower case, no ``www.``, default port, fragment or trailing
    slash; None when there is no dotted host."""
    text = text.strip().rstrip(TRAILING)
    if text.lower().startswith("www."):
        text = "http://" + text
    try:
        parts = urlsplit(text)
        host = (parts.hostname or "").lower()
        port = parts.port
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    host = host.removeprefix("www.")
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


def normalise_phone(text: str, region: str | None = None) -> str | None:
    """E.164, or None when libphonenumber does not take it for a valid number."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_image_hash(text: str) -> str | None:
    """A perceptual hash as lower-case hex (an even number of 16-128 digits)."""
    value = text.strip().lower().removeprefix("0x")
    return value if _HEX.match(value) and len(value) % 2 == 0 else None


def normalise_handle(text: str) -> str | None:
    """A messenger or seller handle in lower case without its ``@``."""
    value = text.strip().lstrip("@").lower()
    return value or None


def wallet_kind(candidate: str) -> str | None:
    """btc, eth or xmr when ``candidate`` is an address of that chain with a valid checksum."""
    if is_btc_legacy(candidate) or is_btc_segwit(candidate):
        return "btc"
    if is_eth(candidate):
        return "eth"
    if is_xmr(candidate):
        return "xmr"
    return None


def quick_phone(raw: str | None) -> str | None:
    """A phone as E.164 by its digits alone (``00`` taken for ``+``): for screening many
    records fast, where libphonenumber would cost more than the rest of the intake."""
    if not raw:
        return None
    digits = _DIGITS.sub("", raw)
    if raw.strip().startswith("00"):
        digits = digits[2:]
    return f"+{digits}" if 7 <= len(digits) <= 15 else None


def quick_email(raw: str | None) -> str | None:
    """An e-mail address in lower case, for bulk screening (no syntax check)."""
    return raw.strip().lower() if raw and "@" in raw else None

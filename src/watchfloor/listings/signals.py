"""Signals: the identifiers in a listing that can tie it to a seller on other platforms.

Each signal is normalised so that the same identifier written two ways is one value:
phone numbers in E.164 (libphonenumber, through ``phonenumbers``), e-mail addresses and
domains in lower case, URLs without fragment, default port or ``www.``, wallets only when
their checksum holds (:mod:`.wallets`), PGP fingerprints as 40 upper-case hex digits,
messenger handles in lower case without the ``@``, image perceptual hashes as lower-case hex.

Strength says what a shared value proves. A phone, e-mail, wallet, PGP key, messenger
account, image, or the same seller account on one platform is one person's (strong); a
seller handle seen on two platforms, or a shop's web domain, may be a coincidence (weak)
and links sellers only with support from another signal.

To share signals without revealing them, :func:`share_token` turns a value into an
HMAC-SHA256 under a community key: a platform with the same key can compute the token of
its own users' values and compare, and learns nothing from the tokens of others.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

import phonenumbers

from watchfloor.identifiers import (
    normalise_email,
    normalise_handle,
    normalise_image_hash,
    normalise_phone,
    normalise_url,
    wallet_kind,
)

Kind = Literal[
    "phone", "email", "url", "domain", "btc", "eth", "xmr", "pgp", "telegram", "wickr",
    "account", "handle", "image",
]  # fmt: skip
STRONG: frozenset[str] = frozenset(
    {"phone", "email", "btc", "eth", "xmr", "pgp", "telegram", "wickr", "account", "image"}
)
# hosts that carry everyone's pages: a link to them says nothing about the seller
SHARED_HOSTS = frozenset(
    {
        "t.me", "telegram.me", "wa.me", "instagram.com", "facebook.com", "twitter.com", "x.com",
        "tiktok.com", "youtube.com", "youtu.be", "reddit.com", "snapchat.com", "google.com",
        "imgur.com", "i.imgur.com", "discord.gg", "discord.com", "linktr.ee", "bit.ly",
        "tinyurl.com",
    }
)  # fmt: skip


@dataclass(frozen=True, order=True)
class Signal:
    kind: str
    value: str  # normalised
    raw: str = ""  # as written (first occurrence)

    @property
    def strong(self) -> bool:
        return self.kind in STRONG

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.value}"


_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}\b")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'()\[\]{}]+", re.IGNORECASE)
_ONION = re.compile(r"\b(?:[a-z2-7]{56}|[a-z2-7]{16})\.onion\b", re.IGNORECASE)
# legacy Bitcoin (26-35 characters) and Monero (95 or 106) addresses are Base58 runs
_B58_RUN = re.compile(r"\b[1-9A-HJ-NP-Za-km-z]{26,106}\b")
_BTC_SEGWIT = re.compile(r"\b(?:bc1|BC1)[02-9ac-hj-np-zAC-HJ-NP-Z]{11,87}\b")
_ETH = re.compile(r"\b0x[0-9a-fA-F]{40}\b")
_PGP = re.compile(r"\b(?:[0-9A-Fa-f]{4}[ :]{0,2}){9}[0-9A-Fa-f]{4}\b")
_MESSENGER = re.compile(
    r"\b(?P<app>telegram|tg|wickr(?:\s?me)?|threema|session)\s*(?:id|me)?\s*[:=\-@]?\s*@?"
    r"(?P<handle>[A-Za-z][A-Za-z0-9_.]{3,31})\b",
    re.IGNORECASE,
)
_TME = re.compile(r"\b(?:t|telegram)\.me/(?P<handle>[A-Za-z][A-Za-z0-9_]{3,31})\b", re.IGNORECASE)
_WAME = re.compile(r"\bwa\.me/\+?(?P<number>\d{6,15})\b", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"(?:\d[\s().\-/]{0,2}){7}")


# Each extractor reads one kind of signal from a text (and its lower-case form), yielding
# (kind, normalised value or None, raw). Each pattern runs only where a cheap look for its
# telltale text finds one: most listings hold none of these signals.
Found = Iterator[tuple[str, str | None, str]]


def _emails(text: str, low: str, region: str | None) -> Found:
    for m in _EMAIL.finditer(text) if "@" in text else ():
        yield "email", normalise_email(m.group(0)), m.group(0)


def _urls(text: str, low: str, region: str | None) -> Found:
    for m in _URL.finditer(text) if "http" in low or "www." in low else ():
        url = normalise_url(m.group(0))
        host = (urlsplit(url).hostname or "") if url else ""
        if url is None or host in ("t.me", "telegram.me", "wa.me"):
            continue  # messenger links are read as the account they point at
        yield "url", url, m.group(0)
        if host not in SHARED_HOSTS:
            yield "domain", host, m.group(0)


def _onions(text: str, low: str, region: str | None) -> Found:
    for m in _ONION.finditer(text) if ".onion" in low else ():
        yield "domain", m.group(0).lower(), m.group(0)


def _messenger_links(text: str, low: str, region: str | None) -> Found:
    for m in _TME.finditer(text) if ".me/" in low else ():
        yield "telegram", normalise_handle(m.group("handle")), m.group(0)
    for m in _WAME.finditer(text) if "wa.me/" in low else ():
        yield "phone", normalise_phone("+" + m.group("number")), m.group(0)


def _messengers(text: str, low: str, region: str | None) -> Found:
    if not any(w in low for w in ("telegram", "tg", "wickr", "threema", "session")):
        return
    for m in _MESSENGER.finditer(text):
        app = m.group("app").lower()
        kind = "telegram" if app in ("telegram", "tg") else app.split()[0]
        if kind in ("telegram", "wickr"):
            yield kind, normalise_handle(m.group("handle")), m.group(0)


def _wallets(text: str, low: str, region: str | None) -> Found:
    patterns = [_B58_RUN]
    patterns += [_BTC_SEGWIT] if "bc1" in low else []
    patterns += [_ETH] if "0x" in low else []
    for pattern in patterns:
        for m in pattern.finditer(text):
            raw = m.group(0)
            kind = wallet_kind(raw)
            if kind:
                # hex and Bech32 addresses are blind to case, Base58 ones are not
                yield kind, raw.lower() if kind == "eth" or raw[:3].lower() == "bc1" else raw, raw


def _pgp_keys(text: str, low: str, region: str | None) -> Found:
    for m in _PGP.finditer(text):
        digits = re.sub(r"[ :]", "", m.group(0)).upper()
        if len(digits) == 40 and not digits.isdigit():
            yield "pgp", digits, m.group(0)


def _phones(text: str, low: str, region: str | None) -> Found:
    # libphonenumber's matcher walks the whole text; most listings hold no run of seven
    # digits, which every phone number has
    if not _DIGIT_RUN.search(text):
        return
    leniency = phonenumbers.Leniency.VALID
    for match in phonenumbers.PhoneNumberMatcher(text, region or "ZZ", leniency=leniency):
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        yield "phone", e164, match.raw_string


_EXTRACTORS = (
    _emails, _urls, _onions, _messenger_links, _messengers, _wallets, _pgp_keys, _phones,
)  # fmt: skip


def from_text(text: str, *, region: str | None = None) -> list[Signal]:
    """Every signal written in ``text`` (visible text, see :mod:`.text`), each once.

    ``region`` (ISO 3166-1 alpha-2, say the ships-from country) lets numbers written
    without a country code be read; without it only international numbers count.
    """
    found: dict[str, Signal] = {}
    low = text.lower()
    for extract in _EXTRACTORS:
        for kind, value, raw in extract(text, low, region):
            if value:
                found.setdefault(f"{kind}:{value}", Signal(kind, value, raw))
    return sorted(found.values())


def text_of(title: str, body: str) -> str:
    """The text of a listing that :func:`from_text` reads."""
    return f"{title}\n{body}"


def from_listing(
    *,
    platform: str,
    title: str,
    body: str,
    url: str | None = None,
    seller: str | None = None,
    image_hashes: Iterable[str] = (),
    region: str | None = None,
    written: Iterable[Signal] | None = None,
) -> list[Signal]:
    """The signals of one listing: those written in its text (``written``, when the caller
    has them already: :func:`text_of` of title and body), its own URL's domain, the
    seller's handle (per platform, and across platforms as a weak one) and its images."""
    if written is None:
        written = from_text(text_of(title, body), region=region)
    out = {s.key: s for s in written}
    if url:
        own = normalise_url(url)
        host = urlsplit(own).hostname if own else None
        if host and host not in SHARED_HOSTS and host != platform.lower():
            out.setdefault(f"domain:{host}", Signal("domain", host, url))
    handle = normalise_handle(seller or "")
    if handle:
        # the same account on the same platform is one seller; the same name elsewhere
        # is only a hint
        account = Signal("account", f"{platform.lower()}:{handle}", seller or "")
        out[account.key] = account
        out.setdefault(f"handle:{handle}", Signal("handle", handle, seller or ""))
    for h in image_hashes:
        value = normalise_image_hash(h)
        if value:
            out.setdefault(f"image:{value}", Signal("image", value, h))
    return sorted(out.values())


def share_token(signal: Signal, key: bytes) -> str:
    """The value others may receive: HMAC-SHA256 of ``kind:value`` under a community key."""
    return hmac.new(key, signal.key.encode("utf-8"), hashlib.sha256).hexdigest()

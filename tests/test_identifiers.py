"""One normal form per identifier: watchlists, signal tokens and entity screening agree."""

from __future__ import annotations

import pytest

from watchfloor import identifiers
from watchfloor.cooperation.watchlists import screening
from watchfloor.identifiers import names


@pytest.mark.parametrize(
    ("kind", "raw", "normal"),
    [
        ("email", " Seller@Example.COM ", "seller@example.com"),
        ("email", "not an address", None),
        ("phone", "+1 (604) 555-0143", "+16045550143"),
        ("phone", "604 555 0143", None),  # no country: not read without a region
        ("url", "WWW.Example.com:443/shop/", "http://example.com/shop"),
        ("telegram", "@Budbrother", "budbrother"),
        ("account", "Example Market:@Budbrother", "example market:budbrother"),
        ("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
        ("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyU", None),  # bad checksum
        ("pgp", "a1b2 " * 10, "A1B2" * 10),
        ("image", "0xFFEE00112233AABB", "ffee00112233aabb"),
        ("name", "RAMIREZ OCHOA, José", "jose ochoa ramirez"),
        ("name", "Li", None),  # too short to be anyone
        ("address", "12 Calle Reforma", "12 calle reforma"),
        ("address", "Reforma", None),
        ("nonsense", "x", None),
    ],
)
def test_each_kind_has_one_normal_form(kind: str, raw: str, normal: str | None) -> None:
    assert identifiers.normalise(kind, raw) == normal


def test_phones_without_a_country_code_are_read_in_a_region() -> None:
    assert identifiers.normalise("phone", "604 555 0143", region="CA") == "+16045550143"


@pytest.mark.parametrize(
    "name", ["Straße Müller", "ØRSTED Jørgen", "张伟", "Владимир Путин", "محمد بن سلمان"]
)
def test_watchlists_and_entity_screening_fold_names_alike(name: str) -> None:
    """Both transliterate (ß is ss, CJK and Cyrillic become Latin words); the watchlist's
    key is the entity tokens' words in sorted order, never an empty or lossy form."""
    key = screening.normalise("name", name)
    assert key is not None and key.isascii()
    assert key.split() == sorted(w for w in names.name_tokens(name)) or set(
        names.name_tokens(name)
    ) <= set(key.split())  # tokens leave out legal forms and honorifics, keys keep them
    assert screening.normalise("name", "Straße Hans") == "hans strasse"


def test_quick_forms_for_bulk_screening_meet_the_full_ones() -> None:
    assert identifiers.quick_phone("0049 30 1234567") == "+49301234567"
    assert identifiers.quick_email(" X@Y.org ") == "x@y.org"
    assert identifiers.name_key("Jose Ramirez Ochoa") == identifiers.normalise(
        "name", "RAMIREZ OCHOA, Jose"
    )


def test_watchlists_read_a_hand_typed_phone_without_plus() -> None:
    assert screening.normalise("phone", "16045550143") == "+16045550143"

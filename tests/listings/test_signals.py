"""Signals are found, normalised and checked; look-alikes are not signals."""

from __future__ import annotations

from watchfloor.identifiers.contacts import normalise_phone, normalise_url
from watchfloor.listings.signals import Signal, from_listing, from_text, share_token


def kinds(signals: list[Signal]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for s in signals:
        out.setdefault(s.kind, set()).add(s.value)
    return out


def test_contacts_in_text_are_normalised() -> None:
    text = (
        "Order via Telegram: @FastShip_Bot or t.me/fastship2 , wickr me: snowqueen99. "
        "Mail SALES@Example.ORG, call +44 20 7946 0018 or whatsapp wa.me/447911123456. "
        "Shop: https://WWW.Candy-Shop.example/store/?id=7#top"
    )
    got = kinds(from_text(text))
    assert got["telegram"] == {"fastship_bot", "fastship2"}
    assert got["wickr"] == {"snowqueen99"}
    assert got["email"] == {"sales@example.org"}
    assert got["phone"] == {"+442079460018", "+447911123456"}
    assert got["url"] == {"https://candy-shop.example/store?id=7"}
    assert got["domain"] == {"candy-shop.example"}


def test_local_numbers_need_the_region() -> None:
    assert "phone" not in kinds(from_text("call 030 901820"))
    assert kinds(from_text("call 030 901820", region="DE"))["phone"] == {"+4930901820"}
    assert normalise_phone("12345", "US") is None


def test_wallets_count_only_with_a_valid_checksum() -> None:
    text = (
        "BTC 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa, not 1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNb; "
        "segwit BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4; "
        "ETH 0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed but not "
        "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD"
    )
    got = kinds(from_text(text))
    assert got["btc"] == {
        "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa",
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",
    }
    assert got["eth"] == {"0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"}


def test_pgp_fingerprints_and_onion_domains() -> None:
    text = (
        "PGP: 4F2A 9C3E 11B0 77D2 8E51  0A6C 3B9D 2E4F 6A81 C07D "
        "mirror: http://abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion/shop"
    )
    got = kinds(from_text(text))
    assert got["pgp"] == {"4F2A9C3E11B077D28E510A6C3B9D2E4F6A81C07D"}
    assert "abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion" in got["domain"]


def test_links_to_shared_hosts_are_not_the_sellers_domain() -> None:
    got = kinds(from_text("see https://www.instagram.com/p/abc/ and https://imgur.com/x.png"))
    assert "domain" not in got and len(got["url"]) == 2
    assert normalise_url("not a url") is None


def test_a_listing_adds_its_account_handle_and_images() -> None:
    signals = from_listing(
        platform="Agora",
        title="1g cocaine",
        body="",
        url="https://shop.example/listing/9",
        seller="@SnowMan",
        image_hashes=["0xA1B2C3D4E5F60718", "zz-not-hex"],
    )
    got = kinds(signals)
    assert got["account"] == {"agora:snowman"} and got["handle"] == {"snowman"}
    assert got["image"] == {"a1b2c3d4e5f60718"}
    assert got["domain"] == {"shop.example"}
    strong = {s.kind for s in signals if s.strong}
    assert strong == {"account", "image"}


def test_shared_tokens_hide_the_value_but_match_under_the_same_key() -> None:
    s = Signal("phone", "+442079460018")
    a, b = share_token(s, b"community-key"), share_token(s, b"community-key")
    assert a == b and "4420" not in a and len(a) == 64
    assert share_token(s, b"another-key") != a
    assert share_token(Signal("email", "+442079460018"), b"community-key") != a

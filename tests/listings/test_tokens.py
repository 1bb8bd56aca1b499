"""Hashed signal sharing: an agency publishes tokens, a platform checks its own users
against them without seeing the values (SQLite and PostgreSQL, and the offline CLI)."""

from __future__ import annotations

import json

from tests.helpers import api_headers, listing, run
from watchfloor.listings import tokens

SETS = "/api/v1/listings/signal-sets"


def test_a_platform_matches_its_users_without_learning_the_values(client, engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cbp = api_headers(engine, "US-CBP", "analyst")
    plat = api_headers(engine, "PLATFORM-EXAMPLE", "analyst")
    bazaar = api_headers(engine, "PLATFORM-BAZAAR", "analyst")
    rows = [
        listing("K1", body="Call or text +1 202-456-1111. Telegram: @Icy_Plug"),
        listing(
            "K2", title="Replica Rolex watch", body="wallet 1BoatSLRHtKNngkdXEeobR76b53LETtpyT"
        ),
    ]
    assert client.post("/api/v1/listings", json={"listings": rows}, headers=cbp).status_code == 200
    # a listing shared with CBP under originator control stays out of CBP's set
    orcon = listing("K3", body="BTC 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")
    orcon["sharing"] = {"tlp": "amber", "recipients": ["US-CBP"], "originator_control": True}
    assert client.post("/api/v1/listings", json=orcon, headers=plat).status_code == 200

    body = {
        "name": "November sellers",
        "kinds": ["phone", "telegram", "btc"],
        "sharing": {"tlp": "amber", "recipients": ["PLATFORM-BAZAAR"]},
    }
    r = client.post(SETS, json=body, headers=cbp)
    assert r.status_code == 201, r.text
    made = r.json()
    assert (made["listings"], made["count"]) == (1, 2)  # K1 (a drug sale): phone, telegram
    text = json.dumps(made)
    assert "2024561111" not in text and "icy_plug" not in text.lower()

    assert (
        client.get(
            f"{SETS}/{made['id']}", headers=api_headers(engine, "MX-ANAM", "admin")
        ).status_code
        == 404
    )
    got = client.get(f"{SETS}/{made['id']}", headers=bazaar).json()
    assert got["tokens"] == made["tokens"] and len(got["tokens"]) == 2
    assert [s["id"] for s in client.get(SETS, headers=bazaar).json()] == [made["id"]]
    assert (
        client.get(f"{SETS}/key", headers=api_headers(engine, "US-CBP", "viewer")).status_code
        == 403
    )
    key = client.get(f"{SETS}/key", headers=bazaar).json()
    assert key["key_id"] == got["key_id"]

    mine = [
        ("phone", "+1 (202) 456 1111"),  # written another way: the same number
        ("telegram", "@icy_plug"),
        ("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),  # in the orcon listing: not shared
        ("email", "someone@example.org"),
        ("phone", "not a phone"),
    ]
    secret = bytes.fromhex(key["key"])
    assert tokens.match(got["tokens"], mine, secret) == mine[:2]

    set_file, values = tmp_path / "set.json", tmp_path / "mine.csv"
    set_file.write_text(json.dumps(got))
    values.write_text("kind,value\n" + "".join(f'{k},"{v}"\n' for k, v in mine))
    r = run("listings", "match-tokens", str(set_file), str(values), "--key", key["key"], "--json")
    assert r.returncode == 0, r.stderr
    assert [json.loads(line)["kind"] for line in r.stdout.splitlines()] == ["phone", "telegram"]
    wrong = run("listings", "match-tokens", str(set_file), str(values), "--key", "00" * 32)
    assert wrong.returncode == 2 and "not this one" in wrong.stderr


def test_normalisation_is_the_stored_one() -> None:
    key = bytes(range(32))
    assert tokens.token_of("phone", "+31 20 794 0000", key) == tokens.token(
        "phone", "+31207940000", key
    )
    assert tokens.normalise("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyU") is None  # bad checksum
    assert tokens.normalise("account", "Example Market:@Budbrother") == "example market:budbrother"
    assert tokens.normalise("pgp", "a1b2 " * 10) == "A1B2" * 10

"""Watchlists with deconfliction on a real database: entries validated per kind, hits from
other agencies' records told to the owner without the record, told to the hitting agency
only when it may read the entry, joint cases, and entries published as hashed tokens."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers import api_headers, listing, record
from watchfloor.alerts.models import Alert
from watchfloor.cooperation.watchlists.models import WatchlistHit
from watchfloor.cooperation.watchlists.screening import normalise
from watchfloor.db import session_scope
from watchfloor.listings import tokens


@pytest.mark.parametrize(
    ("kind", "raw", "normal"),
    [
        ("name", "RAMIREZ OCHOA, José Luis", "jose luis ochoa ramirez"),
        ("name", "Li", None),  # too short to be anyone in particular
        ("address", "12 Calle Río Bravo, Tijuana", "12 calle rio bravo tijuana"),
        ("phone", "+52 664 123 4567", "+526641234567"),
        ("phone", "0052 664 123 4567", "+526641234567"),
        ("phone", "12", None),
        ("email", " Broker.Tio@Example.COM ", "broker.tio@example.com"),
        ("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"),
        ("btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyX", None),  # checksum fails
        ("telegram", "@TioChem", "tiochem"),
    ],
)
def test_values_are_compared_in_a_normal_form(kind: str, raw: str, normal: str | None) -> None:
    assert normalise(kind, raw) == normal


def entry(ref: str, kind: str, value: str, **over: Any) -> dict[str, Any]:
    return {"reference": ref, "kind": kind, "value": value, "reason": "broker 'Tio'", **over}


def alerts_of(engine, agency: str) -> list[str]:  # type: ignore[no-untyped-def]
    from watchfloor.security.service import get_agency

    with session_scope(engine) as s:
        owner = get_agency(s, agency).id
        return list(
            s.scalars(
                select(Alert.title)
                .where(Alert.owner_agency_id == owner, Alert.kind == "watchlist_hit")
                .order_by(Alert.id)  # in the order raised: the test slices off the new ones
            )
        )


def ours(hit: dict[str, Any]) -> bool:
    """A hit of this test's entries (the demo has CBSA-WL-... entries of its own)."""
    return hit["entry_owner"] == "CA-CBSA" and not (hit["entry_reference"] or "").startswith(
        "CBSA-"
    )


def test_deconfliction_across_agencies(client, engine) -> None:  # type: ignore[no-untyped-def]
    ca = api_headers(engine, "CA-CBSA", "officer")
    us = api_headers(engine, "US-CBP", "officer")
    before_ca, before_us = len(alerts_of(engine, "CA-CBSA")), len(alerts_of(engine, "US-CBP"))
    r = client.post(
        "/api/v1/sharing/watchlist",
        json={
            "entries": [
                entry("WL-RED", "email", "Tio.Red@example.com", sharing={"tlp": "red"}),
                entry(
                    "WL-AMBER",
                    "phone",
                    "+1 604 555 0143",
                    sharing={"tlp": "amber", "recipients": ["US-CBP"]},
                ),
                entry("WL-BAD", "btc", "1BoatSLRHtKNngkdXEeobR76b53LETtpyX"),
            ]
        },
        headers=ca,
    )
    assert r.status_code == 207, r.text
    bad = r.json()["results"][2]
    assert bad["errors"] == [
        {"field": "value", "reason": "'1BoatSLRHtKNngkdXEeobR76b53LETtpyX' is not a valid btc"}
    ]
    red_id, amber_id = (x["id"] for x in r.json()["results"][:2])

    consignee = {
        "name": "Mary Jones",
        "country": "US",
        "email": "tio.red@EXAMPLE.com",
        "phone": "+16045550143",
    }
    sent = client.post("/api/v1/shipments", json=record("WL-S1", consignee=consignee), headers=us)
    assert sent.status_code == 200, sent.text
    shipment_id = sent.json()["results"][0]["id"]

    # CBSA sees both hits: what kind of record, not which record, nor whose: the shipment
    # is CBP's alone, so CBSA learns only that an agency had a hit (and may open a case)
    hits_ca = client.get("/api/v1/sharing/watchlist/hits", headers=ca).json()
    mine = {
        h["entry_reference"]: h for h in hits_ca if h["entry_reference"] in ("WL-RED", "WL-AMBER")
    }
    assert set(mine) == {"WL-RED", "WL-AMBER"}
    assert {(h["hit_agency"], h["record_type"], h["record_id"]) for h in mine.values()} == {
        (None, "shipment", None)
    }
    assert mine["WL-RED"]["field"] == "consignee_email"
    # CBP learns of the amber entry it may read, never of the red one
    hits_us = client.get("/api/v1/sharing/watchlist/hits", headers=us).json()
    seen = [(h["entry_reference"], h["record_id"]) for h in hits_us if ours(h)]
    assert seen == [("WL-AMBER", shipment_id)]
    # what the hit told CBP of CBSA's entry is a read of CBSA's data, audited
    from watchfloor.audit import AuditEvent

    with session_scope(engine) as s:
        told = s.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "watchlist_entry.read", AuditEvent.agency == "US-CBP"
            )
        ).all()
    assert any("watchlist hit" in (d or "") for d in told), told
    assert client.get(f"/api/v1/sharing/watchlist/{red_id}", headers=us).status_code == 404
    new_ca = alerts_of(engine, "CA-CBSA")[before_ca:]
    new_us = alerts_of(engine, "US-CBP")[before_us:]
    assert len(new_ca) == 2 and all("an agency had a hit" in t for t in new_ca)
    assert not any("US-CBP" in t for t in new_ca)
    assert len(new_us) == 1 and "WL-AMBER" in new_us[0] and "WL-RED" not in new_us[0]

    # the same shipment again, unchanged, is no new hit
    again = client.post("/api/v1/shipments", json=record("WL-S1", consignee=consignee), headers=us)
    assert again.json()["results"][0]["status"] == "unchanged"
    with session_scope(engine) as s:
        assert (
            s.scalar(
                select(func.count())
                .select_from(WatchlistHit)
                .where(
                    WatchlistHit.record_type == "shipment", WatchlistHit.record_id == shipment_id
                )
            )
            == 2
        )

    # CBSA opens a joint case on the red hit; CBP becomes a member, others do not
    red_hit = mine["WL-RED"]["id"]
    outsider = api_headers(engine, "NL-FIOD", "analyst")
    assert (
        client.post(
            f"/api/v1/sharing/watchlist/hits/{red_hit}/case", json={"title": "x"}, headers=outsider
        ).status_code
        == 404
    )
    case = client.post(
        f"/api/v1/sharing/watchlist/hits/{red_hit}/case",
        json={"title": "Broker 'Tio'", "note": "call our desk"},
        headers=api_headers(engine, "CA-CBSA", "analyst"),
    )
    assert case.status_code == 201, case.text
    url = f"/api/v1/sharing/cases/{case.json()['id']}"
    assert case.json()["members"] == ["CA-CBSA", "US-CBP"]
    noted = client.post(f"{url}/notes", json={"note": "we hold the parcel"}, headers=us)
    assert noted.status_code == 200, noted.text
    assert [n["agency"] for n in noted.json()["notes"]] == ["CA-CBSA", "US-CBP"]
    assert client.get(url, headers=outsider).status_code == 404
    assert url.rsplit("/", 1)[1] in {
        str(c["id"]) for c in client.get("/api/v1/sharing/cases", headers=us).json()["items"]
    }

    # withdrawn, the entry matches no more; only its owner may withdraw it
    assert client.delete(f"/api/v1/sharing/watchlist/{amber_id}", headers=us).status_code == 403
    assert client.delete(f"/api/v1/sharing/watchlist/{amber_id}", headers=ca).status_code == 200
    client.post("/api/v1/shipments", json=record("WL-S2", consignee=consignee), headers=us)
    hits_us = client.get("/api/v1/sharing/watchlist/hits", headers=us).json()
    assert [h["entry_reference"] for h in hits_us if ours(h)] == ["WL-AMBER"]


def test_seizure_parties_hit_and_entries_publish_as_tokens(client, engine) -> None:  # type: ignore[no-untyped-def]
    mx = api_headers(engine, "MX-ANAM", "officer")
    made = client.post(
        "/api/v1/sharing/watchlist",
        json={
            "entries": [
                entry("MX-WL-1", "name", "Ochoa Ramirez, Jose Luis"),
                entry("MX-WL-2", "email", "tio@example.com"),
            ]
        },
        headers=mx,
    )
    assert made.status_code == 200, made.text
    co = api_headers(engine, "CO-DIAN", "officer")
    seized = client.post(
        "/api/v1/sharing/seizures/batch",
        json={
            "reference": "CO-WL-SZ",
            "seized_on": "2026-11-20",
            "country": "CO",
            "substance": "cocaine",
            "quantity": 30,
            "unit": "kg",
            "parties": [{"role": "suspect", "name": "José Luis RAMÍREZ OCHOA"}],
        },
        headers=co,
    )
    assert seized.status_code == 200, seized.text

    def seen() -> list[tuple[str, str | None, str, str]]:
        hits = client.get("/api/v1/sharing/watchlist/hits", headers=mx).json()
        return [
            (h["entry_reference"], h["hit_agency"], h["record_type"], h["field"])
            for h in hits
            if h["entry_reference"] == "MX-WL-1"
        ]

    # the seizure is DIAN's alone (TLP:AMBER, nobody named): ANAM learns of a hit, not whose
    assert seen() == [("MX-WL-1", None, "seizure", "parties[0].name")]
    # once DIAN shares the seizure with ANAM, the hit names DIAN
    seizure_id = seized.json()["results"][0]["id"]
    shared = client.put(
        f"/api/v1/sharing/seizures/{seizure_id}/sharing",
        json={"tlp": "amber", "recipients": ["MX-ANAM"]},
        headers=co,
    )
    assert shared.status_code == 200, shared.text
    assert seen() == [("MX-WL-1", "CO-DIAN", "seizure", "parties[0].name")]

    published = client.post(
        "/api/v1/listings/signal-sets",
        json={
            "name": "ANAM watchlist",
            "source": "watchlist",
            "kinds": ["name", "email"],
            "sharing": {"tlp": "amber", "recipients": ["PLATFORM-EXAMPLE"]},
        },
        headers=api_headers(engine, "MX-ANAM", "analyst"),
    )
    assert published.status_code == 201, published.text
    body = published.json()
    with session_scope(engine) as s:  # the agency's own active entries of those kinds
        from watchfloor.cooperation.watchlists.models import WatchlistEntry
        from watchfloor.security.service import get_agency

        own = s.scalar(
            select(func.count()).where(
                WatchlistEntry.owner_agency_id == get_agency(s, "MX-ANAM").id,
                WatchlistEntry.kind.in_(["name", "email"]),
                WatchlistEntry.active.is_(True),
            )
        )
    assert own >= 2  # the two above, and the demo's objected importer
    assert (body["source"], body["count"], body["listings"]) == ("watchlist", own, own)
    # the platform matches its own users locally and learns only who matches
    platform = api_headers(engine, "PLATFORM-EXAMPLE", "analyst")
    key = bytes.fromhex(
        client.get("/api/v1/listings/signal-sets/key", headers=platform).json()["key"]
    )
    got = client.get(f"/api/v1/listings/signal-sets/{body['id']}", headers=platform).json()
    users = [
        ("email", "TIO@example.com"),
        ("email", "someone@example.com"),
        ("name", "jose luis ochoa ramirez"),
    ]
    assert tokens.match(got["tokens"], users, key) == [users[0], users[2]]
    assert "tio@example.com" not in published.text


def test_an_entry_is_shared_from_its_page(client, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import browser_login, csrf_from
    from watchfloor.cooperation.watchlists.models import WatchlistEntry

    with session_scope(engine) as s:
        entry_id = s.scalar(
            select(WatchlistEntry.id).where(WatchlistEntry.reference == "CBSA-WL-0001")
        )
    nl = api_headers(engine, "NL-FIOD", "analyst")
    api = f"/api/v1/sharing/watchlist/{entry_id}"
    assert client.get(api, headers=nl).status_code == 404
    assert client.get(f"/cooperation/watchlist/{entry_id}", headers=nl).status_code == 404
    browser_login(client, "ca.cbsa.officer")
    page = client.get(f"/cooperation/watchlist/{entry_id}")
    assert page.status_code == 200 and 'id="sharing-form"' in page.text
    r = client.post(
        f"/cooperation/watchlist/{entry_id}/sharing",
        data={
            "tlp": "amber",
            "recipients": "NL-FIOD",
            "community": ["NA-PRECURSORS"],
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert client.get(api, headers=nl).status_code == 200
    shown = client.get(f"/cooperation/watchlist/{entry_id}").text
    assert "NL-FIOD" in shown and "community NA-PRECURSORS" in shown


def test_a_new_entry_finds_the_records_stored_before_it(client, engine) -> None:  # type: ignore[no-untyped-def]
    """Yesterday's shipment, seizure and listing carry a value that is watched from today: the
    new entry finds them at once, each hit told as at intake, and only once."""
    us = api_headers(engine, "US-CBP", "officer")
    sender = {"name": "Orlov Trading", "country": "CN", "phone": "+86 20 8888 1234",
              "address": "88 Huangpu Road, Guangzhou"}  # fmt: skip
    sent = client.post("/api/v1/shipments", json=record("RETRO-S1", sender=sender), headers=us)
    assert sent.status_code == 200, sent.text
    shipment_id = sent.json()["results"][0]["id"]
    seized = client.post(
        "/api/v1/sharing/seizures/batch",
        json={"reference": "RETRO-SZ", "seized_on": "2026-11-20", "country": "CO",
              "substance": "cocaine", "quantity": 3, "unit": "kg",
              "parties": [{"role": "carrier", "name": "Someone Else"},
                          {"role": "suspect", "name": "ORLOV, Piotr Ivanovich"}]},
        headers=api_headers(engine, "CO-DIAN", "officer"),
    )  # fmt: skip
    assert seized.status_code == 200, seized.text
    seizure_id = seized.json()["results"][0]["id"]
    listed = client.post(
        "/api/v1/listings",
        json={"listings": [listing("RETRO-L1", body="Orders on WhatsApp +86 20 8888 1234")]},
        headers=api_headers(engine, "PLATFORM-EXAMPLE", "analyst"),
    )
    assert listed.status_code == 200, listed.text
    listing_id = listed.json()["results"][0]["id"]

    ca = api_headers(engine, "CA-CBSA", "officer")
    entries = [
        entry("RETRO-PHONE", "phone", "0086 20 8888 1234",
              sharing={"tlp": "amber", "recipients": ["US-CBP"]}),
        entry("RETRO-NAME", "name", "Piotr Ivanovich Orlov", sharing={"tlp": "red"}),
        entry("RETRO-ADDR", "address", "88 Huangpu Rd. Guangzhou"),  # "Rd." is not "Road"
    ]  # fmt: skip
    before_ca, before_us = len(alerts_of(engine, "CA-CBSA")), len(alerts_of(engine, "US-CBP"))
    made = client.post("/api/v1/sharing/watchlist", json={"entries": entries}, headers=ca)
    assert made.status_code == 200, made.text

    def hits() -> set[tuple[str, str, int, str]]:
        with session_scope(engine) as s:
            from watchfloor.cooperation.watchlists.models import WatchlistEntry

            rows = s.execute(
                select(
                    WatchlistEntry.reference,
                    WatchlistHit.record_type,
                    WatchlistHit.record_id,
                    WatchlistHit.field,
                )
                .join(WatchlistEntry, WatchlistEntry.id == WatchlistHit.entry_id)
                .where(WatchlistEntry.reference.like("RETRO-%"))
            ).all()
        return {tuple(r) for r in rows}  # type: ignore[misc]

    assert hits() == {
        ("RETRO-PHONE", "shipment", shipment_id, "sender_phone"),
        ("RETRO-PHONE", "listing", listing_id, "signal.phone"),
        ("RETRO-NAME", "seizure", seizure_id, "parties[1].name"),
    }
    # told as at intake: the owner of the entries, without naming whose records they are;
    # CBP reads the amber entry and is told of its shipment; nobody is told of the red one
    new_ca = alerts_of(engine, "CA-CBSA")[before_ca:]
    assert len(new_ca) == 3 and all("an agency had a hit" in t for t in new_ca), new_ca
    new_us = alerts_of(engine, "US-CBP")[before_us:]
    assert len(new_us) == 1 and "RETRO-PHONE" in new_us[0], new_us
    # the same entries again: nothing changed, nothing found twice
    again = client.post("/api/v1/sharing/watchlist", json={"entries": entries}, headers=ca)
    assert {r["status"] for r in again.json()["results"]} == {"unchanged"}
    assert len(hits()) == 3 and len(alerts_of(engine, "CA-CBSA")) == before_ca + 3
    # a changed entry is screened again: the address written as the shipment has it
    entries[2]["value"] = "88 Huangpu Road, Guangzhou"
    changed = client.post("/api/v1/sharing/watchlist", json={"entries": entries}, headers=ca)
    assert changed.json()["results"][2]["status"] == "updated", changed.text
    assert ("RETRO-ADDR", "shipment", shipment_id, "sender_address") in hits()

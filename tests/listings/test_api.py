"""The listings API on SQLite and PostgreSQL: intake with per-row results, idempotency,
classification and signals on the stored row, the 1 MB limit, and who may read what."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.helpers import api_headers, listing
from watchfloor.audit import AuditEvent
from watchfloor.db import session_scope
from watchfloor.listings.models import Listing


def test_a_batch_stores_good_rows_classified_and_reports_bad_ones(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    body = {
        "listings": [
            listing("L1"),
            listing("L2", ships_from="XX", currency="EURO"),
            listing("L3", title="Replica Rolex Submariner watch", body="Swiss movement"),
            {"platform": "p"},
            # a post that talks about a drug and offers nothing
            listing("L5", title="Is heroin an opioid?", body="It is made from morphine.")
            | {"price": None, "currency": None},
        ]
    }
    r = client.post("/api/v1/listings", json=body, headers=h)
    assert r.status_code == 207, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == [
        "created",
        "rejected",
        "created",
        "rejected",
        "created",
    ]
    assert {e["field"] for e in results[1]["errors"]} == {"ships_from", "currency"}
    assert {e["field"] for e in results[3]["errors"]} >= {"external_id", "title"}
    mdma = client.get(f"/api/v1/listings/{results[0]['id']}", headers=h).json()
    assert mdma["is_drug_sale"] and mdma["substance_class"] == "mdma", mdma
    assert mdma["terms"] and all(t["why"] for t in mdma["terms"])
    assert mdma["class_terms"] and mdma["why"].startswith("A drug sale: an offer (")
    assert "a price given with the listing" in mdma["offer"] and mdma["drug_probability"] > 0.5
    shown = [t["term"] + t["why"] for t in mdma["terms"] + mdma["class_terms"]]
    assert not any("wfname" in x or "wfslang" in x or "wfqty" in x for x in shown), shown
    assert mdma["body"].startswith("Champagne rocks, lab tested.")  # markup removed
    assert mdma["currency"] == "BTC" and mdma["ships_to"] == ["WW"]
    signals = {(s["kind"], s["value"]) for s in mdma["signals"]}
    assert ("telegram", "rocketman_nl") in signals
    assert ("account", "example marketplace:rocketman") in signals
    assert ("image", "a1b2c3d4e5f60718") in signals
    watch = client.get(f"/api/v1/listings/{results[2]['id']}", headers=h).json()
    assert not watch["is_drug_sale"] and watch["substance_class"] is None
    talk = client.get(f"/api/v1/listings/{results[4]['id']}", headers=h).json()
    assert talk["talk"] and not talk["is_drug_sale"] and talk["terms"][0]["term"] == "(no offer)"
    assert not mdma["talk"] and not watch["talk"]
    assert talk["terms"][0]["weight"] < 0 and "not an offer" in talk["terms"][0]["why"]
    page = client.get("/api/v1/listings?drug_sales=true", headers=h).json()
    assert [x["external_id"] for x in page["items"]] == ["L1"]


def test_resubmission_is_idempotent_and_a_change_updates(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    first = client.post("/api/v1/listings", json=listing("R1"), headers=h).json()["results"][0]
    again = client.post("/api/v1/listings", json=listing("R1"), headers=h).json()["results"][0]
    assert (first["status"], again["status"], again["id"]) == ("created", "unchanged", first["id"])
    changed = listing("R1", title="Replica Rolex Submariner watch", body="Swiss movement")
    upd = client.post("/api/v1/listings", json=changed, headers=h).json()["results"][0]
    assert upd["status"] == "updated" and upd["id"] == first["id"]
    detail = client.get(f"/api/v1/listings/{first['id']}", headers=h).json()
    assert not detail["is_drug_sale"]
    assert "telegram" not in {s["kind"] for s in detail["signals"]}
    dup = {"listings": [listing("D1"), listing("D1", title="1g cocaine")]}
    res = client.post("/api/v1/listings", json=dup, headers=h).json()["results"]
    assert [x["status"] for x in res] == ["superseded", "created"]
    with session_scope(engine) as s:
        n = s.scalar(select(func.count()).select_from(Listing).where(Listing.external_id == "D1"))
        assert n == 1


def test_bodies_over_one_megabyte_are_refused(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    huge = "x" * (1024 * 1024 + 1)
    r = client.post("/api/v1/listings", json=listing("BIG", body=huge), headers=h)
    assert r.status_code == 413 and "1 MB" in r.json()["detail"]
    r = client.post(
        "/api/v1/listings", json={"listings": [listing("BIG", body=huge), listing("OK")]}, headers=h
    )
    assert r.status_code == 207
    assert r.json()["results"][0]["errors"][0]["field"] == "body"
    r = client.post("/api/v1/listings", json={"external_id": "x"}, headers=h)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"


def test_nul_characters_are_refused_per_row_with_the_field_named(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    rows = [
        listing("N1", body="lab\u0000tested"),
        listing("N2", image_hashes=["a1b2c3d4e5f60718", "ff\u0000"]),
        listing("N3"),
    ]
    r = client.post("/api/v1/listings", json={"listings": rows}, headers=h)
    assert r.status_code == 207, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["rejected", "rejected", "created"]
    assert [x["errors"] for x in results[:2]] == [
        [{"field": "body", "reason": "contains a NUL character (U+0000)"}],
        [{"field": "image_hashes[1]", "reason": "contains a NUL character (U+0000)"}],
    ]
    assert [x["reference"] for x in results] == ["N1", "N2", "N3"]


def test_another_agency_reads_a_listing_only_when_it_is_shared(client, engine) -> None:  # type: ignore[no-untyped-def]
    platform = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    anam = api_headers(engine, "MX-ANAM", "officer")
    private = client.post("/api/v1/listings", json=listing("P1"), headers=platform).json()
    shared = client.post(
        "/api/v1/listings",
        json=listing("P2", sharing={"tlp": "amber", "recipients": ["MX-ANAM"]}),
        headers=platform,
    ).json()
    pid, sid = private["results"][0]["id"], shared["results"][0]["id"]
    assert client.get(f"/api/v1/listings/{pid}", headers=anam).status_code == 404
    assert client.get(f"/api/v1/listings/{sid}", headers=anam).status_code == 200
    seen = [x["id"] for x in client.get("/api/v1/listings", headers=anam).json()["items"]]
    assert sid in seen and pid not in seen
    assert client.get("/api/v1/listings").status_code == 401
    with session_scope(engine) as s:
        reads = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "listing.read")))
        assert reads and reads[-1].object_id == str(sid) and reads[-1].agency == "MX-ANAM"


def test_viewers_cannot_report(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "PLATFORM-EXAMPLE", "viewer")
    assert client.post("/api/v1/listings", json=listing("V1"), headers=h).status_code == 403


def test_listings_are_found_by_a_part_of_title_or_seller_within_what_may_be_read(
    client, engine
) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    rows = [
        listing("S1", title="Xanax 2mg bars x 50", seller="BarMan"),
        listing("S2", title="100% pure MDMA_crystals", seller="Rocket"),
        listing("S3", title="Valium 10mg", seller="xanaxking"),
        listing("S4", title="Xanax 1mg, shared", seller="Other")
        | {"sharing": {"tlp": "amber", "recipients": ["MX-ANAM"]}},
    ]
    r = client.post("/api/v1/listings", json={"listings": rows}, headers=h)
    assert {x["status"] for x in r.json()["results"]} == {"created"}, r.text
    mine = api_headers(engine, "MX-ANAM", "analyst")

    def found(q: str, headers: dict[str, str] = h, **params: str) -> list[str]:
        page = client.get("/api/v1/listings", params={"q": q, **params}, headers=headers)
        assert page.status_code == 200, page.text
        return sorted(x["external_id"] for x in page.json()["items"])

    assert found("XANAX") == ["S1", "S3", "S4"]  # title or seller, any case
    assert found("xanax", platform="Example Marketplace", drug_sales="true") == ["S1", "S3", "S4"]
    assert found("100%") == ["S2"] and found("%") == ["S2"]  # wildcards are literal
    assert found("a_c") == ["S2"] and found("_") == ["S2"]
    assert found("  bars ") == ["S1"]
    assert found("heroin") == []
    assert found("xanax", mine) == ["S4"]  # MX-ANAM reads only what was shared with it
    r = client.get("/api/v1/listings", params={"q": "x" * 201}, headers=h)
    assert r.status_code == 422 and "q" in r.text


def test_the_same_text_gets_the_same_decision_on_every_platform(client, engine) -> None:  # type: ignore[no-untyped-def]
    """One agency's listings from three platforms, one with a price and one without: the
    same words name the same drug of the same class; only the offer may differ."""
    h = api_headers(engine, "US-CBP", "analyst")
    title, body = "10x M30 blues (pressed)", "Percocet 30, DM on Telegram @pillman_us"
    rows = [
        listing("S1", title=title, body=body, platform="Market A"),
        listing("S2", title=title, body=body, platform="Market B", price=None, currency=None),
        listing("S3", title=title, body=body, platform="Social C", price=12, currency="USD"),
    ]
    r = client.post("/api/v1/listings", json={"listings": rows}, headers=h)
    assert r.status_code == 200 and r.json()["accepted"] == 3, r.text
    got = [client.get(f"/api/v1/listings/{x['id']}", headers=h).json() for x in r.json()["results"]]
    assert {x["platform"] for x in got} == {"Market A", "Market B", "Social C"}
    decided = {(x["substance_class"], x["drug_probability"], x["is_drug_sale"]) for x in got}
    assert len(decided) == 1, decided
    assert [t["term"] for t in got[0]["terms"]] == [t["term"] for t in got[1]["terms"]]

"""Market watch: daily counts among the listings the caller may read, and the Agora demo."""

from __future__ import annotations

from tests.helpers import api_headers, listing


def test_daily_counts_by_class_and_country_for_what_the_caller_may_read(client, engine) -> None:  # type: ignore[no-untyped-def]
    platform = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    cbp = api_headers(engine, "US-CBP", "analyst")
    rows = [
        listing("M1", observed_at="2026-11-01T10:00:00Z"),
        listing("M2", observed_at="2026-11-01T23:59:00Z", ships_from="DE"),
        listing("M3", title="1g cocaine fishscale", observed_at="2026-11-03T08:00:00Z"),
        listing("M4", title="Replica Rolex watch", body="", observed_at="2026-11-03T09:00:00Z"),
    ]
    r = client.post("/api/v1/listings", json={"listings": rows}, headers=platform)
    assert r.status_code == 200, r.text
    r = client.get("/api/v1/listings/watch?since=2026-11-01&until=2026-11-30", headers=platform)
    assert r.status_code == 200, r.text
    got = r.json()
    assert got["days"] == ["2026-11-01", "2026-11-03"]
    assert got["series"] == {"mdma": [2, 0], "cocaine": [0, 1]}
    by_country = client.get(
        "/api/v1/listings/watch?by=ships_from&since=2026-11-01", headers=platform
    ).json()
    assert by_country["series"] == {"NL": [1, 1], "DE": [1, 0]}
    everything = client.get(
        "/api/v1/listings/watch?drug_sales=false&by=platform&since=2026-11-01", headers=platform
    ).json()
    assert everything["series"] == {"Example Marketplace": [2, 2]}
    # another agency sees none of it (nothing was shared)
    other = client.get("/api/v1/listings/watch?since=2026-11-01", headers=cbp).json()
    assert other["days"] == [] and other["series"] == {}
    bad = client.get("/api/v1/listings/watch?since=2026-11-05&until=2026-11-01", headers=cbp)
    assert bad.status_code == 422
    assert client.get("/api/v1/listings/watch?by=colour", headers=cbp).status_code == 422


def test_the_agora_demo_series_has_every_crawl_and_both_events(client, engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "viewer")
    got = client.get("/api/v1/listings/watch/agora", headers=h).json()
    assert len(got["days"]) == 203  # every crawl date the file lists
    assert got["days"][0] == "2014-01-01"
    assert got["days"][-1] == "2015-07-07"
    assert got["series"]["product pages"][0] == 1539
    assert [e["date"] for e in got["events"]] == ["2014-11-06", "2015-03-14"]
    assert client.get("/api/v1/listings/watch/agora").status_code == 401


def test_a_tally_of_listings_at_hand_shows_every_day_between_the_first_and_the_last() -> None:
    import datetime as dt

    from watchfloor.listings.watch import tally

    d = dt.date(2026, 11, 28)
    seen = [(d, "Forum B"), (d, "Market A"), (d, "Market A"), (d + dt.timedelta(days=3), None)]
    got = tally("platform", seen)
    assert got.days == [d + dt.timedelta(days=i) for i in range(4)]
    assert got.counts == {
        "Forum B": [1, 0, 0, 0],
        "Market A": [2, 0, 0, 0],
        "unknown": [0, 0, 0, 1],
    }
    assert tally("platform", []).days == []

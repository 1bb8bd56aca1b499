"""The demo listings: valid, idempotent, classified, and with sellers that link across
platforms, visible to the agency they are shared with."""

from __future__ import annotations

from sqlalchemy import select

from tests.helpers import api_headers
from watchfloor.db import session_scope
from watchfloor.listings import demo
from watchfloor.listings.models import Listing
from watchfloor.security.models import Agency


def test_demo_listings_load_once_and_show_sellers_across_platforms(client, engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        agencies = {a.code: a for a in s.scalars(select(Agency))}
        assert demo.load(s, agencies) == len(demo.listings())
    with session_scope(engine) as s:
        agencies = {a.code: a for a in s.scalars(select(Agency))}
        assert demo.load(s, agencies) == 0
        rows = list(s.scalars(select(Listing).where(Listing.source == "demo")))
    sales = [x for x in rows if x.is_drug_sale]
    assert 0.6 < len(sales) / len(rows) < 0.95
    assert {x.substance_class for x in sales} >= {"cannabis", "cocaine", "mdma"}
    h = api_headers(engine, "US-CBP", "analyst")
    some = next(x for x in sales if "@" in x.body or "tg:" in x.body)
    got = client.get(f"/api/v1/listings/{some.id}/cluster", headers=h).json()
    assert len(got["platforms"]) >= 2, got["platforms"]
    assert any(link["strong"] for link in got["links"])

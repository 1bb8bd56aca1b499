"""Deciding an agency's stored listings again (SQLite and PostgreSQL): with another model the
changed decisions are written back and counted, nothing else moves, other agencies' listings
are left alone, and each run is audited."""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import select

from tests.helpers import api_headers, listing
from watchfloor.audit import AuditEvent
from watchfloor.db import session_scope
from watchfloor.listings.classifier import shipped_model
from watchfloor.listings.models import Listing
from watchfloor.listings.reclassify import DECISION, reclassify
from watchfloor.security.service import get_agency, system_principal


def _decisions(engine) -> dict[str, tuple]:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        rows = s.execute(select(Listing.external_id, *(getattr(Listing, c) for c in DECISION)))
        return {r[0]: tuple(r[1:]) for r in rows}


def test_stored_listings_are_decided_again_by_the_agencys_model(client, engine) -> None:  # type: ignore[no-untyped-def]
    plat = api_headers(engine, "PLATFORM-EXAMPLE", "analyst")
    cbp = api_headers(engine, "US-CBP", "analyst")
    mine = [
        listing("M1"),
        listing("M2", title="Replica Rolex Submariner watch", body="Swiss movement"),
        listing("M3", title="Is MDMA safe?", body="Asking for a friend.", price=None),
    ]
    assert client.post("/api/v1/listings", json={"listings": mine}, headers=plat).is_success
    assert client.post("/api/v1/listings", json=listing("C1"), headers=cbp).is_success
    before = _decisions(engine)
    assert before["M1"][1] and not before["M2"][1] and not before["M3"][1] and before["C1"][1]

    shipped = shipped_model()
    never = dataclasses.replace(shipped, sale_intercept=-50.0, version="never", _fingerprint=None)
    with session_scope(engine) as s:
        principal = system_principal(get_agency(s, "PLATFORM-EXAMPLE"))
        seen: list[tuple[int, int]] = []
        result = reclassify(
            s, principal, model=never, batch=2, progress=lambda d, t: seen.append((d, t))
        )
    assert (result.listings, result.changed) == (3, 3)  # every model_version moves
    assert (result.became_sales, result.no_longer_sales) == (0, 1)
    assert seen == [(2, 3), (3, 3)]
    after = _decisions(engine)
    assert all(after[k][-1] == "never" and not after[k][1] for k in ("M1", "M2", "M3"))
    assert after["C1"] == before["C1"]  # US-CBP's listing is US-CBP's to decide

    with session_scope(engine) as s:
        principal = system_principal(get_agency(s, "PLATFORM-EXAMPLE"))
        again = reclassify(s, principal, model=never)
        back = reclassify(s, principal)  # no classifier of its own: the shipped one
    assert (again.listings, again.changed) == (3, 0)
    assert (back.changed, back.became_sales, back.model_version) == (3, 1, shipped.version)
    assert _decisions(engine) == before
    with session_scope(engine) as s:
        events = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "listings.reclassify")
            .order_by(AuditEvent.seq)
        ).all()
        assert [(e.agency, e.object_id) for e in events] == [
            ("PLATFORM-EXAMPLE", "never"),
            ("PLATFORM-EXAMPLE", "never"),
            ("PLATFORM-EXAMPLE", shipped.version),
        ]
        assert json.loads(events[0].detail)["no_longer_sales"] == 1


def test_the_api_decides_the_callers_listings_again_and_refuses_viewers(client, engine) -> None:  # type: ignore[no-untyped-def]
    plat = api_headers(engine, "PLATFORM-EXAMPLE", "analyst")
    assert client.post("/api/v1/listings", json=listing("A1"), headers=plat).is_success
    viewer = api_headers(engine, "PLATFORM-EXAMPLE", "viewer")
    assert client.post("/api/v1/listings/reclassify", headers=viewer).status_code == 403
    r = client.post("/api/v1/listings/reclassify", headers=plat)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "model_version": shipped_model().version,
        "listings": 1,
        "changed": 0,
        "became_sales": 0,
        "no_longer_sales": 0,
    }

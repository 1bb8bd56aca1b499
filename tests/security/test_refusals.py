"""Unknown callers' refused requests are counted, and only the first of each hour and source
is audited (SQLite and PostgreSQL): a flood of forged federation requests cannot fill the
audit log."""

from __future__ import annotations

from sqlalchemy import func, select

from tests.helpers import api_headers
from watchfloor.audit import AuditEvent
from watchfloor.db import session_scope
from watchfloor.security.models import RefusalCount

FORGED = {
    "X-Watchfloor-Instance": "wf-mallory",
    "X-Watchfloor-Time": "2026-12-01T00:00:00+00:00",
    "X-Watchfloor-Signature": "00" * 64,
}


def test_a_flood_of_refused_requests_is_counted_and_sampled(client, engine) -> None:  # type: ignore[no-untyped-def]
    for _ in range(25):
        r = client.get("/api/v1/federation/feed?since=0", headers=FORGED)
        assert r.status_code == 401 and "unknown instance 'wf-mallory'" in r.json()["detail"]
    other = FORGED | {"X-Watchfloor-Instance": "wf-eve"}
    assert client.get("/api/v1/federation/feed", headers=other).status_code == 401
    with session_scope(engine) as s:
        sampled = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "federation.refused")
        ).all()
        counts = {r.source: r.count for r in s.scalars(select(RefusalCount))}
        assert s.scalar(select(func.count()).select_from(RefusalCount)) == 2
    assert len(sampled) == 2  # one per source this hour, not 26
    assert "later ones are counted" in sampled[0].detail
    assert counts == {"wf-mallory": 25, "wf-eve": 1}
    admin = client.get("/api/v1/refusals", headers=api_headers(engine, "US-CBP", "admin"))
    assert admin.status_code == 200
    got = {(x["kind"], x["source"]): x["count"] for x in admin.json()}
    assert got == {("federation", "wf-mallory"): 25, ("federation", "wf-eve"): 1}
    assert "unknown instance" in admin.json()[0]["first_reason"]
    analyst = client.get("/api/v1/refusals", headers=api_headers(engine, "US-CBP", "analyst"))
    assert analyst.status_code == 403

"""Events a request's services queue are published once its transaction committed: the
alerts that an API intake raised reach the bus; a refused request announces nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi.testclient import TestClient

from tests.helpers import api_headers, record
from watchfloor.events import InProcessBus
from watchfloor.web.app import create_app


def test_alerts_raised_through_the_api_are_published_after_commit(engine) -> None:  # type: ignore[no-untyped-def]
    seen: list[tuple[str, dict[str, Any]]] = []

    async def on(subject: str, payload: dict[str, Any]) -> None:
        seen.append((subject, payload))

    bus = InProcessBus()
    asyncio.run(bus.subscribe("watchfloor.alerts.*", on, durable="test"))
    app = create_app(engine)
    officer = api_headers(engine, "US-CBP", "officer")
    viewer = api_headers(engine, "US-CBP", "viewer")
    with TestClient(app) as client:
        app.state.bus = bus  # the app's bus (JetStream in production)
        refused = client.post(
            "/api/v1/shipments", json=record("T-OUTBOX-0", "4-ANPP", "293336"), headers=viewer
        )
        assert refused.status_code == 403
        assert seen == []  # nothing stored, nothing announced
        out = client.post(
            "/api/v1/shipments", json=record("T-OUTBOX-1", "4-ANPP", "293336"), headers=officer
        )
        assert out.status_code == 200, out.text
        sid = out.json()["results"][0]["id"]
        ids = [
            a["id"]
            for a in client.get("/api/v1/alerts?status=open", headers=officer).json()["items"]
            if a["object_id"] == sid
        ]
    raised = [
        a for subject, p in seen if subject == "watchfloor.alerts.raised" for a in p["alerts"]
    ]
    assert [a["id"] for a in raised] == ids and len(ids) == 1
    assert raised[0]["kind"] == "shipment_risk"

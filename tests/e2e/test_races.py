"""Identical submissions at the same moment, against a real server process on both backends:
each intake answers every one of them (stored, unchanged, or a conflict), never 500, and
stores the record once (issue 28 item 9)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from tests.helpers import api_headers, listing, record

pytestmark = pytest.mark.e2e

TODAY = dt.datetime.now(dt.UTC).date().isoformat()
RACERS = 4


def _race(url: str, body: dict[str, Any], headers: dict[str, str]) -> list[int]:
    start = threading.Barrier(RACERS)
    got: list[int] = []

    def one() -> None:
        with httpx.Client(timeout=60) as c:
            start.wait()
            got.append(c.post(url, json=body, headers=headers).status_code)

    threads = [threading.Thread(target=one) for _ in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return got


def test_identical_submissions_at_once_never_give_500(server: str, engine: Engine) -> None:
    seizure = {"reference": "RACE-SZ", "seized_on": TODAY, "country": "MX", "substance": "NPP",
               "quantity": 4, "unit": "kg"}  # fmt: skip
    cases: list[tuple[str, str, str, dict[str, Any]]] = [
        ("/api/v1/shipments", "US-CBP", "officer", record("RACE-S1")),
        ("/api/v1/listings", "NL-FIOD", "officer", listing("RACE-L1")),
        ("/api/v1/sharing/seizures", "MX-ANAM", "officer", seizure),
        ("/api/v1/sharing/seizures/batch", "MX-ANAM", "officer",
         {**seizure, "reference": "RACE-SZ2"}),
        ("/api/v1/sharing/incidents", "MX-ANAM", "officer",
         {"reference": "RACE-IN", "kind": "stopped_shipment", "occurred_on": TODAY,
          "country": "MX", "description": "declared as solvent",
          "chemicals": [{"substance": "NPP", "quantity": 5, "unit": "kg"}]}),
        ("/api/v1/sharing/watchlist", "CA-CBSA", "officer",
         {"reference": "RACE-WL", "kind": "email", "value": "race@example.com",
          "reason": "a race test"}),
        ("/api/v1/sharing/notifications", "CN-GACC", "officer",
         {"reference": "RACE-PEN", "importing_country": "MX", "substance": "4-piperidone",
          "quantity": 500, "unit": "kg",
          "exporter": {"name": "Hubei Xin Chemical Co", "country": "CN"},
          "importer": {"name": "Quimica Bajio Importaciones SA", "country": "MX"},
          "ship_on": "2027-01-20", "mode": "cargo"}),
        ("/api/v1/warning/subscriptions", "US-CBP", "analyst",
         {"name": "Race", "places": ["US-OH"], "kinds": ["spike"]}),
    ]  # fmt: skip
    failures = {}
    keys = {(a, r): api_headers(engine, a, r) for _, a, r, _ in cases}  # before the races
    for path, agency, role, body in cases:
        statuses = _race(server + path, body, keys[(agency, role)])
        if any(s >= 500 for s in statuses) or not any(s < 300 for s in statuses):
            failures[path] = statuses
    assert failures == {}
    # and each record was stored once
    from sqlalchemy import func, select

    from watchfloor.cooperation.seizures.models import Incident, Seizure
    from watchfloor.cooperation.watchlists.models import WatchlistEntry
    from watchfloor.db import session_scope
    from watchfloor.listings.models import Listing
    from watchfloor.shipments.models import Shipment
    from watchfloor.warning.models import Subscription

    with session_scope(engine) as s:
        for model, column, key in (
            (Shipment, Shipment.reference, "RACE-S1"),
            (Listing, Listing.external_id, "RACE-L1"),
            (Seizure, Seizure.reference, "RACE-SZ"),
            (Seizure, Seizure.reference, "RACE-SZ2"),
            (Incident, Incident.reference, "RACE-IN"),
            (WatchlistEntry, WatchlistEntry.reference, "RACE-WL"),
            (Subscription, Subscription.name, "Race"),
        ):
            n = s.scalar(select(func.count()).select_from(model).where(column == key))
            assert n == 1, (model.__name__, key, n)

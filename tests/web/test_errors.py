"""Bad input gets problem details naming the field and reason; nothing half-written."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import Engine, func, select

from tests.helpers import api_headers
from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.db import session_scope

GOOD = {
    "reference": "E-1",
    "seized_on": "2026-11-01",
    "country": "US",
    "substance": "fentanyl",
    "quantity": 2.0,
    "unit": "kg",
}


def count(engine: Engine) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).select_from(Seizure)) or 0


def test_health_and_openapi(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/healthz").json()["status"] == "ok"
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/api/v1/reference/substances" in spec["paths"]


def test_the_openapi_document_is_valid_and_every_ref_resolves(client) -> None:  # type: ignore[no-untyped-def]
    """A generator of clients reads it whole: a dangling $ref (the listings intake's body
    named a ListingIn schema that was not in the document) stops it."""
    from openapi_spec_validator import validate

    spec = client.get("/openapi.json").json()
    validate(spec)
    schemas = spec["components"]["schemas"]
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(spec)))
    assert refs and refs <= set(schemas), sorted(refs - set(schemas))


def test_malformed_json_is_400_problem(client, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    before = count(engine)
    r = client.post(
        "/api/v1/sharing/seizures",
        content=b'{"reference": ',
        headers={**api_headers(engine, "US-CBP", "officer"), "content-type": "application/json"},
    )
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert "not valid JSON" in r.json()["detail"]
    assert count(engine) == before


@pytest.mark.parametrize(
    ("patch", "field", "reason"),
    [
        ({"country": "XX"}, "country", "'XX' is not an ISO 3166-1 alpha-2 country code"),
        ({"quantity": -1}, "quantity", "Input should be greater than or equal to 0"),
        (
            {"unit": "bales"},
            "unit",
            "Input should be 'kg', 'g', 'mg', 't', 'lb', 'oz', 'l', 'ml', 'doses', 'tablets', "
            "'capsules', 'blotters', 'plants' or 'units'",
        ),
        (
            {"seized_on": "yesterday"},
            "seized_on",
            "Input should be a valid date or datetime, input is too short",
        ),
        (
            {"sharing": {"tlp": "purple"}},
            "sharing.tlp",
            "Input should be 'clear', 'green', 'amber', 'amber+strict' or 'red'",
        ),
        (
            {"sharing": {"recipients": ["XX-NOPE"]}},
            "sharing.recipients",
            "unknown agency 'XX-NOPE'",
        ),
        ({"surprise": 1}, "surprise", "Extra inputs are not permitted"),
    ],
)
def test_invalid_fields_are_422_naming_field(client, engine: Engine, patch, field, reason) -> None:  # type: ignore[no-untyped-def]
    before = count(engine)
    r = client.post(
        "/api/v1/sharing/seizures",
        json={**GOOD, **patch},
        headers=api_headers(engine, "US-CBP", "officer"),
    )
    assert r.status_code == 422, r.text
    body = r.json()
    assert r.headers["content-type"] == "application/problem+json"
    assert {"field": field, "reason": reason} in [
        {"field": e["field"], "reason": e["reason"]} for e in body["errors"]
    ]
    assert count(engine) == before


def test_duplicate_reference_is_409_and_stores_once(client, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "officer")
    assert client.post("/api/v1/sharing/seizures", json=GOOD, headers=h).status_code == 201
    before = count(engine)
    r = client.post("/api/v1/sharing/seizures", json=GOOD, headers=h)
    assert r.status_code == 409, r.text
    assert count(engine) == before


def test_unknown_route_and_bad_query_never_500(client, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    h = api_headers(engine, "US-CBP", "viewer")
    assert client.get("/api/v1/nothing", headers=h).status_code == 404
    r = client.get("/api/v1/sharing/seizures?limit=abc", headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.limit"
    r = client.get("/api/v1/sharing/seizures/abc", headers=h)
    assert r.status_code == 422


def test_nul_in_the_address_is_a_422_problem_on_every_backend(client, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import api_headers

    h = api_headers(engine, "US-CBP", "officer")
    r = client.get("/api/v1/shipments/targets?office=%00", headers=h)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "NUL" in r.json()["detail"]
    assert client.get("/api/v1/sharing/seizures/1%00", headers=h).status_code == 422


def test_bodies_over_their_limit_are_refused_while_read(client, engine) -> None:  # type: ignore[no-untyped-def]
    """Issue 28 item 10: every body has a limit (1 MB, larger for the batch intakes),
    enforced from Content-Length at once and, for a body sent without one, as it arrives."""
    from watchfloor.http import BODY_LIMIT as DEFAULT

    h = {**api_headers(engine, "MX-ANAM", "officer"), "content-type": "application/json"}
    big = b'{"tlp": "amber", "legal_basis": "' + b"x" * (DEFAULT + 10) + b'"}'
    r = client.put("/api/v1/sharing/seizures/1/sharing", content=big, headers=h)
    assert r.status_code == 413, r.text  # told at once from Content-Length, before reading

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"tlp": "amber", "legal_basis": "'
        for _ in range(DEFAULT // 65536 + 2):
            yield b"x" * 65536
        yield b'"}'

    streamed = client.put("/api/v1/sharing/seizures/1/sharing", content=chunks(), headers=h)
    assert streamed.status_code == 413, streamed.text
    assert streamed.headers["content-type"] == "application/problem+json"
    # a batch of 2 MB is no problem for the shipments intake (its limit is 64 MB)
    from tests.helpers import record

    rows = [record(f"BIG-{i}", description="cotton t-shirt " + "y" * 300) for i in range(4000)]
    cbp = api_headers(engine, "US-CBP", "officer")
    r = client.post("/api/v1/shipments", json={"shipments": rows}, headers=cbp)
    assert r.status_code in (200, 207), r.text[:300]

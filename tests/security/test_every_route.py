"""Generated from the OpenAPI document: no API route answers an anonymous caller.

A route added later is covered without anyone remembering to add it here.
"""

from __future__ import annotations

import re

PUBLIC = {("get", "/healthz")}


def test_every_api_route_refuses_anonymous_callers(client) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    checked = 0
    for path, ops in spec["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        for method in ops:
            if (method, path) in PUBLIC:
                continue
            r = client.request(method.upper(), concrete, json={})
            assert r.status_code == 401, (method, path, r.status_code, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            checked += 1
    assert checked >= 8


def test_every_page_refuses_anonymous_callers(client) -> None:  # type: ignore[no-untyped-def]
    for path in (
        "/",
        "/shipments",
        "/listings",
        "/cooperation",
        "/warning",
        "/reference",
        "/reference/substances/fentanyl",
        "/cooperation/seizures/1",
        "/listings/notices",
        "/listings/notices/new",
        "/listings/notices/1",
        "/listings/transparency",
    ):
        r = client.get(path)
        assert r.status_code == 401, path
        assert 'action="/login"' in r.text

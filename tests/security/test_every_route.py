"""Generated from the OpenAPI document: no API route answers an anonymous caller.

A route added later is covered without anyone remembering to add it here.
"""

from __future__ import annotations

import re

PUBLIC = {("get", "/healthz")}
PUBLIC_PAGES = {"/login", "/assets/plotly.min.js", "/openapi.json"}  # the API manual is public


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
    from tests.helpers import flat_routes

    checked = 0
    for route in flat_routes(client.app.routes):
        if "GET" not in (route.methods or ()) or getattr(route, "include_in_schema", True):
            continue
        if route.path in PUBLIC_PAGES or route.path.startswith(("/static", "/docs", "/redoc")):
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path).replace(
            "/substances/1", "/substances/fentanyl"
        )
        r = client.get(path)
        assert r.status_code == 401, path
        assert 'action="/login"' in r.text
        checked += 1
    assert checked >= 20

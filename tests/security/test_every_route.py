"""Generated from the OpenAPI document: no API route answers an anonymous caller.

A route added later is covered without anyone remembering to add it here.
"""

from __future__ import annotations

import re

PUBLIC = {("get", "/healthz")}
PUBLIC_PAGES = {
    "/login",
    "/assets/plotly.min.js",
    "/assets/plotly-{fingerprint}.min.js",
    "/openapi.json",
}  # the API manual is public


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


def test_a_platform_account_reaches_only_what_a_platform_does(client, engine) -> None:  # type: ignore[no-untyped-def]
    """Every route by every method, as a platform's admin (the highest role): a write is
    refused with 403 unless the platforms' table lets it through; reads and the writes of
    its job are never refused for being a platform. An agency's admin calling the same
    refused routes is not refused so."""
    from tests.helpers import api_headers, flat_routes
    from watchfloor.security.platforms import PLATFORM_WRITES, platform_may

    platform = api_headers(engine, "PLATFORM-EXAMPLE", "admin")
    agency = api_headers(engine, "US-CBP", "admin")
    refused = allowed = 0
    for route in flat_routes(client.app.routes):
        if route.path.startswith(("/static", "/docs", "/redoc", "/openapi", "/healthz")):
            continue
        if route.path.startswith("/api/v1/federation"):  # instances sign; no account calls
            continue
        if route.path in PUBLIC_PAGES:
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in sorted(route.methods or ()):
            if method == "HEAD":
                continue
            r = client.request(method, concrete, json={}, headers=platform,
                               follow_redirects=False)  # fmt: skip
            said = "platform accounts may not use" in r.text
            if platform_may(method, route.path):
                assert not said, (method, route.path, r.status_code)
                allowed += 1
                continue
            if r.status_code == 308:  # an old address that only points to the new one
                continue
            assert r.status_code == 403 and said, (method, route.path, r.status_code, r.text)
            refused += 1
            if route.path.startswith("/api/"):
                other = client.request(method, concrete, json={}, headers=agency)
                assert "platform accounts may not use" not in other.text
    assert allowed >= 40 + len(PLATFORM_WRITES) - 2
    assert refused >= 40

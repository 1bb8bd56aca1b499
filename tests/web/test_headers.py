"""Every answer carries the security headers; nothing with data may be cached; cookies are
Secure whenever the request came over HTTPS."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.helpers import api_headers, browser_login


def test_answers_with_data_are_not_stored_and_api_answers_run_nothing(  # type: ignore[no-untyped-def]
    client, engine: Engine
) -> None:
    api = client.get("/api/v1/me", headers=api_headers(engine, "US-CBP", "officer"))
    assert api.status_code == 200
    assert api.headers["cache-control"] == "no-store"
    assert api.headers["content-security-policy"].startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in api.headers["content-security-policy"]
    assert api.headers["x-content-type-options"] == "nosniff"
    assert api.headers["x-frame-options"] == "DENY"
    refused = client.get("/api/v1/me")  # an error answer carries them too
    assert refused.status_code == 401
    assert refused.headers["cache-control"] == "no-store"
    page = client.get("/login")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "same-origin"
    policy = dict(
        d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert "strict-transport-security" not in page.headers  # plain HTTP here
    static = client.get("/static/style.css")
    assert static.status_code == 200
    assert static.headers.get("cache-control") != "no-store"  # no data in it: cacheable


def test_cookies_are_secure_over_https_only(client) -> None:  # type: ignore[no-untyped-def]
    plain = browser_login(client, "us.cbp.analyst")
    assert plain.status_code == 303
    assert all("secure" not in c.lower() for c in plain.headers.get_list("set-cookie"))
    client.cookies.clear()
    client.base_url = client.base_url.copy_with(scheme="https")
    tls = browser_login(client, "us.cbp.analyst")
    assert tls.status_code == 303
    cookies = tls.headers.get_list("set-cookie")
    assert any(c.startswith("wf_session=") for c in cookies)
    assert all("; secure" in c.lower() for c in cookies)
    assert tls.headers["strict-transport-security"].startswith("max-age=")


def test_plotly_is_fingerprinted_compressed_and_kept(client) -> None:  # type: ignore[no-untyped-def]
    """Chart pages link Plotly's bundle by a name that changes with its content, so the
    browser keeps it a year; it travels gzip-compressed."""
    import gzip
    import re

    assert browser_login(client, "us.cbp.analyst").status_code == 303
    page = client.get("/shipments/model")
    src = re.search(r'<script src="(/assets/plotly-[0-9a-f]{12}\.min\.js)"', page.text)
    assert src, "the model page links no fingerprinted Plotly"
    r = client.get(src.group(1), headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200 and r.headers["content-encoding"] == "gzip"
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    raw = client.get(src.group(1), headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and b"plotly" in raw.content[:2000].lower()
    assert len(gzip.compress(raw.content)) < len(raw.content) / 2
    assert client.get("/assets/plotly-000000000000.min.js").status_code == 404
    assert client.get("/static/favicon.svg").status_code == 200

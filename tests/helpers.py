"""Helpers the tests share: API keys, browser logins, CSRF tokens, records to submit, the
CLI, the bus, the shared data sets. Fixtures live in the conftest files; these are plain
functions and constants that a test imports."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from starlette.routing import Route

from watchfloor.db import session_scope
from watchfloor.security.service import get_agency, system_principal
from watchfloor.warning import importers

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
FIXTURES = ROOT / "tests" / "fixtures" / "warning"
TODAY = dt.datetime.now(dt.UTC).date()


# from tests/security/test_visibility.py
def flat_routes(routes: list[Any], prefix: str = "") -> list[Route]:
    """The app's routes with those of included routers (FastAPI keeps those apart)."""
    out = []
    for r in routes:
        inner = getattr(r, "original_router", None)
        if inner is not None:
            out += flat_routes(inner.routes, prefix + r.include_context.prefix)
        elif isinstance(r, Route):
            out.append(
                r
                if not prefix
                else Route(prefix + r.path, r.endpoint, methods=list(r.methods or ()))
            )
    return out


# from tests/warning/test_service.py
def import_dataset(engine, agency: str, key: str, name: str, tlp: str = "clear"):  # type: ignore[no-untyped-def]
    parsed = importers.parse(importers.dataset(key), FIXTURES / name)
    with session_scope(engine) as s:
        report = importers.store(s, system_principal(get_agency(s, agency)), parsed, tlp=tlp)
    return parsed, report


# from tests/shipments/test_api.py
def record(ref: str, description: str = "cotton t-shirt", hs: str = "610910", **kw: Any) -> dict:
    base: dict[str, Any] = {
        "reference": ref,
        "mode": "post",
        "declared_at": f"{TODAY.isoformat()}T06:00:00Z",
        "arrival_at": f"{TODAY.isoformat()}T18:00:00Z",
        "origin_country": "CN",
        "destination_country": "US",
        "office": "JFK-IMF",
        "sender": {"name": "Shenzhen Bright Trading Co", "country": "CN"},
        "consignee": {"name": "Mary Jones", "country": "US"},
        "declared_value": 20,
        "currency": "USD",
        "items": [{"description": description, "hs_code": hs, "value": 20, "net_weight_kg": 0.3}],
    }
    base.update(kw)
    return base


# from tests/listings/test_api.py
def listing(external_id: str, title: str = "5g MDMA crystals 84% pure", **kw: Any) -> dict:
    base: dict[str, Any] = {
        "platform": "Example Marketplace",
        "external_id": external_id,
        "url": f"https://market.example/listing/{external_id}",
        "title": title,
        "body": "<p>Champagne rocks, lab tested.</p> Telegram: @rocketman_nl. Ships tracked.",
        "price": 0.05,
        "currency": "btc",
        "seller": "RocketMan",
        "ships_from": "NL",
        "ships_to": "WW",
        "observed_at": "2026-11-20T10:00:00Z",
        "image_hashes": ["A1B2C3D4E5F60718"],
    }
    base.update(kw)
    return base


# from tests/events/test_bus.py
def nats_url() -> str:
    url = os.environ.get("WATCHFLOOR_TEST_NATS_URL")
    if not url:
        pytest.skip("no NATS server: set WATCHFLOOR_TEST_NATS_URL (make test does)")
    return url


# from tests/events/test_bus.py
async def wait_for(cond: Any, timeout: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out waiting for events")
        await asyncio.sleep(0.05)


# from tests/events/test_bus.py
def first_answers(events: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The first answer to each message: JetStream delivers at least once, and a message
    delivered again is answered again (with nothing left to change)."""
    out: dict[str, dict[str, Any]] = {}
    for e in events:
        out.setdefault(e["message_id"], e)
    return out


# from tests/cli/test_cli.py
WATCHFLOOR = str(Path(sys.executable).with_name("watchfloor"))


# from tests/cli/test_cli.py
def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")}
    full.update(env or {})
    return subprocess.run(
        [WATCHFLOOR, *args], env=full, input=stdin, capture_output=True, text=True, timeout=120
    )


# from tests/e2e/conftest.py
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# from tests/e2e/conftest.py
def login(page: Any, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", "watchfloor-demo")
    page.click("#login")
    page.wait_for_selector("text=Dashboard")


# from tests/conftest.py
OUTPUT = ROOT / "test-output"


# from tests/conftest.py
def api_headers(engine: Engine, agency: str, role: str) -> dict[str, str]:
    """Create a real API key for ``agency``/``role`` and return the Authorization header."""
    from watchfloor.security.service import create_api_key, get_agency

    with session_scope(engine) as s:
        key = create_api_key(s, agency=get_agency(s, agency), role=role, actor="test")
    return {"Authorization": f"Bearer {key.secret}"}


# from tests/conftest.py
def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF token"
    return m.group(1)


# from tests/conftest.py
def browser_login(client, username: str, password: str = "watchfloor-demo"):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    return client.post(
        "/login",
        data={
            "username": username,
            "password": password,
            "csrf_token": csrf_from(page.text),
            "next": "/",
        },
        follow_redirects=False,
    )


# from tests/conftest.py
def shared_data(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test when the data sets are absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not present (a user's clone has no ../shared)")
    return path

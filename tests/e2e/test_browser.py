"""A person logs in, sees the dashboard and logs out, in a real headless Chromium."""

from __future__ import annotations

import pytest

from tests.conftest import OUTPUT

pytestmark = pytest.mark.e2e


def test_login_dashboard_logout(server: str, backend: str, chromium) -> None:  # type: ignore[no-untyped-def]
    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page = chromium.new_page()
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "Log in"
    page.fill("#username", "mx.anam.officer")
    page.fill("#password", "watchfloor-demo")
    page.click("#login")
    page.wait_for_selector("text=Dashboard")
    nav = page.locator("nav[aria-label=Capabilities] a").all_inner_texts()
    assert nav[:4] == ["Shipments", "Online sales", "Cooperation", "Early warning"]
    assert int(page.locator("#seizures-visible").inner_text()) >= 4
    page.screenshot(path=str(shots / f"dashboard-{backend}.png"), full_page=True)
    page.click("nav >> text=Cooperation")
    page.wait_for_selector("#seizures")
    assert "ANAM-2026-0412" in page.content()
    assert "FIOD-2026-17" not in page.content()
    page.screenshot(path=str(shots / f"cooperation-{backend}.png"), full_page=True)
    page.click("#logout")
    page.wait_for_selector("#login")
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "Log in"

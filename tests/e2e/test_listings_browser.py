"""A platform's trust-and-safety analyst works online sales in a real headless Chromium:
the listing queue, a listing with the terms behind its class and its signals, the seller
across platforms, and the market watch charts."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import OUTPUT, api_headers, listing, login

pytestmark = pytest.mark.e2e


def test_analyst_works_online_sales(server: str, engine, chromium, backend: str) -> None:  # type: ignore[no-untyped-def]
    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    key = api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    rows = [
        listing("B1", platform="Market A", body="Champagne MDMA. Telegram: @icy_plug"),
        listing("B2", platform="Forum B", title="MDMA", body="tg: icy_plug <script>x()</script>"),
        listing("B3", title="Replica Rolex watch", body="Swiss movement", image_hashes=[]),
        # a question, not an offer, by someone else (no signal in common with the others)
        listing(
            "B4",
            title="Is MDMA safe?",
            body="Asking for a friend.",
            price=None,
            seller="curious_cat",
            url="https://forum.example/t/4",
            image_hashes=[],
        ),
    ]
    r = httpx.post(server + "/api/v1/listings", json={"listings": rows}, headers=key, timeout=60)
    assert r.status_code == 200, r.text
    first, watch, question = (r.json()["results"][i]["id"] for i in (0, 2, 3))

    page = chromium.new_page()
    login(page, server, "platform.example.analyst")
    page.click("nav >> text=Online sales")
    page.wait_for_selector(f"#listings tr[data-id='{first}']")
    page.screenshot(path=str(shots / f"listings-queue-{backend}.png"), full_page=True)

    page.click(f"#listings tr[data-id='{first}'] a")
    page.wait_for_selector("#terms")
    assert "Drug sale" in page.locator("#decision").inner_text()
    assert "MDMA" in page.locator("#decision").inner_text()
    assert "icy_plug" in page.locator("#signals").inner_text()
    page.screenshot(path=str(shots / f"listing-{backend}.png"), full_page=True)
    page.select_option("#label select[name=substance_class]", "mdma")
    page.click("#label button")
    page.wait_for_selector("#current-label")
    assert (
        "Drug sale (MDMA / ecstasy), from an analyst" in page.locator("#current-label").inner_text()
    )

    page.click("#cluster-link")
    page.wait_for_selector("#links")
    assert "telegram:icy_plug" in page.locator("#links").inner_text()
    # B3 joins through two weak signals: the seller's handle and the web domain
    assert page.locator("#cluster-listings tbody tr").count() == 3
    assert page.locator("#cluster-classes").inner_text() == "MDMA / ecstasy (2)"
    page.wait_for_selector("#cluster-chart .main-svg")  # listings a day, by platform
    page.screenshot(path=str(shots / f"listing-cluster-{backend}.png"), full_page=True)

    page.goto(f"{server}/listings/{watch}")
    assert page.locator("#decision").inner_text().startswith("Not a drug sale")
    assert "against" in page.locator("#terms-note").inner_text()
    strongest = page.locator("#terms tbody tr").first
    assert strongest.get_attribute("class") == "against"
    assert strongest.locator("td.r").inner_text().startswith("-")

    page.goto(f"{server}/listings/{question}")
    assert "reads as talk about drugs" in page.locator("#decision").inner_text()
    assert "(no offer)" in page.locator("#terms tbody tr").first.inner_text()

    page.goto(server + "/listings")
    assert "the shipped model" in page.locator("#classifier").inner_text()
    page.click("#retrain-form button")
    page.wait_for_selector("#queue-errors")
    assert "1 labelled; retraining needs at least 20" in page.locator("#queue-errors").inner_text()
    page.click("#reclassify-form button")
    page.wait_for_selector("#reclassified")
    assert "listings decided again by" in page.locator("#reclassified").inner_text()
    assert "0 changed" in page.locator("#reclassified").inner_text()

    # find by title or seller, then page through the queue, 100 listings at a time
    page.fill("#queue-filters input[name=q]", "rolex")
    page.click("#queue-filters button")
    page.wait_for_url("**q=rolex**")
    assert page.locator("#listings tbody tr").count() == 1
    assert "Replica Rolex" in page.locator("#listings tbody").inner_text()
    page.click("#queue-filters >> text=Clear")
    filler = [
        listing(
            f"F{i}", title=f"Garden hose {i} m", body="", seller=f"gardener{i}", image_hashes=[]
        )
        for i in range(100)
    ]
    r = httpx.post(server + "/api/v1/listings", json={"listings": filler}, headers=key, timeout=60)
    assert r.status_code == 200, r.text
    page.goto(server + "/listings")
    ids = "rows => rows.map(r => Number(r.dataset.id))"
    first_page = page.locator("#listings tbody tr").evaluate_all(ids)
    assert len(first_page) == 100 and page.locator("#newest").count() == 0
    page.click("#older")
    page.wait_for_selector("#newest")
    older = page.locator("#listings tbody tr").evaluate_all(ids)
    assert older and max(older) < min(first_page) and first in older

    page.goto(server + "/listings/watch")
    page.wait_for_selector("#agora-chart .main-svg")
    page.wait_for_selector("#watch-chart .main-svg")
    page.screenshot(path=str(shots / f"market-watch-{backend}.png"), full_page=True)
    page.close()

"""An officer works the shipments floor in a real headless Chromium: the live queue updates
without a reload, reasons are shown, an outcome is recorded, targets and the model page."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from tests.helpers import OUTPUT, api_headers, login, record

pytestmark = pytest.mark.e2e


def test_officer_works_the_shipments_floor(server: str, engine, chromium, backend: str) -> None:  # type: ignore[no-untyped-def]
    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    key = api_headers(engine, "US-CBP", "officer")
    page = chromium.new_page()
    login(page, server, "us.cbp.officer")
    page.click("nav >> text=Shipments")
    page.wait_for_selector("#queue tbody tr[data-id]")

    # a shipment scored after the page loaded appears without a reload
    r = httpx.post(
        server + "/api/v1/shipments",
        json=record("E2E-NPP-1", "NPP powder", "293337"),
        headers=key,
        timeout=30,
    )
    sid = r.json()["results"][0]["id"]
    page.wait_for_selector(f"#queue tr[data-id='{sid}']", timeout=15_000)
    assert "E2E-NPP-1" in page.locator(f"#queue tr[data-id='{sid}']").inner_text()
    page.screenshot(path=str(shots / f"shipments-queue-{backend}.png"), full_page=True)

    # older shipments a page at a time; such a page stands still
    ids = "rows => rows.map(r => Number(r.dataset.id))"
    newest = page.locator("#queue tbody tr").evaluate_all(ids)
    page.click("#older")
    page.wait_for_selector("#newest")
    older = page.locator("#queue tbody tr").evaluate_all(ids)
    assert older and max(older) < min(newest)
    assert "does not change" in page.locator("#live-status").inner_text()
    page.click("#newest")
    page.wait_for_selector(f"#queue tr[data-id='{sid}']")

    page.click(f"#queue tr[data-id='{sid}'] a")
    page.wait_for_selector("#reasons")
    reasons = page.locator("#reasons").inner_text()
    assert "N-Phenethyl-4-piperidone, a fentanyl precursor (1988 Convention Table I)" in reasons
    assert "2933.37" in page.locator("#items tbody").inner_text()  # as the reasons write it
    page.screenshot(path=str(shots / f"shipment-{backend}.png"), full_page=True)

    # a seizure without its quantity is refused with the field named, then recorded
    page.select_option("#outcome-form select[name=result]", "seized")
    page.fill("#outcome-form input[name=substance]", "NPP")
    page.click("#outcome-form button[type=submit]")
    page.wait_for_selector("#outcome-errors")
    assert "quantity" in page.locator("#outcome-errors").inner_text()
    page.select_option("#outcome-form select[name=result]", "seized")
    page.fill("#outcome-form input[name=substance]", "NPP")
    page.fill("#outcome-form input[name=quantity]", "0.75")
    page.select_option("#outcome-form select[name=unit]", "kg")
    page.click("#outcome-form button[type=submit]")
    page.wait_for_selector("#outcomes")
    assert page.locator("#status").inner_text() == "inspected"
    page.click("#outcomes >> text=seizure record")
    page.wait_for_selector("text=E2E-NPP-1-SZ1")

    # targets of today's arrivals at JFK, within capacity
    page.goto(server + f"/shipments/targets?office=JFK-IMF&date={dt.datetime.now(dt.UTC).date()}")
    page.wait_for_selector("#targets")
    rows = page.locator("#targets tbody tr").count()
    assert 1 <= rows <= 12
    page.screenshot(path=str(shots / f"shipments-targets-{backend}.png"), full_page=True)

    # alerts: a new one appears live
    page.goto(server + "/alerts")
    page.wait_for_selector("#alerts")
    httpx.post(
        server + "/api/v1/shipments",
        json=record("E2E-ALERT-2", "4-ANPP", "293336"),
        headers=key,
        timeout=30,
    )
    page.wait_for_selector("#alerts >> text=E2E-ALERT-2", timeout=15_000)

    # and is worked here: taken, refused a close without a reason, closed with one
    page.reload()
    row = page.locator("#alerts tbody tr", has_text="E2E-ALERT-2")
    alert_id = row.get_attribute("data-id")
    row.locator("button[value=assigned]").click()
    row = page.locator(f"#alert-{alert_id}")
    assert row.locator("td.status").inner_text() == "assigned (user:us.cbp.officer)"
    row.locator("button[value=closed]").click()
    page.wait_for_selector("#alert-errors")
    assert "reason" in page.locator("#alert-errors").inner_text()
    row = page.locator(f"#alert-{alert_id}")
    row.locator("input[name=reason]").fill("held and opened: 4-ANPP seized")
    row.locator("button[value=closed]").click()
    page.wait_for_selector(f"#alert-{alert_id} >> text=closed")
    page.select_option("#alert-filters select[name=status]", "closed")
    page.click("#alert-filters button")
    page.wait_for_url("**status=closed**")
    closed = page.locator(f"#alert-{alert_id} td.status").inner_text()
    assert closed == "closed (user:us.cbp.officer): held and opened: 4-ANPP seized"
    statuses = page.locator("#alerts tbody td.status").all_inner_texts()
    assert statuses and all(x.startswith("closed") for x in statuses)

    # the model page draws its chart with the Plotly bundle served by Watchfloor
    page.goto(server + "/shipments/model")
    page.wait_for_selector("#precision-chart .main-svg", timeout=15_000)
    # each version says whether it scores shipments, against the rules on held-out outcomes
    decision = page.locator("#versions td.decision").first.inner_text()
    assert decision.startswith(("used: ", "not used")) and "for the rules" in decision, decision
    page.screenshot(path=str(shots / f"shipments-model-{backend}.png"), full_page=True)

"""An agency analyst sends a platform a notice and the platform answers it, in a real
headless Chromium: the queue's selection, the composer, the notice page, the platform's
inbox and answer forms, and the transparency report with its charts."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import OUTPUT, api_headers, listing, login

pytestmark = pytest.mark.e2e


def test_a_notice_from_composer_to_transparency(server, engine, chromium, backend) -> None:  # type: ignore[no-untyped-def]
    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    key = api_headers(engine, "US-CBP", "analyst")
    rows = [
        listing("P1", platform="Bazaar Forum", title="100x M30 blues pressed"),
        listing("P2", platform="Bazaar Forum", title="5g fentanyl powder 80%"),
    ]
    r = httpx.post(server + "/api/v1/listings", json={"listings": rows}, headers=key, timeout=60)
    assert r.status_code == 200, r.text
    ids = [x["id"] for x in r.json()["results"]]

    agency = chromium.new_page()
    login(agency, server, "us.cbp.analyst")
    agency.goto(server + "/listings")
    for i in ids:
        agency.check(f"#listings tr[data-id='{i}'] input[type=checkbox]")
    agency.click("#notify-selected")
    agency.wait_for_selector("#notice-form")
    assert agency.locator("#platform").input_value() == "PLATFORM-BAZAAR"
    assert agency.locator("#territorial_scope").input_value() == "US"
    agency.fill("#legal_ground", "21 U.S.C. 841(a)(1); 21 U.S.C. 843(c)")
    agency.select_option("#priority", "urgent")
    agency.screenshot(path=str(shots / f"notice-composer-{backend}.png"), full_page=True)
    agency.click("#send")
    agency.wait_for_selector("#notice-facts")
    assert "sent" in agency.locator("#status").inner_text()
    assert "24 h SLA" in agency.locator("#notice-facts").inner_text()  # Bazaar's urgent default
    notice_url = agency.url
    agency.screenshot(path=str(shots / f"notice-sent-{backend}.png"), full_page=True)

    platform = chromium.new_page()
    login(platform, server, "platform.bazaar.analyst")
    platform.goto(server + "/listings/notices")
    platform.wait_for_selector("#notices tbody tr[data-id]")
    platform.screenshot(path=str(shots / f"notice-inbox-{backend}.png"), full_page=True)
    platform.click("#notices tbody tr[data-id] a")
    platform.click("#ack-form button")
    platform.wait_for_selector("#status")
    assert "acknowledged" in platform.locator("#status").inner_text()
    forms = platform.locator("form.answer")
    assert forms.count() == 2
    first = forms.nth(0)
    first.locator("select[name=action]").select_option("removed")
    first.locator("select[name=account_action]").select_option("terminated")
    first.locator("select[name=ground]").select_option("illegal_content")
    first.locator("input[name=ground_reference]").fill("Terms of service 4.2: no drugs")
    first.locator("button").click()
    platform.wait_for_selector("p.decision")
    # no action needs a reason: the page says so and keeps the form
    second = platform.locator("form.answer").first
    second.locator("select[name=action]").select_option("no_action")
    second.locator("button").click()
    platform.wait_for_selector("#notice-errors")
    assert "no_action_reason" in platform.locator("#notice-errors").inner_text()
    second = platform.locator("form.answer").first
    second.locator("select[name=action]").select_option("no_action")
    second.locator("select[name=no_action_reason]").select_option("not_found")
    second.locator("button").click()
    platform.wait_for_selector("#status")
    assert "answered" in platform.locator("#status").inner_text()
    assert platform.locator("form.answer").count() == 0
    platform.screenshot(path=str(shots / f"notice-answered-{backend}.png"), full_page=True)

    agency.goto(notice_url)
    decisions = agency.locator("p.decision").all_inner_texts()
    assert len(decisions) == 2 and "Removal of content" in decisions[0]
    assert "account terminated" in decisions[0] and "not found" in decisions[1]

    agency.goto(server + "/listings/transparency?platform=PLATFORM-BAZAAR&by=day")
    agency.wait_for_selector("#periods-chart .main-svg")
    agency.wait_for_selector("#hours-chart .main-svg")
    assert "50.0%" not in agency.locator("#share").inner_text()  # one notice, actioned
    assert "100.0%" in agency.locator("#share").inner_text()
    row = agency.locator("#platforms tr[data-platform='PLATFORM-BAZAAR'] td").all_inner_texts()
    assert row[1] == "1" and row[2] == "100%"
    assert (
        agency.locator("#csv-link")
        .get_attribute("href")
        .startswith("/api/v1/listings/notices/report.csv?platform=PLATFORM-BAZAAR")
    )
    agency.screenshot(path=str(shots / f"transparency-{backend}.png"), full_page=True)
    agency.close()
    platform.close()

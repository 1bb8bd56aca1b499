"""The cooperation pages in headless Chromium: seizures by country with charts, the
incidents and one incident shared from its page."""

from __future__ import annotations

from tests.conftest import OUTPUT
from tests.e2e.conftest import login


def test_seizures_by_country_and_incidents(server: str, backend: str, chromium) -> None:  # type: ignore[no-untyped-def]
    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page = chromium.new_page()
    login(page, server, "mx.anam.officer")
    page.goto(server + "/cooperation")
    page.wait_for_selector("#country-chart .main-svg")
    page.wait_for_selector("#year-chart .main-svg")
    countries = page.locator("#by-country tbody tr").count()
    assert countries >= 20, countries
    page.screenshot(path=str(shots / f"seizures-by-country-{backend}.png"), full_page=True)
    page.click("#by-country >> text=AU")
    page.wait_for_selector("#seizures")
    rows = page.locator("#seizures tbody tr td:nth-child(4)").all_inner_texts()
    assert rows and set(rows) == {"AU"}
    # MX-ANAM reads none of the Australian records at TLP:RED or at TLP:AMBER for INCB only
    assert "TLP:RED" not in page.locator("#seizures").inner_text()

    page.goto(server + "/cooperation/incidents")
    listed = page.locator("#incidents").inner_text()
    assert "ANAM-PICS-0001" in listed and "CBSA-PICS-0001" in listed  # the NA group's
    assert "CBP-PICS-0001" not in listed  # TLP:RED, CBP's alone
    page.click("text=ANAM-PICS-0001")
    page.wait_for_selector("#chemicals")
    assert page.locator("#chemicals tbody tr").count() == 2
    assert page.locator("#kind").inner_text() == "stopped shipment"
    page.fill("#recipients", "CO-DIAN")
    page.click("#share")
    page.wait_for_selector("#shared-with")
    assert "CO-DIAN" in page.locator("#shared-with").inner_text()
    url = page.url
    page.screenshot(path=str(shots / f"incident-{backend}.png"), full_page=True)

    colombia = chromium.new_page()
    login(colombia, server, "co.dian.officer")
    assert colombia.goto(url).status == 200
    outsider = chromium.new_page()
    login(outsider, server, "nl.fiod.officer")
    assert outsider.goto(url).status == 404
    for p in (page, colombia, outsider):
        p.close()

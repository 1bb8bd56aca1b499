"""The cooperation pages in headless Chromium: seizures by country with charts, the
incidents and one incident shared from its page."""

from __future__ import annotations

import pytest

from tests.helpers import OUTPUT, login

pytestmark = pytest.mark.e2e


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


def test_notification_answered_and_a_watchlist_hit_deconflicted(
    server: str, backend: str, chromium
) -> None:  # type: ignore[no-untyped-def]
    shots = OUTPUT / "screenshots"
    mx = chromium.new_page()
    login(mx, server, "mx.anam.officer")
    mx.goto(server + "/cooperation/notifications?box=received")
    mx.wait_for_selector("#pen-chart .main-svg")
    assert "GACC-PEN-0001" in mx.locator("#notifications").inner_text()
    mx.screenshot(path=str(shots / f"notifications-{backend}.png"), full_page=True)
    mx.click("text=GACC-PEN-0003")
    mx.check("#answer-form input[value=request_info]")
    mx.click("#answer")  # no reason: refused, with the field named
    mx.wait_for_selector("#answer-errors")
    assert "reason" in mx.locator("#answer-errors").inner_text()
    mx.check("#answer-form input[value=request_info]")
    mx.fill("#reason", "Who is the end user?")
    mx.click("#answer")
    mx.wait_for_selector("#messages")
    assert mx.locator("#status").inner_text().startswith("info requested")
    url = mx.url

    cn = chromium.new_page()
    login(cn, server, "cn.gacc.officer")
    cn.goto(url)
    cn.fill("#message", "A generics maker in Guadalajara; licence attached.")
    cn.click("#reply")
    cn.wait_for_selector("#messages li:nth-child(2)")
    assert cn.locator("#status").inner_text().startswith("pending")
    outsider = chromium.new_page()
    login(outsider, server, "nl.fiod.officer")
    assert outsider.goto(url).status == 404

    ca = chromium.new_page()  # CBSA watches parties that US-CBP's demo shipments name
    login(ca, server, "ca.cbsa.officer")
    ca.goto(server + "/cooperation/watchlist")
    hits = ca.locator("#hits").inner_text()
    # its own TLP:RED entry, hit by CBP's shipment: CBP's alone, so the hit does not say
    # whose; the joint case opened from it reaches CBP, and then both know
    assert "CBSA-WL-0003" in hits and "an agency (ask it" in hits and "US-CBP" not in hits
    ca.screenshot(path=str(shots / f"watchlist-{backend}.png"), full_page=True)
    ca.locator(".open-case").first.click()
    ca.wait_for_selector("#members")
    assert ca.locator("#members").inner_text() == "CA-CBSA, US-CBP"
    ca.fill("#note", "Call the Vancouver desk")
    ca.click("#add-note")
    ca.wait_for_selector("#notes >> text=Call the Vancouver desk")
    us = chromium.new_page()
    login(us, server, "us.cbp.officer")
    assert us.goto(ca.url).status == 200
    us.goto(server + "/cooperation/watchlist")
    assert "CBSA-WL-0003" not in us.locator("#entries").inner_text()  # red stays CBSA's
    for p in (mx, cn, outsider, ca, us):
        p.close()

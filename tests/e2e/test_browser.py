"""A person logs in, sees the dashboard and logs out, in a real headless Chromium."""

from __future__ import annotations

import httpx
import pytest

from tests.helpers import OUTPUT, api_headers

pytestmark = pytest.mark.e2e


def test_login_dashboard_logout(server: str, backend: str, engine, chromium) -> None:  # type: ignore[no-untyped-def]
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
    assert nav[:6] == [
        "Alerts",
        "Shipments",
        "Online sales",
        "Cooperation",
        "Entities",
        "Early warning",
    ]
    seen = int(page.locator("#seizures-visible").inner_text())
    assert seen >= 4
    # a seizure recorded meanwhile is counted without a reload
    r = httpx.post(
        server + "/api/v1/sharing/seizures",
        json={
            "reference": "E2E-DASH-1", "seized_on": "2026-11-30", "country": "MX",
            "substance": "cocaine", "quantity": 1, "unit": "kg", "sharing": {"tlp": "red"},
        },
        headers=api_headers(engine, "MX-ANAM", "officer"),
        timeout=30,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    # (a selector, not a JavaScript predicate: the page's policy forbids evaluating strings)
    page.wait_for_selector(f"#seizures-visible:text-is('{seen + 1}')", timeout=15_000)
    page.screenshot(path=str(shots / f"dashboard-{backend}.png"), full_page=True)
    page.click("nav >> text=Cooperation")
    page.wait_for_selector("#by-country")
    page.goto(server + "/cooperation?country=MX&since=2026")
    assert "ANAM-2026-0412" in page.content()
    page.goto(server + "/cooperation?country=NL&since=2026")
    assert "FIOD-2026-17" not in page.content()
    page.screenshot(path=str(shots / f"cooperation-{backend}.png"), full_page=True)
    page.click("#logout")
    page.wait_for_selector("#login")
    page.goto(server + "/")
    assert page.locator("h1").inner_text() == "Log in"


def test_share_widen_and_revoke_from_the_seizure_page(server: str, backend: str, chromium) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import login

    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    owner = chromium.new_page()
    login(owner, server, "mx.anam.officer")
    owner.goto(server + "/cooperation?country=MX&since=2026")
    owner.click("text=ANAM-2026-0388")  # TLP:GREEN, nobody named
    owner.wait_for_selector("#sharing-form")
    owner.select_option("#sharing-form select[name=tlp]", "amber")
    owner.fill("#recipients", "CO-DIAN")
    owner.check("#sharing-form input[value=NA-PRECURSORS]")
    owner.click("#share")
    owner.wait_for_selector("#shared-with")
    assert owner.locator("#shared-with").inner_text() == "CO-DIAN, community NA-PRECURSORS"
    url = owner.url
    owner.fill("#recipients", "NO-SUCH")
    owner.click("#share")
    owner.wait_for_selector("#sharing-errors")
    assert "unknown agency 'NO-SUCH'" in owner.locator("#sharing-errors").inner_text()
    owner.screenshot(path=str(shots / f"seizure-sharing-{backend}.png"), full_page=True)

    member = chromium.new_page()  # CA-HC is in the North America precursor group
    login(member, server, "ca.hc.analyst")
    member.goto(url)
    assert "Seizure ANAM-2026-0388" in member.locator("h1").inner_text()
    outsider = chromium.new_page()  # NL-FIOD is not, and amber is not open to the community
    login(outsider, server, "nl.fiod.officer")
    assert outsider.goto(url).status == 404

    owner.goto(url)
    owner.click("#revoke")
    owner.wait_for_selector("#shared-with")
    assert owner.locator("#shared-with").inner_text() == "nobody named"
    assert member.goto(url).status == 404

    # a recipient of a record under originator control is told why it may not share it
    cbp = chromium.new_page()
    login(cbp, server, "us.cbp.officer")
    cbp.goto(server + "/cooperation?country=MX&since=2026")
    cbp.click("text=ANAM-2026-0412")
    assert "originator control" in cbp.locator("#why-not").inner_text()
    for p in (owner, member, outsider, cbp):
        p.close()

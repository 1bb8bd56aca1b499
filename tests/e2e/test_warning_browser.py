"""The early-warning pages in headless Chromium: warnings arriving live, charts of watched
series with their alarms, a warning, an evaluation with its charts and exports, the country
page and the annual summary; a screenshot of each."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import OUTPUT, login
from watchfloor.db import build_engine, session_scope
from watchfloor.security.service import get_agency, system_principal
from watchfloor.warning import service
from watchfloor.warning.models import Intervention
from watchfloor.warning.series import SeriesQuery

pytestmark = pytest.mark.e2e


def test_the_early_warning_desk(server: str, backend: str, db_url: str, chromium) -> None:  # type: ignore[no-untyped-def]
    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    engine = build_engine(db_url)
    page = chromium.new_page(viewport={"width": 1280, "height": 900})
    login(page, server, "us.cbp.analyst")
    page.goto(server + "/warning")
    page.wait_for_selector("figure.watched .main-svg")  # Plotly drew the watched series
    assert page.locator("figure.watched").count() >= 1
    before = page.locator("#warnings tbody tr").count()
    assert before > 0

    # a scan of the whole NFLIS history elsewhere: its warnings arrive without a reload
    with session_scope(engine) as s:
        cbp = system_principal(get_agency(s, "US-CBP"))
        made = service.scan(s, cbp, query=SeriesQuery(sources=("nflis-drug",)), recent=None)
    assert made.created > 0
    page.wait_for_selector("#warnings tbody tr.fresh", timeout=15_000)
    assert "new at" in page.locator("#live-status").inner_text()
    page.screenshot(path=str(shots / f"warning-desk-{backend}.png"), full_page=True)

    page.locator("#warnings tbody tr.fresh a").first.click()
    page.wait_for_selector("#warning-summary")
    assert page.locator("#warning-facts").inner_text().count("Series") == 1
    page.screenshot(path=str(shots / f"warning-one-{backend}.png"), full_page=True)

    # the evaluation of the US class-wide scheduling: two designs, two charts
    with session_scope(engine) as s:
        iid = s.scalar(
            select(Intervention.id).where(Intervention.reference == "DEMO-US-FRS-CLASS-SCHEDULING")
        )
    page.goto(server + "/warning/interventions")
    page.click(f"a[href='/warning/interventions/{iid}']")
    page.wait_for_selector("#eval-did .main-svg")
    page.wait_for_selector("#eval-its .main-svg")
    effects = page.locator("#effects tbody tr").all_inner_texts()
    assert len(effects) == 2 and "Difference-in-differences" in effects[1]
    assert "only 2 periods before" in page.content()
    page.screenshot(path=str(shots / f"warning-evaluation-{backend}.png"), full_page=True)
    with page.expect_download() as dl:
        page.click("#exports a:has-text('CSV')")
    assert dl.value.suggested_filename == "evaluation-DEMO-US-FRS-CLASS-SCHEDULING.csv"

    page.goto(server + "/countries/US")
    page.wait_for_selector("#country-chart .main-svg")
    assert "seizure events" in page.locator("p#country-seizures").inner_text()
    page.screenshot(path=str(shots / f"warning-country-{backend}.png"), full_page=True)

    page.goto(server + "/warning/arq?year=2026")
    page.wait_for_selector("#arq")
    assert page.locator("#arq tbody tr").count() >= 1
    page.screenshot(path=str(shots / f"warning-arq-{backend}.png"), full_page=True)

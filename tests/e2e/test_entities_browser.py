"""The entity pages in headless Chromium: screening a misspelt name, the candidate's party
page with its resolved identity and its network drawn with Plotly, a click through the
network, and an agency's admin splitting a cluster of its records."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.helpers import OUTPUT, login
from watchfloor.db import build_engine, session_scope
from watchfloor.entities import clusters
from watchfloor.entities.models import ClusterMember, Party
from watchfloor.security.models import Agency

pytestmark = pytest.mark.e2e


def test_screen_a_name_then_walk_its_network(
    server: str, backend: str, db_url: str, chromium
) -> None:  # type: ignore[no-untyped-def]
    engine = build_engine(db_url)  # the demo's parties, resolved into clusters as it loaded
    shots = OUTPUT / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page = chromium.new_page()
    login(page, server, "us.cbp.analyst")
    page.goto(server + "/entities/screen")
    page.fill("#name", "Rafael Karo Quintero")
    page.fill("input[name=date_of_birth]", "1952-12-12")
    page.click("#screen-form button[type=submit]")
    page.wait_for_selector("#candidates")
    first = page.locator("#candidates tbody tr").first
    assert "CARO QUINTERO, Rafael" in first.inner_text()
    assert "potential match — review" in first.inner_text()
    assert "date_of_birth: agree" in first.inner_text()
    page.screenshot(path=str(shots / f"entities-screen-{backend}.png"), full_page=True)
    # the analyst records a decision on the hit; the same screening shows it afterwards
    first.locator("form.decide input[name=reason]").fill("same person: DOB and country agree")
    first.locator("form.decide button[value=match]").click()
    page.wait_for_selector("#candidates td.decision strong")
    first = page.locator("#candidates tbody tr").first
    assert "match" in first.locator("td.decision strong").inner_text()
    assert "same person: DOB and country agree" in first.inner_text()

    first.locator("a").first.click()
    page.wait_for_selector("#party-name")
    assert page.locator("#party-name").inner_text() == "CARO QUINTERO, Rafael"
    page.wait_for_selector("#network-chart .main-svg")
    nodes = page.locator("#network-nodes tbody tr").all_inner_texts()
    assert any("ESPINOZA AGUILAR, Diana" in n for n in nodes), nodes  # Linked To on the list
    page.screenshot(path=str(shots / f"entities-network-{backend}.png"), full_page=True)
    page.click("#network-nodes >> text=ESPINOZA AGUILAR, Diana")
    page.wait_for_selector("#party-name")
    assert page.locator("#party-name").inner_text() == "ESPINOZA AGUILAR, Diana"

    # a cluster of the demo's shipment parties of US-CBP: its admin ticks one member off
    page.click("#logout")
    login(page, server, "us.cbp.admin")
    with session_scope(engine) as s:
        cluster_id = s.scalar(
            select(ClusterMember.cluster_id)
            .join(Party, Party.id == ClusterMember.party_id)
            .join(Agency, Agency.id == Party.owner_agency_id)
            .where(Agency.code == "US-CBP", Party.source_type == "shipment")
            .limit(1)
        )
        members = list(
            s.scalars(select(ClusterMember.party_id).where(ClusterMember.cluster_id == cluster_id))
        )
    page.goto(f"{server}/entities/parties/{members[0]}")
    page.wait_for_selector("#cluster-members")
    assert page.locator("#cluster-members tbody tr").count() == len(members)
    page.check(f"#cluster-members input[value='{members[-1]}']")
    page.click("#split")
    page.wait_for_selector("#party-name")
    with session_scope(engine) as s:
        apart = clusters.cluster_of(s, members[-1])  # alone (no cluster) or in another one
        assert apart is None or apart != clusters.cluster_of(s, members[0])
    page.close()
    engine.dispose()

"""The early-warning API on SQLite and PostgreSQL: scans, warnings, series, subscriptions,
interventions and their evaluation (the demo's worked examples included), pages and exports."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from sqlalchemy import select

from tests.helpers import api_headers, browser_login
from watchfloor.db import session_scope
from watchfloor.security.service import get_agency, system_principal
from watchfloor.warning import importers
from watchfloor.warning.models import Intervention

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "warning"
API = "/api/v1/warning"


def _nflis(engine, agency: str = "US-CBP", tlp: str = "clear") -> None:  # type: ignore[no-untyped-def]
    parsed = importers.parse(importers.dataset("nflis-drug"), FIXTURES / "nflis.csv")
    with session_scope(engine) as s:
        importers.store(s, system_principal(get_agency(s, agency)), parsed, tlp=tlp)


def test_scan_list_read_and_live_paging(client, bare) -> None:  # type: ignore[no-untyped-def]
    _nflis(bare, tlp="amber")
    cbp = api_headers(bare, "US-CBP", "analyst")
    viewer = api_headers(bare, "US-CBP", "viewer")
    assert client.post(f"{API}/scan", json={}, headers=viewer).status_code == 403
    r = client.post(f"{API}/scan", json={"sources": ["nflis-drug"], "recent": 24}, headers=cbp)
    assert r.status_code == 200, r.text
    assert r.json()["created"] > 0 and r.json()["by_kind"]["spike"] > 0
    again = client.post(f"{API}/scan", json={"sources": ["nflis-drug"], "recent": 24}, headers=cbp)
    assert again.json()["created"] == 0
    bad = client.post(f"{API}/scan", json={"parameters": {"farrington": {"bee": 3}}}, headers=cbp)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "parameters"
    assert (
        client.post(f"{API}/scan", json={"algorithms": ["magic"]}, headers=cbp).status_code == 422
    )

    page = client.get(f"{API}/warnings", params={"source": "nflis-drug", "limit": 5}, headers=cbp)
    assert page.status_code == 200
    items = page.json()["items"]
    assert len(items) == 5 and page.json()["next_cursor"] == items[-1]["id"]
    assert [w["id"] for w in items] == sorted((w["id"] for w in items), reverse=True)
    more = client.get(
        f"{API}/warnings", params={"cursor": items[-1]["id"], "limit": 5}, headers=cbp
    )
    assert all(w["id"] < items[-1]["id"] for w in more.json()["items"])
    newest = client.get(f"{API}/warnings", params={"after": items[0]["id"]}, headers=cbp)
    assert newest.json()["items"] == []
    one = client.get(f"{API}/warnings/{items[0]['id']}", headers=cbp)
    assert one.status_code == 200 and one.json()["tlp"] == "amber"
    nps = client.get(f"{API}/warnings", params={"kind": "possible_nps"}, headers=cbp).json()
    assert {w["substance"] for w in nps["items"]} == {"fluorofentanyl", "zylofentanyl"}

    # another agency reads none of it: amber figures, warnings computed from them
    anam = api_headers(bare, "MX-ANAM", "analyst")
    assert client.get(f"{API}/warnings/{items[0]['id']}", headers=anam).status_code == 404
    theirs = client.get(f"{API}/warnings", params={"source": "nflis-drug"}, headers=anam)
    assert theirs.json()["items"] == []
    assert (
        client.get(f"{API}/series", params={"source": "nflis-drug"}, headers=anam).json()["items"]
        == []
    )


def test_series_with_a_detectors_bound_and_alarms(client, bare) -> None:  # type: ignore[no-untyped-def]
    _nflis(bare)
    cbp = api_headers(bare, "US-CBP", "viewer")
    r = client.get(
        f"{API}/series",
        params={"source": "nflis-drug", "substance": "acetylfentanyl", "place": "US-OH",
                "algorithm": "ears_c1"},
        headers=cbp,
    )  # fmt: skip
    assert r.status_code == 200, r.text
    (s,) = r.json()["items"]
    assert s["key"] == "nflis-drug|reports|acetylfentanyl|state:US-OH|half"
    assert s["values"][-1] == 900 and s["values"][:-1] == [0] * 13
    assert s["alarms"][-1] and not any(s["alarms"][:-1])
    assert s["upper"][-1] == 0 and s["upper"][0] is None  # no baseline yet at the start
    assert client.get(f"{API}/series", params={"source": "x", "algorithm": "nope"},
                      headers=cbp).status_code == 422  # fmt: skip


def test_subscriptions_are_the_agencys_own(client, engine) -> None:  # type: ignore[no-untyped-def]
    cbp = api_headers(engine, "US-CBP", "analyst")
    made = client.post(f"{API}/subscriptions", headers=cbp,
                       json={"name": "Ohio", "places": ["US-OH"], "kinds": ["spike"]})  # fmt: skip
    assert made.status_code == 201, made.text
    sub = made.json()
    assert sub["places"] == ["US-OH"] and sub["active"]
    # sent again the same: the same subscription (200), not a second one; with other
    # filters under the same name: 409 naming the name
    again = client.post(f"{API}/subscriptions", headers=cbp,
                        json={"name": "Ohio", "places": ["US-OH"], "kinds": ["spike"]})  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == sub["id"], again.text
    other = client.post(f"{API}/subscriptions", headers=cbp,
                        json={"name": "Ohio", "places": ["US-KY"], "kinds": ["spike"]})  # fmt: skip
    assert other.status_code == 409 and other.json()["errors"][0]["field"] == "name"
    anam = api_headers(engine, "MX-ANAM", "analyst")
    assert sub["id"] not in [
        s["id"] for s in client.get(f"{API}/subscriptions", headers=anam).json()
    ]
    assert client.delete(f"{API}/subscriptions/{sub['id']}", headers=anam).status_code == 404
    assert client.delete(f"{API}/subscriptions/{sub['id']}", headers=cbp).status_code == 204
    mine = {s["id"]: s for s in client.get(f"{API}/subscriptions", headers=cbp).json()}
    assert not mine[sub["id"]]["active"]
    bad = client.post(f"{API}/subscriptions", headers=cbp, json={"name": "", "kinds": ["x"]})
    assert bad.status_code == 422 and {e["field"] for e in bad.json()["errors"]} >= {"name"}


def test_an_intervention_with_controls_is_evaluated_three_ways(client, bare) -> None:  # type: ignore[no-untyped-def]
    _nflis(bare)
    cbp = api_headers(bare, "US-CBP", "analyst")
    spec = {"source": "nflis-drug", "measure": "reports"}
    body = {
        "reference": "T-1",
        "title": "An Ohio crackdown",
        "kind": "enforcement",
        "started_on": "2021-03-01",
        "target": {**spec, "label": "fluorofentanyl, Ohio", "substances": ["fluorofentanyl"],
                   "places": ["US-OH"]},
        "controls": [
            {**spec, "label": "fentanyl, Ohio", "substances": ["fentanyl"], "places": ["US-OH"]},
            {**spec, "label": "fentanyl, Kentucky", "substances": ["fentanyl"],
             "places": ["US-KY"]},
        ],
        "tlp": "amber",
    }  # fmt: skip
    r = client.post(f"{API}/interventions", json=body, headers=cbp)
    assert r.status_code == 201, r.text
    iid = r.json()["id"]
    ev = client.get(f"{API}/interventions/{iid}/evaluation", headers=cbp)
    assert ev.status_code == 200, ev.text
    report = ev.json()
    assert report["first_period_after"] == "2021-01-01"  # the half-year holding the start
    designs = {d["design"]: d for d in report["designs"]}
    assert set(designs) == {"its", "did", "synthetic_control"}
    for d in designs.values():
        e = d["effect"]
        assert e["low"] <= e["value"] <= e["high"]
        assert len(d["periods"]) == len(d["observed"]) == len(d["counterfactual"]) == 14
    assert designs["its"]["pre_periods"] == 8 and designs["its"]["post_periods"] == 6
    assert abs(sum(designs["synthetic_control"]["weights"].values()) - 1) < 1e-3
    assert any("control series" in n for n in designs["synthetic_control"]["notes"])
    # the same reference again updates; another agency cannot read an amber intervention
    again = client.post(f"{API}/interventions", json={**body, "title": "renamed"}, headers=cbp)
    assert again.json()["id"] == iid and again.json()["title"] == "renamed"
    anam = api_headers(bare, "MX-ANAM", "analyst")
    assert client.get(f"{API}/interventions/{iid}/evaluation", headers=anam).status_code == 404
    # a start before any data cannot be evaluated: a clear 422, not a 500
    early = client.post(f"{API}/interventions", headers=cbp,
                        json={**body, "reference": "T-2", "started_on": "2010-01-01"})  # fmt: skip
    r = client.get(f"{API}/interventions/{early.json()['id']}/evaluation", headers=cbp)
    assert r.status_code == 422 and "before" in r.json()["detail"]


def test_the_demos_worked_examples(client, engine) -> None:  # type: ignore[no-untyped-def]
    """Silk Road 2.0's takedown and Evolution's exit on Agora's crawls; the US class-wide
    scheduling of fentanyl-related substances on NFLIS, against fentanyl itself."""
    viewer = api_headers(engine, "NL-FIOD", "viewer")
    found = {i["reference"]: i for i in client.get(f"{API}/interventions", headers=viewer).json()}
    assert set(found) >= {"DEMO-SR2-ONYMOUS", "DEMO-EVOLUTION-EXIT", "DEMO-US-FRS-CLASS-SCHEDULING"}

    def designs(ref: str) -> dict[str, dict]:  # type: ignore[type-arg]
        r = client.get(f"{API}/interventions/{found[ref]['id']}/evaluation", headers=viewer)
        assert r.status_code == 200, r.text
        return {d["design"]: d for d in r.json()["designs"]}

    sr2 = designs("DEMO-SR2-ONYMOUS")["its"]
    # weekly means of Agora's product pages: sellers displaced from Silk Road 2.0 arrive
    assert sr2["level_change"]["low"] > 0 and sr2["effect"]["low"] > 0
    assert sr2["post_periods"] >= 15 and sr2["pre_periods"] >= 30
    evo = designs("DEMO-EVOLUTION-EXIT")["its"]
    assert evo["effect"]["high"] < 0  # Agora's own listings fell after Evolution's exit
    frs = designs("DEMO-US-FRS-CLASS-SCHEDULING")
    assert set(frs) == {"its", "did"} and frs["did"]["scale"] == "log"
    assert frs["did"]["effect"]["high"] < 0  # analogues fell relative to fentanyl
    assert any("only 2 periods before" in n for n in frs["its"]["notes"])


def test_pages_and_exports(client, engine) -> None:  # type: ignore[no-untyped-def]
    assert browser_login(client, "us.cbp.analyst").status_code == 303
    for url in ("/warning", "/warning/interventions", "/countries/US", "/warning/arq?year=2026"):
        r = client.get(url)
        assert r.status_code == 200, (url, r.text[:300])
    with session_scope(engine) as s:
        iid = s.scalar(select(Intervention.id).where(Intervention.reference == "DEMO-SR2-ONYMOUS"))
    page = client.get(f"/warning/interventions/{iid}")
    assert page.status_code == 200 and "Interrupted time series" in page.text
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(f"/warning/interventions/{iid}/export?format=csv").text)
        )
    )
    assert rows and rows[0]["design"] == "its" and rows[0]["intervention"] == "DEMO-SR2-ONYMOUS"
    assert client.get(f"/warning/interventions/{iid}/export?format=json").json()["designs"]
    printable = client.get(f"/warning/interventions/{iid}/export?format=html")
    assert printable.status_code == 200 and 'id="exports"' not in printable.text
    assert client.get(f"/warning/interventions/{iid}/export?format=docx").status_code == 422
    assert client.get("/countries/QQ").status_code == 422
    country = client.get("/countries/US", params={"format": "json"}).json()
    assert country["country"] == "US" and country["seizure_events"] > 0
    by_month = country["seizure_events_by_month"]
    assert set(by_month) == {"seizures", "seizure-statistics"}  # records, and CBP's figures
    assert sum(m["events"] for s in by_month.values() for m in s) <= country["seizure_events"]
    lines = client.get("/countries/US", params={"format": "csv"}).text.splitlines()
    assert lines[0] == "country,table,key,events,kg" and len(lines) > 10
    listed = client.get("/warning/export", params={"format": "csv", "kind": "possible_nps"})
    table = list(csv.DictReader(io.StringIO(listed.text)))
    assert table and {r["kind"] for r in table} == {"possible_nps"}
    assert client.get("/warning/export", params={"format": "json"}).json()[0]["summary"]
    arq = client.get("/warning/arq", params={"year": 2024, "format": "csv"})
    assert arq.status_code == 200 and arq.text.startswith("reporting_agency,country,year,drug")

"""The learnt model: trained from recorded outcomes, versioned, calibrated, shown as a reason."""

from __future__ import annotations

import json
import re

from sqlalchemy import func, select

from tests.helpers import api_headers, record, run
from watchfloor.db import session_scope
from watchfloor.security.service import get_agency, system_principal
from watchfloor.shipments import service
from watchfloor.shipments.models import Outcome, RiskAssessment, RiskModel, Shipment


def test_demo_outcomes_train_a_model_that_scores_new_shipments(client, engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        cbp = get_agency(s, "US-CBP")
        outcomes = s.scalar(
            select(func.count())
            .select_from(Outcome)
            .join(Shipment)
            .where(Shipment.owner_agency_id == cbp.id)
        )
        first = s.scalar(select(RiskModel).where(RiskModel.agency_id == cbp.id))
        assert first is not None and first.n_outcomes == outcomes
        metrics = json.loads(first.metrics)
        assert {"auc", "brier", "precision_at_k", "rules_auc", "decision"} <= set(metrics)
        # it scores shipments only if it picks at least as well as the rules alone
        assert first.active == (metrics["precision_at_k"] >= metrics["rules_precision_at_k"])
        assert metrics["decision"].startswith("used" if first.active else "not used")
        assert not service.retrain_due(s, cbp.id)
    h = api_headers(engine, "US-CBP", "officer")
    out = client.post("/api/v1/shipments", json=record("M-1", "NPP", "293337"), headers=h).json()
    sid = out["results"][0]["id"]
    detail = client.get(f"/api/v1/shipments/{sid}", headers=h).json()
    if first.active:
        assert 0.0 <= detail["probability"] <= 1.0
    else:
        assert detail["probability"] is None
    with session_scope(engine) as s:
        a = s.scalar(select(RiskAssessment).where(RiskAssessment.shipment_id == sid))
        assert a.model_version == (first.version if first.active else None)
    models = client.get("/api/v1/shipments/models", headers=h).json()
    assert models[0]["version"] == first.version and models[0]["n_outcomes"] == outcomes


def test_train_command_adds_a_version_and_refuses_without_outcomes(db_url: str, engine) -> None:  # type: ignore[no-untyped-def]
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    r = run("shipments", "train", "--agency", "US-CBP", "--json", env=env)
    assert r.returncode == 0, r.stderr
    info = json.loads(r.stdout)
    assert info["version"].startswith("gb-") and info["outcomes"] > 200
    with session_scope(engine) as s:
        cbp = get_agency(s, "US-CBP")
        versions = s.scalars(select(RiskModel.version).where(RiskModel.agency_id == cbp.id))
        assert info["version"] in set(versions)
    r = run("shipments", "train", "--agency", "CA-CBSA", env=env)
    assert r.returncode == 2 and "not enough outcomes to train: 0 recorded" in r.stderr


def test_only_admins_train(engine) -> None:  # type: ignore[no-untyped-def]
    import pytest

    from watchfloor.errors import Forbidden
    from watchfloor.security.service import Principal

    with session_scope(engine) as s:
        admin = system_principal(get_agency(s, "US-CBP"))
        officer = Principal(**{**admin.__dict__, "role": "officer"})
        with pytest.raises(Forbidden):
            service.train_model(s, officer)


def test_worker_retrains_once_enough_new_outcomes_exist(engine) -> None:  # type: ignore[no-untyped-def]
    from watchfloor.shipments.schemas import OutcomeIn
    from watchfloor.shipments.scoring import shipped_config
    from watchfloor.worker import retrain_due_agencies

    need = shipped_config()["model"]["retrain_every"]
    assert retrain_due_agencies(engine) == []  # the demo's models are fresh
    with session_scope(engine) as s:
        cbp = get_agency(s, "US-CBP")
        principal = system_principal(cbp)
        open_ids = list(
            s.scalars(
                select(Shipment.id)
                .where(Shipment.owner_agency_id == cbp.id, Shipment.status != "inspected")
                .order_by(Shipment.id)
                .limit(need)
            )
        )
        assert len(open_ids) == need
        for sid in open_ids:
            service.record_outcome(s, principal, sid, OutcomeIn(result="clean"))
        assert service.retrain_due(s, cbp.id)
    versions = retrain_due_agencies(engine)
    assert len(versions) == 1
    with session_scope(engine) as s:
        assert not service.retrain_due(s, get_agency(s, "US-CBP").id)
        latest = s.scalar(select(RiskModel).order_by(RiskModel.id.desc()).limit(1))
        assert latest.version == versions[0] and latest.n_outcomes > need


def test_a_version_scores_only_if_it_picks_at_least_as_well_as_the_rules() -> None:
    from watchfloor.shipments.model import judge

    held = {"precision_at_k": 0.5, "rules_precision_at_k": 0.75, "k": 4}
    used, why = judge(held)
    assert not used and why.startswith("not used, the rules pick better")
    assert "50% were seizures for the model and 75% for the rules" in why
    assert judge({**held, "precision_at_k": 0.75})[0]
    assert judge({**held, "precision_at_k": 1.0}) == (
        True,
        "used: of the 4 held-out shipments each ranks highest, 100% were seizures for the "
        "model and 75% for the rules",
    )
    used, why = judge({"outcomes": 40, "seizures": 3, "holdout": 8})
    assert not used and "could not be compared" in why


def test_a_version_the_rules_beat_leaves_the_active_one_scoring(engine) -> None:  # type: ignore[no-untyped-def]
    from watchfloor.shipments import model as risk_model

    with session_scope(engine) as s:
        cbp = get_agency(s, "US-CBP")
        before = risk_model.load_active(s, cbp.id)
        row = service.train_model(s, system_principal(cbp))
        after = risk_model.load_active(s, cbp.id)
        metrics = json.loads(row.metrics)
        if row.active:
            assert after is not None and after.version == row.version
        else:
            assert (after and after.version) == (before and before.version)
        assert row.active == (metrics["precision_at_k"] >= metrics["rules_precision_at_k"])


def test_an_admin_chooses_what_scores_shipments(client, engine) -> None:  # type: ignore[no-untyped-def]
    from watchfloor.audit import AuditEvent

    admin = api_headers(engine, "US-CBP", "admin")
    officer = api_headers(engine, "US-CBP", "officer")
    versions = client.get("/api/v1/shipments/models", headers=admin).json()
    version = versions[-1]["version"]  # the demo's first
    url = "/api/v1/shipments/models/active"

    def scored_by(ref: str) -> str | None:
        out = client.post("/api/v1/shipments", json=record(ref, "NPP", "293337"), headers=officer)
        assert out.json()["results"][0]["status"] == "created"
        sid = out.json()["results"][0]["id"]
        with session_scope(engine) as s:
            a = s.scalar(select(RiskAssessment).where(RiskAssessment.shipment_id == sid))
            return a.model_version

    r = client.put(url, json={"version": version, "reason": "pilot"}, headers=officer)
    assert r.status_code == 403
    r = client.put(url, json={"version": version}, headers=admin)
    assert r.status_code == 422 and "reason" in r.text
    r = client.put(url, json={"version": "gb-nope", "reason": "x"}, headers=admin)
    assert r.status_code == 404 and "gb-nope" in r.text
    r = client.put(url, json={"version": version, "reason": "pilot at JFK"}, headers=admin)
    assert r.status_code == 200, r.text
    assert [m["version"] for m in r.json() if m["active"]] == [version]
    assert scored_by("M-USE-1") == version
    r = client.put(url, json={"version": None, "reason": "back to the rules"}, headers=admin)
    assert r.status_code == 200 and not any(m["active"] for m in r.json())
    assert scored_by("M-USE-2") is None
    with session_scope(engine) as s:
        reasons = [
            json.loads(e.detail)["reason"]
            for e in s.scalars(select(AuditEvent).where(AuditEvent.action == "model.use"))
        ]
        assert reasons[-2:] == ["pilot at JFK", "back to the rules"]


def test_the_model_page_lets_admins_choose(client, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import browser_login, csrf_from

    assert browser_login(client, "us.cbp.admin").status_code in (200, 303)
    page = client.get("/shipments/model").text
    version = re.search(r'name="version" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf_from(page), "version": version}
    r = client.post("/shipments/model", data=form, follow_redirects=False)
    assert r.status_code == 422 and "reason: required" in r.text
    r = client.post("/shipments/model", data={**form, "reason": "pilot"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get("/shipments/model").text
    assert f"Shipments are scored by the rules and <strong>{version}</strong>" in page
    assert browser_login(client, "us.cbp.officer").status_code in (200, 303)
    assert "Score with it" not in client.get("/shipments/model").text


def test_points_are_called_a_probability_only_where_a_calibrated_model_gave_one(
    client, engine
) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import browser_login, csrf_from

    assert browser_login(client, "us.cbp.admin").status_code in (200, 303)
    page = client.get("/shipments/model").text
    form = {"csrf_token": csrf_from(page), "version": "", "reason": "rules alone for a test"}
    assert client.post("/shipments/model", data=form, follow_redirects=False).status_code == 303
    model_page = client.get("/shipments/model").text
    assert "No model scores shipments, so no score is a probability" in model_page
    targets = client.get("/shipments/targets?office=JFK-IMF").text
    assert "Expected yield" not in targets and "expected finds" not in targets.lower()
    assert "not chances of a find" in targets
    # with a model scoring, the page draws the reliability curve of its held-out outcomes
    version = re.search(r'name="version" value="([^"]+)"', model_page).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf_from(model_page), "version": version, "reason": "back on"}
    assert client.post("/shipments/model", data=form, follow_redirects=False).status_code == 303
    with_model = client.get("/shipments/model").text
    assert 'id="reliability-chart"' in with_model or 'id="no-reliability"' in with_model

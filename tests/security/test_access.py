"""Who may call what: 401 without credentials, 403 for a weaker role, 404 for unshared records."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import Engine, event, select, text
from sqlalchemy.orm import Session

from tests.helpers import api_headers, browser_login, csrf_from
from watchfloor.audit import AuditEvent
from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.db import session_scope
from watchfloor.security.models import Agency
from watchfloor.security.service import create_api_key, get_agency, key_principal


def seizure_id(engine: Engine, reference: str) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(Seizure.id).where(Seizure.reference == reference))  # type: ignore[return-value]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/me",
        "/api/v1/sharing/seizures",
        "/api/v1/reference/substances?q=npp",
        "/api/v1/agencies",
        "/api/v1/audit/verify",
    ],
)
def test_api_without_credentials_is_401(client, path: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get(path)
    assert r.status_code == 401, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 401


@pytest.mark.parametrize("header", ["Bearer wf_0000_nope", "Bearer ", "Basic abc", "Bearer x"])
def test_bad_credentials_are_401(client, header: str) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/me", headers={"Authorization": header})
    assert r.status_code == 401, r.text


def test_key_is_stored_only_as_a_hash_and_revocation_bites(client, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    from watchfloor.security.service import revoke_api_key

    headers = api_headers(engine, "US-CBP", "analyst")
    secret = headers["Authorization"].split()[1]
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200, me.text
    assert me.json() == {
        "actor": me.json()["actor"],
        "agency": "US-CBP",
        "country": "US",
        "role": "analyst",
    }
    with engine.connect() as c:
        stored = c.execute(text("SELECT secret_hash, prefix FROM api_keys")).all()
        assert all(secret not in row.secret_hash for row in stored)
        prefix = secret.split("_")[1]
        assert prefix in {row.prefix for row in stored}
    with session_scope(engine) as s:
        revoke_api_key(s, prefix, actor="test")
    assert client.get("/api/v1/me", headers=headers).status_code == 401


@pytest.mark.parametrize(
    ("role", "status"), [("viewer", 403), ("analyst", 403), ("officer", 201), ("admin", 201)]
)
def test_creating_a_seizure_needs_officer(client, engine: Engine, role: str, status: int) -> None:  # type: ignore[no-untyped-def]
    body = {
        "reference": f"T-{role}",
        "seized_on": "2026-11-01",
        "country": "US",
        "substance": "fentanyl",
        "quantity": 1.5,
        "unit": "kg",
    }
    r = client.post(
        "/api/v1/sharing/seizures", json=body, headers=api_headers(engine, "US-CBP", role)
    )
    assert r.status_code == status, r.text
    with session_scope(engine) as s:
        n = s.scalar(select(Seizure.id).where(Seizure.reference == f"T-{role}"))
    assert (n is not None) is (status == 201)


def test_audit_verify_endpoint_needs_admin(client, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    assert (
        client.get(
            "/api/v1/audit/verify", headers=api_headers(engine, "US-CBP", "officer")
        ).status_code
        == 403
    )
    r = client.get("/api/v1/audit/verify", headers=api_headers(engine, "US-CBP", "admin"))
    assert r.status_code == 200 and r.json()["ok"] is True, r.text


def test_unshared_record_is_404_on_api_and_page(client, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    # FIOD's seizure is TLP:AMBER+STRICT for INCB only
    sid = seizure_id(engine, "FIOD-2026-17")
    for agency in ("US-CBP", "MX-ANAM", "PLATFORM-EXAMPLE"):
        r = client.get(
            f"/api/v1/sharing/seizures/{sid}", headers=api_headers(engine, agency, "admin")
        )
        assert r.status_code == 404, (agency, r.text)
        assert r.json()["detail"] == f"seizure {sid} not found"
        listed = client.get(
            "/api/v1/sharing/seizures?limit=500", headers=api_headers(engine, agency, "admin")
        ).json()["items"]
        assert sid not in {i["id"] for i in listed}
    # a missing id answers exactly the same: existence does not leak
    r = client.get(
        "/api/v1/sharing/seizures/999999", headers=api_headers(engine, "US-CBP", "viewer")
    )
    assert r.status_code == 404 and r.json()["detail"] == "seizure 999999 not found"
    assert browser_login(client, "us.cbp.officer").status_code == 303
    page = client.get(f"/cooperation/seizures/{sid}")
    assert page.status_code == 404 and "FIOD-2026-17" not in page.text


def test_shared_record_is_readable_and_the_read_is_audited(client, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    sid = seizure_id(engine, "FIOD-2026-17")
    r = client.get(
        f"/api/v1/sharing/seizures/{sid}", headers=api_headers(engine, "INT-INCB", "analyst")
    )
    assert r.status_code == 200, r.text
    assert r.json()["sharing"] == {
        "owner": "NL-FIOD",
        "tlp": "amber+strict",
        "recipients": ["INT-INCB"],
        "communities": [],
        "originator_control": True,
        "legal_basis": None,
        "expires_at": None,
    }
    with session_scope(engine) as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "seizure.read")).all()
    assert [(e.agency, e.object_id) for e in ev] == [("INT-INCB", str(sid))]


def test_originator_control_refuses_reshare_with_403(client, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    sid = seizure_id(engine, "ANAM-2026-0412")  # amber, to US-CBP and CN-GACC, originator control
    body = {
        "tlp": "amber",
        "recipients": ["US-CBP", "CN-GACC", "CA-CBSA"],
        "originator_control": True,
    }
    r = client.put(
        f"/api/v1/sharing/seizures/{sid}/sharing",
        json=body,
        headers=api_headers(engine, "US-CBP", "officer"),
    )
    assert r.status_code == 403, r.text
    assert "originator control" in r.json()["detail"]
    # CA-CBSA still cannot see it
    assert (
        client.get(
            f"/api/v1/sharing/seizures/{sid}", headers=api_headers(engine, "CA-CBSA", "officer")
        ).status_code
        == 404
    )
    # the owner can widen it
    r = client.put(
        f"/api/v1/sharing/seizures/{sid}/sharing",
        json=body,
        headers=api_headers(engine, "MX-ANAM", "officer"),
    )
    assert r.status_code == 200, r.text
    assert (
        client.get(
            f"/api/v1/sharing/seizures/{sid}", headers=api_headers(engine, "CA-CBSA", "officer")
        ).status_code
        == 200
    )


def test_pages_need_login_and_login_logout_work(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/")
    assert r.status_code == 401 and 'action="/login"' in r.text
    bad = browser_login(client, "us.cbp.officer", "wrong-password")
    assert bad.status_code == 401 and "wrong username or password" in bad.text
    ok = browser_login(client, "us.cbp.officer")
    assert ok.status_code == 303
    cookie = ok.headers["set-cookie"]
    assert "wf_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    dash = client.get("/")
    assert dash.status_code == 200
    for label in ("Shipments", "Online sales", "Cooperation", "Early warning"):
        assert f">{label}</a>" in dash.text
    out = client.post("/logout", data={"csrf_token": csrf_from(dash.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/").status_code == 401


def test_forms_without_csrf_token_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    client.get("/login")
    r = client.post(
        "/login",
        data={"username": "us.cbp.officer", "password": "watchfloor-demo", "csrf_token": "forged"},
        follow_redirects=False,
    )
    assert r.status_code == 403 and "CSRF" in r.text
    assert browser_login(client, "us.cbp.officer").status_code == 303
    r = client.post("/logout", data={}, follow_redirects=False)
    assert r.status_code == 403
    assert client.get("/").status_code == 200  # still logged in


def test_a_keys_agency_is_read_with_the_key_and_not_again(engine: Engine) -> None:
    """A stream worker or an API request reads the key once a batch; the agency check that
    follows (every intake makes one) finds the agency the key's query loaded."""
    with session_scope(engine) as s:
        secret = create_api_key(
            s, agency=get_agency(s, "US-CBP"), role="officer", actor="test"
        ).secret
    statements: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    with Session(engine) as s:
        principal = key_principal(s, secret)
        assert principal is not None and principal.agency_code == "US-CBP"
        gc.collect()  # nothing of the key's query is referred to but what the session holds
        event.listen(engine, "before_cursor_execute", count)
        try:
            agency = s.get(Agency, principal.agency_id)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert agency is not None and agency.code == "US-CBP"
    assert statements == []

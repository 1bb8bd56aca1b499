"""Browser accounts on SQLite and PostgreSQL: failed logins lock an account and an address
for a while (audited once per lockout), idle sessions end, sessions rotate at login, a user
ends their other sessions, and a form's CSRF token belongs to its session."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update

from tests.helpers import browser_login, csrf_from
from watchfloor.audit import AuditEvent
from watchfloor.db import session_scope, utcnow
from watchfloor.security.models import LoginThrottle, WebSession


def _client(client: TestClient) -> TestClient:
    """Another browser on the same app (its own cookies)."""
    return TestClient(client.app)


def _audited(engine: Engine, action: str) -> int:
    with session_scope(engine) as s:
        return s.scalar(select(func.count()).where(AuditEvent.action == action)) or 0


def test_failed_logins_lock_the_account_and_are_audited_once(client, engine) -> None:  # type: ignore[no-untyped-def]
    events = _audited(engine, "login.locked")
    for _ in range(5):
        r = browser_login(client, "us.cbp.analyst", "not-the-password")
        assert r.status_code == 401 and "wrong username or password" in r.text
    # locked: even the right password is refused, with the time it opens again
    r = browser_login(client, "us.cbp.analyst")
    assert r.status_code == 429 and "too many failed logins: try again after" in r.text
    for _ in range(3):
        assert browser_login(client, "us.cbp.analyst", "nope").status_code == 429
    assert _audited(engine, "login.locked") == events + 1  # once per lockout
    assert _audited(engine, "login.failed") == 0  # not once per failure
    # another account from the same address is not locked by these (its limit is higher)
    assert browser_login(client, "us.cbp.officer").status_code == 303
    # when the lockout has passed, the right password works and clears the count
    with session_scope(engine) as s:
        s.execute(update(LoginThrottle).values(locked_until=utcnow() - dt.timedelta(seconds=1)))
    r = browser_login(_client(client), "us.cbp.analyst")
    assert r.status_code == 303, r.text
    with session_scope(engine) as s:
        assert s.get(LoginThrottle, "user:us.cbp.analyst") is None


def test_an_address_that_guesses_at_many_accounts_is_locked_out(client, engine) -> None:  # type: ignore[no-untyped-def]
    for n in range(20):
        r = browser_login(client, f"nobody-{n}", "guess")
        assert r.status_code == 401
    r = browser_login(client, "mx.anam.officer")
    assert r.status_code == 429, r.text
    with session_scope(engine) as s:
        row = s.get(LoginThrottle, "address:testclient")
        assert row is not None and row.failures == 20 and row.locked_until is not None


def test_an_idle_session_ends_and_a_used_one_goes_on(client, engine) -> None:  # type: ignore[no-untyped-def]
    assert browser_login(client, "us.cbp.analyst").status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 200
    with session_scope(engine) as s:
        s.execute(update(WebSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=20)))
    assert client.get("/", follow_redirects=False).status_code == 200  # 20 min: still on
    with session_scope(engine) as s:  # ...and its use was written down
        seen = s.scalar(select(func.max(WebSession.last_seen_at)))
        assert seen is not None and utcnow() - seen < dt.timedelta(minutes=1)
        s.execute(update(WebSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=31)))
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 401 and "log in" in r.text.lower()


def test_sessions_rotate_at_login_and_other_sessions_can_be_ended(client, engine) -> None:  # type: ignore[no-untyped-def]
    assert browser_login(client, "us.cbp.analyst").status_code == 303
    first = client.cookies.get("wf_session")
    # logging in again in the same browser ends the session it had
    assert browser_login(client, "us.cbp.analyst").status_code == 303
    second = client.cookies.get("wf_session")
    assert first and second and first != second
    stale = _client(client)
    stale.cookies.set("wf_session", first)
    assert stale.get("/", follow_redirects=False).status_code != 200
    # a second browser; the first ends every other session
    other = _client(client)
    assert browser_login(other, "us.cbp.analyst").status_code == 303
    assert other.get("/", follow_redirects=False).status_code == 200
    token = csrf_from(client.get("/").text)
    r = client.post("/sessions/end-others", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert other.get("/", follow_redirects=False).status_code != 200
    assert client.get("/", follow_redirects=False).status_code == 200
    assert _audited(engine, "sessions.ended") == 1


def test_a_forms_csrf_token_belongs_to_its_session(client, engine) -> None:  # type: ignore[no-untyped-def]
    assert browser_login(client, "us.cbp.analyst").status_code == 303
    mine = csrf_from(client.get("/").text)
    other = _client(client)
    assert browser_login(other, "mx.anam.officer").status_code == 303
    theirs = csrf_from(other.get("/").text)
    assert mine != theirs
    # another session's token, or the pre-login cookie's, is refused; the own one works
    for token in (theirs, client.cookies.get("wf_csrf") or "x" * 43):
        r = client.post("/sessions/end-others", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/sessions/end-others", data={"csrf_token": mine}, follow_redirects=False)
    assert r.status_code == 303
    # a new session (login again) has a new token: the old one no longer works
    assert browser_login(client, "us.cbp.analyst").status_code == 303
    r = client.post("/logout", data={"csrf_token": mine}, follow_redirects=False)
    assert r.status_code == 403

"""Accounts managed for real: the password policy, `watchfloor users`, the admins' Users page
(their own agency only), a user's own password, and an instance that will not serve while
demo passwords are left."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.helpers import browser_login, csrf_from, run
from watchfloor.audit import AuditEvent
from watchfloor.db import session_scope
from watchfloor.security.models import User
from watchfloor.security.passwords import problems

GOOD = "lantern orbit seventy marsh"


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("short one", "at least 15"),
        ("password1234567890", "known from breaches"),
        ("qwertyuiopasdfghjkl", "known from breaches"),
        ("ababababababababab", "too few characters"),
        ("us.cbp.admin and a long tail", "'us.cbp.admin'"),
        ("my US-CBP password, long", "'us-cbp'"),
        ("Watchfloor is my password", "'watchfloor'"),
        ("x" * 300, "at most 256"),
    ],
)
def test_the_policy_names_why_a_password_is_refused(password: str, reason: str) -> None:
    found = problems(password, username="us.cbp.admin", agency="US-CBP")
    assert any(reason in f for f in found), found


def test_the_policy_lets_a_long_plain_passphrase_through() -> None:
    assert problems(GOOD, username="us.cbp.admin", agency="US-CBP") == []
    assert problems("ｆｕｌｌｗｉｄｔｈ　ｐａｓｓｐｈｒａｓｅ　ｏｋ", username="a") == []  # NFKC


def page_form(client: TestClient, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_from(page.text)


def events(engine, action: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    with session_scope(engine) as s:
        rows = s.execute(
            select(AuditEvent.actor, AuditEvent.detail).where(AuditEvent.action == action)
        ).all()
    return [{"actor": a, **json.loads(d or "{}")} for a, d in rows]


def test_an_admin_manages_the_agencys_users_and_no_other(client, engine) -> None:  # type: ignore[no-untyped-def]
    assert browser_login(client, "us.cbp.admin").status_code == 303
    token = page_form(client, "/admin/users")
    listed = client.get("/admin/users").text
    assert "us.cbp.officer" in listed and "mx.anam.officer" not in listed

    # a weak password: refused with the reasons, the other fields kept
    weak = {"username": "jdoe.cbp", "display_name": "J. Doe", "role": "officer",
            "password": "password1234567890", "csrf_token": token}  # fmt: skip
    r = client.post("/admin/users", data=weak)
    assert r.status_code == 422
    assert "known from breaches" in r.text and 'value="J. Doe"' in r.text
    made = client.post("/admin/users", data={**weak, "password": GOOD}, follow_redirects=False)
    assert made.status_code == 303 and made.headers["location"] == "/admin/users?done=created"
    assert "User created." in client.get("/admin/users?done=created").text

    # the new user logs in; disabling the account ends that session at once
    other = TestClient(client.app)
    assert browser_login(other, "jdoe.cbp", GOOD).status_code == 303
    assert other.get("/").status_code == 200
    off = client.post("/admin/users/jdoe.cbp", data={"action": "disabled", "csrf_token": token})
    assert off.status_code == 200 and "User disabled" in off.text
    assert other.get("/").status_code == 401
    assert browser_login(other, "jdoe.cbp", GOOD).status_code == 401

    # another agency's user is not found; the last admin stays an admin
    foreign = client.post("/admin/users/mx.anam.officer", data={"action": "disabled",
                                                                "csrf_token": token})  # fmt: skip
    assert foreign.status_code == 404
    last = client.post("/admin/users/us.cbp.admin",
                       data={"action": "role", "role": "viewer", "csrf_token": token})  # fmt: skip
    assert last.status_code == 409 and "last active admin" in last.text
    with session_scope(engine) as s:
        assert s.scalar(select(User.active).where(User.username == "mx.anam.officer")) is True

    # every change is audited, by whom, never with a password
    assert events(engine, "user.create")[-1]["username"] == "jdoe.cbp"
    disabled = events(engine, "user.disable")
    assert disabled == [{"actor": "user:us.cbp.admin", "username": "jdoe.cbp",
                         "sessions_ended": 1}]  # fmt: skip
    with session_scope(engine) as s:
        logged = " ".join(d or "" for d in s.scalars(select(AuditEvent.detail)))
    assert GOOD not in logged


def test_only_admins_open_the_users_page(client) -> None:  # type: ignore[no-untyped-def]
    assert browser_login(client, "us.cbp.officer").status_code == 303
    assert client.get("/admin/users").status_code == 403
    token = page_form(client, "/account/password")
    r = client.post("/admin/users/us.cbp.viewer", data={"action": "disabled", "csrf_token": token})
    assert r.status_code == 403


def test_a_user_changes_their_own_password(client, engine) -> None:  # type: ignore[no-untyped-def]
    elsewhere = TestClient(client.app)
    assert browser_login(elsewhere, "us.cbp.analyst").status_code == 303
    assert browser_login(client, "us.cbp.analyst").status_code == 303
    token = page_form(client, "/account/password")
    form = {"current": "wrong-password", "password": GOOD, "repeat": GOOD, "csrf_token": token}
    wrong = client.post("/account/password", data=form)
    assert wrong.status_code == 422 and "not your current password" in wrong.text
    mismatch = client.post(
        "/account/password",
        data={**form, "current": "watchfloor-demo", "repeat": GOOD + "!"},
    )
    assert mismatch.status_code == 422 and "does not match" in mismatch.text
    done = client.post("/account/password", data={**form, "current": "watchfloor-demo"})
    assert done.status_code == 200 and "Your password is changed" in done.text
    assert client.get("/").status_code == 200  # this browser goes on
    assert elsewhere.get("/").status_code == 401  # the other ended
    client.cookies.clear()
    assert browser_login(client, "us.cbp.analyst").status_code == 401
    assert browser_login(client, "us.cbp.analyst", GOOD).status_code == 303
    with session_scope(engine) as s:
        user = s.scalar(select(User).where(User.username == "us.cbp.analyst"))
        assert user is not None and user.demo_password is False and user.password_changed_at


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_cli_manages_users_and_serve_refuses_demo_passwords(db_url: str, engine) -> None:  # type: ignore[no-untyped-def]
    env = {"WATCHFLOOR_DATABASE_URL": db_url, "WATCHFLOOR_PORT": "1"}  # never bound below
    refused = run("serve", env=env)
    assert refused.returncode == 2
    assert "still have the demo password" in refused.stderr and "--demo" in refused.stderr

    made = run("users", "create", "ops.cbp", "--agency", "US-CBP", "--role", "analyst",
                  "--password-stdin", stdin=GOOD + "\n", env=env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    weak = run("users", "password", "ops.cbp", "--password-stdin", stdin="ops.cbp 12345678\n",
                  env=env)  # fmt: skip
    assert weak.returncode != 0 and "contains 'ops.cbp'" in weak.stderr + weak.stdout
    listed = json.loads(run("users", "list", "--agency", "US-CBP", "--json", env=env).stdout)
    mine = {u["username"]: u for u in listed}
    assert mine["ops.cbp"]["demo_password"] is False and mine["us.cbp.admin"]["demo_password"]
    assert run("users", "disable", "ops.cbp", env=env).returncode == 0
    with session_scope(engine) as s:
        assert s.scalar(select(User.active).where(User.username == "ops.cbp")) is False
    assert events(engine, "user.disable")[-1]["actor"] == "cli"

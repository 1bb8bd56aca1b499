"""Logging in through the browser: failed attempts counted per account and per address,
temporary lockouts, audited once each (never once per failure: a password-guessing run would
otherwise fill the audit log).

An account locks after ``login_failures_per_account`` failures within
``login_window_minutes``, and an address after ``login_failures_per_address`` failures at any
accounts; a locked key is refused (429, with the time it opens again) even with the right
password, until ``login_lockout_minutes`` have passed. A good login clears its account's
count. Unknown usernames count like known ones, so that the answer never tells them apart.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.db import utcnow
from watchfloor.errors import TooManyRequests, Unauthenticated
from watchfloor.security.models import LoginThrottle, User
from watchfloor.security.service import authenticate_password
from watchfloor.settings import get_settings


def _keys(username: str, address: str | None) -> list[str]:
    keys = [f"user:{username.strip().lower()[:180]}"]
    if address:
        keys.append(f"address:{address[:180]}")
    return keys


def log_in(session: Session, username: str, password: str, address: str | None) -> User:
    """The user, if the password is right and neither the account nor the address is
    locked out; the caller commits either way (the count of failures must stay)."""
    now = utcnow()
    keys = _keys(username, address)
    found = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    rows = {r.key: r for r in found}
    locked = [r for r in rows.values() if r.locked_until is not None and r.locked_until > now]
    if locked:
        until = max(r.locked_until for r in locked if r.locked_until is not None)
        raise TooManyRequests(f"too many failed logins: try again after {until:%Y-%m-%d %H:%M} UTC")
    try:
        user = authenticate_password(session, username, password)
    except Unauthenticated:
        _failed(session, keys, rows, now)
        raise
    account = rows.get(keys[0])
    if account is not None:
        session.delete(account)
    return user


def _failed(
    session: Session, keys: list[str], rows: dict[str, LoginThrottle], now: dt.datetime
) -> None:
    settings = get_settings()
    window = dt.timedelta(minutes=settings.login_window_minutes)
    limits = {"user": settings.login_failures_per_account,
              "address": settings.login_failures_per_address}  # fmt: skip
    for key in keys:
        row = rows.get(key)
        if row is None:
            row = LoginThrottle(key=key, failures=0, window_start=now)
            session.add(row)
        elif now - row.window_start > window:
            row.failures, row.window_start, row.locked_until = 0, now, None
        row.failures += 1
        kind = key.split(":", 1)[0]
        if row.failures >= limits[kind] and row.locked_until is None:
            row.locked_until = now + dt.timedelta(minutes=settings.login_lockout_minutes)
            audit.record(
                session,
                actor="system:login",
                action="login.locked",
                object_type=kind,
                object_id=key.split(":", 1)[1][:80],
                detail={"failures": row.failures, "until": row.locked_until.isoformat()},
            )
    session.flush()

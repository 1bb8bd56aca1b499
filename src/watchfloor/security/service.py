"""Who is calling, and what they may do: passwords, API keys, sessions, roles.

Passwords are hashed with Argon2 (pwdlib). API keys and session tokens are 256-bit random
secrets, so a single SHA-256 is enough to store them: they cannot be guessed from the hash.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Literal

from pwdlib import PasswordHash
from sqlalchemy import Select, bindparam, delete, select
from sqlalchemy.orm import Session, joinedload

from watchfloor import audit
from watchfloor.db import utcnow
from watchfloor.errors import Conflict, Forbidden, Invalid, NotFound, Unauthenticated
from watchfloor.security import passwords
from watchfloor.security.models import AGENCY_KINDS, ROLES, Agency, ApiKey, User, WebSession

Role = Literal["viewer", "analyst", "officer", "admin"]
ROLE_RANK = {role: rank for rank, role in enumerate(ROLES)}
KEY_PREFIX = "wf_"

_hasher = PasswordHash.recommended()


@cache
def _dummy_hash() -> str:
    """Hashed once, on first need, so that a login for an unknown user costs as much as one
    for a known user (not at import: an Argon2 hash takes a tenth of a second, which every
    process that merely imports this module, import workers included, would pay)."""
    return _hasher.hash("not-a-real-password")


@dataclass(frozen=True)
class Principal:
    """The caller of a request or command: an agency, a role and who exactly acts."""

    actor: str
    agency_id: int
    agency_code: str
    agency_country: str | None
    agency_kind: str
    role: str
    user_id: int | None = None
    display_name: str = ""

    def has_role(self, needed: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[needed]


def require_role(principal: Principal, needed: Role) -> None:
    """Raise :class:`Forbidden` unless the principal holds ``needed`` or a higher role."""
    if not principal.has_role(needed):
        raise Forbidden(f"this action needs the {needed} role; you are {principal.role}")


def system_principal(agency: Agency) -> Principal:
    """The principal used by the CLI when it acts for an agency from the operator's shell."""
    return Principal(
        actor="cli",
        agency_id=agency.id,
        agency_code=agency.code,
        agency_country=agency.country,
        agency_kind=agency.kind,
        role="admin",
        display_name="command line",
    )


def _sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(passwords.normal(password))


# --- agencies and users -------------------------------------------------------------------


def get_agency(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code.upper()))
    if agency is None:
        raise NotFound(f"agency {code!r} does not exist")
    return agency


def create_agency(
    session: Session, *, code: str, name: str, country: str | None, kind: str, actor: str
) -> Agency:
    """Register an agency. ``country`` is an ISO 3166-1 alpha-2 code (None for bodies like INCB)."""
    from watchfloor.identifiers import validate_country

    problems = []
    if kind not in AGENCY_KINDS:
        problems.append(f"kind must be one of {', '.join(AGENCY_KINDS)}")
    if country is not None:
        try:
            country = validate_country(country)
        except ValueError as exc:
            problems.append(str(exc))
    if problems:
        raise Invalid(f"agency {code}: " + "; ".join(problems))
    if session.scalar(select(Agency.id).where(Agency.code == code.upper())):
        raise Conflict(f"agency {code!r} already exists")
    agency = Agency(code=code.upper(), name=name, country=country, kind=kind)
    session.add(agency)
    session.flush()
    audit.record(
        session,
        actor=actor,
        agency=agency.code,
        action="agency.create",
        object_type="agency",
        object_id=agency.id,
        detail={"code": agency.code, "country": country, "kind": kind},
    )
    return agency


def create_user(
    session: Session,
    *,
    agency: Agency,
    username: str,
    password: str,
    role: str,
    display_name: str | None = None,
    actor: str,
    demo: bool = False,
) -> User:
    """An account. The password policy is checked by ``users.add_user``, which people and
    the CLI go through; ``demo`` marks the demo loader's shared password, which a non-demo
    instance refuses to serve with."""
    if role not in ROLES:
        raise Invalid(f"user {username}: role must be one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise Invalid(f"user {username}: password must have at least 10 characters")
    username = username.strip().lower()
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"user {username!r} already exists")
    user = User(
        agency_id=agency.id,
        username=username,
        role=role,
        display_name=display_name or username,
        password_hash=hash_password(password),
        demo_password=demo,
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor=actor,
        agency=agency.code,
        action="user.create",
        object_type="user",
        object_id=user.id,
        detail={"username": username, "role": role},
    )
    return user


def principal_for_user(user: User) -> Principal:
    return Principal(
        actor=f"user:{user.username}",
        agency_id=user.agency_id,
        agency_code=user.agency.code,
        agency_country=user.agency.country,
        agency_kind=user.agency.kind,
        role=user.role,
        user_id=user.id,
        display_name=user.display_name,
    )


def authenticate_password(session: Session, username: str, password: str) -> User:
    """Check a username and password; the error never says which of the two was wrong."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or not user.active:
        _hasher.verify(password, _dummy_hash())
        raise Unauthenticated("wrong username or password")
    valid, new_hash = _hasher.verify_and_update(passwords.normal(password), user.password_hash)
    if not valid:  # counted, and a lockout audited, by security.logins
        raise Unauthenticated("wrong username or password")
    if new_hash:
        user.password_hash = new_hash
    return user


# --- browser sessions -----------------------------------------------------------------------


def open_session(session: Session, user: User, *, hours: float) -> str:
    """Start a browser session for ``user``; return the token for the cookie (shown once)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSession(
            token_hash=_sha256(token),
            user_id=user.id,
            expires_at=now + dt.timedelta(hours=hours),
            last_seen_at=now,
        )
    )
    audit_user(session, user, "login")
    return token


SEEN_EVERY = dt.timedelta(minutes=1)  # how often a session's last use is written down
TOUCHED = "watchfloor.security.touched"  # session.info: a session's last use to commit


def session_principal(
    session: Session, token: str, *, idle: dt.timedelta | None = None
) -> Principal | None:
    """The user of a live browser session: not expired, not idle longer than ``idle``.
    Its last use is written down at most once a minute (``TOUCHED`` asks the request's
    session to commit it)."""
    ws = session.get(WebSession, _sha256(token))
    now = utcnow()
    if ws is None or ws.expires_at <= now or not ws.user.active:
        return None
    seen = ws.last_seen_at or ws.created_at
    if idle is not None and now - seen > idle:
        return None
    if now - seen >= SEEN_EVERY:
        ws.last_seen_at = now
        session.info[TOUCHED] = True
    return principal_for_user(ws.user)


def csrf_token_for(session_token: str) -> str:
    """The CSRF token of a browser session: derived from its secret token, so it is bound
    to that session and changes with it."""
    return hmac.new(session_token.encode(), b"watchfloor csrf", hashlib.sha256).hexdigest()


def end_sessions(session: Session, user: User, *, keep: str | None = None) -> int:
    """End every browser session of ``user`` but the one of the token ``keep``; returns
    how many ended."""
    stmt = delete(WebSession).where(WebSession.user_id == user.id)
    if keep is not None:
        stmt = stmt.where(WebSession.token_hash != _sha256(keep))
    return int(session.execute(stmt).rowcount or 0)  # type: ignore[attr-defined]


def end_other_sessions(session: Session, token: str) -> int:
    """End every browser session of the user of ``token`` but that one; returns how many."""
    ws = session.get(WebSession, _sha256(token))
    if ws is None:
        return 0
    ended = end_sessions(session, ws.user, keep=token)
    audit_user(session, ws.user, "sessions.ended", sessions=ended)
    return ended


def close_session(session: Session, token: str) -> None:
    ws = session.get(WebSession, _sha256(token))
    if ws is not None:
        audit_user(session, ws.user, "logout")
        session.delete(ws)


def audit_user(
    session: Session, user: User, action: str, *, actor: str | None = None, **detail: object
) -> None:
    """An event of an account: by the user itself (login, logout, others ended) unless
    ``actor`` (an admin, the CLI) made it."""
    audit.record(
        session,
        actor=actor or f"user:{user.username}",
        agency=user.agency.code,
        action=action,
        object_type="user",
        object_id=user.id,
        detail=detail or None,
    )


# --- API keys ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewKey:
    """A freshly created key. ``secret`` is the only time the full key exists outside the caller."""

    id: int
    prefix: str
    secret: str
    agency: str
    role: str


def create_api_key(
    session: Session, *, agency: Agency, role: str, label: str = "", actor: str
) -> NewKey:
    if role not in ROLES:
        raise Invalid(f"api key: role must be one of {', '.join(ROLES)}")
    prefix = secrets.token_hex(6)
    secret = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        prefix=prefix,
        secret_hash=_sha256(secret),
        agency_id=agency.id,
        role=role,
        label=label,
        created_by=actor,
    )
    session.add(key)
    session.flush()
    audit.record(
        session,
        actor=actor,
        agency=agency.code,
        action="apikey.create",
        object_type="api_key",
        object_id=prefix,
        detail={"role": role, "label": label},
    )
    return NewKey(id=key.id, prefix=prefix, secret=secret, agency=agency.code, role=role)


def revoke_api_key(session: Session, prefix: str, *, actor: str) -> ApiKey:
    """Revoke the key whose prefix (the 12 hex digits after ``wf_``) is given."""
    if prefix.startswith(KEY_PREFIX):
        prefix = prefix[len(KEY_PREFIX) :].split("_", 1)[0]
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise NotFound(f"no API key with prefix {prefix!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(
            session,
            actor=actor,
            agency=key.agency.code,
            action="apikey.revoke",
            object_type="api_key",
            object_id=prefix,
        )
    return key


def list_api_keys(session: Session, agency: Agency | None = None) -> list[ApiKey]:
    stmt = select(ApiKey).order_by(ApiKey.id)
    if agency is not None:
        stmt = stmt.where(ApiKey.agency_id == agency.id)
    return list(session.scalars(stmt))


@cache
def _key_by_prefix() -> Select[ApiKey]:
    """A key and its agency in one query, built once: every API request and every stream
    batch asks it."""
    return (
        select(ApiKey)
        .options(joinedload(ApiKey.agency))
        .where(ApiKey.prefix == bindparam("prefix"))
    )


def key_principal(session: Session, secret: str) -> Principal | None:
    """The principal for a bearer key, or None if it is unknown, malformed or revoked."""
    if not secret.startswith(KEY_PREFIX) or secret.count("_") < 2:
        return None
    prefix = secret[len(KEY_PREFIX) :].split("_", 1)[0]
    key = session.scalar(_key_by_prefix(), {"prefix": prefix})
    if key is None or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, _sha256(secret)):
        return None
    # held for the session's life: its identity map keeps objects only while something
    # refers to them, and the caller's next step (an intake's agency check) would otherwise
    # load the agency again
    session.info.setdefault("held", []).append(key)
    return Principal(
        actor=f"key:{key.prefix}",
        agency_id=key.agency_id,
        agency_code=key.agency.code,
        agency_country=key.agency.country,
        agency_kind=key.agency.kind,
        role=key.role,
        display_name=key.label or key.prefix,
    )

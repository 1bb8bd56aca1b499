"""People's accounts managed for real: created, disabled and enabled, given another role or a
new password, by an agency's admins (their own agency only) or by the operator's CLI.

Every change is in the audit log with who made it (never a password). A password set by
someone else, or a demo password, is the user's to change; a disabled user's browser
sessions end at once, and so do a user's other sessions when the password changes. An
agency keeps at least one active admin: the last one cannot be disabled or demoted.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchfloor.db import utcnow
from watchfloor.errors import (
    Conflict,
    FieldProblem,
    Forbidden,
    Invalid,
    NotFound,
    Unauthenticated,
)
from watchfloor.security import passwords
from watchfloor.security.models import ROLES, Agency, User
from watchfloor.security.service import (
    Principal,
    audit_user,
    create_user,
    end_sessions,
    hash_password,
    require_role,
)

OPERATOR = "cli"  # the actor of changes made with `watchfloor users`


def check_password(password: str, *, username: str, agency: str) -> None:
    """Refuse a password the policy (:mod:`watchfloor.security.passwords`) does not allow,
    naming the field and every reason."""
    found = passwords.problems(password, username=username, agency=agency)
    if found:
        raise Invalid(
            f"the password for {username} cannot be used",
            [FieldProblem("password", f"the password {reason}") for reason in found],
        )


def add_user(
    session: Session,
    *,
    agency: Agency,
    username: str,
    password: str,
    role: str,
    display_name: str | None,
    actor: str,
) -> User:
    """A new account, its password checked against the policy."""
    check_password(password, username=username.strip().lower(), agency=agency.code)
    return create_user(
        session,
        agency=agency,
        username=username,
        password=password,
        role=role,
        display_name=display_name,
        actor=actor,
    )


def list_users(session: Session, agency: Agency | None = None) -> list[User]:
    stmt = select(User).order_by(User.username)
    if agency is not None:
        stmt = stmt.where(User.agency_id == agency.id)
    return list(session.scalars(stmt))


def get_user(session: Session, username: str, *, by: Principal | None = None) -> User:
    """A user by name; for an admin (``by``), only a user of the admin's own agency (another
    agency's is not found, whoever asks)."""
    user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None or (by is not None and user.agency_id != by.agency_id):
        raise NotFound(f"no user {username!r}" + (" in your agency" if by else ""))
    if by is not None:
        require_role(by, "admin")
    return user


def set_password(
    session: Session, user: User, password: str, *, actor: str, keep_token: str | None = None
) -> None:
    """A new password for ``user``. Every browser session of the user ends, but the one of
    ``keep_token`` (a user changing their own password stays logged in there)."""
    check_password(password, username=user.username, agency=user.agency.code)
    user.password_hash = hash_password(password)
    user.demo_password = False
    user.password_changed_at = utcnow()
    ended = end_sessions(session, user, keep=keep_token)
    _audit(session, user, "user.password", actor, sessions_ended=ended)


def change_own_password(
    session: Session, principal: Principal, current: str, new: str, *, token: str
) -> None:
    """A logged-in user's own change: the current password is asked again."""
    from watchfloor.security.service import authenticate_password

    user = session.get(User, principal.user_id)
    if user is None:
        raise Forbidden("only a person's account has a password")
    try:
        authenticate_password(session, user.username, current)
    except Unauthenticated:
        raise Invalid(
            "the current password is wrong",
            [FieldProblem("current", "is not your current password")],
        ) from None
    if passwords.normal(new) == passwords.normal(current):
        raise Invalid(
            "the new password is the current one",
            [FieldProblem("password", "must differ from the current password")],
        )
    set_password(session, user, new, actor=principal.actor, keep_token=token)


def set_active(session: Session, user: User, active: bool, *, actor: str) -> None:
    """Disable (every session ends at once) or enable an account."""
    if user.active == active:
        return
    if not active:
        _keep_an_admin(session, user)
    user.active = active
    ended = end_sessions(session, user) if not active else 0
    _audit(session, user, "user.enable" if active else "user.disable", actor, sessions_ended=ended)


def set_role(session: Session, user: User, role: str, *, actor: str) -> None:
    if role not in ROLES:
        raise Invalid(
            f"user {user.username}: no role {role!r}",
            [FieldProblem("role", f"must be one of {', '.join(ROLES)}")],
        )
    if user.role == role:
        return
    if user.role == "admin":
        _keep_an_admin(session, user)
    before, user.role = user.role, role
    _audit(session, user, "user.role", actor, role=role, was=before)


def demo_password_users(session: Session) -> list[str]:
    """Active users who still have the demo password (see ``watchfloor serve``)."""
    return list(
        session.scalars(
            select(User.username)
            .where(User.active.is_(True), User.demo_password.is_(True))
            .order_by(User.username)
        )
    )


def _keep_an_admin(session: Session, user: User) -> None:
    if user.role != "admin" or not user.active:
        return
    admins = session.scalar(
        select(func.count()).where(
            User.agency_id == user.agency_id, User.role == "admin", User.active.is_(True)
        )
    )
    if (admins or 0) <= 1:
        raise Conflict(
            f"{user.username} is the last active admin of {user.agency.code}: "
            "make another user admin first"
        )


def _audit(session: Session, user: User, action: str, actor: str, **detail: object) -> None:
    audit_user(session, user, action, actor=actor, username=user.username, **detail)

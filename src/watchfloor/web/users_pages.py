"""Accounts in the browser: an agency's admins manage their own agency's users (create, role,
disable or enable, a new password), and every user changes their own password. Services only
(:mod:`watchfloor.security.users`); every change is audited there."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from watchfloor.errors import Forbidden, WatchfloorError
from watchfloor.security import users
from watchfloor.security.deps import SESSION_COOKIE, Db
from watchfloor.security.models import ROLES
from watchfloor.security.passwords import MIN_LENGTH
from watchfloor.security.service import Principal, get_agency, require_role
from watchfloor.web.pages import Me, check_csrf, refused, render

router = APIRouter(include_in_schema=False)

DONE = {
    "created": "User created.",
    "role": "Role changed.",
    "disabled": "User disabled; their sessions have ended.",
    "enabled": "User enabled.",
    "password": "Password set; the user's sessions have ended.",
}


def _admin(me: Principal) -> Principal:
    if me.user_id is None:
        raise Forbidden("users are managed by a person logged in as an admin")
    require_role(me, "admin")
    return me


def _users_page(
    request: Request,
    db: Db,
    me: Principal,
    *,
    errors: Any = (),
    form: Any = None,
    status: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "admin/users.html",
        me,
        status=status,
        users=users.list_users(db, get_agency(db, me.agency_code)),
        roles=ROLES,
        min_length=MIN_LENGTH,
        errors=list(errors),
        form=form or {},
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(request: Request, db: Db, me: Me) -> Response:
    """The admin's agency's accounts, with the forms to manage them."""
    return _users_page(request, db, _admin(me))


@router.post("/admin/users", response_class=HTMLResponse)
def create_user(
    request: Request,
    db: Db,
    me: Me,
    username: Annotated[str, Form(max_length=80)] = "",
    display_name: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=10)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """A new account of the admin's agency; the password is the admin's to hand over."""
    check_csrf(request, csrf_token)
    admin = _admin(me)
    try:
        users.add_user(
            db,
            agency=get_agency(db, admin.agency_code),
            username=username,
            password=password,
            role=role,
            display_name=display_name or None,
            actor=admin.actor,
        )
    except WatchfloorError as exc:
        db.rollback()
        errors, status = refused(exc, "user")
        kept = {"username": username, "display_name": display_name, "role": role}
        return _users_page(request, db, admin, errors=errors, form=kept, status=status)
    db.commit()
    return RedirectResponse("/admin/users?done=created", status_code=303)


@router.post("/admin/users/{username}", response_class=HTMLResponse)
def change_user(
    request: Request,
    db: Db,
    me: Me,
    username: str,
    action: Annotated[str, Form(max_length=20)] = "",
    role: Annotated[str, Form(max_length=10)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """One change to one account of the admin's agency: role, disable, enable, password."""
    check_csrf(request, csrf_token)
    admin = _admin(me)
    try:
        user = users.get_user(db, username, by=admin)
        if action == "role":
            users.set_role(db, user, role, actor=admin.actor)
        elif action in ("disabled", "enabled"):
            users.set_active(db, user, action == "enabled", actor=admin.actor)
        elif action == "password":
            users.set_password(db, user, password, actor=admin.actor)
        else:
            raise Forbidden(f"no such change: {action!r}")
    except WatchfloorError as exc:
        db.rollback()
        errors, status = refused(exc, f"user {username}")
        return _users_page(request, db, admin, errors=errors, status=status)
    db.commit()
    return RedirectResponse(f"/admin/users?done={action}", status_code=303)


def _password_page(
    request: Request, me: Principal, *, errors: Any = (), status: int = 200, done: bool = False
) -> HTMLResponse:
    return render(
        request,
        "account/password.html",
        me,
        status=status,
        min_length=MIN_LENGTH,
        errors=list(errors),
        done=done,
    )


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, me: Me) -> Response:
    return _password_page(request, me, done=request.query_params.get("done") == "1")


@router.post("/account/password", response_class=HTMLResponse)
def change_password(
    request: Request,
    db: Db,
    me: Me,
    current: Annotated[str, Form(max_length=1024)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    repeat: Annotated[str, Form(max_length=1024)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The logged-in user's own password; this browser stays logged in, the others end."""
    check_csrf(request, csrf_token)
    if password != repeat:
        problem = [{"field": "repeat", "reason": "does not match the new password"}]
        return _password_page(request, me, errors=problem, status=422)
    token = request.cookies.get(SESSION_COOKIE, "")
    try:
        users.change_own_password(db, me, current, password, token=token)
    except WatchfloorError as exc:
        db.rollback()
        errors, status = refused(exc, "password")
        return _password_page(request, me, errors=errors, status=status)
    db.commit()
    return RedirectResponse("/account/password?done=1", status_code=303)

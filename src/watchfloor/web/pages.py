"""Server-rendered pages. They call services, never the database directly."""

from __future__ import annotations

import hmac
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from watchfloor.batches import error_list
from watchfloor.dashboard import dashboard as dashboard_figures
from watchfloor.errors import Forbidden, TooManyRequests, Unauthenticated, WatchfloorError
from watchfloor.identifiers.countries import country_name
from watchfloor.reference.service import get_substance, search_substances
from watchfloor.security import service as security
from watchfloor.security.deps import (
    SESSION_COOKIE,
    CurrentPrincipal,
    Db,
    optional_principal,
)
from watchfloor.security.logins import log_in
from watchfloor.security.platforms import PLATFORM_PAGES, is_platform
from watchfloor.security.service import Principal
from watchfloor.settings import get_settings
from watchfloor.shipments.hs import format_hs
from watchfloor.web.charts import plotly_bundle
from watchfloor.web.headers import secure_cookies

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals["country_name"] = country_name
templates.env.globals["plotly_src"] = lambda: plotly_bundle().src  # fingerprinted, cached
templates.env.filters["community"] = lambda code: f"community {code}"
templates.env.filters["hs"] = format_hs  # 293337 -> 2933.37, as the reasons write it
router = APIRouter(include_in_schema=False)

NAV = [
    ("alerts", "Alerts", "/alerts"),
    ("shipments", "Shipments", "/shipments"),
    ("listings", "Online sales", "/listings"),
    ("cooperation", "Cooperation", "/cooperation"),
    ("entities", "Entities", "/entities/screen"),
    ("warning", "Early warning", "/warning"),
    ("reference", "Reference", "/reference"),
]


def render(
    request: Request, template: str, principal: Principal | None, status: int = 200, **ctx: Any
) -> HTMLResponse:
    nav = NAV
    if principal is not None and is_platform(principal.agency_kind):
        nav = [n for n in NAV if n[0] in PLATFORM_PAGES]  # what a platform may open
    ctx.update(request=request, me=principal, nav=nav, csrf_token=request.state.csrf_token)
    return templates.TemplateResponse(request, template, ctx, status_code=status)


def error_page(
    request: Request, status: int, title: str, detail: str, errors: list[dict[str, Any]]
) -> HTMLResponse:
    if status == 401:
        nxt = request.url.path if request.method == "GET" else "/"
        return render(
            request,
            "login.html",
            None,
            status=401,
            error=None,
            next=nxt,
            message="Please log in to continue.",
        )
    return render(
        request,
        "error.html",
        getattr(request.state, "principal", None),
        status=status,
        title=title,
        detail=detail,
        errors=errors,
    )


def refused(
    exc: ValidationError | WatchfloorError, record: str
) -> tuple[list[dict[str, Any]], int]:
    """A form that was refused: the errors to show beside it and the status to answer."""
    if isinstance(exc, ValidationError):
        return [e.model_dump() for e in error_list(exc, record)], 422
    return [p.as_dict() for p in exc.problems] or [{"field": record, "reason": exc.detail}], (
        exc.status
    )


def check_csrf(request: Request, token: str) -> None:
    """A form's token must be its browser session's (``csrf_token_for``); before login, the
    login form's cookie."""
    session_token = request.cookies.get(SESSION_COOKIE)
    expected = (
        security.csrf_token_for(session_token) if session_token
        else request.cookies.get("wf_csrf", "")
    )  # fmt: skip
    if not expected or not token or not hmac.compare_digest(expected, token):
        raise Forbidden("the form's CSRF token is missing or wrong; reload the page and try again")


def page_principal(request: Request, principal: CurrentPrincipal) -> Principal:
    request.state.principal = principal
    return principal


Me = Annotated[Principal, Depends(page_principal)]


def _safe_next(nxt: str | None) -> str:
    if not nxt or not nxt.startswith("/") or nxt.startswith("//"):
        return "/"
    return nxt


@router.get("/login", response_class=HTMLResponse)
def login_form(
    request: Request,
    principal: Annotated[Principal | None, Depends(optional_principal)],
    next: str = "/",
) -> Response:
    if principal is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "login.html", None, error=None, next=_safe_next(next), message=None)


@router.post("/login", response_class=HTMLResponse)
def login(
    request: Request,
    db: Db,
    username: Annotated[str, Form(max_length=80)],
    password: Annotated[str, Form(max_length=200)],
    csrf_token: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    check_csrf(request, csrf_token)
    address = request.client.host if request.client else None
    try:
        user = log_in(db, username, password, address)
    except (Unauthenticated, TooManyRequests) as exc:
        db.commit()  # keep the count of failures (and a lockout's audit event)
        return render(
            request,
            "login.html",
            None,
            status=exc.status,
            error=str(exc),
            next=_safe_next(next),
            message=None,
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # sessions rotate at login: whatever session this browser had ends
        security.close_session(db, old)
    token = security.open_session(db, user, hours=get_settings().session_hours)
    db.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=secure_cookies(request),
        max_age=int(get_settings().session_hours * 3600),
        path="/",
    )
    return response


@router.post("/logout")
def logout(request: Request, db: Db, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        security.close_session(db, token)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.post("/sessions/end-others")
def end_other_sessions(
    request: Request, db: Db, me: Me, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    """End every other browser session of the logged-in user (another device, a browser
    left open elsewhere); API keys are not sessions (see `watchfloor keys revoke`)."""
    check_csrf(request, csrf_token)
    token = request.cookies.get(SESSION_COOKIE)
    ended = security.end_other_sessions(db, token) if token else 0
    db.commit()
    return RedirectResponse(f"/?ended={ended}", status_code=303)


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request, db: Db, me: Me) -> Response:
    return render(request, "dashboard.html", me, active=None, board=dashboard_figures(db, me))


@router.get("/reference", response_class=HTMLResponse)
def reference(
    request: Request, db: Db, me: Me, q: Annotated[str, Query(max_length=200)] = ""
) -> Response:
    hits = search_substances(db, q, limit=50) if q.strip() else []
    return render(request, "reference/search.html", me, active="reference", q=q, hits=hits)


@router.get("/reference/substances/{key}", response_class=HTMLResponse)
def substance_page(request: Request, db: Db, me: Me, key: str) -> Response:
    sub = get_substance(db, key)
    return render(request, "reference/substance.html", me, active="reference", s=sub, quote=quote)

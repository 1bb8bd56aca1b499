"""FastAPI dependencies: a database session per request and the calling principal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from watchfloor import audit, events
from watchfloor.db import get_engine, session_factory
from watchfloor.errors import Forbidden, Unauthenticated
from watchfloor.security.platforms import is_platform, platform_may
from watchfloor.security.service import (
    TOUCHED,
    Principal,
    Role,
    key_principal,
    require_role,
    session_principal,
)
from watchfloor.settings import get_settings

SESSION_COOKIE = "wf_session"
MAX_ID = 2_147_483_647  # ids are 32-bit integers on every backend

RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="Record id.")]
Cursor = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Cursor from the last page.")]


def get_db(request: Request) -> Iterator[Session]:
    """One session per request; endpoints that write commit it themselves. The audit events
    of reads of other agencies' data (``audit.record_read``) are committed here when the
    route returns, before the response leaves (``scope="function"``): no helper commits,
    and no route can forget them. A route that fails commits nothing. Events the services
    queued (``events.queue``) and the route committed are handed to the app to publish."""
    engine = getattr(request.app.state, "engine", None) or get_engine()
    session = session_factory(engine)()
    try:
        yield session
        if audit.reads_pending(session) | bool(session.info.pop(TOUCHED, False)):
            session.commit()
        ready = events.committed(session)
        if ready:  # the app publishes them once the route is done (web/app.py)
            request.state.outbox = [*getattr(request.state, "outbox", []), *ready]
    finally:
        session.rollback()
        session.close()


Db = Annotated[Session, Depends(get_db, scope="function")]


def optional_principal(request: Request, db: Db) -> Principal | None:
    """The caller by bearer key or session cookie, or None when anonymous. A platform's
    account is refused (403) on every route its job does not need (``security.platforms``),
    here, where every route learns its caller."""
    principal = _principal(request, db)
    if principal is not None and is_platform(principal.agency_kind):
        route = request.scope.get("route")
        template = getattr(route, "path", request.url.path)
        if not platform_may(request.method, template):
            raise Forbidden(
                f"platform accounts may not use {request.method} {template}: it is for agencies"
            )
    return principal


def _principal(request: Request, db: Session) -> Principal | None:
    auth = request.headers.get("authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("Authorization header must be 'Bearer <api key>'")
        principal = key_principal(db, token.strip())
        if principal is None:
            raise Unauthenticated("the API key is unknown or revoked")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        minutes = get_settings().session_idle_minutes
        idle = dt.timedelta(minutes=minutes) if minutes else None
        return session_principal(db, cookie, idle=idle)
    return None


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The caller, or 401 when nobody is logged in."""
    if principal is None:
        raise Unauthenticated("log in or send 'Authorization: Bearer <api key>'")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]


def requires(role: Role) -> Callable[[Principal], Principal]:
    """A dependency that lets only callers with ``role`` or higher through (403 otherwise)."""

    def check(principal: CurrentPrincipal) -> Principal:
        require_role(principal, role)
        return principal

    return check

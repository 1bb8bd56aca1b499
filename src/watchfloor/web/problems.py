"""Render every error as RFC 9457 problem details (API) or an error page (HTML)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from watchfloor.db import DatabaseUnavailable
from watchfloor.errors import WatchfloorError, field_path

log = logging.getLogger("watchfloor.web")
PROBLEM = "application/problem+json"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(
    request: Request,
    status: int,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
) -> Response:
    if not _is_api(request):
        from watchfloor.web.pages import error_page

        return error_page(request, status, title, detail, errors or [])
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    if errors:
        body["errors"] = errors
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """``items[0].hs_code`` for a body field, as batch results name it; ``query.limit``."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where, rest = str(parts[0]), parts[1:]
        if where == "body":
            return field_path(rest) or where
        return field_path([where, *rest])
    return field_path(parts)


def _unique_key(exc: IntegrityError) -> bool:
    """Whether a unique key refused the write (PostgreSQL's 23505, SQLite's message)."""
    return getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(
        exc.orig
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(WatchfloorError)
    async def domain_error(request: Request, exc: WatchfloorError) -> Response:
        return problem(
            request, exc.status, exc.title, exc.detail, [p.as_dict() for p in exc.problems]
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = []
        for err in exc.errors():
            if err.get("type") == "json_invalid":
                ctx = err.get("ctx") or {}
                return problem(
                    request,
                    400,
                    "Malformed JSON",
                    f"the request body is not valid JSON: {ctx.get('error', 'parse error')}"
                    f" at position {err['loc'][-1] if err.get('loc') else '?'}",
                )
            errors.append(
                {"field": _field(err.get("loc", ())), "reason": err.get("msg", "invalid")}
            )
        detail = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
        return problem(request, 422, "Invalid input", detail, errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Payload too large"}
        return problem(
            request, exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail)
        )

    @app.exception_handler(DatabaseUnavailable)
    async def db_down(request: Request, exc: DatabaseUnavailable) -> Response:
        return problem(request, 503, "Database unavailable", str(exc))

    @app.exception_handler(OperationalError)
    async def db_gone(request: Request, exc: OperationalError) -> Response:
        # the database went away (or stayed locked) while the request ran: the caller may
        # try again; one line of the driver's reason, never a traceback or a password
        reason = str(exc.orig).strip().splitlines()[0][:200] if exc.orig else "no answer"
        log.warning("database error on %s: %s", request.url.path, reason)
        response = problem(
            request, 503, "Database unavailable", f"the database did not answer: {reason}"
        )
        response.headers["Retry-After"] = "5"
        return response

    @app.exception_handler(IntegrityError)
    async def conflict(request: Request, exc: IntegrityError) -> Response:
        # two requests stored the same record at the same moment: the one that came second
        # found the other's row (a unique key) and wrote nothing; sending it again gives
        # "unchanged" or "updated". Never a 500: it is the caller's race, not our fault.
        if not _unique_key(exc):
            return unexpected(request, exc)
        log.info("unique key met on %s: %s", request.url.path, exc.orig)
        return problem(
            request,
            409,
            "Conflict",
            "another request stored the same record at this very moment; nothing of this "
            "request was written: send it again",
            [{"field": "body", "reason": "stored meanwhile by an identical submission"}],
        )

    @app.exception_handler(Exception)
    async def unexpected_error(request: Request, exc: Exception) -> Response:
        return unexpected(request, exc)


def unexpected(request: Request, exc: Exception) -> Response:
    """A 500 with the request id and nothing of the error; the traceback goes to the log.
    The app's middleware answers with it itself: an error that reached uvicorn after the
    answer had started would make it close the connection, and the client's next request
    on that keep-alive connection would fail."""
    log.error("unhandled error on %s", request.url.path, exc_info=exc)
    return problem(
        request,
        500,
        "Internal error",
        f"an unexpected error occurred (request id {request.state.request_id})",
    )

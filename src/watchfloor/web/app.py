"""The application factory: middleware, error handlers, and one router per domain."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from watchfloor import __version__, wiring
from watchfloor.db import check_connection, get_engine
from watchfloor.http import BODY_LIMIT
from watchfloor.security.deps import SESSION_COOKIE
from watchfloor.security.service import csrf_token_for
from watchfloor.settings import Settings
from watchfloor.web import problems
from watchfloor.web.charts import plotly_bundle
from watchfloor.web.headers import secure_cookies, security_headers

STATIC = Path(__file__).parent / "static"
CSRF_COOKIE = "wf_csrf"


log = logging.getLogger("watchfloor.web")


def create_app(engine: Engine | None = None, *, background: bool = False) -> FastAPI:
    """Build the Watchfloor web app; ``engine`` defaults to the configured database.
    ``background`` runs the periodic check for overdue notices in the server process
    (``watchfloor serve`` does; tests and embedders call the check themselves)."""
    wiring.connect()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        check_connection(app.state.engine)
        from watchfloor.cooperation.pen import config as pen_config
        from watchfloor.listings import platforms
        from watchfloor.sharing import communities

        # a bad platforms, communities or PEN file stops start-up, naming the entry
        platforms.load()
        communities.load()
        pen_config.load()
        from watchfloor.settings import get_settings

        settings = get_settings()
        await _start_bus(app, settings)
        checker = None
        if background and settings.notice_check_seconds > 0:
            checker = asyncio.create_task(_check_notices(app, settings.notice_check_seconds))
        try:
            yield
        finally:
            if checker is not None:
                checker.cancel()
            if app.state.bus is not None:
                await app.state.bus.close()

    app = FastAPI(
        title="Watchfloor",
        version=__version__,
        summary="A shared watch floor against the supply of illicit drugs.",
        lifespan=lifespan,
        # every body, counted as it arrives (the batch intakes name larger limits)
        max_body_size=BODY_LIMIT,
    )
    app.state.engine = engine or get_engine()
    app.state.bus = None
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]

    @app.middleware("http")
    async def request_context(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        request.state.request_id = request.headers.get("x-request-id") or secrets.token_hex(8)
        if "%00" in request.url.query or "%00" in request.url.path or "\x00" in request.url.path:
            # PostgreSQL cannot compare or store U+0000: refuse it where it enters
            return problems.problem(
                request,
                422,
                "Invalid input",
                "the address may not contain NUL characters (%00)",
                [{"field": "query", "reason": "contains a NUL character (U+0000)"}],
            )
        # a logged-in browser's forms carry a token bound to its session; before login, the
        # login form's token is a cookie of its own (login CSRF)
        signed_in = request.cookies.get(SESSION_COOKIE)
        token = request.cookies.get(CSRF_COOKIE)
        fresh = token is None or len(token) < 32
        if signed_in:
            request.state.csrf_token = csrf_token_for(signed_in)
        else:
            request.state.csrf_token = secrets.token_urlsafe(32) if fresh else token
        try:
            response = await call_next(request)
        except Exception as exc:  # answered here: never reaches uvicorn (see problems.unexpected)
            response = problems.unexpected(request, exc)
        await _publish_outbox(app, request)
        response.headers["X-Request-ID"] = request.state.request_id
        security_headers(request, response)
        if fresh and not signed_in and not request.url.path.startswith("/api/"):
            response.set_cookie(
                CSRF_COOKIE,
                request.state.csrf_token,
                httponly=True,
                samesite="strict",
                secure=secure_cookies(request),
                path="/",
            )
        return response

    problems.install(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    from watchfloor.alerts.api import router as alerts_router
    from watchfloor.cooperation.federation.api import router as federation_router
    from watchfloor.cooperation.pen.api import router as pen_router
    from watchfloor.cooperation.seizures.api import router as sharing_router
    from watchfloor.cooperation.watchlists.api import router as watchlist_router
    from watchfloor.dashboard import router as dashboard_router
    from watchfloor.entities.api import router as entities_router
    from watchfloor.listings.api import router as listings_router
    from watchfloor.listings.notices_api import router as notices_router
    from watchfloor.listings.tokens_api import router as tokens_router
    from watchfloor.reference.api import router as reference_router
    from watchfloor.security.api import router as security_router
    from watchfloor.shipments.api import router as shipments_router
    from watchfloor.warning.api import router as warning_router
    from watchfloor.web.alerts_pages import router as alerts_pages_router
    from watchfloor.web.cooperation_pages import router as cooperation_pages_router
    from watchfloor.web.entities_pages import router as entities_pages_router
    from watchfloor.web.listings_pages import router as listings_pages_router
    from watchfloor.web.notices_pages import router as notices_pages_router
    from watchfloor.web.pages import router as pages_router
    from watchfloor.web.pen_pages import router as pen_pages_router
    from watchfloor.web.shipments_pages import router as shipments_pages_router
    from watchfloor.web.users_pages import router as users_pages_router
    from watchfloor.web.warning_pages import router as warning_pages_router
    from watchfloor.web.watchlist_pages import router as watchlist_pages_router

    @app.get("/healthz", tags=["ops"])
    def healthz() -> dict[str, str]:
        """Liveness and database reachability."""
        check_connection(app.state.engine)
        return {"status": "ok", "version": __version__}

    app.include_router(security_router)
    app.include_router(reference_router)
    app.include_router(sharing_router)
    app.include_router(watchlist_router)
    app.include_router(pen_router)
    app.include_router(federation_router)
    app.include_router(shipments_router)
    app.include_router(notices_router)  # these two before /api/v1/listings/{listing_id}
    app.include_router(tokens_router)
    app.include_router(listings_router)
    app.include_router(alerts_router)
    app.include_router(entities_router)
    app.include_router(warning_router)
    app.include_router(dashboard_router)
    app.include_router(alerts_pages_router)
    app.include_router(shipments_pages_router)
    app.include_router(notices_pages_router)  # before /listings/{listing_id}
    app.include_router(listings_pages_router)
    app.include_router(cooperation_pages_router)
    app.include_router(pen_pages_router)
    app.include_router(watchlist_pages_router)
    app.include_router(entities_pages_router)
    app.include_router(warning_pages_router)
    app.include_router(users_pages_router)
    app.include_router(pages_router)

    for path in ("/assets/plotly.min.js", "/assets/plotly-{fingerprint}.min.js"):
        app.add_api_route(path, plotly_js, methods=["GET"], include_in_schema=False)
    return app


def plotly_js(request: Request, fingerprint: str = "") -> Response:
    """Plotly's bundle from the installed package: pages never load it from a CDN. Under
    its fingerprinted name (what pages link, ``plotly_src``) it is kept a year by the
    browser; gzip-compressed for a browser that takes it (4.8 MB become 1.5 MB)."""
    bundle = plotly_bundle()
    if fingerprint and fingerprint != bundle.fingerprint:
        return Response(status_code=404)
    headers = {"Vary": "Accept-Encoding"}
    if fingerprint:
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(bundle.gzipped, media_type="text/javascript", headers=headers)
    return Response(bundle.plain, media_type="text/javascript", headers=headers)


async def _start_bus(app: FastAPI, settings: Settings) -> None:
    """NATS when configured; the app then also hears other processes' changes, which drop
    its caches (``wiring.listen_for_changes``)."""
    from watchfloor.events import connect_bus

    app.state.bus = await connect_bus(settings) if settings.nats_url else None
    app.state.subject_root = settings.nats_subject_root
    if app.state.bus is not None:
        await wiring.listen_for_changes(app.state.bus, app.state.subject_root)


async def _check_notices(app: FastAPI, every: float) -> None:
    from watchfloor.listings import escalation

    async def publish(tail: str, payload: dict[str, Any]) -> None:
        if app.state.bus is not None:
            await app.state.bus.publish(f"{app.state.subject_root}.{tail}", payload)

    await escalation.loop(app.state.engine, every, publish)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The generated document, plus the schemas of bodies that routes parse themselves
    (the shipments intake accepts one shipment or a batch and reports every row)."""
    if app.openapi_schema:
        return app.openapi_schema
    from fastapi.openapi.utils import get_openapi
    from pydantic.json_schema import models_json_schema

    from watchfloor.cooperation.seizures.schemas import IncidentIn, SeizureIn
    from watchfloor.cooperation.watchlists.schemas import WatchlistEntryIn
    from watchfloor.listings.schemas import ListingIn
    from watchfloor.shipments.schemas import ShipmentIn

    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        routes=app.routes,
    )
    _, defs = models_json_schema(
        [
            (m, "validation")
            for m in (ShipmentIn, SeizureIn, IncidentIn, WatchlistEntryIn, ListingIn)
        ],
        ref_template="#/components/schemas/{model}",
    )
    schema.setdefault("components", {}).setdefault("schemas", {}).update(defs.get("$defs", {}))
    app.openapi_schema = schema
    return schema


async def _publish_outbox(app: FastAPI, request: Request) -> None:
    """Publish what the request's committed transactions queued (``events.queue``), such as
    ``alerts.raised``. Their data is stored already: a bus that fails is logged, and the
    caller still gets its answer."""
    ready = getattr(request.state, "outbox", None)
    if not ready or app.state.bus is None:
        return
    root = app.state.subject_root
    try:
        await app.state.bus.publish_many([(f"{root}.{tail}", payload) for tail, payload in ready])
    except Exception:  # the bus is down or refused: the records stand
        log.exception("could not publish %d events after %s", len(ready), request.url.path)

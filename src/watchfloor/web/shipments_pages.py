"""Shipments pages: the live queue, a shipment with every reason, targeting, alerts, the
outcome form and the model page. They call services, never the database directly."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from watchfloor.errors import Invalid, WatchfloorError
from watchfloor.security.deps import Cursor, Db, RecordId
from watchfloor.shipments import service
from watchfloor.shipments.schemas import OutcomeIn
from watchfloor.shipments.scoring import shipped_config
from watchfloor.web.charts import precision_chart, reliability_chart
from watchfloor.web.pages import Me, check_csrf, refused, render

router = APIRouter(include_in_schema=False)


@router.get("/shipments", response_class=HTMLResponse)
def queue(
    request: Request,
    db: Db,
    me: Me,
    cursor: Cursor = None,
    min_score: Annotated[int | None, Query(ge=0, le=100)] = None,
) -> Response:
    """The newest shipments, live (new ones appear as they are scored); older ones a page at
    a time, which stand still."""
    page = service.list_shipments(db, me, cursor=cursor, min_score=min_score, limit=50)
    query = {"min_score": min_score} if min_score is not None else {}
    return render(
        request,
        "shipments/queue.html",
        me,
        active="shipments",
        page=page,
        min_score=min_score,
        query=query,
        paged=cursor is not None,
        offices=service.list_offices(db, me),
    )


@router.get("/shipments/targets", response_class=HTMLResponse)
def targets(
    request: Request,
    db: Db,
    me: Me,
    office: Annotated[str | None, Query(max_length=40)] = None,
    date: Annotated[dt.date | None, Query()] = None,
) -> Response:
    offices = service.list_offices(db, me)
    day = date or dt.datetime.now(dt.UTC).date()
    chosen = office or (offices[0].code if offices else None)
    result = service.targets(db, me, chosen, day) if chosen else None
    return render(
        request,
        "shipments/targets.html",
        me,
        active="shipments",
        offices=offices,
        office=chosen,
        day=day,
        result=result,
        bands=shipped_config()["bands"],
    )


@router.get("/shipments/alerts")
def old_alert_list(request: Request) -> Response:
    """The inbox moved to /alerts (it holds every domain's alerts); old links still work."""
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"/alerts{query}", status_code=308)


@router.post("/shipments/alerts/{alert_id}")
def old_work_alert(alert_id: RecordId) -> Response:
    """Forms of pages served before the move post here: sent on, method and body kept."""
    return RedirectResponse(f"/alerts/{alert_id}", status_code=308)


@router.get("/shipments/model", response_class=HTMLResponse)
def model_page(request: Request, db: Db, me: Me) -> Response:
    return _model_page(request, db, me)


def _model_page(request: Request, db: Db, me: Me, errors=(), code: int = 200) -> Response:
    rows = service.models(db, me)
    versions = [(m, json.loads(m.metrics)) for m in rows]
    series = service.precision_at_capacity(db, me, days=60)
    live = service.scoring_version(rows)
    shown = next((x for m, x in versions if m.version == live), None)
    return render(
        request,
        "shipments/model.html",
        me,
        status=code,
        active="shipments",
        versions=versions,
        live=live,
        series=series,
        chart=precision_chart(series),
        reliability=reliability_chart((shown or {}).get("reliability", [])),
        bands=shipped_config()["bands"],
        errors=list(errors),
    )


@router.post("/shipments/model")
def choose_model(
    request: Request,
    db: Db,
    me: Me,
    version: Annotated[str, Form(max_length=60)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """An admin chooses what scores the agency's shipments: a version, or the rules alone."""
    check_csrf(request, csrf_token)
    try:
        service.use_model(db, me, version or None, reason)
    except WatchfloorError as exc:
        db.rollback()
        errors, code = refused(exc, "model")
        return _model_page(request, db, me, errors, code)
    db.commit()
    return RedirectResponse("/shipments/model", status_code=303)


@router.get("/shipments/{shipment_id}", response_class=HTMLResponse)
def shipment_page(request: Request, db: Db, me: Me, shipment_id: RecordId) -> Response:
    return _shipment_view(request, db, me, service.get_shipment(db, me, shipment_id))


def _shipment_view(request, db, me, shipment, errors=(), status=200):
    """The shipment page, with the outcome form's errors when it was refused."""
    return render(
        request,
        "shipments/shipment.html",
        me,
        status=status,
        active="shipments",
        s=service.shipment_out(shipment, db, me),
        history=service.assessments(db, me, shipment.id),
        outcomes=service.outcomes(db, me, shipment.id),
        errors=list(errors),
    )


@router.post("/shipments/{shipment_id}/hold")
def hold(
    request: Request,
    db: Db,
    me: Me,
    shipment_id: RecordId,
    reason: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    service.hold(db, me, shipment_id, reason or "held from the shipment page")
    db.commit()
    return RedirectResponse(f"/shipments/{shipment_id}", status_code=303)


@router.post("/shipments/{shipment_id}/outcome")
def outcome(
    request: Request,
    db: Db,
    me: Me,
    shipment_id: RecordId,
    result: Annotated[str, Form(max_length=20)],
    substance: Annotated[str, Form(max_length=300)] = "",
    quantity: Annotated[str, Form(max_length=30)] = "",
    unit: Annotated[str, Form(max_length=10)] = "",
    notes: Annotated[str, Form(max_length=5000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    shipment = service.get_shipment(db, me, shipment_id)
    try:
        data = OutcomeIn(
            result=result,
            substance=substance or None,
            quantity=quantity or None,
            unit=unit or None,
            notes=notes or None,
        )
        service.record_outcome(db, me, shipment_id, data)
    except (ValidationError, Invalid) as exc:
        db.rollback()
        errors, status = refused(exc, "shipment")
        return _shipment_view(request, db, me, shipment, errors, status=status)
    db.commit()
    return RedirectResponse(f"/shipments/{shipment_id}", status_code=303)


__all__ = ["router"]

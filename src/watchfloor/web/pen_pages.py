"""Pre-export notification pages: the list with per-country figures and the filing form,
and one notification with the importing authority's answer form and the exporter's reply
form. They call services only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from watchfloor.cooperation.pen import service as pen
from watchfloor.cooperation.pen.models import PreExportNotification
from watchfloor.cooperation.pen.schemas import AnswerIn, NotificationIn
from watchfloor.errors import WatchfloorError
from watchfloor.security.deps import Cursor, Db, RecordId
from watchfloor.sharing.grants import read_record
from watchfloor.web.charts import pen_chart
from watchfloor.web.cooperation_pages import SharingForm, share_from_page, sharing_form_context
from watchfloor.web.pages import Me, check_csrf, refused, render

router = APIRouter(include_in_schema=False)
BOXES = ("all", "received", "sent")


def _list(
    request: Request,
    db: Db,
    me: Me,
    box: str,
    cursor: int | None,
    errors: Any = (),
    status: int = 200,
    form: Any = None,
) -> HTMLResponse:
    rows, nxt = pen.list_notifications(
        db, me, box=box if box in ("sent", "received") else None, cursor=cursor
    )
    figures = pen.figures(db, me)
    return render(
        request,
        "cooperation/notifications.html",
        me,
        status=status,
        active="cooperation",
        notifications=[pen.pen_out(r) for r in rows],
        figures=figures,
        chart=pen_chart(figures),
        next_cursor=nxt,
        box=box,
        boxes=BOXES,
        errors=list(errors),
        form=form or {},
    )


@router.get("/cooperation/notifications", response_class=HTMLResponse)
def notifications_page(
    request: Request,
    db: Db,
    me: Me,
    box: Annotated[str, Query(max_length=10)] = "all",
    cursor: Cursor = None,
) -> Response:
    """Notifications the agency may read, the figures by country, the filing form."""
    return _list(request, db, me, box, cursor)


@router.post("/cooperation/notifications", response_class=HTMLResponse)
def file_from_page(
    request: Request,
    db: Db,
    me: Me,
    reference: Annotated[str, Form(max_length=80)] = "",
    importing_country: Annotated[str, Form(max_length=2)] = "",
    substance: Annotated[str, Form(max_length=300)] = "",
    quantity: Annotated[str, Form(max_length=20)] = "",
    unit: Annotated[str, Form(max_length=10)] = "kg",
    exporter: Annotated[str, Form(max_length=200)] = "",
    importer: Annotated[str, Form(max_length=200)] = "",
    ship_on: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    form = dict(locals())
    for name in ("request", "db", "me", "csrf_token"):
        form.pop(name)
    try:
        data = NotificationIn(
            reference=reference,
            importing_country=importing_country,
            substance=substance,
            quantity=quantity,
            unit=unit,
            exporter={"name": exporter},
            importer={"name": importer, "country": importing_country or None},
            ship_on=ship_on,
        )
        row, _ = pen.file(db, me, data)
    except (ValidationError, WatchfloorError) as exc:
        db.rollback()
        errors, status = refused(exc, "notification")
        return _list(request, db, me, "all", None, errors, status, form)
    db.commit()
    return RedirectResponse(f"/cooperation/notifications/{row.id}", status_code=303)


def _detail(
    request: Request, me: Me, row: PreExportNotification, errors: Any = (), status: int = 200
) -> HTMLResponse:
    out = pen.pen_out(row)
    officer = me.has_role("officer")
    return render(
        request,
        "cooperation/notification.html",
        me,
        status=status,
        active="cooperation",
        n=out,
        may_answer=row.importing_agency_id == me.agency_id and out.status in pen.OPEN and officer,
        may_reply=row.owner_agency_id == me.agency_id
        and out.status == "info_requested"
        and officer,
        errors=list(errors),
        **sharing_form_context(me, row, f"/cooperation/notifications/{row.id}"),
    )


@router.get("/cooperation/notifications/{notification_id}", response_class=HTMLResponse)
def notification_page(request: Request, db: Db, me: Me, notification_id: RecordId) -> Response:
    return _detail(request, me, read_record(db, me, PreExportNotification, notification_id))


@router.post("/cooperation/notifications/{notification_id}/answer", response_class=HTMLResponse)
def answer_from_page(
    request: Request,
    db: Db,
    me: Me,
    notification_id: RecordId,
    decision: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=5000)] = "",
    message: Annotated[str, Form(max_length=5000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """The answer form (importing authority) and the reply form (exporter) post here."""
    check_csrf(request, csrf_token)
    try:
        if decision == "reply":
            pen.reply(db, me, notification_id, message)
        else:
            data = AnswerIn(decision=decision, reason=reason or None)
            pen.answer(db, me, notification_id, data)
    except (ValidationError, WatchfloorError) as exc:
        db.rollback()
        errors, status = refused(exc, "answer")
        row = read_record(db, me, PreExportNotification, notification_id)
        return _detail(request, me, row, errors, status)
    db.commit()
    return RedirectResponse(f"/cooperation/notifications/{notification_id}", status_code=303)


@router.post("/cooperation/notifications/{notification_id}/sharing", response_class=HTMLResponse)
def notification_sharing(
    request: Request, db: Db, me: Me, notification_id: RecordId, form: SharingForm
) -> Response:
    """The sharing form: the importing authority and the international body stay."""
    row = read_record(db, me, PreExportNotification, notification_id)
    return share_from_page(
        request,
        db,
        me,
        form,
        apply=lambda data: pen.reshare(db, me, notification_id, data),
        view=lambda errors, status: _detail(request, me, row, errors, status),
        path=f"/cooperation/notifications/{notification_id}",
    )

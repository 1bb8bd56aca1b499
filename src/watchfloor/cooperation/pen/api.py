"""Pre-export notifications under /api/v1/sharing/notifications."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response

from watchfloor.cooperation.pen import service as pen
from watchfloor.cooperation.pen.models import PreExportNotification
from watchfloor.cooperation.pen.schemas import (
    AnswerIn,
    CountryFigures,
    NotificationIn,
    NotificationOut,
    NotificationPage,
    ReplyIn,
    Status,
)
from watchfloor.security import Principal
from watchfloor.security.deps import CurrentPrincipal, Cursor, Db, RecordId, requires
from watchfloor.sharing import SharingIn, read_record

router = APIRouter(prefix="/api/v1/sharing/notifications", tags=["pre-export notifications"])
Officer = Annotated[Principal, Depends(requires("officer"))]


@router.post(
    "",
    response_model=NotificationOut,
    status_code=201,
    responses={200: {"model": NotificationOut, "description": "Filed before: unchanged."}},
)
def post_notification(
    db: Db, body: NotificationIn, principal: Officer, response: Response
) -> NotificationOut:
    """File a pre-export notification as the exporting authority. The importing country's
    authority sees it at once and must answer before its country's deadline; the
    international body sees it too. Refiled unchanged: 200; changed: 409."""
    row, new = pen.file(db, principal, body)
    db.commit()
    if not new:
        response.status_code = 200
    return pen.pen_out(row)


@router.get("", response_model=NotificationPage)
def get_notifications(
    db: Db,
    principal: CurrentPrincipal,
    box: Annotated[
        Literal["sent", "received"] | None,
        Query(description="sent: filed by your agency; received: addressed to it."),
    ] = None,
    status: Status | None = None,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> NotificationPage:
    """Notifications you may read, newest first."""
    rows, nxt = pen.list_notifications(
        db, principal, box=box, status=status, country=country, cursor=cursor, limit=limit
    )
    return NotificationPage(items=[pen.pen_out(r) for r in rows], next_cursor=nxt)


@router.get("/figures", response_model=list[CountryFigures])
def get_figures(db: Db, principal: CurrentPrincipal) -> list[CountryFigures]:
    """Per country: notifications sent and received, response rate, median response time,
    objections and overdue ones, over the notifications you may read."""
    return pen.figures(db, principal)


@router.get("/{notification_id}", response_model=NotificationOut)
def get_notification(
    db: Db, principal: CurrentPrincipal, notification_id: RecordId
) -> NotificationOut:
    """One notification; 404 when it does not exist or is not shared with you."""
    return pen.pen_out(read_record(db, principal, PreExportNotification, notification_id))


@router.post("/{notification_id}/answer", response_model=NotificationOut)
def post_answer(
    db: Db, notification_id: RecordId, body: AnswerIn, principal: Officer
) -> NotificationOut:
    """The importing authority confirms, objects (its importer goes on the watchlist and
    matching shipments score high) or asks for information."""
    row = pen.answer(db, principal, notification_id, body)
    db.commit()
    return pen.pen_out(row)


@router.post("/{notification_id}/reply", response_model=NotificationOut)
def post_reply(
    db: Db, notification_id: RecordId, body: ReplyIn, principal: Officer
) -> NotificationOut:
    """The exporting authority answers a request for information; the deadline restarts."""
    row = pen.reply(db, principal, notification_id, body.message)
    db.commit()
    return pen.pen_out(row)


@router.put("/{notification_id}/sharing", response_model=NotificationOut)
def put_sharing(
    db: Db, notification_id: RecordId, body: SharingIn, principal: Officer
) -> NotificationOut:
    """Widen or narrow who else sees a notification (its two authorities and the
    international body always do)."""
    row = pen.reshare(db, principal, notification_id, body)
    db.commit()
    return pen.pen_out(row)

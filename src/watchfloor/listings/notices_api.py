"""Notices API under /api/v1/listings/notices: send, inbox, acknowledge, answer, withdraw,
and the transparency report."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response

from watchfloor.listings import notices, transparency
from watchfloor.listings.notice_schemas import (
    AnswerIn,
    NoticeIn,
    NoticeOut,
    NoticePage,
    PlatformOut,
    ReportOut,
    SendResult,
    WithdrawIn,
)
from watchfloor.listings.platforms import platform_sla
from watchfloor.security.deps import CurrentPrincipal, Cursor, Db, RecordId

router = APIRouter(prefix="/api/v1/listings/notices", tags=["notices"])

Since = Annotated[dt.date | None, Query(description="First day (UTC); default 90 days back.")]
Until = Annotated[dt.date | None, Query(description="Last day (UTC); default today.")]
By = Annotated[Literal["day", "week", "month", "quarter"], Query(description="Rows of the report.")]
Platform = Annotated[str, Query(min_length=1, max_length=40, description="Platform agency code.")]


@router.get("", response_model=NoticePage)
def get_notices(
    db: Db,
    principal: CurrentPrincipal,
    box: Annotated[
        Literal["all", "inbox", "sent", "shared"],
        Query(
            description="inbox: addressed to your platform; sent: sent by your agency; "
            "shared: shared with you by others."
        ),
    ] = "all",
    status: Annotated[
        Literal["sent", "acknowledged", "answered", "withdrawn"] | None, Query()
    ] = None,
    overdue: Annotated[bool | None, Query(description="Only (or no) overdue notices.")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> NoticePage:
    """Notices you may read, newest first: those your agency sent, those addressed to your
    platform, and those shared with you."""
    return notices.list_notices(
        db, principal, box=box, status=status, overdue=overdue, cursor=cursor, limit=limit
    )


@router.post(
    "",
    response_model=SendResult,
    status_code=201,
    responses={
        200: {"model": SendResult, "description": "The same notice was sent already."},
        403: {"description": "A listing may not be passed to the platform."},
        409: {"description": "The reference is taken, or a listing is in an open notice."},
        422: {"description": "Unknown platform or listings, or listings on other services."},
    },
)
def post_notice(data: NoticeIn, db: Db, principal: CurrentPrincipal) -> JSONResponse:
    """Send a platform a notice about listings you may read: the legal ground, what you ask
    for, where, and how urgent. The due time follows the platform's SLA. Sending the same
    `reference` again changes nothing (200)."""
    notice, created = notices.send_notice(db, principal, data)
    db.commit()
    body = SendResult(
        status="created" if created else "unchanged", notice=notices.notice_out(notice)
    )
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if created else 200)


@router.get("/platforms", response_model=list[PlatformOut])
def get_platforms(db: Db, principal: CurrentPrincipal) -> list[PlatformOut]:
    """The platform agencies that take notices, with the services they answer for and the
    hours they have to act (their SLA)."""
    out = []
    for agency in notices.platform_agencies(db):
        sla = platform_sla(agency.code)
        out.append(
            PlatformOut(
                code=agency.code,
                name=agency.name,
                country=agency.country,
                services=sla.services,
                urgent_hours=sla.urgent_hours,
                standard_hours=sla.standard_hours,
                escalation_contact=sla.escalation_contact,
            )
        )
    return out


def _report(
    db: Db,
    principal: CurrentPrincipal,
    platform: Platform,
    since: Since = None,
    until: Until = None,
    by: By = "month",
) -> ReportOut:
    return transparency.report(db, platform, since=since, until=until, by=by)


Report = Annotated[ReportOut, Depends(_report)]


@router.get("/report", response_model=ReportOut)
def get_report(found: Report) -> ReportOut:
    """The transparency report of one platform: notices received, share actioned, median
    and 90th-percentile hours to action, decisions by type. Counts only."""
    return found


@router.get(
    "/report.csv",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "One row per period."}},
)
def get_report_csv(found: Report) -> Response:
    """The transparency report as CSV: one row per period, then the totals."""
    name = f"transparency-{found.platform}-{found.since}-{found.until}.csv"
    return Response(
        transparency.report_csv(found),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/{notice_id}", response_model=NoticeOut)
def get_notice(notice_id: RecordId, db: Db, principal: CurrentPrincipal) -> NoticeOut:
    """One notice with every listing and the platform's decision on each."""
    return notices.notice_out(notices.get_notice(db, principal, notice_id))


@router.post("/{notice_id}/acknowledge", response_model=NoticeOut)
def post_acknowledge(notice_id: RecordId, db: Db, principal: CurrentPrincipal) -> NoticeOut:
    """The platform addressed confirms receipt (again: no change)."""
    notice = notices.acknowledge(db, principal, notice_id)
    db.commit()
    return notices.notice_out(notice)


@router.post("/{notice_id}/answer", response_model=NoticeOut)
def post_answer(
    notice_id: RecordId, data: AnswerIn, db: Db, principal: CurrentPrincipal
) -> NoticeOut:
    """The platform's decisions, one per listing, in the DSA statement-of-reasons
    vocabulary: removed, disabled, demoted, age or interaction restricted, labelled, other
    restriction, or no action with a reason; the account action; automated or not."""
    notice = notices.answer(db, principal, notice_id, data)
    db.commit()
    return notices.notice_out(notice)


@router.post("/{notice_id}/withdraw", response_model=NoticeOut)
def post_withdraw(
    notice_id: RecordId, data: WithdrawIn, db: Db, principal: CurrentPrincipal
) -> NoticeOut:
    """The sender takes back a notice the platform has not answered yet."""
    notice = notices.withdraw(db, principal, notice_id, data.reason)
    db.commit()
    return notices.notice_out(notice)

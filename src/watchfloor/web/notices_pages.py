"""Notice pages: the inbox (a platform's) or the sent notices (an agency's), the composer,
one notice with the platform's answer forms, and the transparency report. They call
services only."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from watchfloor.errors import Forbidden, NotFound, WatchfloorError
from watchfloor.listings import dsa, notices, service, transparency
from watchfloor.listings.notice_schemas import AnswerIn, DecisionIn, NoticeIn
from watchfloor.listings.platforms import platform_sla
from watchfloor.security.deps import Db, RecordId
from watchfloor.security.service import Principal, require_role
from watchfloor.web.charts import transparency_charts
from watchfloor.web.pages import Me, check_csrf, refused, render

router = APIRouter(include_in_schema=False)
MAX_SHOWN = 100


def _is_platform(me: Principal) -> bool:
    return me.agency_kind == "platform"


@router.get("/listings/notices", response_class=HTMLResponse)
def notice_list(
    request: Request,
    db: Db,
    me: Me,
    overdue: Annotated[bool, Query()] = False,
) -> Response:
    box: Literal["inbox", "sent"] = "inbox" if _is_platform(me) else "sent"
    page = notices.list_notices(db, me, box=box, overdue=overdue or None, limit=MAX_SHOWN)
    shared = [] if _is_platform(me) else notices.list_notices(db, me, box="shared").items
    return render(
        request,
        "listings/notices.html",
        me,
        active="listings",
        box=box,
        page=page,
        shared=shared,
        overdue=overdue,
    )


def _composer(
    request: Request,
    db: Db,
    me: Me,
    *,
    chosen: list[int],
    values: dict[str, Any],
    errors: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    listings = service.list_listings(db, me, drug_sales_only=not chosen, limit=MAX_SHOWN).items
    known = {x.id for x in listings}
    extra = []
    for i in chosen:
        if i not in known:
            try:
                extra.append(service.get_listing(db, me, i))
            except NotFound:  # the service names it when the notice is sent
                continue
    shown = extra + listings
    platforms = [(a, platform_sla(a.code)) for a in notices.platform_agencies(db)]
    services = {x.platform for x in shown if x.id in chosen}
    guess = next(
        (a.code for a, sla in platforms if services and all(sla.runs(s) for s in services)),
        None,
    )
    return render(
        request,
        "listings/compose.html",
        me,
        status=status,
        active="listings",
        listings=shown,
        chosen=set(chosen),
        platforms=platforms,
        requests=dsa.REQUESTS,
        values={"platform": guess, "reference": f"{me.agency_code}-{uuid.uuid4().hex[:10]}"}
        | values,
        errors=errors or [],
    )


@router.get("/listings/notices/new", response_class=HTMLResponse)
def compose(
    request: Request,
    db: Db,
    me: Me,
    listing: Annotated[list[int], Query(max_length=500)] = [],  # noqa: B006
) -> Response:
    if _is_platform(me):
        raise Forbidden("platform agencies answer notices; they do not send them")
    require_role(me, "analyst")
    return _composer(request, db, me, chosen=[i for i in listing if 0 < i < 2**31], values={})


@router.post("/listings/notices/new", response_class=HTMLResponse)
def send(
    request: Request,
    db: Db,
    me: Me,
    platform: Annotated[str, Form(max_length=40)] = "",
    listing: Annotated[list[int], Form(max_length=500)] = [],  # noqa: B006
    legal_ground: Annotated[str, Form(max_length=4000)] = "",
    explanation: Annotated[str, Form(max_length=20000)] = "",
    requested_action: Annotated[str, Form(max_length=20)] = "remove",
    priority: Annotated[str, Form(max_length=10)] = "standard",
    territorial_scope: Annotated[str, Form(max_length=1000)] = "",
    reference: Annotated[str, Form(max_length=80)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    values = {
        "platform": platform,
        "legal_ground": legal_ground,
        "explanation": explanation,
        "requested_action": requested_action,
        "priority": priority,
        "territorial_scope": territorial_scope,
        "reference": reference,
    }
    try:
        data = NoticeIn(
            platform=platform,
            listing_ids=listing,
            legal_ground=legal_ground,
            explanation=explanation,
            requested_action=requested_action,
            priority=priority,
            territorial_scope=territorial_scope,
            reference=reference or None,
        )
        notice, _ = notices.send_notice(db, me, data)
    except (ValidationError, WatchfloorError) as exc:
        db.rollback()
        errors, status = refused(exc, "notice")
        return _composer(
            request, db, me, chosen=listing, values=values, errors=errors, status=status
        )
    db.commit()
    return RedirectResponse(f"/listings/notices/{notice.id}", status_code=303)


@router.get("/listings/transparency", response_class=HTMLResponse)
def transparency_page(
    request: Request,
    db: Db,
    me: Me,
    platform: Annotated[str, Query(max_length=40)] = "",
    since: Annotated[dt.date | None, Query()] = None,
    until: Annotated[dt.date | None, Query()] = None,
    by: Annotated[str, Query(pattern="^(day|week|month|quarter)$")] = "week",
) -> Response:
    everyone = transparency.summary(db, since=since, until=until)
    chosen = platform or (me.agency_code if _is_platform(me) else "")
    if not chosen and everyone:
        chosen = everyone[0].platform
    found = (
        transparency.report(db, chosen, since=since, until=until, by=by)  # type: ignore[arg-type]
        if chosen
        else None
    )
    return render(
        request,
        "listings/transparency.html",
        me,
        active="listings",
        everyone=everyone,
        r=found,
        by=by,
        charts=transparency_charts(found) if found else {},
        actions=dsa.ACTIONS,
    )


def _notice_view(
    request: Request,
    db: Db,
    me: Me,
    notice_id: int,
    errors: list[dict[str, Any]] | None = None,
    status: int = 200,
) -> HTMLResponse:
    notice = notices.get_notice(db, me, notice_id)
    n = notices.notice_out(notice)
    return render(
        request,
        "listings/notice.html",
        me,
        status=status,
        active="listings",
        n=n,
        errors=errors or [],
        is_platform=me.agency_id == notice.platform_agency_id,
        is_sender=n.sender == me.agency_code,
        actions=dsa.ACTIONS,
        accounts=dsa.ACCOUNT,
        grounds=dsa.GROUNDS,
        reasons=dsa.NO_ACTION_REASONS,
        automation=dsa.AUTOMATION,
    )


@router.get("/listings/notices/{notice_id}", response_class=HTMLResponse)
def notice_page(request: Request, db: Db, me: Me, notice_id: RecordId) -> Response:
    return _notice_view(request, db, me, notice_id)


@router.post("/listings/notices/{notice_id}/acknowledge")
def acknowledge(
    request: Request, db: Db, me: Me, notice_id: RecordId, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf_token)
    notices.acknowledge(db, me, notice_id)
    db.commit()
    return RedirectResponse(f"/listings/notices/{notice_id}", status_code=303)


@router.post("/listings/notices/{notice_id}/answer", response_class=HTMLResponse)
def answer(
    request: Request,
    db: Db,
    me: Me,
    notice_id: RecordId,
    item_id: Annotated[int, Form(ge=1, le=2**31 - 1)],
    action: Annotated[str, Form(max_length=24)],
    account_action: Annotated[str, Form(max_length=12)] = "",
    ground: Annotated[str, Form(max_length=24)] = "",
    ground_reference: Annotated[str, Form(max_length=4000)] = "",
    explanation: Annotated[str, Form(max_length=20000)] = "",
    no_action_reason: Annotated[str, Form(max_length=30)] = "",
    automated_detection: Annotated[bool, Form()] = False,
    automated_decision: Annotated[str, Form(max_length=14)] = "not_automated",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        decision = DecisionIn(
            item_id=item_id,
            action=action,
            account_action=account_action or None,
            ground=ground or None,
            ground_reference=ground_reference,
            explanation=explanation,
            no_action_reason=no_action_reason or None,
            automated_detection=automated_detection,
            automated_decision=automated_decision,
        )
        notices.answer(db, me, notice_id, AnswerIn(decisions=[decision]))
    except (ValidationError, WatchfloorError) as exc:
        db.rollback()
        errors, status = refused(exc, "decision")
        return _notice_view(request, db, me, notice_id, errors, status=status)
    db.commit()
    return RedirectResponse(f"/listings/notices/{notice_id}#item-{item_id}", status_code=303)


@router.post("/listings/notices/{notice_id}/withdraw")
def withdraw(
    request: Request,
    db: Db,
    me: Me,
    notice_id: RecordId,
    reason: Annotated[str, Form(max_length=4000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    notices.withdraw(db, me, notice_id, reason.strip() or "withdrawn from the notice page")
    db.commit()
    return RedirectResponse(f"/listings/notices/{notice_id}", status_code=303)


__all__ = ["router"]

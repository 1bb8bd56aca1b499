"""The watchlist page: the agency's entries and those shared with it, the form to add one,
the hits (with the button that opens a joint case), and the joint cases. Services only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from watchfloor.cooperation import intake
from watchfloor.cooperation.watchlists import deconfliction
from watchfloor.cooperation.watchlists.models import JointCase
from watchfloor.cooperation.watchlists.schemas import CaseIn, EntryKind
from watchfloor.errors import WatchfloorError
from watchfloor.security.deps import Db, RecordId
from watchfloor.sharing.grants import read_record
from watchfloor.web.pages import Me, check_csrf, refused, render

router = APIRouter(include_in_schema=False)
KINDS = EntryKind.__args__  # type: ignore[attr-defined]


def _page(request: Request, db: Db, me: Me, errors: Any = (), status: int = 200) -> HTMLResponse:
    entries, _ = deconfliction.list_entries(db, me, limit=200)
    hits, _ = deconfliction.list_hits(db, me, limit=100)
    cases, _ = deconfliction.list_cases(db, me, limit=100)
    return render(
        request,
        "cooperation/watchlist.html",
        me,
        status=status,
        active="cooperation",
        entries=[deconfliction.entry_out(e) for e in entries],
        hits=hits,
        cases=[deconfliction.case_out(c) for c in cases],
        kinds=KINDS,
        errors=list(errors),
    )


@router.get("/cooperation/watchlist", response_class=HTMLResponse)
def watchlist_page(request: Request, db: Db, me: Me) -> Response:
    return _page(request, db, me)


@router.post("/cooperation/watchlist", response_class=HTMLResponse)
def add_entry(
    request: Request,
    db: Db,
    me: Me,
    reference: Annotated[str, Form(max_length=80)] = "",
    kind: Annotated[str, Form(max_length=12)] = "",
    value: Annotated[str, Form(max_length=500)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    tlp: Annotated[str, Form(max_length=12)] = "amber",
    recipients: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """One entry from the form, through the same intake as the API."""
    check_csrf(request, csrf_token)
    row = {
        "reference": reference,
        "kind": kind,
        "value": value,
        "reason": reason,
        "sharing": {"tlp": tlp, "recipients": recipients.replace(",", " ").split()},
    }
    try:
        intake.submit_one(db, me, row, intake.WATCHLIST)
    except WatchfloorError as exc:
        db.rollback()
        errors, status = refused(exc, "entry")
        return _page(request, db, me, errors, status)
    db.commit()
    return RedirectResponse("/cooperation/watchlist", status_code=303)


@router.post("/cooperation/watchlist/hits/{hit_id}/case", response_class=HTMLResponse)
def open_case(
    request: Request,
    db: Db,
    me: Me,
    hit_id: RecordId,
    title: Annotated[str, Form(max_length=300)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    try:
        case = deconfliction.open_case(db, me, hit_id, CaseIn(title=title or f"Hit {hit_id}"))
    except (ValidationError, WatchfloorError) as exc:
        db.rollback()
        errors, status = refused(exc, "case")
        return _page(request, db, me, errors, status)
    db.commit()
    return RedirectResponse(f"/cooperation/cases/{case.id}", status_code=303)


@router.get("/cooperation/cases/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, db: Db, me: Me, case_id: RecordId) -> Response:
    case = deconfliction.case_out(read_record(db, me, JointCase, case_id))
    return render(request, "cooperation/case.html", me, active="cooperation", case=case)


@router.post("/cooperation/cases/{case_id}/notes", response_class=HTMLResponse)
def case_note(
    request: Request,
    db: Db,
    me: Me,
    case_id: RecordId,
    note: Annotated[str, Form(min_length=1, max_length=5000)],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    deconfliction.add_note(db, me, case_id, note)
    db.commit()
    return RedirectResponse(f"/cooperation/cases/{case_id}", status_code=303)

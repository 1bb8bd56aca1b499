"""Cooperation pages: seizures by country with charts and the list, one seizure, incidents
and one incident, each record with its share/widen/narrow/revoke form. Services only."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from watchfloor.cooperation.seizures import statistics
from watchfloor.cooperation.seizures.models import Incident, Seizure
from watchfloor.cooperation.seizures.schemas import IncidentKind
from watchfloor.cooperation.seizures.service import incident_out, list_incidents, list_seizures
from watchfloor.cooperation.watchlists.deconfliction import entry_out
from watchfloor.cooperation.watchlists.models import WatchlistEntry
from watchfloor.errors import WatchfloorError
from watchfloor.security.deps import Cursor, Db, RecordId
from watchfloor.security.service import require_role
from watchfloor.sharing import communities
from watchfloor.sharing.grants import apply_sharing, read_record, sharing_out
from watchfloor.sharing.policy import can_share
from watchfloor.sharing.schemas import SharingIn
from watchfloor.web.charts import seizure_charts
from watchfloor.web.pages import Me, check_csrf, refused, render

router = APIRouter(include_in_schema=False)
Country = Annotated[str, Query(max_length=2)]
KINDS = IncidentKind.__args__  # type: ignore[attr-defined]


def _year(value: str) -> dt.date | None:
    """1 January of a year typed in a filter; nothing for anything else."""
    return dt.date(int(value), 1, 1) if value.isdigit() and 1900 < int(value) < 2200 else None


@router.get("/cooperation", response_class=HTMLResponse)
def cooperation(
    request: Request,
    db: Db,
    me: Me,
    cursor: Cursor = None,
    country: Country = "",
    substance: Annotated[str, Query(max_length=80)] = "",
    since: Annotated[str, Query(max_length=4, description="From this year.")] = "",
    until: Annotated[str, Query(max_length=4, description="Up to this year.")] = "",
) -> Response:
    """Seizures by country (table and charts) over what the agency may read, and the list."""
    start = _year(since)
    end = _year(until)
    end = dt.date(end.year + 1, 1, 1) if end else None
    summary = statistics.by_country(db, me, since=start, until=end)
    years = statistics.by_year(db, me, since=start, until=end)
    rows, nxt = list_seizures(
        db,
        me,
        cursor=cursor,
        country=country or None,
        substance=substance or None,
        since=start,
        limit=50,
    )
    return render(
        request,
        "cooperation/seizures.html",
        me,
        active="cooperation",
        summary=summary,
        charts=seizure_charts(summary, years),
        seizures=[(s, sharing_out(s)) for s in rows if not end or s.seized_on < end],
        next_cursor=nxt,
        filters={"country": country, "substance": substance, "since": since, "until": until},
    )


@router.get("/cooperation/seizures/{seizure_id}", response_class=HTMLResponse)
def seizure_page(request: Request, db: Db, me: Me, seizure_id: RecordId) -> Response:
    return _record_view(request, me, read_record(db, me, Seizure, seizure_id))


@router.get("/cooperation/incidents", response_class=HTMLResponse)
def incidents_page(
    request: Request,
    db: Db,
    me: Me,
    cursor: Cursor = None,
    country: Country = "",
    kind: Annotated[str, Query(max_length=30)] = "",
) -> Response:
    """Precursor incidents the agency may read (after INCB PICS)."""
    rows, nxt = list_incidents(
        db,
        me,
        country=country or None,
        kind=kind if kind in KINDS else None,
        cursor=cursor,
    )
    return render(
        request,
        "cooperation/incidents.html",
        me,
        active="cooperation",
        incidents=[incident_out(x) for x in rows],
        next_cursor=nxt,
        kinds=KINDS,
        filters={"country": country, "kind": kind},
    )


@router.get("/cooperation/incidents/{incident_id}", response_class=HTMLResponse)
def incident_page(request: Request, db: Db, me: Me, incident_id: RecordId) -> Response:
    return _record_view(request, me, read_record(db, me, Incident, incident_id))


# each record kind with a page: its path, its template and what the template is given
VIEWS: dict[type, tuple[str, str, Any]] = {
    Seizure: ("seizures", "cooperation/seizure.html", lambda r: {"seizure": r}),
    Incident: ("incidents", "cooperation/incident.html", lambda r: {"incident": incident_out(r)}),
    WatchlistEntry: ("watchlist", "cooperation/entry.html", lambda r: {"entry": entry_out(r)}),
}


def _record_view(
    request: Request,
    me: Me,
    record: Seizure | Incident | WatchlistEntry,
    errors: Any = (),
    status: int = 200,
) -> HTMLResponse:
    path, template, context = VIEWS[type(record)]
    return render(
        request,
        template,
        me,
        status=status,
        active="cooperation",
        **context(record),
        **sharing_form_context(me, record, f"/cooperation/{path}/{record.id}"),
        errors=list(errors),
    )


def sharing_form_context(me: Me, record: Any, path: str) -> dict[str, Any]:
    """What ``cooperation/_sharing_form.html`` needs to show a record's sharing form."""
    allowed, why = can_share(me, record)
    return {
        "record_path": path,
        "sharing": sharing_out(record),
        "may_share": allowed and me.has_role("officer"),
        "why_not": why if not allowed else "",
        "is_owner": record.owner_agency_id == me.agency_id,
        "communities": communities.known(),
    }


def _sharing_form(
    request: Request,
    db: Db,
    me: Me,
    record: Seizure | Incident | WatchlistEntry,
    form: dict[str, Any],
) -> Response:
    return share_from_page(
        request,
        db,
        me,
        form,
        apply=lambda data: apply_sharing(db, me, record, data),
        view=lambda errors, status: _record_view(request, me, record, errors, status),
        path=f"/cooperation/{VIEWS[type(record)][0]}/{record.id}",
    )


def share_from_page(
    request: Request,
    db: Db,
    me: Me,
    form: dict[str, Any],
    *,
    apply: Callable[[SharingIn], Any],
    view: Callable[[list[dict[str, Any]], int], HTMLResponse],
    path: str,
) -> Response:
    """Widen, narrow or revoke from a record's page (revoke: TLP:AMBER, nobody named):
    ``apply`` sets the policy, ``view`` shows the page again with the reasons of a refusal,
    and the record's page at ``path`` follows a success."""
    check_csrf(request, form["csrf_token"])
    require_role(me, "officer")
    revoke = form["revoke"]
    try:
        expires = (
            dt.datetime.combine(dt.date.fromisoformat(form["expires_on"]), dt.time(), dt.UTC)
            if form["expires_on"]
            else None
        )
        data = SharingIn(
            tlp="amber" if revoke else form["tlp"],
            recipients=[] if revoke else [c for c in re.split(r"[\s,;]+", form["recipients"]) if c],
            communities=[] if revoke else form["community"],
            originator_control=form["originator_control"],
            legal_basis=form["legal_basis"] or None,
            expires_at=None if revoke else expires,
        )
        apply(data)
    except ValueError as exc:  # a bad date, or pydantic's ValidationError (a ValueError)
        db.rollback()
        errors = (
            refused(exc, "sharing")[0]
            if isinstance(exc, ValidationError)
            else [{"field": "expires_on", "reason": str(exc)}]
        )
        return view(errors, 422)
    except WatchfloorError as exc:
        db.rollback()
        errors, status = refused(exc, "sharing")
        return view(errors, status)
    db.commit()
    return RedirectResponse(path, status_code=303)


def _form(
    tlp: Annotated[str, Form(max_length=12)] = "amber",
    recipients: Annotated[str, Form(max_length=2000)] = "",
    community: Annotated[list[str], Form(max_length=50)] = [],  # noqa: B006
    originator_control: Annotated[bool, Form()] = False,
    legal_basis: Annotated[str, Form(max_length=2000)] = "",
    expires_on: Annotated[str, Form(max_length=10)] = "",
    revoke: Annotated[bool, Form()] = False,
    csrf_token: Annotated[str, Form()] = "",
) -> dict[str, Any]:
    return dict(locals())


SharingForm = Annotated[dict[str, Any], Depends(_form)]


@router.post("/cooperation/seizures/{seizure_id}/sharing", response_class=HTMLResponse)
def seizure_sharing(
    request: Request, db: Db, me: Me, seizure_id: RecordId, form: SharingForm
) -> Response:
    return _sharing_form(request, db, me, read_record(db, me, Seizure, seizure_id), form)


@router.post("/cooperation/incidents/{incident_id}/sharing", response_class=HTMLResponse)
def incident_sharing(
    request: Request, db: Db, me: Me, incident_id: RecordId, form: SharingForm
) -> Response:
    return _sharing_form(request, db, me, read_record(db, me, Incident, incident_id), form)


@router.get("/cooperation/watchlist/{entry_id}", response_class=HTMLResponse)
def entry_page(request: Request, db: Db, me: Me, entry_id: RecordId) -> Response:
    return _record_view(request, me, read_record(db, me, WatchlistEntry, entry_id))


@router.post("/cooperation/watchlist/{entry_id}/sharing", response_class=HTMLResponse)
def entry_sharing(
    request: Request, db: Db, me: Me, entry_id: RecordId, form: SharingForm
) -> Response:
    return _sharing_form(request, db, me, read_record(db, me, WatchlistEntry, entry_id), form)

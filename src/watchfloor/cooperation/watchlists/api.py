"""Watchlists, their hits and joint cases under /api/v1/sharing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from watchfloor.batches import BatchResult
from watchfloor.cooperation import intake
from watchfloor.cooperation.seizures.api import BATCH_RESPONSES, MAX_BODY, batch_intake
from watchfloor.cooperation.watchlists import deconfliction
from watchfloor.cooperation.watchlists.models import JointCase, WatchlistEntry
from watchfloor.cooperation.watchlists.schemas import (
    CaseIn,
    CaseOut,
    EntryKind,
    HitOut,
    NoteIn,
    WatchlistEntryOut,
    WatchlistPage,
)
from watchfloor.http import intake_body
from watchfloor.security import Principal
from watchfloor.security.deps import CurrentPrincipal, Cursor, Db, RecordId, requires
from watchfloor.sharing import SharingIn, read_record, reshare

router = APIRouter(prefix="/api/v1/sharing", tags=["watchlists"])
Officer = Annotated[Principal, Depends(requires("officer"))]
Analyst = Annotated[Principal, Depends(requires("analyst"))]


@router.post(
    "/watchlist",
    response_model=BatchResult,
    openapi_extra=intake_body("WatchlistEntryIn", "entries"),
    responses=BATCH_RESPONSES,
    max_body_size=MAX_BODY,
)
async def post_entries(request: Request, db: Db, principal: Officer) -> JSONResponse:
    """Add one watchlist entry or a batch (`{"entries": [...]}`), with a result per row. A
    value that is not valid for its kind (a phone libphonenumber rejects, a wallet with a
    bad checksum, a one-word name) is rejected with the reason. From then on every record
    stored on the instance is screened against it."""
    return await batch_intake(request, db, principal, intake.WATCHLIST, "entries")


@router.get("/watchlist", response_model=WatchlistPage)
def get_entries(
    db: Db,
    principal: CurrentPrincipal,
    kind: EntryKind | None = None,
    mine: Annotated[bool, Query(description="Only your agency's entries.")] = False,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> WatchlistPage:
    """Watchlist entries you may read: your agency's and those shared with it."""
    rows, nxt = deconfliction.list_entries(
        db, principal, kind=kind, mine=mine, cursor=cursor, limit=limit
    )
    return WatchlistPage(items=[deconfliction.entry_out(e) for e in rows], next_cursor=nxt)


@router.get("/watchlist/hits", response_model=list[HitOut])
def get_hits(
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[HitOut]:
    """Hits on your entries (which agency, what kind of record, when: not the record) and
    hits of your records on entries you may read. Newest first; pass the last id as
    `cursor` for more."""
    return deconfliction.list_hits(db, principal, cursor=cursor, limit=limit)[0]


@router.post("/watchlist/hits/{hit_id}/case", response_model=CaseOut, status_code=201)
def post_case(db: Db, hit_id: RecordId, body: CaseIn, principal: Analyst) -> CaseOut:
    """Open a joint case on a hit with the other agency (the entry's owner or the hitting
    agency); it is told by an alert and reads the case from then on."""
    case = deconfliction.open_case(db, principal, hit_id, body)
    db.commit()
    return deconfliction.case_out(case)


@router.get("/watchlist/{entry_id}", response_model=WatchlistEntryOut)
def get_entry(db: Db, principal: CurrentPrincipal, entry_id: RecordId) -> WatchlistEntryOut:
    """One entry; 404 when it does not exist or is not shared with you."""
    return deconfliction.entry_out(read_record(db, principal, WatchlistEntry, entry_id))


@router.put("/watchlist/{entry_id}/sharing", response_model=WatchlistEntryOut)
def put_entry_sharing(
    db: Db, entry_id: RecordId, body: SharingIn, principal: Officer
) -> WatchlistEntryOut:
    """Widen, narrow or revoke the audience of an entry."""
    entry = reshare(db, principal, WatchlistEntry, entry_id, body)
    db.commit()
    return deconfliction.entry_out(entry)


@router.delete("/watchlist/{entry_id}", response_model=WatchlistEntryOut)
def delete_entry(db: Db, entry_id: RecordId, principal: Officer) -> WatchlistEntryOut:
    """Withdraw an entry of your agency: it stops matching; its hits stay on record."""
    entry = deconfliction.deactivate(db, principal, entry_id)
    db.commit()
    return deconfliction.entry_out(entry)


class CasePage(BaseModel):
    items: list[CaseOut]
    next_cursor: int | None = Field(examples=[None])


@router.get("/cases", response_model=CasePage)
def get_cases(
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> CasePage:
    """Joint cases your agency is a member of."""
    rows, nxt = deconfliction.list_cases(db, principal, cursor=cursor, limit=limit)
    return CasePage(items=[deconfliction.case_out(c) for c in rows], next_cursor=nxt)


@router.get("/cases/{case_id}", response_model=CaseOut)
def get_case(db: Db, principal: CurrentPrincipal, case_id: RecordId) -> CaseOut:
    """One joint case; 404 unless your agency is a member."""
    return deconfliction.case_out(read_record(db, principal, JointCase, case_id))


@router.post("/cases/{case_id}/notes", response_model=CaseOut)
def post_note(db: Db, case_id: RecordId, body: NoteIn, principal: Analyst) -> CaseOut:
    """Add a note to a joint case (members only)."""
    case = deconfliction.add_note(db, principal, case_id, body.note)
    db.commit()
    return deconfliction.case_out(case)

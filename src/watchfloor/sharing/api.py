"""Seizures and sharing API under /api/v1/sharing."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status
from pydantic import BaseModel, Field

from watchfloor.security.deps import CurrentPrincipal, Cursor, Db, RecordId, requires
from watchfloor.security.service import Principal
from watchfloor.sharing import communities
from watchfloor.sharing.models import Seizure
from watchfloor.sharing.schemas import SeizureIn, SeizureOut, SeizurePage, SharingIn
from watchfloor.sharing.service import (
    apply_sharing,
    create_seizure,
    list_seizures,
    read_record,
    seizure_out,
)

router = APIRouter(prefix="/api/v1/sharing", tags=["sharing"])


@router.post("/seizures", response_model=SeizureOut, status_code=status.HTTP_201_CREATED)
def post_seizure(
    db: Db, body: SeizureIn, principal: Annotated[Principal, Depends(requires("officer"))]
) -> SeizureOut:
    """Record a seizure owned by your agency, with its sharing policy."""
    seizure = create_seizure(db, principal, body)
    db.commit()
    return seizure_out(seizure)


@router.get("/seizures", response_model=SeizurePage)
def get_seizures(
    db: Db,
    principal: CurrentPrincipal,
    country: Annotated[str | None, Query(min_length=2, max_length=2)] = None,
    since: Annotated[dt.date | None, Query(description="Seized on or after.")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> SeizurePage:
    """Seizures you may read: your agency's and those shared with it."""
    rows, nxt = list_seizures(
        db, principal, country=country, since=since, cursor=cursor, limit=limit
    )
    return SeizurePage(items=[seizure_out(s) for s in rows], next_cursor=nxt)


@router.get("/seizures/{seizure_id}", response_model=SeizureOut)
def get_seizure(db: Db, principal: CurrentPrincipal, seizure_id: RecordId) -> SeizureOut:
    """One seizure; 404 when it does not exist or is not shared with you."""
    return seizure_out(read_record(db, principal, Seizure, seizure_id))


@router.put("/seizures/{seizure_id}/sharing", response_model=SeizureOut)
def put_seizure_sharing(
    db: Db,
    seizure_id: RecordId,
    body: SharingIn,
    principal: Annotated[Principal, Depends(requires("officer"))],
) -> SeizureOut:
    """Widen, narrow or revoke the audience of a seizure (owner, or recipient where allowed)."""
    seizure = read_record(db, principal, Seizure, seizure_id)
    apply_sharing(db, principal, seizure, body)
    db.commit()
    return seizure_out(seizure)


class CommunityOut(BaseModel):
    code: str = Field(examples=["NA-PRECURSORS"])
    name: str
    members: list[str]


@router.get("/communities", response_model=list[CommunityOut])
def get_communities(principal: CurrentPrincipal) -> list[CommunityOut]:
    """The communities a record can be shared with (groups of agencies), and their members."""
    return [
        CommunityOut(code=code, name=c.name, members=sorted(c.members))
        for code, c in sorted(communities.known().items())
    ]

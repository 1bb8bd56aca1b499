"""Who am I, agencies, and the audit chain check, under /api/v1."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select

from watchfloor import audit
from watchfloor.security import refusals
from watchfloor.security.deps import CurrentPrincipal, Db, requires
from watchfloor.security.models import Agency
from watchfloor.security.service import Principal

router = APIRouter(prefix="/api/v1", tags=["security"])


class Me(BaseModel):
    actor: str = Field(examples=["user:mx.officer"])
    agency: str = Field(examples=["MX-ANAM"])
    country: str | None = Field(examples=["MX"])
    role: str = Field(examples=["officer"])


class AgencyOut(BaseModel):
    code: str = Field(examples=["US-CBP"])
    name: str = Field(examples=["U.S. Customs and Border Protection"])
    country: str | None = Field(examples=["US"])
    kind: str = Field(examples=["customs"])


class AuditCheck(BaseModel):
    ok: bool = Field(examples=[True])
    verified: int = Field(description="Events verified before the first bad one.", examples=[1204])
    first_bad_seq: int | None = Field(examples=[None])
    reason: str | None = Field(examples=[None])
    macs_checked: bool = Field(
        description="Whether every event's keyed MAC was checked (this server holds the key)."
    )
    keyed_from: int | None = Field(description="The first event with a keyed MAC.")


@router.get("/me", response_model=Me)
def me(principal: CurrentPrincipal) -> Me:
    """The agency and role you act as."""
    return Me(
        actor=principal.actor,
        agency=principal.agency_code,
        country=principal.agency_country,
        role=principal.role,
    )


@router.get("/agencies", response_model=list[AgencyOut])
def agencies(db: Db, principal: CurrentPrincipal) -> list[AgencyOut]:
    """Agencies on this instance (the possible recipients of a share)."""
    rows = db.scalars(select(Agency).order_by(Agency.code))
    return [AgencyOut(code=a.code, name=a.name, country=a.country, kind=a.kind) for a in rows]


@router.get("/audit/verify", response_model=AuditCheck)
def audit_verify(db: Db, principal: Annotated[Principal, Depends(requires("admin"))]) -> AuditCheck:
    """Walk the audit hash chain and report the first broken link (admins)."""
    result = audit.verify(db, key=audit.known_audit_key())
    return AuditCheck(
        ok=result.ok,
        verified=result.verified,
        first_bad_seq=result.first_bad_seq,
        reason=result.reason,
        macs_checked=result.macs_checked,
        keyed_from=result.keyed_from,
    )


class RefusalOut(BaseModel):
    kind: str = Field(description="What was refused: federation, ...", examples=["federation"])
    source: str = Field(description="Who the caller said it was (an instance name).")
    hour: dt.datetime = Field(description="The hour counted (UTC).")
    count: int = Field(description="Refusals in that hour.")
    first_reason: str = Field(description="Why the first of them was refused.")


@router.get("/refusals", response_model=list[RefusalOut])
def list_refusals(
    db: Db, principal: Annotated[Principal, Depends(requires("admin"))]
) -> list[RefusalOut]:
    """Requests of unknown callers refused in the last 7 days, counted per kind, source and
    hour (admins); the first of each hour is also in the audit log as a sample."""
    return [
        RefusalOut(
            kind=r.kind, source=r.source, hour=r.hour, count=r.count, first_reason=r.first_reason
        )
        for r in refusals.recent(db)
    ]

"""Hashed signal sets under /api/v1/listings/signal-sets: publish, read, and the key."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import defer

from watchfloor import audit
from watchfloor.inputs import Input
from watchfloor.listings import tokens
from watchfloor.listings.models import SignalSet
from watchfloor.security import require_role
from watchfloor.security.deps import CurrentPrincipal, Db, RecordId
from watchfloor.sharing import (
    SharingIn,
    SharingOut,
    audit_list_reads,
    read_record,
    sharing_out,
    visible,
)

router = APIRouter(prefix="/api/v1/listings/signal-sets", tags=["signal sets"])


class SignalSetIn(Input):
    name: str = Field(min_length=1, max_length=200, examples=["Fentanyl sellers, November"])
    kinds: list[str] = Field(
        default_factory=list,
        max_length=20,
        description=f"Signal kinds to include (default all: {', '.join(tokens.SHAREABLE_KINDS)}).",
        examples=[["phone", "btc", "telegram"]],
    )
    drug_sales_only: bool = Field(default=True, description="Only listings judged drug sales.")
    source: Literal["listings", "watchlist"] = Field(
        default="listings",
        description="Whose identifiers: the signals of listings you may share, or your "
        "agency's active watchlist entries (which may also hold names and addresses: "
        f"{', '.join(tokens.WATCHLIST_KINDS)}).",
    )
    sharing: SharingIn = Field(default_factory=SharingIn)


class SignalSetOut(BaseModel):
    id: int
    name: str
    kinds: list[str]
    key_id: str = Field(description="Which community key the tokens are under.")
    listings: int = Field(description="Records (listings or entries) whose identifiers went in.")
    source: str = Field(examples=["listings"])
    count: int
    created_at: dt.datetime
    sharing: SharingOut
    tokens: list[str] | None = Field(
        default=None, description="HMAC-SHA256 tokens, hex (only on the set's own page)."
    )


class KeyOut(BaseModel):
    key_id: str
    key: str = Field(description="The community key, hex. Keep it secret.")
    algorithm: str = "HMAC-SHA256"
    message: str = Field(default="<kind>:<normalised value>", description="What is hashed, UTF-8.")


def _out(row: SignalSet, *, with_tokens: bool = False) -> SignalSetOut:
    return SignalSetOut(
        id=row.id,
        name=row.name,
        kinds=row.kinds.split(),
        key_id=row.key_id,
        listings=row.listings,
        source=row.source,
        count=row.count,
        created_at=row.created_at,
        sharing=sharing_out(row),
        tokens=(row.tokens.split("\n") if row.tokens else []) if with_tokens else None,
    )


@router.get("", response_model=list[SignalSetOut])
def get_sets(db: Db, principal: CurrentPrincipal) -> list[SignalSetOut]:
    """Signal sets you may read (without their tokens), newest first."""
    rows = list(
        db.scalars(
            select(SignalSet)
            .options(defer(SignalSet.tokens))  # up to 200,000 of them; the list shows none
            .where(visible(principal, SignalSet))
            .order_by(SignalSet.id.desc())
        )
    )
    audit_list_reads(db, principal, "signal_set", rows)
    return [_out(r) for r in rows]


@router.post("", response_model=SignalSetOut, status_code=201)
def post_set(data: SignalSetIn, db: Db, principal: CurrentPrincipal) -> SignalSetOut:
    """Publish the strong signals of the listings you may share as tokens, for the
    recipients you name."""
    row = tokens.publish(
        db,
        principal,
        name=data.name,
        kinds=data.kinds,
        drug_sales_only=data.drug_sales_only,
        sharing=data.sharing,
        source=data.source,
    )
    db.commit()
    return _out(row, with_tokens=True)


@router.get("/key", response_model=KeyOut)
def get_key(db: Db, principal: CurrentPrincipal) -> KeyOut:
    """The community key, for computing your own users' tokens locally (analysts and up;
    every request is audited)."""
    require_role(principal, "analyst")
    key = tokens.community_key(db)
    audit.record_by(
        db, principal, action="community_key.read", detail={"key_id": tokens.key_id_of(key)}
    )
    db.commit()
    return KeyOut(key_id=tokens.key_id_of(key), key=key.hex())


@router.get("/{set_id}", response_model=SignalSetOut)
def get_set(set_id: RecordId, db: Db, principal: CurrentPrincipal) -> SignalSetOut:
    """One set with its tokens; another agency's read is audited."""
    return _out(read_record(db, principal, SignalSet, set_id), with_tokens=True)

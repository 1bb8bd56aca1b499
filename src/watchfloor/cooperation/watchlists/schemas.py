"""Pydantic shapes of watchlist entries, hits and joint cases."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from watchfloor.identifiers import Kind
from watchfloor.inputs import Expiry, Input
from watchfloor.sharing import SharingIn, SharingOut

date_type = dt.date  # a field named like the type would shadow it

# --- watchlists -----------------------------------------------------------------------------

EntryKind = Kind  # what a watchlist entry may hold: every kind of identifier


class WatchlistEntryIn(Input):
    reference: str = Field(
        min_length=1,
        max_length=80,
        description="The agency's own reference; unique per agency.",
        examples=["CBSA-WL-0042"],
    )
    kind: EntryKind = Field(description="What the value is.", examples=["phone"])
    value: str = Field(
        min_length=1,
        max_length=500,
        description="The identifier as written; compared in a normal form per kind.",
        examples=["+1 604 555 0143"],
    )
    label: str | None = Field(
        default=None, max_length=200, description="Whose it is.", examples=["broker 'Tio'"]
    )
    reason: str = Field(
        min_length=1,
        max_length=2000,
        description="Why it is watched (shown to agencies that may read the entry).",
        examples=["consignee of two precursor shipments stopped in 2026"],
    )
    expires_at: Expiry | None = Field(
        default=None, description="After this UTC time the entry stops matching."
    )
    sharing: SharingIn = Field(default_factory=SharingIn)


class WatchlistEntryOut(BaseModel):
    id: int = Field(examples=[12])
    reference: str = Field(examples=["CBSA-WL-0042"])
    kind: EntryKind = Field(examples=["phone"])
    value: str = Field(examples=["+1 604 555 0143"])
    normalised: str = Field(examples=["+16045550143"])
    label: str | None = Field(examples=[None])
    reason: str
    expires_at: dt.datetime | None = Field(examples=[None])
    active: bool = Field(examples=[True])
    source: str | None = Field(examples=[None])
    created_at: dt.datetime
    sharing: SharingOut


class WatchlistPage(BaseModel):
    items: list[WatchlistEntryOut]
    next_cursor: int | None = Field(examples=[None])


class HitOut(BaseModel):
    id: int = Field(examples=[5])
    entry_owner: str = Field(description="Whose entry was hit.", examples=["CA-CBSA"])
    entry_id: int | None = Field(description="The entry, when you may read it.", examples=[12])
    entry_reference: str | None = Field(examples=["CBSA-WL-0042"])
    hit_agency: str | None = Field(
        description="Whose record hit it: shown to the entry's owner only where the record's "
        "policy lets it read the record (otherwise: open a joint case from the hit to ask).",
        examples=["US-CBP"],
    )
    record_type: str = Field(examples=["shipment"])
    record_id: int | None = Field(
        description="The record, when it is your agency's.", examples=[1043]
    )
    field: str = Field(description="Where in the record.", examples=["consignee_phone"])
    at: dt.datetime


class CaseIn(Input):
    title: str = Field(min_length=1, max_length=300, examples=["Broker 'Tio', Vancouver"])
    note: str | None = Field(default=None, max_length=5000, examples=["Call me: +1 ..."])


class NoteIn(Input):
    note: str = Field(min_length=1, max_length=5000)


class CaseOut(BaseModel):
    id: int = Field(examples=[2])
    title: str
    status: Literal["open", "closed"] = Field(examples=["open"])
    hit_id: int | None = Field(examples=[5])
    members: list[str] = Field(description="The agencies working the case.")
    notes: list[dict[str, str]] = Field(
        description="Each note with its author and UTC time, oldest first."
    )
    created_at: dt.datetime
    sharing: SharingOut

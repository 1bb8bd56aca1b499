"""Pydantic shapes for seizures and sharing."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from watchfloor.inputs import Input

Tlp = Literal["clear", "green", "amber", "amber+strict", "red"]
Unit = Literal["kg", "g", "l", "ml", "doses", "tablets"]
Mode = Literal["post", "express", "cargo", "vehicle", "person", "vessel", "aircraft", "other"]


class SharingIn(Input):
    tlp: Tlp = Field(
        default="amber", description="Traffic Light Protocol 2.0 level.", examples=["amber"]
    )
    recipients: list[str] = Field(
        default_factory=list,
        description="Codes of named recipient agencies.",
        examples=[["US-CBP", "CA-CBSA"]],
    )
    communities: list[str] = Field(
        default_factory=list,
        description="Codes of recipient communities (groups of agencies, "
        "GET /api/v1/sharing/communities).",
        examples=[["NA-PRECURSORS"]],
    )
    originator_control: bool = Field(
        default=False, description="Recipients may not share onward.", examples=[True]
    )
    legal_basis: str | None = Field(
        default=None,
        max_length=2000,
        description="Legal basis for sharing.",
        examples=["MLA treaty MX-US, art. 4"],
    )
    expires_at: dt.datetime | None = Field(
        default=None,
        description="After this UTC time recipients lose access.",
        examples=["2027-06-30T00:00:00Z"],
    )


class SharingOut(BaseModel):
    owner: str = Field(examples=["MX-ANAM"])
    tlp: Tlp = Field(examples=["amber"])
    recipients: list[str] = Field(examples=[["US-CBP"]])
    communities: list[str] = Field(default_factory=list, examples=[["NA-PRECURSORS"]])
    originator_control: bool = Field(examples=[False])
    legal_basis: str | None = Field(examples=[None])
    expires_at: dt.datetime | None = Field(examples=[None])


class SeizurePartyIn(Input):
    role: Literal["sender", "consignee", "suspect", "owner", "carrier", "other"] = Field(
        examples=["sender"]
    )
    name: str = Field(min_length=1, max_length=200, examples=["Jose Luis Ramirez Ochoa"])
    country: str | None = Field(
        default=None, min_length=2, max_length=2, description="ISO 3166-1 alpha-2."
    )
    address: str | None = Field(default=None, max_length=500)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=200)


class SeizureIn(Input):
    reference: str = Field(
        min_length=1,
        max_length=80,
        description="The agency's own reference; unique per agency.",
        examples=["ANAM-2026-000123"],
    )
    seized_on: dt.date = Field(description="Date of the seizure.", examples=["2026-10-02"])
    country: str = Field(
        min_length=2, max_length=2, description="ISO 3166-1 alpha-2.", examples=["MX"]
    )
    place: str | None = Field(default=None, max_length=200, examples=["Manzanillo port"])
    substance: str = Field(
        min_length=1,
        max_length=300,
        description="Substance as reported; matched to the catalogue.",
        examples=["fentanyl"],
    )
    quantity: float = Field(ge=0, description="Quantity in `unit`.", examples=[12.5])
    unit: Unit = Field(examples=["kg"])
    mode: Mode | None = Field(default=None, examples=["cargo"])
    origin_country: str | None = Field(
        default=None, min_length=2, max_length=2, description="Where it was sent from."
    )
    route: list[str] = Field(
        default_factory=list, max_length=10, description="Transit countries, in order."
    )
    parties: list[SeizurePartyIn] = Field(default_factory=list, max_length=50)
    notes: str | None = Field(default=None, max_length=5000, examples=[None])
    sharing: SharingIn = Field(default_factory=SharingIn)


class SeizureOut(BaseModel):
    id: int = Field(examples=[17])
    reference: str = Field(examples=["ANAM-2026-000123"])
    seized_on: dt.date = Field(examples=["2026-10-02"])
    country: str = Field(examples=["MX"])
    place: str | None = Field(examples=["Manzanillo port"])
    substance: str = Field(examples=["fentanyl"])
    substance_key: str | None = Field(
        description="Catalogue key when recognised.", examples=["fentanyl"]
    )
    quantity: float = Field(examples=[12.5])
    unit: str = Field(examples=["kg"])
    mode: str | None = Field(examples=["cargo"])
    origin_country: str | None = Field(examples=["CN"])
    route: list[str] = Field(examples=[["US"]])
    parties: list[SeizurePartyIn] = Field(examples=[[]])
    shipment_id: int | None = Field(description="The shipment it was found in, if any.")
    notes: str | None = Field(examples=[None])
    created_at: dt.datetime = Field(examples=["2026-10-02T10:00:00Z"])
    sharing: SharingOut


class SeizurePage(BaseModel):
    items: list[SeizureOut]
    next_cursor: int | None = Field(
        description="Pass as `cursor` for the next page.", examples=[None]
    )

"""Pydantic shapes of a record's sharing policy, in and out."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from watchfloor.inputs import Expiry, Input

date_type = dt.date  # a field named like the type would shadow it

Tlp = Literal["clear", "green", "amber", "amber+strict", "red"]


class SharingIn(Input):
    tlp: Tlp = Field(
        default="amber", description="Traffic Light Protocol 2.0 level.", examples=["amber"]
    )
    recipients: list[str] = Field(
        default_factory=list,
        max_length=200,
        description="Codes of named recipient agencies.",
        examples=[["US-CBP", "CA-CBSA"]],
    )
    communities: list[str] = Field(
        default_factory=list,
        max_length=50,
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
    expires_at: Expiry | None = Field(
        default=None,
        description="After this UTC time recipients lose access (a time still to come).",
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

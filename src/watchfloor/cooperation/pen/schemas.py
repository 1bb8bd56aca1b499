"""Pydantic shapes of pre-export notifications."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from watchfloor.cooperation.seizures.schemas import Mode, Unit
from watchfloor.inputs import Amount, Day, Input
from watchfloor.sharing import SharingIn, SharingOut

Decision = Literal["confirm", "object", "request_info"]
Status = Literal["pending", "info_requested", "confirmed", "objected"]


class PenPartyIn(Input):
    name: str = Field(min_length=1, max_length=200, examples=["Hubei Chemical Trading Co"])
    country: str | None = Field(default=None, min_length=2, max_length=2)
    address: str | None = Field(default=None, max_length=500)


class NotificationIn(Input):
    reference: str = Field(
        min_length=1,
        max_length=80,
        description="The exporting authority's reference; unique per agency.",
        examples=["GACC-PEN-2026-0311"],
    )
    importing_country: str = Field(min_length=2, max_length=2, examples=["MX"])
    substance: str = Field(
        min_length=1,
        max_length=300,
        description="A substance of Table I or II of the 1988 Convention (name, synonym or "
        "CAS number), or with `non_scheduled` a chemical under special surveillance.",
        examples=["4-piperidone"],
    )
    non_scheduled: bool = Field(
        default=False, description="The chemical is watched but not in Table I or II."
    )
    quantity: Amount = Field(gt=0, examples=[500])
    unit: Unit = Field(examples=["kg"])
    exporter: PenPartyIn
    importer: PenPartyIn
    consignee: PenPartyIn | None = None
    route: list[str] = Field(default_factory=list, max_length=10, description="Transit, in order.")
    mode: Mode | None = Field(default=None, examples=["cargo"])
    carrier: str | None = Field(default=None, max_length=200)
    ship_on: Day = Field(description="Expected date of shipment.", examples=["2026-12-20"])
    sharing: SharingIn = Field(
        default_factory=SharingIn,
        description="Whom else to tell; the importing authority and the international body "
        "are always recipients.",
    )


class AnswerIn(Input):
    decision: Decision = Field(
        description="confirm: the import is legitimate; object: stop the shipment; "
        "request_info: ask the exporter for more before deciding.",
        examples=["object"],
    )
    reason: str | None = Field(
        default=None,
        max_length=5000,
        description="Why (required to object or to ask for information).",
        examples=["The importer holds no licence for this precursor."],
    )


class ReplyIn(Input):
    message: str = Field(min_length=1, max_length=5000)


class NotificationOut(BaseModel):
    id: int = Field(examples=[8])
    reference: str = Field(examples=["GACC-PEN-2026-0311"])
    exporting_authority: str = Field(examples=["CN-GACC"])
    exporting_country: str = Field(examples=["CN"])
    importing_authority: str = Field(examples=["MX-ANAM"])
    importing_country: str = Field(examples=["MX"])
    substance: str = Field(examples=["4-piperidone"])
    substance_key: str | None = Field(examples=["4-piperidone"])
    table: Literal["I", "II", "watched"] = Field(examples=["I"])
    quantity: float = Field(examples=[500])
    unit: str = Field(examples=["kg"])
    normalised_quantity: float = Field(examples=[500])
    normalised_unit: str = Field(examples=["kg"])
    exporter: PenPartyIn
    importer: PenPartyIn
    consignee: PenPartyIn | None
    route: list[str]
    mode: str | None
    carrier: str | None
    ship_on: dt.date
    status: Status = Field(examples=["pending"])
    filed_at: dt.datetime
    due_at: dt.datetime = Field(description="When the importing authority must have answered.")
    overdue: bool = Field(description="Unanswered past its due time.")
    escalation: Literal["none", "overdue", "escalated"] = Field(examples=["none"])
    answered_at: dt.datetime | None
    answer_reason: str | None
    messages: list[dict[str, str]] = Field(description="Questions and replies, oldest first.")
    watchlist_entry_id: int | None = Field(
        description="The watchlist entry an objection made (the importer's name)."
    )
    sharing: SharingOut


class NotificationPage(BaseModel):
    items: list[NotificationOut]
    next_cursor: int | None = Field(examples=[None])


class CountryFigures(BaseModel):
    country: str = Field(examples=["MX"])
    sent: int = Field(description="Notifications its authority filed (as exporter).")
    received: int = Field(description="Notifications addressed to it (as importer).")
    answered: int
    response_rate: float | None = Field(
        description="Answered among those received whose deadline has passed or that were "
        "answered.",
        examples=[0.8],
    )
    median_response_hours: float | None = Field(examples=[30.5])
    objections: int
    overdue: int = Field(description="Unanswered past the deadline now.")

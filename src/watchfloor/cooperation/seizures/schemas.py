"""Pydantic shapes of seizures and incidents."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field

from watchfloor.inputs import Amount, Day, Input
from watchfloor.sharing import SharingIn, SharingOut

date_type = dt.date  # a field named like the type would shadow it

# as cooperation.quantities.UNITS (a test holds them equal)
Unit = Literal[
    "kg", "g", "mg", "t", "lb", "oz", "l", "ml",
    "doses", "tablets", "capsules", "blotters", "plants", "units",
]  # fmt: skip
Period = Literal["event", "month", "year"]
Mode = Literal["post", "express", "cargo", "vehicle", "person", "vessel", "aircraft", "other"]


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
    seized_on: Day = Field(description="Date of the seizure.", examples=["2026-10-02"])
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
    quantity: Amount = Field(description="Quantity in `unit`.", examples=[12.5])
    unit: Unit = Field(examples=["kg"])
    mode: Mode | None = Field(default=None, examples=["cargo"])
    origin_country: str | None = Field(
        default=None, min_length=2, max_length=2, description="Where it was sent from."
    )
    route: list[str] = Field(
        default_factory=list, max_length=10, description="Transit countries, in order."
    )
    parties: list[SeizurePartyIn] = Field(default_factory=list, max_length=50)
    concealment: str | None = Field(
        default=None,
        max_length=300,
        description="How it was hidden.",
        examples=["false bottom of a speaker box"],
    )
    shipment_reference: str | None = Field(
        default=None,
        max_length=80,
        description="Your agency's reference of the shipment it was found in.",
        examples=["CBP-7-000000123"],
    )
    period: Period = Field(
        default="event",
        description="`event` for one seizure; `month` or `year` for a statistic of all the "
        "seizures of that period (then `seized_on` is its first day and `events` their number).",
        examples=["event"],
    )
    events: int = Field(
        default=1, ge=1, le=10_000_000, description="Seizure events this record counts."
    )
    source: str | None = Field(
        default=None,
        max_length=200,
        description="Where the record comes from, when not the agency's own case file.",
        examples=["UNODC, World Drug Report: drug seizures"],
    )
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
    normalised_quantity: float | None = Field(
        description="The quantity in kg (masses), doses (counts) or litres (volumes).",
        examples=[12.5],
    )
    normalised_unit: Literal["kg", "doses", "l"] | None = Field(examples=["kg"])
    concealment: str | None = Field(examples=[None])
    period: Period = Field(examples=["event"])
    events: int = Field(examples=[1])
    source: str | None = Field(examples=[None])
    shipment_id: int | None = Field(description="The shipment it was found in, if any.")
    notes: str | None = Field(examples=[None])
    created_at: dt.datetime = Field(examples=["2026-10-02T10:00:00Z"])
    sharing: SharingOut


class SeizurePage(BaseModel):
    items: list[SeizureOut]
    next_cursor: int | None = Field(
        description="Pass as `cursor` for the next page.", examples=[None]
    )


# --- incidents (after INCB PICS) -----------------------------------------------------------

IncidentKind = Literal[
    "stopped_shipment",
    "suspicious_shipment",
    "suspicious_order",
    "diversion_attempt",
    "illicit_laboratory",
    "equipment",
]


class ChemicalIn(Input):
    substance: str = Field(
        min_length=1,
        max_length=300,
        description="Chemical as reported (name, synonym or CAS number).",
        examples=["4-piperidone"],
    )
    quantity: Amount | None = Field(default=None, examples=[25.0])
    unit: Unit | None = Field(default=None, examples=["kg"])


class ChemicalOut(ChemicalIn):
    substance_key: str | None = Field(
        default=None, description="Catalogue key when recognised.", examples=["4-piperidone"]
    )
    normalised_quantity: float | None = Field(default=None, examples=[25.0])
    normalised_unit: Literal["kg", "doses", "l"] | None = Field(default=None, examples=["kg"])


class IncidentIn(Input):
    """A precursor incident as INCB's PICS records them: a stopped or suspicious shipment or
    order, a diversion attempt, an illicit laboratory or seized equipment (pill presses)."""

    reference: str = Field(
        min_length=1,
        max_length=80,
        description="The agency's own reference; unique per agency.",
        examples=["ANAM-INC-2026-0042"],
    )
    kind: IncidentKind = Field(examples=["stopped_shipment"])
    occurred_on: Day = Field(examples=["2026-10-02"])
    country: str = Field(min_length=2, max_length=2, description="ISO 3166-1 alpha-2.")
    place: str | None = Field(default=None, max_length=200, examples=["Lázaro Cárdenas"])
    description: str = Field(
        min_length=1,
        max_length=5000,
        description="What happened, how it was detected.",
        examples=["Declared as 'industrial solvent'; the importer did not exist."],
    )
    chemicals: list[ChemicalIn] = Field(min_length=1, max_length=50)
    mode: Mode | None = Field(default=None, examples=["cargo"])
    origin_country: str | None = Field(default=None, min_length=2, max_length=2)
    destination_country: str | None = Field(default=None, min_length=2, max_length=2)
    route: list[str] = Field(default_factory=list, max_length=10)
    parties: list[SeizurePartyIn] = Field(default_factory=list, max_length=50)
    shipment_reference: str | None = Field(default=None, max_length=80)
    source: str | None = Field(default=None, max_length=200)
    sharing: SharingIn = Field(default_factory=SharingIn)


class IncidentOut(BaseModel):
    id: int = Field(examples=[3])
    reference: str = Field(examples=["ANAM-INC-2026-0042"])
    kind: IncidentKind = Field(examples=["stopped_shipment"])
    occurred_on: date_type = Field(examples=["2026-10-02"])
    country: str = Field(examples=["MX"])
    place: str | None = Field(examples=[None])
    description: str
    chemicals: list[ChemicalOut]
    mode: str | None = Field(examples=["cargo"])
    origin_country: str | None = Field(examples=["CN"])
    destination_country: str | None = Field(examples=["MX"])
    route: list[str] = Field(examples=[[]])
    parties: list[SeizurePartyIn] = Field(examples=[[]])
    shipment_id: int | None = Field(examples=[None])
    source: str | None = Field(examples=[None])
    created_at: dt.datetime = Field(examples=["2026-10-02T10:00:00Z"])
    sharing: SharingOut


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    next_cursor: int | None = Field(examples=[None])

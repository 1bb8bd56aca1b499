"""Shapes of shipments in and out. One validation for every intake path (API, file, stream).

The fields follow the advance electronic data that postal operators and carriers send
customs: the UPU/WCO CN23 customs declaration for postal items and the WCO data model's
house-bill level for express and cargo.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)

from watchfloor.identifiers import validate_country, validate_currency
from watchfloor.inputs import Amount, Input, Record, sane_moment
from watchfloor.sharing import SharingIn
from watchfloor.shipments.hs import check_hs

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{5,30}(?:\s*(?:x|ext\.?)\s*\d{1,6})?$", re.I)


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value.lower()


def _phone(value: str) -> str:
    if not _PHONE.match(value):
        raise ValueError(f"{value!r} is not a phone number (digits, spaces, + ( ) . / -)")
    return value


def _countries(value: Any) -> Any:
    if isinstance(value, str):
        return [c for c in re.split(r"[\s,;|]+", value) if c]
    return value


# every model strips whitespace (str_strip_whitespace), so these see trimmed text
Text = str
Country = Annotated[str, AfterValidator(validate_country)]
Currency = Annotated[str, AfterValidator(validate_currency)]
HsCode = Annotated[str, AfterValidator(check_hs)]
Email = Annotated[str, AfterValidator(_email)]
Phone = Annotated[str, AfterValidator(_phone)]

AwareMoment = Annotated[AwareDatetime, AfterValidator(sane_moment)]


class PartyIn(Record):
    """Sender or consignee as declared."""

    name: Annotated[Text, Field(min_length=1, max_length=200)]
    address: Annotated[Text | None, Field(max_length=500)] = None
    country: Country | None = None
    phone: Phone | None = None
    email: Email | None = None


class ItemIn(Record):
    """One declared line: what it is, its HS code, how many, what it is worth and weighs."""

    description: Annotated[Text, Field(min_length=1, max_length=500)]
    hs_code: HsCode | None = None
    quantity: Amount | None = None
    unit: Annotated[Text | None, Field(max_length=10)] = None
    value: Amount | None = None
    net_weight_kg: Amount | None = None


class ShipmentIn(Record):
    """A postal item, express consignment or cargo house bill, as declared in advance.

    ``reference`` (tracking or house bill number) is unique per agency: sending it again
    updates the shipment when something changed and does nothing otherwise.
    """

    reference: Annotated[Text, Field(min_length=1, max_length=80)]
    agency: Annotated[Text | None, Field(max_length=40)] = Field(
        None, description="Submitting agency code; when given it must be the caller's."
    )
    mode: Literal["post", "express", "cargo"]
    declared_at: AwareMoment
    arrival_at: AwareMoment | None = None
    origin_country: Country
    transit_countries: Annotated[list[Country], BeforeValidator(_countries)] = Field(
        default_factory=list, max_length=10
    )
    destination_country: Country
    office: Annotated[Text | None, Field(max_length=40)] = Field(
        None, description="Code of the office that receives it; the agency's default if empty."
    )
    carrier: Annotated[Text | None, Field(max_length=120)] = None
    sender: PartyIn
    consignee: PartyIn
    declared_value: Amount | None = None
    currency: Currency | None = None
    gross_weight_kg: Amount | None = None
    items: Annotated[list[ItemIn], Field(min_length=1, max_length=999)]

    @model_validator(mode="after")
    def _consistent(self) -> ShipmentIn:
        if self.declared_value is not None and self.currency is None:
            raise ValueError("currency is required with declared_value")
        if self.arrival_at is not None and self.arrival_at < self.declared_at - dt.timedelta(
            days=1
        ):
            raise ValueError("arrival_at is before declared_at")
        return self


class ReasonOut(BaseModel):
    rule: str
    points: int
    text: str
    evidence: dict[str, Any] = Field(default_factory=dict)


class ItemOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    line: int
    description: str
    hs_code: str | None
    quantity: float | None
    unit: str | None
    value: float | None
    net_weight_kg: float | None


class PartyOut(BaseModel):
    name: str
    address: str | None
    country: str | None
    phone: str | None
    email: str | None


class ShipmentOut(BaseModel):
    id: int
    agency: str
    reference: str
    mode: str
    declared_at: dt.datetime
    arrival_at: dt.datetime | None
    origin_country: str
    transit_countries: list[str]
    destination_country: str
    office: str | None
    carrier: str | None
    sender: PartyOut
    consignee: PartyOut
    declared_value: float | None
    currency: str | None
    gross_weight_kg: float | None
    items: list[ItemOut]
    status: str
    score: int
    probability: float | None
    reasons: list[ReasonOut]
    received_at: dt.datetime


class ShipmentSummary(BaseModel):
    id: int
    reference: str
    mode: str
    origin_country: str
    destination_country: str
    office: str | None
    sender_name: str
    consignee_name: str
    item_count: int
    score: int
    band: str | None
    probability: float | None
    status: str
    received_at: dt.datetime
    arrival_on: dt.date


class ShipmentPage(BaseModel):
    items: list[ShipmentSummary]
    next_cursor: int | None


class OfficeIn(Input):
    code: Annotated[Text, Field(min_length=1, max_length=40)]
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    country: Country
    daily_capacity: int = Field(ge=0, le=100_000, description="Inspections per day.")
    alert_threshold: int = Field(70, ge=0, le=100, description="Score that raises an alert.")


class OfficeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    country: str
    daily_capacity: int
    alert_threshold: int


class HoldIn(Input):
    reason: Annotated[str, Field(min_length=1, max_length=1000)]


class OutcomeIn(Input):
    """What the inspection found. A seizure needs the substance and quantity."""

    result: Literal["seized", "clean", "discrepancy"]
    substance: Annotated[Text | None, Field(max_length=300)] = None
    quantity: Amount | None = None
    unit: Literal["kg", "g", "l", "ml", "doses", "tablets"] | None = None
    notes: Annotated[Text | None, Field(max_length=5000)] = None
    sharing: SharingIn | None = Field(
        None, description="Sharing policy of the seizure record a find creates."
    )


class OutcomeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    shipment_id: int
    result: str
    substance_text: str | None
    quantity: float | None
    unit: str | None
    notes: str | None
    seizure_id: int | None
    recorded_at: dt.datetime
    recorded_by: str
    score_at_inspection: int | None


class Target(BaseModel):
    rank: int
    score: int = Field(description="Points on the 0-100 scale of the scoring configuration.")
    band: str | None = Field(description="The band the score falls in: review, inspect, hold.")
    probability: float | None = Field(
        description="Calibrated probability of a find from the agency's active model; null "
        "when no model scored the shipment (points are not a probability)."
    )
    expected_finds: float | None = Field(
        description="Sum of the probabilities down to this rank; null unless every target "
        "down to it has a model probability."
    )
    shipment: ShipmentSummary
    top_reason: str | None


class TargetList(BaseModel):
    office: str
    date: dt.date
    capacity: int
    arriving: int
    targets: list[Target]


class ModelChoice(Input):
    """What scores the agency's shipments from now on: one version of its model, or none
    (``version`` null: the rules alone), and why."""

    version: Annotated[str | None, Field(max_length=60)] = None
    reason: Annotated[str, Field(min_length=1, max_length=2000)]


class ModelOut(BaseModel):
    version: str
    trained_at: dt.datetime
    trained_by: str
    n_outcomes: int
    n_positive: int
    active: bool
    metrics: dict[str, Any]

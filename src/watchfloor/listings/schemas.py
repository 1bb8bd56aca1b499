"""Shapes of listings in and out; one validation for the API, files and the stream."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from watchfloor.identifiers import validate_country, validate_currency
from watchfloor.inputs import Amount, Input, Record
from watchfloor.listings.classifier import CLASSES
from watchfloor.sharing import SharingIn

MAX_TEXT = 1024 * 1024  # a listing's body, in characters
CRYPTO = {"BTC", "XMR", "ETH", "LTC", "USDT", "USDC"}
_HEX = re.compile(r"^(?:0x)?[0-9a-fA-F]{16,128}$")


def _currency(value: str) -> str:
    value = value.upper()
    return value if value in CRYPTO else validate_currency(value)


def _ships_to(value: Any) -> Any:
    if isinstance(value, str):
        return [c for c in re.split(r"[\s,;|]+", value) if c]
    return value


def _destination(value: str) -> str:
    value = value.upper()
    return "WW" if value in ("WW", "WORLDWIDE") else validate_country(value)


def _image_hash(value: str) -> str:
    if not _HEX.match(value) or len(value.removeprefix("0x")) % 2:
        raise ValueError(f"{value[:40]!r} is not a perceptual hash in hex (16-128 digits)")
    return value.lower().removeprefix("0x")


def _url(value: str) -> str:
    if not re.match(r"^(?:https?://)[^\s]+$", value, re.IGNORECASE):
        raise ValueError("must be an http(s) address")
    return value


Country = Annotated[str, AfterValidator(validate_country)]
Currency = Annotated[str, AfterValidator(_currency)]
Destination = Annotated[str, AfterValidator(_destination)]
ImageHash = Annotated[str, AfterValidator(_image_hash)]
Url = Annotated[str, Field(max_length=2000), AfterValidator(_url)]


class ListingIn(Record):
    """A listing as a platform or an analyst saw it. ``(platform, external_id)`` is its
    key for the reporting agency: sending it again updates it, or changes nothing."""

    platform: str = Field(
        min_length=1, max_length=80, description="Where it was seen.", examples=["Agora"]
    )
    external_id: str = Field(
        min_length=1,
        max_length=200,
        description="The platform's id of the listing (or its URL when it has none).",
        examples=["a37plcuKol"],
    )
    url: Url | None = Field(default=None, examples=["https://market.example/listing/123"])
    title: str = Field(min_length=1, max_length=1000, examples=["5g MDMA crystals 84%"])
    body: str = Field(
        default="",
        description="The listing's text (HTML is reduced to its visible text); up to 1 MB.",
        examples=["Champagne rocks, tested. Stealth shipping worldwide."],
    )
    price: Amount | None = Field(default=None, examples=[0.05])
    currency: Currency | None = Field(
        default=None, description="ISO 4217, or BTC, XMR, ETH, LTC, USDT, USDC.", examples=["BTC"]
    )
    seller: str | None = Field(default=None, max_length=200, examples=["budbrother"])
    ships_from: Country | None = Field(default=None, examples=["NL"])
    ships_to: Annotated[list[Destination], BeforeValidator(_ships_to)] = Field(
        default_factory=list,
        max_length=60,
        description="ISO 3166-1 alpha-2 codes, or WW for worldwide.",
        examples=[["WW"]],
    )
    observed_at: AwareDatetime | None = Field(
        default=None, description="When it was seen (default: when received).", examples=[None]
    )
    image_hashes: list[ImageHash] = Field(
        default_factory=list,
        max_length=50,
        description="Perceptual hashes (pHash, dHash) of the listing's images, in hex.",
        examples=[["a1b2c3d4e5f60718"]],
    )
    agency: str | None = Field(
        default=None, description="The reporting agency (default: the caller's).", examples=[None]
    )
    sharing: SharingIn = Field(default_factory=SharingIn)

    def too_long(self) -> bool:
        return len(self.body) > MAX_TEXT


class TermOut(BaseModel):
    """One term of a decision's explanation, with its share of the score (a logit): for
    ``terms``, of "what it names is a controlled drug" (above 0 for, below 0 against), with
    ``(base)``, the score every listing starts from; for ``class_terms``, of its class."""

    term: str = Field(description="The words; the catalogue's findings in brackets.")
    weight: float = Field(description="Its share of the score (a logit).")
    why: str = Field(description="The term in words.")


class SignalOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    value: str
    strong: bool


class ListingOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    agency: str = Field(description="The reporting agency.")
    platform: str
    external_id: str
    url: str | None
    title: str
    body: str
    price: float | None
    currency: str | None
    seller: str | None
    ships_from: str | None
    ships_to: list[str]
    observed_at: dt.datetime
    probability: float = Field(description="That the listing offers an illicit drug for sale.")
    is_drug_sale: bool
    substance_class: str | None = Field(description=f"One of {', '.join(CLASSES)}.")
    substance_label: str | None
    class_probability: float | None
    why: str = Field(description="The decision in one sentence.")
    offer: list[str] = Field(
        description="What makes it an offer (a price, an amount, words of trade, a way to "
        "reach a seller); empty when nothing does."
    )
    drug_probability: float | None = Field(
        description="That what it offers or names is a controlled drug (a drug sale needs "
        "this and an offer)."
    )
    reads_as: str | None = Field(
        description="The kind of ordinary goods it reads as, when it is not a drug."
    )
    terms: list[TermOut] = Field(description="What made it a controlled drug, or not.")
    class_terms: list[TermOut] = Field(description="What made its substance class.")
    talk: bool = Field(
        description="No price, amount, word of trade or way to reach a seller: read as talk "
        "about drugs, not an offer (its terms then start with `(no offer)`)."
    )
    model_version: str
    signals: list[SignalOut]
    tlp: str
    received_at: dt.datetime


class ListingPage(BaseModel):
    items: list[ListingOut]
    next_cursor: int | None


class LinkOut(BaseModel):
    a: int
    b: int
    strong: bool = Field(description="Tied by a strong signal (else by two weak ones).")
    signals: list[str] = Field(description="kind:value of every signal the two share.")


class ClusterListing(BaseModel):
    id: int
    platform: str
    seller: str | None
    title: str
    observed_at: dt.datetime
    substance_class: str | None
    ships_from: str | None


class ClusterOut(BaseModel):
    """One seller as the shared signals show it, across platforms."""

    listing_id: int
    listings: list[ClusterListing]
    links: list[LinkOut]
    platforms: dict[str, int]
    sellers: dict[str, int]
    substance_classes: dict[str, int]
    ships_from: dict[str, int]
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    truncated: bool = Field(description="The cluster was cut at 1,000 listings.")
    common_signals: list[str] = Field(description="Values too common to link anyone.")


class EventOut(BaseModel):
    date: dt.date
    label: str


class SeriesOut(BaseModel):
    """Counts per day (one list per key, aligned with ``days``)."""

    by: str
    days: list[dt.date]
    series: dict[str, list[int | None]] = Field(description="None: not known that day.")
    events: list[EventOut] = []


class LabelIn(Input):
    """What the caller's agency holds a listing to be: its classifier learns from it."""

    is_drug_sale: bool = Field(examples=[True])
    substance_class: str | None = Field(
        default=None,
        description=f"For a drug sale: one of {', '.join(CLASSES)}.",
        examples=["fentanyl"],
    )


class LabelOut(BaseModel):
    listing_id: int
    agency: str
    is_drug_sale: bool
    substance_class: str | None
    source: str = Field(description="analyst, or notice (a platform's answer).")
    labelled_at: dt.datetime


class ClassifierOut(BaseModel):
    version: str
    base_version: str = Field(description="The shipped model it was adapted from.")
    labels: int
    active: bool
    metrics: dict[str, Any]
    created_at: dt.datetime
    created_by: str


class ReclassifiedOut(BaseModel):
    model_version: str = Field(description="The classifier that decided them.")
    listings: int = Field(description="Your agency's listings decided again.")
    changed: int = Field(description="Those whose stored decision changed.")
    became_sales: int
    no_longer_sales: int


class RetrainOut(BaseModel):
    status: Literal["created", "unchanged"]
    classifier: ClassifierOut

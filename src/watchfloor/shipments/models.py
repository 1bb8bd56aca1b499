"""Tables of the shipments domain: offices, shipments and their items, risk assessments,
inspection outcomes, scoring configurations and learnt risk models."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.security import Agency, Office

MODES = ("post", "express", "cargo")
OUTCOMES = ("seized", "clean", "discrepancy")


class Shipment(Base):
    """A postal item, express consignment or cargo house bill, as declared in advance data.

    ``reference`` is unique per agency and is the idempotency key of every intake path;
    ``content_hash`` tells a resubmission that changes nothing from one that updates.
    """

    __tablename__ = "shipments"
    __table_args__ = (
        UniqueConstraint("owner_agency_id", "reference"),
        Index("ix_shipments_office_arrival", "office_id", "arrival_on"),
        Index("ix_shipments_agency_score", "owner_agency_id", "score"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # no index of its own: (owner_agency_id, reference) and (owner_agency_id, score) lead with it
    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    reference: Mapped[str] = mapped_column(String(80))
    content_hash: Mapped[str] = mapped_column(String(64))
    mode: Mapped[str] = mapped_column(String(10))
    declared_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    arrival_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    arrival_on: Mapped[dt.date] = mapped_column(Date)
    origin_country: Mapped[str] = mapped_column(String(2))
    transit_countries: Mapped[str] = mapped_column(String(60), default="")
    destination_country: Mapped[str] = mapped_column(String(2))
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    carrier: Mapped[str | None] = mapped_column(String(120))
    sender_name: Mapped[str] = mapped_column(String(200))
    sender_address: Mapped[str | None] = mapped_column(String(500))
    sender_country: Mapped[str | None] = mapped_column(String(2))
    sender_phone: Mapped[str | None] = mapped_column(String(40))
    sender_email: Mapped[str | None] = mapped_column(String(200))
    consignee_name: Mapped[str] = mapped_column(String(200))
    consignee_address: Mapped[str | None] = mapped_column(String(500))
    consignee_country: Mapped[str | None] = mapped_column(String(2))
    consignee_phone: Mapped[str | None] = mapped_column(String(40))
    consignee_email: Mapped[str | None] = mapped_column(String(200))
    declared_value: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(3))
    gross_weight_kg: Mapped[float | None] = mapped_column(Float)
    item_count: Mapped[int] = mapped_column(Integer)
    # the latest assessment, kept on the row so queues and targeting need no join
    score: Mapped[int] = mapped_column(Integer, default=0)
    probability: Mapped[float | None] = mapped_column(Float)
    reasons: Mapped[str] = mapped_column(Text, default="[]")  # JSON, as in RiskAssessment
    status: Mapped[str] = mapped_column(String(12), default="open")  # open|held|inspected
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(10), default="api")  # api|file|stream|demo

    owner: Mapped[Agency] = relationship(lazy="joined")
    office: Mapped[Office | None] = relationship(lazy="joined")
    items: Mapped[list[ShipmentItem]] = relationship(
        back_populates="shipment",
        order_by="ShipmentItem.line",
        lazy="selectin",
        cascade="all, delete-orphan",
    )


class ShipmentItem(Base):
    """One declared line of a shipment."""

    __tablename__ = "shipment_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    line: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(500))
    hs_code: Mapped[str | None] = mapped_column(String(10))
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(10))
    value: Mapped[float | None] = mapped_column(Float)
    net_weight_kg: Mapped[float | None] = mapped_column(Float)

    shipment: Mapped[Shipment] = relationship(back_populates="items")


class RiskAssessment(Base):
    """One scoring of one shipment: the score, the model and configuration that gave it,
    and every reason with its points."""

    __tablename__ = "risk_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    scored_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    score: Mapped[int] = mapped_column(Integer)
    probability: Mapped[float | None] = mapped_column(Float)
    config_version: Mapped[str] = mapped_column(String(40))
    model_version: Mapped[str | None] = mapped_column(String(40))
    reasons: Mapped[str] = mapped_column(Text)  # JSON list of {rule, points, text, evidence}


class Outcome(Base):
    """What an inspection found; the labels the risk model learns from."""

    __tablename__ = "inspection_outcomes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(
        ForeignKey("shipments.id", ondelete="CASCADE"), index=True
    )
    result: Mapped[str] = mapped_column(String(12))  # seized|clean|discrepancy
    substance_key: Mapped[str | None] = mapped_column(String(80))
    substance_text: Mapped[str | None] = mapped_column(String(300))
    quantity: Mapped[float | None] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(10))
    notes: Mapped[str | None] = mapped_column(Text)
    seizure_id: Mapped[int | None] = mapped_column(ForeignKey("seizures.id"))
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by: Mapped[str] = mapped_column(String(120))
    score_at_inspection: Mapped[int | None] = mapped_column(Integer)


class ScoringConfig(Base):
    """A version of the rules' weights and thresholds, as loaded; never edited in place."""

    __tablename__ = "scoring_configs"

    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    checksum: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class RiskModel(Base):
    """A version of the learnt model, trained from inspection outcomes."""

    __tablename__ = "risk_models"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[str] = mapped_column(String(40), unique=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    trained_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    trained_by: Mapped[str] = mapped_column(String(120))
    n_outcomes: Mapped[int] = mapped_column(Integer)
    n_positive: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[str] = mapped_column(Text)  # JSON
    features: Mapped[str] = mapped_column(Text)  # JSON list of feature names
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)

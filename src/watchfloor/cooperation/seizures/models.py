"""Seizures and precursor incidents: shareable records an agency keeps."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.sharing import Shareable


class Seizure(Shareable, Base):
    """A seizure of drugs or precursors recorded by an agency."""

    __tablename__ = "seizures"
    __table_args__ = (
        UniqueConstraint("owner_agency_id", "reference"),
        # a unique index, not a constraint: SQLite adds one without rebuilding the table
        Index("uq_seizures_origin", "origin_instance", "origin_id", unique=True),
    )
    share_type = "seizure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(80))
    seized_on: Mapped[dt.date] = mapped_column(Date)
    country: Mapped[str] = mapped_column(String(2), index=True)
    place: Mapped[str | None] = mapped_column(String(200))
    substance_key: Mapped[str | None] = mapped_column(String(80), index=True)
    substance_text: Mapped[str] = mapped_column(String(300))
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(10))
    mode: Mapped[str | None] = mapped_column(String(20))
    origin_country: Mapped[str | None] = mapped_column(String(2))
    route: Mapped[str] = mapped_column(String(60), default="", server_default="")  # spaced
    parties: Mapped[str] = mapped_column(
        Text, default="[]", server_default="[]"
    )  # JSON [{role, name, country}]
    shipment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    normalised_quantity: Mapped[float | None] = mapped_column(Float)
    normalised_unit: Mapped[str | None] = mapped_column(String(5))
    concealment: Mapped[str | None] = mapped_column(String(300))
    period: Mapped[str] = mapped_column(String(8), default="event", server_default="event")
    events: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    source: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str | None] = mapped_column(String(64))  # of the record as submitted
    origin_instance: Mapped[str | None] = mapped_column(String(80))  # a peer's, when synced
    origin_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Incident(Shareable, Base):
    """A precursor incident (INCB PICS): a stopped or suspicious shipment or order, a
    diversion attempt, an illicit laboratory, seized equipment; with the chemicals."""

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("owner_agency_id", "reference"),
        Index("uq_incidents_origin", "origin_instance", "origin_id", unique=True),
    )
    share_type = "incident"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(30), index=True)
    occurred_on: Mapped[dt.date] = mapped_column(Date)
    country: Mapped[str] = mapped_column(String(2), index=True)
    place: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    chemicals: Mapped[str] = mapped_column(Text, default="[]")  # JSON [ChemicalOut]
    substance_keys: Mapped[str] = mapped_column(
        String(400), default="", server_default=""
    )  # spaced, for search
    mode: Mapped[str | None] = mapped_column(String(20))
    origin_country: Mapped[str | None] = mapped_column(String(2))
    destination_country: Mapped[str | None] = mapped_column(String(2))
    route: Mapped[str] = mapped_column(String(60), default="", server_default="")
    parties: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    shipment_id: Mapped[int | None] = mapped_column(Integer, index=True)
    source: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    origin_instance: Mapped[str | None] = mapped_column(String(80))
    origin_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

"""Watchlist entries, their hits on any agency's records, and the joint cases opened on them."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.security import Agency
from watchfloor.sharing import Shareable


class WatchlistEntry(Shareable, Base):
    """An identifier an agency watches for (a party's name, an address, a phone, an
    e-mail, a wallet, a handle...), with its reason and expiry. Records of any agency that
    carry it are hits, and the entry's owner is told of each (deconfliction)."""

    __tablename__ = "watchlist_entries"
    __table_args__ = (
        UniqueConstraint("owner_agency_id", "reference"),
        Index("uq_watchlist_entries_origin", "origin_instance", "origin_id", unique=True),
    )
    share_type = "watchlist_entry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(12))
    value: Mapped[str] = mapped_column(String(500))  # as entered
    normalised: Mapped[str] = mapped_column(String(500), index=True)
    label: Mapped[str | None] = mapped_column(String(200))  # whose identifier it is
    reason: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str | None] = mapped_column(String(120))  # e.g. a pre-export objection
    content_hash: Mapped[str | None] = mapped_column(String(64))
    origin_instance: Mapped[str | None] = mapped_column(String(80))  # a peer's, when synced
    origin_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class WatchlistHit(Base):
    """A record (shipment, listing, seizure, incident) of some agency carrying an entry's
    identifier. The entry's owner sees every hit on its entries (who, what kind of record,
    when); the hitting agency sees it only when it may read the entry."""

    __tablename__ = "watchlist_hits"
    __table_args__ = (
        UniqueConstraint("entry_id", "record_type", "record_id", name="uq_watchlist_hits_record"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("watchlist_entries.id"), index=True)
    entry_owner_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    hit_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column(Integer)
    field: Mapped[str] = mapped_column(String(40))  # where in the record, e.g. sender_phone
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    entry: Mapped[WatchlistEntry] = relationship(lazy="joined")
    hit_agency: Mapped[Agency] = relationship(lazy="joined", foreign_keys=[hit_agency_id])


class JointCase(Shareable, Base):
    """A case two (or more) agencies work together after a watchlist hit: the opener owns
    it and names the others as recipients, so that each member reads it."""

    __tablename__ = "joint_cases"
    share_type = "joint_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    hit_id: Mapped[int | None] = mapped_column(ForeignKey("watchlist_hits.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="open")
    notes: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))

"""The sharing columns every shareable record carries, its recipients, and seizures."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, declared_attr, foreign, mapped_column, relationship

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.security.models import Agency

TLP_LEVELS = ("clear", "green", "amber", "amber+strict", "red")


class ShareRecipient(Base):
    """A named recipient of one shareable record: an agency, or a community of agencies
    (``sharing/communities.toml``; its members are read at each access)."""

    __tablename__ = "share_recipients"
    __table_args__ = (
        UniqueConstraint("record_type", "record_id", "agency_id"),
        UniqueConstraint(
            "record_type", "record_id", "community", name="uq_share_recipients_community"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column(Integer, index=True)
    agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"), index=True)
    community: Mapped[str | None] = mapped_column(String(40), index=True)
    granted_by: Mapped[str] = mapped_column(String(120))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency | None] = relationship(lazy="joined")


class Shareable:
    """Mixin: owner agency, TLP, named recipients, originator control, legal basis, expiry.

    ``sharing.policy.can_read`` and ``sharing.policy.visible`` decide who sees a record from
    these columns alone.
    """

    share_type: ClassVar[str]

    owner_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    tlp: Mapped[str] = mapped_column(String(12), default="amber")
    originator_control: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_basis: Mapped[str | None] = mapped_column(Text)
    share_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def owner(cls) -> Mapped[Agency]:  # noqa: N805
        return relationship(Agency, lazy="joined", foreign_keys=lambda: [cls.owner_agency_id])

    @declared_attr
    def recipients(cls) -> Mapped[list[ShareRecipient]]:  # noqa: N805
        def join() -> Any:
            return and_(
                ShareRecipient.record_type == cls.share_type,
                foreign(ShareRecipient.record_id) == cls.id,
            )

        return relationship(ShareRecipient, primaryjoin=join, lazy="selectin", viewonly=True)


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


class PreExportNotification(Shareable, Base):
    """A pre-export notification for a precursor (after INCB PEN Online): filed by the
    exporting country's authority (the owner), answered by the importing country's before
    ``due_at``. The importing authority and the international body are recipients from the
    start."""

    __tablename__ = "pre_export_notifications"
    __table_args__ = (UniqueConstraint("owner_agency_id", "reference"),)
    share_type = "notification"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(80))
    exporting_country: Mapped[str] = mapped_column(String(2), index=True)
    importing_country: Mapped[str] = mapped_column(String(2), index=True)
    importing_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    substance_text: Mapped[str] = mapped_column(String(300))
    substance_key: Mapped[str | None] = mapped_column(String(80), index=True)
    table: Mapped[str] = mapped_column(String(8))  # I | II | watched
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(10))
    normalised_quantity: Mapped[float] = mapped_column(Float)
    normalised_unit: Mapped[str] = mapped_column(String(5))
    parties: Mapped[str] = mapped_column(Text)  # JSON {exporter, importer, consignee}
    route: Mapped[str] = mapped_column(String(60), default="", server_default="")
    mode: Mapped[str | None] = mapped_column(String(20))
    carrier: Mapped[str | None] = mapped_column(String(200))
    ship_on: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    filed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(120))
    answer_reason: Mapped[str | None] = mapped_column(Text)
    messages: Mapped[str] = mapped_column(Text, default="[]")  # JSON, oldest first
    escalation: Mapped[int] = mapped_column(Integer, default=0)  # 0 none, 1 overdue, 2 escalated
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    watchlist_entry_id: Mapped[int | None] = mapped_column(Integer)  # made by an objection
    content_hash: Mapped[str] = mapped_column(String(64))  # of the notification as filed
    created_by: Mapped[str] = mapped_column(String(120))

    importing_agency: Mapped[Agency] = relationship(
        lazy="joined", foreign_keys=[importing_agency_id]
    )

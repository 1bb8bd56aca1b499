"""Listings reported by agencies and platforms, their classification and their signals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
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
from watchfloor.security import Agency
from watchfloor.sharing import Shareable


class Listing(Shareable, Base):
    """One offer seen online: a marketplace listing, a post, a page.

    ``(owner, platform, external_id)`` is the natural key: a reporter sending the same
    listing again updates it or changes nothing (``content_hash`` tells which). Title and
    body are kept as visible text (markup removed). The classifier's latest decision sits on
    the row, with the terms that drove it.
    """

    __tablename__ = "listings"
    share_type = "listing"
    __table_args__ = (
        UniqueConstraint("owner_agency_id", "platform", "external_id"),
        Index("ix_listings_class_observed", "substance_class", "observed_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(80))
    external_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(1000))
    body: Mapped[str] = mapped_column(Text, default="")
    price: Mapped[float | None] = mapped_column(Float)
    currency: Mapped[str | None] = mapped_column(String(8))  # ISO 4217 or BTC, XMR, ETH
    seller: Mapped[str | None] = mapped_column(String(200))
    ships_from: Mapped[str | None] = mapped_column(String(2))
    ships_to: Mapped[str] = mapped_column(String(200), default="")  # alpha-2, spaced; or WW
    observed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    image_hashes: Mapped[str] = mapped_column(Text, default="")  # spaced lower-case hex
    content_hash: Mapped[str] = mapped_column(String(64))
    # the classifier's decision
    probability: Mapped[float] = mapped_column(Float, default=0.0)
    is_drug_sale: Mapped[bool] = mapped_column(Boolean, default=False)
    substance_class: Mapped[str | None] = mapped_column(String(20))
    class_probability: Mapped[float | None] = mapped_column(Float)
    # JSON: the explanation (listings.intake.explanation); a list of {term, weight, why}
    # in listings decided before explanations were split
    terms: Mapped[str] = mapped_column(Text, default="[]")
    model_version: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    source: Mapped[str] = mapped_column(String(10), default="api")  # api|file|stream|demo

    signals: Mapped[list[ListingSignal]] = relationship(
        back_populates="listing",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="ListingSignal.id",
    )


class ListingSignal(Base):
    """A normalised identifier found in a listing (see ``listings.signals``)."""

    __tablename__ = "listing_signals"
    __table_args__ = (Index("ix_listing_signals_kind_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(12))
    value: Mapped[str] = mapped_column(String(300))
    raw: Mapped[str] = mapped_column(String(300), default="")
    strong: Mapped[bool] = mapped_column(Boolean, default=False)

    listing: Mapped[Listing] = relationship(back_populates="signals")


class Notice(Shareable, Base):
    """A notice from an agency to a platform about one or more listings.

    The sending agency owns it; the platform agency addressed is always a named recipient
    (``sharing.policy`` decides who reads it, as for any shared record). Each listing is
    copied into a :class:`NoticeItem` as the platform needs it to act (service, id,
    address, title, seller), so the platform never reads the listing record itself. Due
    time comes from the platform's SLA (``listings/platforms.toml``) at sending.
    """

    __tablename__ = "notices"
    share_type = "notice"
    __table_args__ = (
        UniqueConstraint("owner_agency_id", "reference"),
        Index("ix_notices_platform_sent", "platform_agency_id", "sent_at"),
        Index("ix_notices_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(80))
    platform_agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    legal_ground: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")
    requested_action: Mapped[str] = mapped_column(String(20))
    territorial_scope: Mapped[str] = mapped_column(String(800))  # spaced alpha-2 codes
    priority: Mapped[str] = mapped_column(String(10))
    sla_hours: Mapped[float] = mapped_column(Float)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default="sent")
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[str | None] = mapped_column(String(120))
    answered_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    escalation: Mapped[int] = mapped_column(Integer, default=0)  # 0, 1 overdue, 2 escalated
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(120))
    content_hash: Mapped[str] = mapped_column(String(64))

    platform_agency: Mapped[Agency] = relationship(
        Agency, lazy="joined", foreign_keys=[platform_agency_id]
    )
    items: Mapped[list[NoticeItem]] = relationship(
        back_populates="notice",
        lazy="selectin",
        cascade="all, delete-orphan",
        order_by="NoticeItem.id",
    )


class NoticeItem(Base):
    """One listing of a notice, and the platform's decision on it (DSA vocabulary, see
    ``listings.dsa``). A decision is final once given: the time to action is measured
    from the notice's sending to ``decided_at``."""

    __tablename__ = "notice_items"
    __table_args__ = (UniqueConstraint("notice_id", "listing_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"))
    listing_id: Mapped[int | None] = mapped_column(
        ForeignKey("listings.id", ondelete="SET NULL"), index=True
    )
    service: Mapped[str] = mapped_column(String(80))
    external_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(String(1000))
    seller: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str | None] = mapped_column(String(24))
    account_action: Mapped[str | None] = mapped_column(String(12))
    ground: Mapped[str | None] = mapped_column(String(24))
    ground_reference: Mapped[str | None] = mapped_column(Text)
    explanation: Mapped[str | None] = mapped_column(Text)
    no_action_reason: Mapped[str | None] = mapped_column(String(30))
    automated_detection: Mapped[bool | None] = mapped_column(Boolean)
    automated_decision: Mapped[str | None] = mapped_column(String(14))
    territorial_scope: Mapped[str] = mapped_column(String(800), default="")
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))

    notice: Mapped[Notice] = relationship(back_populates="items")


class ListingLabel(Base):
    """What an agency holds a listing to be: its analyst's label, or what a platform's
    answer to the agency's notice implies (removed as illegal: a drug sale; left up as
    lawful: not). The labels an agency may train its model on."""

    __tablename__ = "listing_labels"
    __table_args__ = (UniqueConstraint("agency_id", "listing_id", "source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(10))  # analyst | notice
    is_drug_sale: Mapped[bool] = mapped_column(Boolean)
    substance_class: Mapped[str | None] = mapped_column(String(20))
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("notices.id", ondelete="SET NULL"), nullable=True
    )
    labelled_by: Mapped[str] = mapped_column(String(120))
    labelled_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClassifierVersion(Base):
    """An agency's own listing classifier: the shipped model adapted to its labels
    (``listings.adapt``). The newest active version classifies what the agency reports."""

    __tablename__ = "classifier_versions"
    __table_args__ = (UniqueConstraint("version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    version: Mapped[str] = mapped_column(String(60))
    base_version: Mapped[str] = mapped_column(String(60))
    labels: Mapped[int] = mapped_column(Integer)
    metrics: Mapped[str] = mapped_column(Text, default="{}")
    model: Mapped[bytes] = mapped_column(LargeBinary)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))


class CommunityKey(Base):
    """The instance's community key for hashed signal sharing (``listings.tokens``): made
    once, on first use, unless ``WATCHFLOOR_SIGNAL_KEY`` sets one."""

    __tablename__ = "community_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16), unique=True)
    secret: Mapped[str] = mapped_column(String(128))  # hex
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SignalSet(Shareable, Base):
    """Signals an agency publishes as HMAC tokens under the community key, so that a
    recipient (a platform) can check its own users' identifiers against them without
    learning the values. Only tokens are stored; the raw values stay in the listings."""

    __tablename__ = "signal_sets"
    share_type = "signal_set"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kinds: Mapped[str] = mapped_column(String(200))  # spaced signal kinds
    key_id: Mapped[str] = mapped_column(String(16))
    listings: Mapped[int] = mapped_column(Integer)  # records whose identifiers went in
    source: Mapped[str] = mapped_column(String(12), default="listings", server_default="listings")
    count: Mapped[int] = mapped_column(Integer)
    tokens: Mapped[str] = mapped_column(Text)  # sorted lower-case hex, one a line
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))

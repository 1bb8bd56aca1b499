"""Listings reported by agencies and platforms, their classification and their signals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.sharing.models import Shareable


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
    terms: Mapped[str] = mapped_column(Text, default="[]")  # JSON [{term, weight, why}]
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

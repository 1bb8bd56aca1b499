"""Parties: every person or company named by any record, in one table.

A party is taken from its source record (a shipment's sender, a listing's seller, a seizure's
suspect, a notification's importer, a watchlist name, a sanctions entry) and is readable
exactly when that record is: ``entities.policy`` asks ``sharing.policy`` about the source, so
a share, a narrowing or an expiry of the record applies to its parties at once, with no copy
of the policy to keep in step.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from watchfloor.db import Base, UTCDateTime, utcnow

SOURCES = ("shipment", "listing", "seizure", "incident", "watchlist", "notification", "sanctions")


class Party(Base):
    """A person or company as one record names it."""

    __tablename__ = "parties"
    __table_args__ = (
        UniqueConstraint("source_type", "source_id", "position", name="uq_parties_source"),
        Index("ix_parties_owner", "owner_agency_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_type: Mapped[str] = mapped_column(String(16))  # one of SOURCES
    source_id: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)  # the n-th party of the record
    role: Mapped[str] = mapped_column(String(20))  # sender, consignee, seller, importer...
    owner_agency_id: Mapped[int | None] = mapped_column(ForeignKey("agencies.id"))
    schema: Mapped[str | None] = mapped_column(String(10))  # person|company|vessel|aircraft
    name: Mapped[str] = mapped_column(String(400))
    aliases: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of names
    countries: Mapped[str] = mapped_column(String(200), default="")  # alpha-2, spaced
    dates_of_birth: Mapped[str] = mapped_column(String(200), default="")  # ISO, spaced
    identifiers: Mapped[str] = mapped_column(Text, default="[]")  # JSON [[kind, number]]
    addresses: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    phones: Mapped[str] = mapped_column(Text, default="[]")  # JSON list, E.164 where known
    emails: Mapped[str] = mapped_column(Text, default="[]")
    wallets: Mapped[str] = mapped_column(Text, default="[]")
    handles: Mapped[str] = mapped_column(Text, default="[]")  # messenger or platform handles
    linked_to: Mapped[str] = mapped_column(Text, default="[]")  # names ("Linked To:")
    topics: Mapped[str] = mapped_column(String(300), default="")  # e.g. lists, spaced
    extracted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def listed(self, column: str) -> list[Any]:
        """A JSON list column as a list."""
        return list(json.loads(getattr(self, column) or "[]"))


class PartyContact(Base):
    """A party's phone, e-mail, wallet, handle or address in its normal form, indexed so
    that parties sharing one are found at once (a network link, and evidence)."""

    __tablename__ = "party_contacts"
    __table_args__ = (Index("ix_party_contacts_value", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # phone|email|wallet|handle|address
    value: Mapped[str] = mapped_column(String(300))


class ResolutionRun(Base):
    """One run of entity resolution: the trained Splink model and what it found."""

    __tablename__ = "resolution_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))  # full | incremental
    threshold: Mapped[float] = mapped_column()
    parties: Mapped[int] = mapped_column(Integer)
    links: Mapped[int] = mapped_column(Integer)
    clusters: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column()
    model: Mapped[str] = mapped_column(Text)  # Splink's model JSON (m and u per level)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_by: Mapped[str] = mapped_column(String(120))


class EntityCluster(Base):
    """A resolved identity: parties that entity resolution (or an analyst) holds to be one."""

    __tablename__ = "entity_clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("resolution_runs.id"))
    size: Mapped[int] = mapped_column(Integer)
    confirmed_by: Mapped[str | None] = mapped_column(String(120))  # an analyst confirmed it
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ScreeningDecision(Base):
    """An analyst's decision on a screening hit: the screened name is, or is not, this party
    (and the entity its cluster resolves). Kept for the record and audited; never edited."""

    __tablename__ = "screening_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    query: Mapped[str] = mapped_column(String(400))
    query_key: Mapped[str] = mapped_column(String(400), index=True)  # folded words, sorted
    party_id: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    cluster_id: Mapped[int | None] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(10))  # match | no_match
    reason: Mapped[str] = mapped_column(Text)
    score: Mapped[float | None] = mapped_column(Float)
    decided_by: Mapped[str] = mapped_column(String(120))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClusterMember(Base):
    """A party's place in a cluster (every party is in at most one)."""

    __tablename__ = "cluster_members"

    party_id: Mapped[int] = mapped_column(
        ForeignKey("parties.id", ondelete="CASCADE"), primary_key=True
    )
    cluster_id: Mapped[int] = mapped_column(
        ForeignKey("entity_clusters.id", ondelete="CASCADE"), index=True
    )


class MatchLink(Base):
    """A pair the model matched: the evidence of a cluster (weight and the fields that agreed)."""

    __tablename__ = "match_links"
    __table_args__ = (UniqueConstraint("party_l", "party_r", name="uq_match_links_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("entity_clusters.id", ondelete="SET NULL"), index=True
    )
    party_l: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    party_r: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"), index=True)
    probability: Mapped[float] = mapped_column()
    weight: Mapped[float] = mapped_column()
    agreed: Mapped[str] = mapped_column(String(200))  # fields, spaced
    run_id: Mapped[int | None] = mapped_column(ForeignKey("resolution_runs.id"))


class PairDecision(Base):
    """An analyst's word on a pair: the same (confirm) or not (split). Kept across runs and
    used as labels: a split pair is never joined again, a confirmed one always is."""

    __tablename__ = "pair_decisions"
    __table_args__ = (UniqueConstraint("party_l", "party_r", name="uq_pair_decisions_pair"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    party_l: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    party_r: Mapped[int] = mapped_column(ForeignKey("parties.id", ondelete="CASCADE"))
    same: Mapped[bool] = mapped_column()
    decided_by: Mapped[str] = mapped_column(String(120))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

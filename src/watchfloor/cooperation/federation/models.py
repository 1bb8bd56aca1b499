"""Tables of federation between instances: this instance's key, its peers, what was sent
to each peer, and the batch nonces already seen. The change log the feed reads is the
sharing core's (:mod:`watchfloor.sharing.changes`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from watchfloor.db import Base, UTCDateTime, utcnow


class InstanceKey(Base):
    """This instance's Ed25519 key pair (one row, made on first use)."""

    __tablename__ = "instance_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    private_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, hex
    public_key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Peer(Base):
    """Another instance: its name, URL, public key, and the agencies that work there."""

    __tablename__ = "federation_peers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    url: Mapped[str] = mapped_column(String(300))
    public_key: Mapped[str] = mapped_column(String(64))
    agencies: Mapped[str] = mapped_column(Text, default="")  # spaced codes
    cursor: Mapped[int] = mapped_column(Integer, default=0)  # the last change pulled from it
    last_sync_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Sent(Base):
    """A record a peer was sent: only those can be revoked on it (a revocation of a record it
    never had would tell it that the record exists)."""

    __tablename__ = "federation_sent"
    __table_args__ = (
        UniqueConstraint("peer_id", "record_type", "record_id", name="uq_federation_sent_record"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column(Integer)


class SeenNonce(Base):
    __tablename__ = "federation_nonces"
    __table_args__ = (UniqueConstraint("peer_id", "nonce", name="uq_federation_nonces_nonce"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    peer_id: Mapped[int] = mapped_column(ForeignKey("federation_peers.id"), index=True)
    nonce: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

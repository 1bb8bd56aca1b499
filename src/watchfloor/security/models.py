"""Tables for agencies, their offices, users, API keys and browser sessions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchfloor.db import Base, UTCDateTime, utcnow

AGENCY_KINDS = ("customs", "postal", "police", "health", "regulator", "platform", "international")
ROLES = ("viewer", "analyst", "officer", "admin")


class Agency(Base):
    """An organisation on the instance: a customs service, a police force, a platform..."""

    __tablename__ = "agencies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str | None] = mapped_column(String(2))
    kind: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    home_instance: Mapped[str | None] = mapped_column(String(80))  # a peer's agency


class Office(Base):
    """An office of an agency (a customs or postal office, a port): where it inspects
    shipments, with its daily capacity and the score that raises an alert there."""

    __tablename__ = "offices"
    __table_args__ = (UniqueConstraint("agency_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    daily_capacity: Mapped[int] = mapped_column(Integer, default=20)
    alert_threshold: Mapped[int] = mapped_column(Integer, default=70)

    agency: Mapped[Agency] = relationship(lazy="joined")


class User(Base):
    """A person who logs in; belongs to exactly one agency and holds one role there."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    password_hash: Mapped[str] = mapped_column(String(255))
    # the demo loader's shared password: a non-demo instance does not serve while one is left
    demo_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    password_changed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    agency: Mapped[Agency] = relationship(lazy="joined")


class ApiKey(Base):
    """A machine credential scoped to an agency and a role; only a hash of the secret is kept."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    agency: Mapped[Agency] = relationship(lazy="joined")


class WebSession(Base):
    """A browser login. The cookie holds a random token; the table holds only its SHA-256."""

    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # when it was last used, to the minute (an idle session ends, see settings)
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="joined")


class LoginThrottle(Base):
    """Failed logins counted per account ("user:<name>") and per address ("address:<ip>")
    in a window; at the limit the key is locked until ``locked_until``."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class RefusalCount(Base):
    """Refused requests of unknown callers in one hour, by kind and source (see
    ``security.refusals``): counted, the first one audited as a sample."""

    __tablename__ = "refusal_counts"
    __table_args__ = (UniqueConstraint("kind", "source", "hour", name="uq_refusal_counts"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))  # "federation" (logins: login_throttles)
    source: Mapped[str] = mapped_column(String(200))  # the instance name or address given
    hour: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer, default=0)
    first_reason: Mapped[str] = mapped_column(String(300))

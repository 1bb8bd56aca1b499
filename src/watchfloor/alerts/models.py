"""Alerts raised by any domain, worked by officers: open, assigned, closed."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.security import models as _offices  # noqa: F401 - alerts.office_id's table
from watchfloor.sharing import Shareable

ALERT_STATUSES = ("open", "assigned", "closed")


class Alert(Shareable, Base):
    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_owner_status", "owner_agency_id", "status"),)
    share_type = "alert"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))  # shipment_risk | ...
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int] = mapped_column(Integer, index=True)
    office_id: Mapped[int | None] = mapped_column(ForeignKey("offices.id"))
    title: Mapped[str] = mapped_column(String(300))
    score: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="open")
    assignee: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    # all | analysts: an early warning is an analyst's unless its subscription says all
    audience: Mapped[str] = mapped_column(String(10), default="all", server_default="all")

"""Pre-export notifications of precursor chemicals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.security import Agency
from watchfloor.sharing import Shareable


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

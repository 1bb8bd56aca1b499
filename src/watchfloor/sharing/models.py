"""The sharing columns every shareable record carries, and its named recipients."""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
)
from sqlalchemy.orm import Mapped, declared_attr, foreign, mapped_column, relationship

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.security import Agency

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
        return relationship(Agency, lazy="joined", foreign_keys=lambda: [cls.owner_agency_id])  # type: ignore[arg-type]

    @declared_attr
    def recipients(cls) -> Mapped[list[ShareRecipient]]:  # noqa: N805
        def join() -> Any:
            return and_(
                ShareRecipient.record_type == cls.share_type,
                foreign(ShareRecipient.record_id) == cls.id,  # type: ignore[attr-defined]
            )

        return relationship(ShareRecipient, primaryjoin=join, lazy="selectin", viewonly=True)

"""The change log: shareable records created, changed or shared anew, in order. Federation
reads its feed from it; every domain that writes a federated record notes the change."""

from __future__ import annotations

from sqlalchemy import Integer, String, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from watchfloor.db import Base


class Change(Base):
    """A shareable record was created, changed or shared anew: the feed reads these in
    order, and judges each record as it is when read."""

    __tablename__ = "federation_changes"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_type: Mapped[str] = mapped_column(String(30))
    record_id: Mapped[int] = mapped_column(Integer, index=True)


FEDERATED_TYPES = ("seizure", "incident", "watchlist_entry")


def record_changes(session: Session, record_type: str, ids: list[int]) -> None:
    """Note that records changed (created, updated, shared anew) for the peers' feeds."""
    if record_type in FEDERATED_TYPES and ids:
        session.execute(insert(Change), [{"record_type": record_type, "record_id": i} for i in ids])

"""The change log: shareable records created, changed or shared anew, in order. Federation
reads its feed from it; every domain that writes a federated record notes the change.

And the listeners of policy changes: whoever keeps what it built from records it may read
(the shipment scorers, which quote other agencies' seizures and watchlist entries) is told
when a record's policy changes, when the change is made and again once it is committed,
so that a revocation takes effect at once, not at the next periodic refresh. Other
processes on the same bus hear of it too (``cache.changed``, published once committed).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Integer, String, event, insert
from sqlalchemy.orm import Mapped, Session, mapped_column

from watchfloor import events
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


_listeners: list[Callable[[str], None]] = []


def on_policy_change(listener: Callable[[str], None]) -> None:
    """Call ``listener`` with the record type whenever a record's sharing policy changes."""
    if listener not in _listeners:
        _listeners.append(listener)


def policy_changed(session: Session, record_type: str) -> None:
    """Tell the listeners now, and again after ``session`` commits (what was rebuilt in
    between read the policy as it was before)."""

    def tell(_: Session | None = None) -> None:
        tell_listeners(record_type)

    tell()
    event.listen(session, "after_commit", tell, once=True)
    # and the other processes, once committed (:func:`watchfloor.wiring.cache_changed`)
    events.queue(session, events.CACHE_SUBJECT, {"kind": record_type, "origin": events.PROCESS})


def tell_listeners(record_type: str) -> None:
    """Tell this process's listeners (another process's change, heard over the bus)."""
    for listener in _listeners:
        listener(record_type)

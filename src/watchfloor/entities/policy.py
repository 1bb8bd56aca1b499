"""Who may read a party: whoever may read the record it was taken from.

The decision stays with :mod:`watchfloor.sharing.policy` (``can_read`` and ``visible``); this
module only routes a party to its source: sanctions entries are public to every caller,
shipments are their agency's alone, and every shareable source answers for itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from watchfloor.entities.models import Party
from watchfloor.security import Principal
from watchfloor.sharing import policy


def _shareable_sources() -> dict[str, Any]:
    from watchfloor.cooperation.pen import PreExportNotification
    from watchfloor.cooperation.seizures import Incident, Seizure
    from watchfloor.cooperation.watchlists import WatchlistEntry
    from watchfloor.listings import Listing

    return {
        "listing": Listing,
        "seizure": Seizure,
        "incident": Incident,
        "watchlist": WatchlistEntry,
        "notification": PreExportNotification,
    }


_built: dict[tuple[object, ...], ColumnElement[bool]] = {}


def visible(principal: Principal) -> ColumnElement[bool]:
    """SQL condition: the party's source record is readable by ``principal``.

    Building it costs milliseconds of Python (five sources' policies), more than the query
    it filters in screening; it is reused for the same caller within the same second, so an
    expiry takes effect at most a second late here."""
    key = (principal.agency_id, principal.agency_code, principal.agency_kind, int(time.time()))
    found = _built.get(key)
    if found is None:
        if len(_built) > 1000:
            _built.clear()
        found = _built[key] = _build(principal)
    return found


def _build(principal: Principal) -> ColumnElement[bool]:
    conditions = [
        Party.owner_agency_id == principal.agency_id,
        Party.source_type == "sanctions",
    ]
    for source_type, model in _shareable_sources().items():
        readable = select(model.id).where(
            model.id == Party.source_id, policy.visible(principal, model)
        )
        conditions.append(and_(Party.source_type == source_type, exists(readable)))
    return or_(*conditions)


def readable_ids(session: Session, principal: Principal, ids: Iterable[int]) -> set[int]:
    """Those of ``ids`` whose parties ``principal`` may read (asked in chunks of 500)."""
    ordered = sorted(set(ids))
    found: set[int] = set()
    for i in range(0, len(ordered), 500):
        chunk = ordered[i : i + 500]
        found.update(
            session.scalars(select(Party.id).where(Party.id.in_(chunk), visible(principal)))
        )
    return found


def can_read(session: Session, principal: Principal, party: Party) -> bool:
    """Python twin of :func:`visible` for one loaded party."""
    if party.owner_agency_id == principal.agency_id or party.source_type == "sanctions":
        return True
    model = _shareable_sources().get(party.source_type)
    if model is None:  # shipments are their agency's alone
        return False
    record = session.get(model, party.source_id)
    return record is not None and policy.can_read(principal, record)

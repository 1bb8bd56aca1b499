"""Shipments: advance data intake, risk scoring, targeting, holds and inspection outcomes.

Importing the package hands cooperation (below it) what it asks of shipments: the lookup
of an agency's shipments by reference, whether a caller may read a shipment, the
shipments that carry a newly watched value, and a listener that makes the scorers forget
the watchlist entries they cached when entries change (:mod:`watchfloor.cooperation.links`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any, get_args

from sqlalchemy import select

from watchfloor.cooperation import links as _links
from watchfloor.sharing import on_policy_change as _on_policy_change
from watchfloor.shipments.models import Outcome, Shipment  # what other domains may import


def _shipment_ids(session: Any, agency_id: int, refs: Sequence[str]) -> dict[str, int]:
    from watchfloor.shipments.intake import ids_by_reference

    return ids_by_reference(session, agency_id, refs)


def _forget_scorers(kind: str) -> None:
    scoring = sys.modules.get("watchfloor.shipments.scoring")
    if scoring is not None:  # never loaded in this process: nothing cached to forget
        scoring.invalidate()


def _readable(session: Any, principal: Any, shipment_id: int) -> bool:
    """A shipment is its agency's alone (advance data is not shared)."""
    shipment = session.get(Shipment, shipment_id)
    return shipment is not None and shipment.owner_agency_id == principal.agency_id


def _forget_if_read(kind: str) -> None:
    if kind in get_args(_links.Changed):  # what the scorers read
        _forget_scorers(kind)


def _carrying(session: Any, wanted: Any) -> Any:
    """Shipments whose sender or consignee carries a watched value (a new entry's)."""
    from watchfloor.cooperation.watchlists import screening

    kinds = screening.quick_kinds(wanted)
    if not kinds:
        return
    columns = [f"{side}_{k}" for side in ("sender", "consignee") for k in kinds]
    stmt = select(Shipment.id, Shipment.owner_agency_id, *(getattr(Shipment, c) for c in columns))
    for rows in screening.chunks(session, stmt, Shipment.id):
        for rid, owner, *raw in rows:
            found = screening.carried(wanted, zip(columns, raw, strict=True))
            if found:
                yield "shipment", owner, [(rid, *f) for f in found]


_links.provide("shipment", _shipment_ids)
_links.provide_stored("shipment", _carrying)
_links.provide_reader("shipment", _readable)
_links.on_change(_forget_scorers)
_on_policy_change(_forget_if_read)  # a seizure or entry revoked, narrowed or widened


__all__ = ["Outcome", "Shipment"]

"""Shipments: advance data intake, risk scoring, targeting, holds and inspection outcomes.

Importing the package hands cooperation (below it) what it asks of shipments: the lookup
of an agency's shipments by reference, and a listener that makes the scorers forget the
watchlist entries they cached when entries change (:mod:`watchfloor.cooperation.links`).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from watchfloor.cooperation import links as _links
from watchfloor.shipments.models import Outcome, Shipment  # what other domains may import


def _shipment_ids(session: Any, agency_id: int, refs: Sequence[str]) -> dict[str, int]:
    from watchfloor.shipments.intake import ids_by_reference

    return ids_by_reference(session, agency_id, refs)


def _forget_scorers(kind: str) -> None:
    scoring = sys.modules.get("watchfloor.shipments.scoring")
    if scoring is not None:  # never loaded in this process: nothing cached to forget
        scoring.invalidate()


_links.provide("shipment", _shipment_ids)
_links.on_change(_forget_scorers)


__all__ = ["Outcome", "Shipment"]

"""Online sales: listings, the classifier, signals, seller linking, notices to platforms.

Importing the package tells cooperation (below it) whether a caller may read a listing,
which it asks before naming who had a watchlist hit, and which listings carry a newly
watched value (:mod:`watchfloor.cooperation.links`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, tuple_

from watchfloor.cooperation import links as _links
from watchfloor.listings.models import Listing, ListingSignal


def _carrying(session: Any, wanted: Any) -> Any:
    """Listings whose signals (normalised at intake, indexed) carry a watched value."""
    pairs = list(wanted)
    for start in range(0, len(pairs), 500):
        rows = session.execute(
            select(Listing.id, Listing.owner_agency_id, ListingSignal.kind, ListingSignal.value)
            .join(Listing, Listing.id == ListingSignal.listing_id)
            .where(tuple_(ListingSignal.kind, ListingSignal.value).in_(pairs[start : start + 500]))
        ).all()
        for lid, owner, kind, value in rows:
            yield "listing", owner, [(lid, f"signal.{kind}", kind, value)]


_links.provide_shareable("listing", Listing)
_links.provide_stored("listing", _carrying)

__all__ = ["Listing", "ListingSignal"]

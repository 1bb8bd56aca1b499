"""Online sales: listings, the classifier, signals, seller linking, notices to platforms.

Importing the package tells cooperation (below it) whether a caller may read a listing,
which it asks before naming who had a watchlist hit (:mod:`watchfloor.cooperation.links`).
"""

from __future__ import annotations

from typing import Any

from watchfloor.cooperation import links as _links
from watchfloor.listings.models import Listing, ListingSignal
from watchfloor.sharing import can_read as _can_read


def _readable(session: Any, principal: Any, listing_id: int) -> bool:
    listing = session.get(Listing, listing_id)
    return listing is not None and _can_read(principal, listing)


_links.provide_reader("listing", _readable)

__all__ = ["Listing", "ListingSignal"]

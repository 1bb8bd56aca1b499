"""Online sales: listings, the classifier, signals, seller linking, notices to platforms.

Importing the package tells cooperation (below it) whether a caller may read a listing,
which it asks before naming who had a watchlist hit (:mod:`watchfloor.cooperation.links`).
"""

from __future__ import annotations

from watchfloor.cooperation import links as _links
from watchfloor.listings.models import Listing, ListingSignal

_links.provide_shareable("listing", Listing)

__all__ = ["Listing", "ListingSignal"]

"""Online sales: listings, the classifier, signals, seller linking, notices to platforms."""

from __future__ import annotations

from watchfloor.listings.models import Listing, ListingSignal

__all__ = ["Listing", "ListingSignal"]

"""Watchlists: entries, screening of every record against them, hits and joint cases."""

from __future__ import annotations

from watchfloor.cooperation.watchlists import screening
from watchfloor.cooperation.watchlists.models import WatchlistEntry

__all__ = ["WatchlistEntry", "screening"]

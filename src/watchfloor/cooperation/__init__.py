"""Cooperation between agencies: seizures and incidents, watchlists and joint cases,
pre-export notifications, federation between instances. Each feature is a package whose
``__init__`` lists what other domains may import (``scripts/check_public.py``)."""

from __future__ import annotations

from watchfloor.cooperation import demo, links

__all__ = ["demo", "links"]

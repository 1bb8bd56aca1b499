"""Alerts: raised and closed by :mod:`.service` for every domain, worked by officers.

Other domains import what is listed in ``__all__`` (``scripts/check_public.py``)."""

from __future__ import annotations

from watchfloor.alerts import service
from watchfloor.alerts.service import AlertKind, NewAlert, close_alerts, for_role, raise_alerts

__all__ = ["AlertKind", "NewAlert", "close_alerts", "for_role", "raise_alerts", "service"]

"""Pre-export notifications of precursor chemicals (after INCB PEN Online)."""

from __future__ import annotations

from watchfloor.cooperation.pen import service
from watchfloor.cooperation.pen.models import PreExportNotification

__all__ = ["PreExportNotification", "service"]

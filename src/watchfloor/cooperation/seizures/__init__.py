"""Seizures and precursor incidents: intake, listing, statistics."""

from __future__ import annotations

from watchfloor.cooperation.seizures.models import Incident, Seizure
from watchfloor.cooperation.seizures.schemas import SeizureIn, SeizurePartyIn
from watchfloor.cooperation.seizures.service import create_seizure

__all__ = ["Incident", "Seizure", "SeizureIn", "SeizurePartyIn", "create_seizure"]

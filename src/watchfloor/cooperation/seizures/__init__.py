"""Seizures and precursor incidents: intake, listing, statistics."""

from __future__ import annotations

from watchfloor.cooperation import links as _links
from watchfloor.cooperation.seizures.models import Incident, Seizure
from watchfloor.cooperation.seizures.schemas import SeizureIn, SeizurePartyIn
from watchfloor.cooperation.seizures.service import create_seizure

_links.provide_shareable("seizure", Seizure)
_links.provide_shareable("incident", Incident)

__all__ = ["Incident", "Seizure", "SeizureIn", "SeizurePartyIn", "create_seizure"]

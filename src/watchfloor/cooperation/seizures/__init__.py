"""Seizures and precursor incidents: intake, listing, statistics."""

from __future__ import annotations

from typing import Any

from watchfloor.cooperation import links as _links
from watchfloor.cooperation.seizures.models import Incident, Seizure
from watchfloor.cooperation.seizures.schemas import SeizureIn, SeizurePartyIn
from watchfloor.cooperation.seizures.service import create_seizure


def _reader(model: type[Seizure] | type[Incident]) -> _links.Reader:
    def readable(session: Any, principal: Any, record_id: int) -> bool:
        from watchfloor.sharing import can_read

        record = session.get(model, record_id)
        return record is not None and can_read(principal, record)

    return readable


_links.provide_reader("seizure", _reader(Seizure))
_links.provide_reader("incident", _reader(Incident))

__all__ = ["Incident", "Seizure", "SeizureIn", "SeizurePartyIn", "create_seizure"]

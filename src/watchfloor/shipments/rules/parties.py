"""Rule 3: the sender or consignee fuzzily matches a sanctioned party or a party to a
seizure the agency may read."""

from __future__ import annotations

from typing import Any

from watchfloor.shipments.rules import Reason, capped, quote
from watchfloor.shipments.schemas import PartyIn, ShipmentIn
from watchfloor.shipments.screening import NameIndex


class PartyRule:
    name = "parties"

    def __init__(self, config: dict[str, Any], index: NameIndex) -> None:
        self.c = config
        self.index = index

    def evaluate(self, shipment: ShipmentIn) -> list[Reason]:
        reasons = []
        for role, party in (("sender", shipment.sender), ("consignee", shipment.consignee)):
            reason = self._screen(role, party)
            if reason:
                reasons.append(reason)
        return capped(reasons, self.c["max_points"])

    def _screen(self, role: str, party: PartyIn) -> Reason | None:
        hits = self.index.match(party.name, self.c["threshold"])
        if not hits:
            return None
        best = max(hits, key=lambda h: (self.c[h.listed.category], h.score))
        listed = best.listed
        points = self.c[best.listed.category]
        text = (
            f"{role} {quote(party.name)} matches {listed.name} on {listed.label} "
            f"({best.score:.0f}% similar)"
        )
        if party.country and party.country in listed.countries:
            points += self.c["country_bonus"]
            text += f", with the same country {party.country}"
        return Reason(
            self.name,
            points,
            text,
            {
                "role": role,
                "name": party.name,
                "matched": listed.name,
                "source": listed.source,
                "similarity": round(best.score, 1),
                **listed.ref,
            },
        )

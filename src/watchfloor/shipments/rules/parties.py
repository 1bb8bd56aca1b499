"""Rule 3: the sender or consignee fuzzily matches a sanctioned party or a party to a
seizure the agency may read."""

from __future__ import annotations

from typing import Any

from watchfloor.shipments.rules import Reason, capped, quote
from watchfloor.shipments.schemas import PartyIn, ShipmentIn
from watchfloor.shipments.screening import Listed, Screening, corroborating


class PartyRule:
    name = "parties"

    def __init__(self, config: dict[str, Any], index: Screening) -> None:
        self.c = config
        self.index = index

    def evaluate(self, shipment: ShipmentIn) -> list[Reason]:
        reasons = []
        for role, party in (("sender", shipment.sender), ("consignee", shipment.consignee)):
            reason = self._screen(role, party)
            if reason:
                reasons.append(reason)
        return capped(reasons, self.c["max_points"])

    def _points(self, listed: Listed, party: PartyIn) -> tuple[int, list[str]]:
        """Points of a hit and the contact details that back it up. A seizure's party known
        with contact details counts fully only when one of them agrees: common names alone
        ("Maria Garcia") would otherwise flood the queue."""
        if listed.category != "seizure_party" or not any(listed.contact):
            return self.c[listed.category], []
        agreed = corroborating(listed.contact, party)
        if agreed:
            return self.c["seizure_party"], agreed
        return self.c["seizure_party_name_only"], []

    def _screen(self, role: str, party: PartyIn) -> Reason | None:
        hits = self.index.match(party.name, self.c["threshold"])
        if not hits:
            return None
        best = max(hits, key=lambda h: (self._points(h.listed, party)[0], h.score))
        listed = best.listed
        points, agreed = self._points(listed, party)
        text = (
            f"{role} {quote(party.name)} matches {listed.name} on {listed.label} "
            f"({best.score:.0f}% similar"
            + (f"; same {' and '.join(agreed)}" if agreed else "")
            + ")"
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

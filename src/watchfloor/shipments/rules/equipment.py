"""Rule: tableting and encapsulating equipment, and the punches and dies that give pills their
imprint. Tablet presses and encapsulating machines are listed chemical equipment under the US
Controlled Substances Act (21 U.S.C. 802(39), 830; imports reported on DEA Form 452 under
21 CFR 1310.05), and a die engraved with the imprint of a controlled medicine makes counterfeit
pills (DEA, "One Pill Can Kill": counterfeit "M 30" oxycodone tablets that hold fentanyl).

Machines are recognised by their words (tablet press, pill press, capsule filling machine,
encapsulator) and by the model series sold for tableting (TDP, ZP); tooling by a punch, die or
mould word together with a tablet, pill or press word, or with an imprint of a controlled
medicine. HS 8479 (machines n.e.c.), 8477, 8207 (interchangeable tools) and 8480 (moulds) are
where such items are declared; the heading is named in the reason, not needed for it.
"""

from __future__ import annotations

import re
from typing import Any

from watchfloor.memo import Memo
from watchfloor.reference import tokens
from watchfloor.shipments.hs import format_hs
from watchfloor.shipments.rules import Reason, capped, joined_in, quote
from watchfloor.shipments.schemas import ItemIn, ShipmentIn

_MODEL = re.compile(r"^(?:tdp|zp|thdp)\d*$")


class EquipmentRule:
    name = "equipment"

    def __init__(self, config: dict[str, Any], imprints: dict[str, str]) -> None:
        self.c = config
        self.machines = [tuple(tokens(t)) for t in config["machine_terms"]]
        self.tooling = frozenset(config["tooling_words"])
        self.pill_words = frozenset(config["tablet_words"])
        self.imprints = imprints  # compact imprint ("m30") -> as printed ("M 30")
        self._memo: Memo[str, tuple[str, str, str | None] | None] = Memo()

    def evaluate(self, shipment: ShipmentIn) -> list[Reason]:
        reasons = []
        for line, item in enumerate(shipment.items, start=1):
            found = self._memo.lookup(item.description, self._read)
            if found is None:
                continue
            kind, term, imprint = found
            reasons.append(self._reason(line, item, kind, term, imprint))
        return capped(reasons, self.c["max_points"])

    def _reason(self, line: int, item: ItemIn, kind: str, term: str, imprint: str | None) -> Reason:
        head = f"item {line} {quote(item.description)}"
        code = f" declared under {format_hs(item.hs_code)}" if item.hs_code else ""
        if imprint:
            points = self.c["imprint"]
            text = (
                f"{head}{code} is tableting equipment ('{term}') with the imprint "
                f"'{imprint}' of a controlled medicine: it can make counterfeit pills"
            )
        else:
            points = self.c["machine"] if kind == "machine" else self.c["tooling"]
            what = (
                "a tableting or encapsulating machine"
                if kind == "machine"
                else ("tooling for a tablet press")
            )
            text = f"{head}{code} is {what} ('{term}'), listed equipment under 21 U.S.C. 830"
        return Reason(
            self.name,
            points,
            text,
            {"item": line, "kind": kind, "term": term, "imprint": imprint},
        )

    def _read(self, description: str) -> tuple[str, str, str | None] | None:
        """(machine | tooling, the words that say so, the imprint given) or None."""
        words = tokens(description)
        imprint = joined_in(words, self.imprints)
        for term in self.machines:
            if _contains(words, term):
                return "machine", " ".join(term), imprint
        model = next((w for w in words if _MODEL.match(w) and len(w) > 2), None)
        present = set(words)
        if model and present & (self.pill_words | {"machine", "press"}):
            return "machine", model, imprint
        tool = next((w for w in words if w in self.tooling), None)
        if tool and (present & self.pill_words or imprint):
            return "tooling", tool, imprint
        return None


def _contains(words: list[str], term: tuple[str, ...]) -> bool:
    n = len(term)
    return any(tuple(words[i : i + n]) == term for i in range(len(words) - n + 1))

"""Rule 1: a controlled drug, a precursor or tableting equipment named in an item description
(by name, synonym, abbreviation, street name, CAS number, or a misspelling of a name)."""

from __future__ import annotations

from typing import Any

from watchfloor.memo import Memo
from watchfloor.reference import Mention, SubstanceFacts, SubstanceMatcher, tokens
from watchfloor.shipments.rules import Reason, capped, quote
from watchfloor.shipments.schemas import ShipmentIn

_HOW = {
    "name": "names",
    "synonym": "names",
    "brand": "names the brand",
}


class SubstanceRule:
    name = "substance"

    def __init__(self, config: dict[str, Any], matcher: SubstanceMatcher) -> None:
        self.c = config
        self.matcher = matcher
        eq = config.get("equipment", {})
        self.equipment_points = int(eq.get("points", 0))
        self.equipment = [tuple(tokens(t)) for t in eq.get("terms", [])]
        self._equipment_memo: Memo[str, str | None] = Memo()

    def base_points(self, sub: SubstanceFacts) -> tuple[int, str]:
        c = self.c
        if sub.kind == "precursor":
            if sub.un_1988_table == "I":
                return c["precursor_table_i"], "precursor_table_i"
            return c["precursor_table_ii"], "precursor_table_ii"
        if sub.drug_class == "fentanyl":
            return c["fentanyl_class"], "fentanyl_class"
        if sub.un_1961 or sub.un_1971 or (sub.dea_schedule or "") in ("I", "II"):
            return c["controlled_drug"], "controlled_drug"
        return c["other_controlled"], "other_controlled"

    def points(self, m: Mention, item_mentions: tuple[Mention, ...]) -> tuple[int, str]:
        if m.name_kind == "slang":
            return self.c["street_name"], "street_name"
        points, category = self.base_points(m.substance)
        if m.how == "fuzzy":
            points = round(points * self.c["fuzzy_factor"])
        if m.how == "cas" and not any(
            o.how != "cas" and o.substance.key == m.substance.key for o in item_mentions
        ):
            points += self.c["cas_only_bonus"]
        return points, category

    def _equipment(self, description: str) -> str | None:
        """The regulated-equipment term the description contains, if any (memoised)."""
        return self._equipment_memo.lookup(description, self._find_equipment)

    def _find_equipment(self, description: str) -> str | None:
        words = tokens(description)
        present = set(words)
        found = None
        for term in self.equipment:
            if term[0] in present and _contains(words, term):
                found = " ".join(term)
                break
        return found

    def evaluate(self, shipment: ShipmentIn) -> list[Reason]:
        best: dict[str, Reason] = {}
        for line, item in enumerate(shipment.items, start=1):
            mentions = self.matcher.find(item.description)
            for m in mentions:
                points, category = self.points(m, mentions)
                old = best.get(m.substance.key)
                if old is None or points > old.points:
                    best[m.substance.key] = Reason(
                        self.name,
                        points,
                        _sentence(line, item.description, m),
                        _evidence(line, m, category),
                    )
            term = self._equipment(item.description)
            if term:
                best[f"equipment:{term}"] = Reason(
                    self.name,
                    self.equipment_points,
                    f"item {line} {quote(item.description)} is tableting or encapsulating "
                    f"equipment ('{term}'), regulated under 21 U.S.C. 830",
                    {"item": line, "equipment": term},
                )
        return capped(list(best.values()), self.c["max_points"])


def _contains(words: list[str], term: tuple[str, ...]) -> bool:
    n = len(term)
    return any(tuple(words[i : i + n]) == term for i in range(len(words) - n + 1))


def _sentence(line: int, description: str, m: Mention) -> str:
    sub = m.substance
    what = sub.describe()
    head = f"item {line} {quote(description)}"
    if m.how == "cas":
        return f"{head} gives CAS {m.found}, which is {sub.name}, {what}"
    if m.how == "fuzzy":
        letters = "letter" if m.distance == 1 else "letters"
        return (
            f"{head} says '{m.found}', {m.distance} {letters} from {m.name}"
            + (f" ({sub.name})" if m.name != sub.name else "")
            + f", {what}"
        )
    if m.name_kind == "abbreviation":
        return f"{head} says '{m.found}', the abbreviation of {sub.name}, {what}"
    if m.name_kind == "slang":
        return f"{head} says '{m.found}', a DEA-listed street name for {sub.name}"
    if m.name_kind in ("synonym", "brand") and m.name != sub.name:
        return f"{head} names {m.name}, which is {sub.name}, {what}"
    return f"{head} names {sub.name}, {what}"


def _evidence(line: int, m: Mention, category: str) -> dict[str, Any]:
    ev: dict[str, Any] = {
        "item": line,
        "substance": m.substance.key,
        "found": m.found,
        "matched_name": m.name,
        "name_kind": m.name_kind,
        "how": m.how,
        "category": category,
        "sources": m.substance.sources,
    }
    if m.distance:
        ev["distance"] = m.distance
    if m.substance.unverified:
        ev["unverified"] = m.substance.unverified
    return ev

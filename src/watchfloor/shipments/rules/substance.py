"""Rule 1: a controlled drug, a new psychoactive substance, an adulterant or a precursor named in
an item description (by name, synonym, brand, abbreviation, CAS number, a spelling variant, a
misspelling, or a name built like a family's), and street names and pill imprints where the
item could be a drug.

Points sit on the one 0-100 scale of ``scoring.toml`` ([bands]): naming a drug of Schedule I
or II, a fentanyl-class substance or a nitazene reaches the inspect band on its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from watchfloor.memo import Memo
from watchfloor.reference import Mention, SubstanceFacts, SubstanceMatcher, tokens
from watchfloor.shipments.rules import Reason, capped, joined_in, quote
from watchfloor.shipments.rules.context import ContextReader, ItemContext
from watchfloor.shipments.schemas import ShipmentIn

_SCHEDULE_I_II = ("I", "II", "IIN")


def category_of(sub: SubstanceFacts) -> str:
    """How the rule weighs a substance: by its control first, then by its family."""
    if sub.kind == "precursor":
        return "precursor_table_i" if sub.un_1988_table == "I" else "precursor_table_ii"
    family = sub.family.category if sub.family else None
    if sub.drug_class == "fentanyl" or family == "fentanyl_class":
        return "fentanyl_class"
    un_1971 = (sub.un_1971 or "").split(";")
    if sub.un_1961 or any(s in ("I", "II") for s in un_1971):
        return "schedule_i_ii"
    if (sub.dea_schedule or "") in _SCHEDULE_I_II:
        return "schedule_i_ii"
    if sub.un_1971 or sub.dea_schedule:
        return "controlled"
    if family is not None:
        return family  # synthetic_drug | benzodiazepine | adulterant
    return "nps"


@dataclass(frozen=True)
class PillMarker:
    imprint: str  # as printed: "M 30"
    meaning: str


class SubstanceRule:
    name = "substance"

    def __init__(
        self, config: dict[str, Any], matcher: SubstanceMatcher, context: ContextReader
    ) -> None:
        self.c = config
        self.matcher = matcher
        self.context = context
        self.markers = {
            "".join(tokens(m["imprint"])): PillMarker(m["imprint"], m["meaning"])
            for m in config["pill_markers"]
        }
        self._marker_memo: Memo[str, PillMarker | None] = Memo()
        self._items: Memo[tuple[int, str, str | None], tuple[tuple[Reason, str], ...]] = Memo()

    def points(self, m: Mention, item_mentions: tuple[Mention, ...]) -> tuple[int, str]:
        category = category_of(m.substance)
        points = int(self.c[category])
        if m.how == "fuzzy":
            points -= self.c["misspelling_penalty"] * m.distance
        if m.how == "cas" and not any(
            o.how != "cas" and o.substance.key == m.substance.key for o in item_mentions
        ):
            points += self.c["cas_only_bonus"]
        return points, category

    def evaluate(self, shipment: ShipmentIn) -> list[Reason]:
        best: dict[str, Reason] = {}
        for line, item in enumerate(shipment.items, start=1):
            found = self._items.lookup((line, item.description, item.hs_code), self._read_item)
            for reason, key in found:
                old = best.get(key)
                if old is None or reason.points > old.points:
                    best[key] = reason
        return capped(list(best.values()), self.c["max_points"])

    def _read_item(self, key: tuple[int, str, str | None]) -> tuple[tuple[Reason, str], ...]:
        """The reasons of one item (memoised: the same line, words and code score alike)."""
        line, description, hs_code = key
        return tuple(self._item(line, description, self.context.read(description, hs_code)))

    def _item(self, line: int, description: str, context: ItemContext) -> list[tuple[Reason, str]]:
        out = []
        mentions = self.matcher.find(description, ordinary=context.drug_form)
        for m in mentions:
            if m.name_kind == "slang":
                reason = self._street(line, description, m, context)
                if reason is not None:
                    out.append((reason, m.substance.key))
                continue
            if m.ordinary and not self.context.names_only(description, m.found):
                continue  # "heroine" in "heroine action figure" is the English word
            points, category = self.points(m, mentions)
            text = _sentence(line, description, m)
            if context.goods is not None:
                points = min(points, self.c["in_goods"])
                text += f"; but the code and words say it is goods of chapter {context.goods}"
            out.append(
                (Reason(self.name, points, text, _evidence(line, m, category)), m.substance.key)
            )
        marker = self._marker(description)
        if marker is not None and context.could_be_drug:
            points = self.c["pill_marker"] if context.pills else self.c["street_name"]
            where = "on pills" if context.pills else "without saying what the item is"
            out.append(
                (
                    Reason(
                        self.name,
                        points,
                        f"item {line} {quote(description)} gives the imprint "
                        f"'{marker.imprint}', {marker.meaning}, {where}",
                        {"item": line, "imprint": marker.imprint, "pills": context.pills},
                    ),
                    f"imprint:{marker.imprint}",
                )
            )
        return out

    def _street(
        self, line: int, description: str, m: Mention, context: ItemContext
    ) -> Reason | None:
        """A street name weighs only where the item could be a drug, and most where it is in
        a drug's form (pills, powder, grams)."""
        if not context.could_be_drug:
            return None
        if m.ordinary and not self.context.names_only(description, m.found):
            return None  # "green tea leaves", "rock salt": the words name the goods
        key = "street_name_in_drug_form" if context.drug_form else "street_name"
        form = " in a drug's form" if context.drug_form else ""
        return Reason(
            self.name,
            self.c[key],
            f"item {line} {quote(description)} says '{m.found}', a DEA-listed street "
            f"name for {m.substance.name}{form}",
            _evidence(line, m, key),
        )

    def _marker(self, description: str) -> PillMarker | None:
        return self._marker_memo.lookup(description, self._find_marker)

    def _find_marker(self, description: str) -> PillMarker | None:
        """The pill imprint the description gives, however it is spaced ("M 30", "M-30",
        "m30"): one to three words that joined are the imprint."""
        return joined_in(tokens(description), self.markers)


def _sentence(line: int, description: str, m: Mention) -> str:
    sub = m.substance
    what = sub.describe()
    head = f"item {line} {quote(description)}"
    if m.how == "cas":
        return f"{head} gives CAS {m.found}, which is {sub.name}, {what}"
    if m.how == "family":
        return f"{head} names {m.found}, {what}"
    if m.how == "fuzzy":
        letters = "letter" if m.distance == 1 else "letters"
        return (
            f"{head} says '{m.found}', {m.distance} {letters} from {m.name}"
            + (f" ({sub.name})" if m.name != sub.name else "")
            + f", {what}"
        )
    if m.how == "variant":
        return f"{head} says '{m.found}', a spelling of {sub.name}, {what}"
    if m.name_kind == "abbreviation":
        return f"{head} says '{m.found}', the abbreviation of {sub.name}, {what}"
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
    if m.substance.family is not None:
        ev["family"] = m.substance.family.key
    if m.distance:
        ev["distance"] = m.distance
    if m.substance.unverified:
        ev["unverified"] = m.substance.unverified
    return ev

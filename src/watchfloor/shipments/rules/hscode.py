"""Rule 2: HS code risk. An item declared under a precursor watch subheading; such an item
whose description reads like goods of another chapter ("plastic toy" under 2933.39); and a
controlled substance named under a chapter that holds no chemicals or medicines."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from watchfloor.memo import Memo
from watchfloor.reference import SubstanceFacts, SubstanceMatcher, shipped_facts
from watchfloor.shipments.hs import ChapterGuesser, chapter_name, descriptions, format_hs
from watchfloor.shipments.rules import Reason, capped, quote
from watchfloor.shipments.schemas import ShipmentIn


def watch_list(extra: list[str]) -> dict[str, list[str]]:
    """Six-digit subheading -> names of the 1988 Convention Table I precursors (and listed
    fentanyl-class drugs) the catalogue classifies there. Table II solvents and acids are in
    too much lawful trade to watch by code alone."""
    watch: dict[str, list[str]] = defaultdict(list)
    for sub in shipped_facts():
        table_i = sub.kind == "precursor" and sub.un_1988_table == "I"
        fentanyl = sub.drug_class == "fentanyl" and sub.hs2022 in extra
        if sub.hs2022 and (table_i or fentanyl):
            watch[sub.hs2022].append(sub.name)
    for code in extra:
        watch.setdefault(code, [])
    return dict(watch)


def single_substance_subheadings(matcher: SubstanceMatcher) -> dict[str, SubstanceFacts]:
    """Subheadings of HS 2022 that exist for one watched substance alone (2933.36 ANPP,
    2933.37 NPP, 2914.31 P-2-P, 2939.41 ephedrine...): a Table I precursor that is the only
    catalogue substance classified there, under a subheading whose text names it."""
    by_code: dict[str, list[SubstanceFacts]] = defaultdict(list)
    for sub in shipped_facts():
        if sub.hs2022:
            by_code[sub.hs2022].append(sub)
    text = descriptions()
    out = {}
    for code, subs in by_code.items():
        sub = subs[0]
        if len(subs) > 1 or sub.kind != "precursor" or sub.un_1988_table != "I":
            continue
        if any(m.substance.key == sub.key for m in matcher.find_exact(text.get(code, ""))):
            out[code] = sub
    return out


class HsRule:
    name = "hs_code"

    def __init__(
        self, config: dict[str, Any], matcher: SubstanceMatcher, guesser: ChapterGuesser
    ) -> None:
        self.c = config
        self.matcher = matcher
        self.guesser = guesser
        self.watch = watch_list(list(config.get("extra_watch", [])))
        self.single = single_substance_subheadings(matcher)
        self.chemical = frozenset(config["chemical_chapters"])
        self._memo: Memo[tuple[int, str, str], tuple[Reason, ...]] = Memo()

    def evaluate(self, shipment: ShipmentIn) -> list[Reason]:
        reasons: list[Reason] = []
        for line, item in enumerate(shipment.items, start=1):
            if item.hs_code:
                reasons += self._memo.lookup((line, item.description, item.hs_code), self._item)
        return capped(reasons, self.c["max_points"])

    def _item(self, key: tuple[int, str, str]) -> tuple[Reason, ...]:
        """The reasons of one item (memoised: the same line, words and code score alike)."""
        line, description, hs_code = key
        reasons = []
        sub6, chapter = hs_code[:6], hs_code[:2]
        mentions = self.matcher.find(description)
        named = [m for m in mentions if m.name_kind != "slang"]
        head = f"item {line} {quote(description)}"
        code = format_hs(hs_code)
        alone = self.single.get(sub6)
        if alone is not None and all(m.substance.key != alone.key for m in named):
            reasons.append(
                Reason(
                    self.name,
                    self.c["single_substance"],
                    f"{head} is declared under {code}, the subheading of {alone.name} "
                    f"alone ({alone.describe()}), but its words do not name it",
                    {"item": line, "hs": hs_code, "substance": alone.key},
                )
            )
        elif sub6 in self.watch:
            reasons.append(self._watched(line, head, description, hs_code, bool(named)))
        if named and chapter not in self.chemical:
            sub = named[0].substance
            reasons.append(
                Reason(
                    self.name,
                    self.c["named_under_unrelated"],
                    f"{head} names {sub.name} but is declared under {code}, chapter "
                    f"{chapter} ({_short(chapter_name(chapter))}), which holds no "
                    "chemicals or medicines",
                    {"item": line, "hs": hs_code, "substance": sub.key},
                )
            )
        return tuple(reasons)

    def _watched(self, line: int, head: str, description: str, hs: str, named: bool) -> Reason:
        """An item under a watch subheading: a mismatch when its words read like another
        chapter's goods, else the watch heading's points."""
        sub6, chapter, code = hs[:6], hs[:2], format_hs(hs)
        what = _watch_phrase(self.watch[sub6])
        mismatch, other = (False, None) if named else self._reads_like(description, chapter)
        if mismatch:
            looks = (
                f"its words read like chapter {other} ({_short(chapter_name(other))})"
                if other
                else "its words name no chemical"
            )
            return Reason(
                self.name,
                self.c["watch_mismatch"],
                f"{head} is declared under {code}, {what}, but {looks}",
                {"item": line, "hs": hs, "reads_like": other},
            )
        return Reason(
            self.name,
            self.c["watch_heading"],
            f"{head} is declared under {code}, {what}",
            {"item": line, "hs": hs, "watch": self.watch[sub6]},
        )

    def _reads_like(self, description: str, chapter: str) -> tuple[bool, str | None]:
        """(mismatch, chapter it reads like): a mismatch when no word of the description
        belongs to the declared chapter."""
        if chapter in dict(self.guesser.scores(description)):
            return False, None
        other = self.guesser.disagrees(description, chapter, margin=self.c["mismatch_margin"])
        return True, other


def _watch_phrase(names: list[str]) -> str:
    if not names:
        return "a subheading on the drug and precursor watch list"
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"the subheading of {shown} (precursor watch list)"


def _short(text: str, limit: int = 50) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip(" ,;") + "…"

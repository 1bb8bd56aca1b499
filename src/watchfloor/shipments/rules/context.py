"""What an item could be, read from its HS code and words: goods that cannot be a drug (a DVD,
a poster, a toy), something in a drug's form (pills, powder, grams), or neither. Street names
and pill imprints weigh only where the item could be a drug."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from watchfloor.memo import Memo
from watchfloor.reference import tokens
from watchfloor.shipments.hs import ChapterGuesser

_QUANTITY = re.compile(r"^(?:x?\d+(?:mg|mcg|ug|g|gr|kg|oz|ml|l|pcs|pc|x)?|mg|g|kg|oz|ml)$")
_COUNT_WORDS = frozenset(["pcs", "pieces", "piece", "units", "unit", "pack", "bag", "bags", "of"])
_AMOUNT = re.compile(r"\b\d+(?:[.,]\d+)?\s?(?:mg|mcg|ug|g|gr|gram|grams|kg|oz)\b", re.I)


@dataclass(frozen=True)
class ItemContext:
    goods: str | None  # the chapter of goods the item is, when it cannot be a drug
    pills: bool  # tablets, pills, capsules
    drug_form: bool  # pills, powder, crystals, blotters, or an amount in grams

    @property
    def could_be_drug(self) -> bool:
        return self.goods is None


class ContextReader:
    """Reads an item's context; configured by ``[context]`` of scoring.toml."""

    def __init__(self, config: dict[str, Any], guesser: ChapterGuesser) -> None:
        self.drug_chapters = frozenset(config["drug_chapters"])
        self.pill_words = frozenset(config["pill_words"])
        self.form_words = frozenset(config["form_words"]) | self.pill_words
        self.pill_headings = tuple(config["pill_headings"])
        self.margin = float(config["goods_margin"])
        self.guesser = guesser
        self._memo: Memo[tuple[str, str | None], ItemContext] = Memo()

    def read(self, description: str, hs_code: str | None) -> ItemContext:
        return self._memo.lookup((description, hs_code), self._read)

    def _read(self, key: tuple[str, str | None]) -> ItemContext:
        description, hs = key
        words = set(tokens(description))
        pills = bool(words & self.pill_words) or bool(hs and hs.startswith(self.pill_headings))
        form = pills or bool(words & self.form_words) or bool(_AMOUNT.search(description))
        return ItemContext(self._goods(description, hs), pills, form)

    def _goods(self, description: str, hs: str | None) -> str | None:
        """The chapter of goods an item is when its code says it is not something a drug
        could be declared as, and its words do not read like a chapter that a drug could
        ("chocolate" under 2939 is not chocolate; "cocaine" under 8523 may be a film). Words
        alone never make an item goods."""
        if not hs or hs[:2] in self.drug_chapters:
            return None
        scored = self.guesser.scores(description)
        read = scored[0][0] if scored and scored[0][1] >= self.margin else None
        return None if read in self.drug_chapters else hs[:2]

    def names_only(self, description: str, words: str) -> bool:
        """Whether ``words`` are all the description says of what the item is: the rest is
        amounts, counts and forms ("China white 10g", not "green tea leaves 500g")."""
        rest = set(tokens(description)) - set(tokens(words))
        return all(w in self.form_words or w in _COUNT_WORDS or _QUANTITY.match(w) for w in rest)

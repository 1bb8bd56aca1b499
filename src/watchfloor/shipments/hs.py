"""HS 2022 facts the shipments domain needs in memory: which codes exist, what each chapter
is called, and which chapter a free-text description reads like."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from functools import lru_cache

from watchfloor.memo import Memo
from watchfloor.reference import catalogue_rows, tokens

_HS_CLEAN = re.compile(r"[\s.\-]")
_STOP = frozenset(
    [
        "and",
        "or",
        "the",
        "of",
        "for",
        "in",
        "with",
        "other",
        "than",
        "not",
        "nes",
        "n",
        "e",
        "c",
        "incl",
        "excl",
        "whether",
        "but",
        "its",
        "their",
        "put",
        "up",
        "by",
        "as",
        "from",
        "to",
        "on",
        "be",
        "at",
        "any",
        "kind",
        "used",
        "such",
        "this",
        "these",
        "those",
    ]
)


@lru_cache(maxsize=1)
def subheadings() -> frozenset[str]:
    """Every six-digit HS 2022 subheading. Comtrade's 99.99.99 ("commodities not specified")
    is a statistical code, not part of the nomenclature, and is left out."""
    return frozenset(
        r["hscode"]
        for r in catalogue_rows("hs2022.csv")
        if r["level"] == "6" and r["section"] != "TOTAL"
    )


@lru_cache(maxsize=1)
def descriptions() -> dict[str, str]:
    return {r["hscode"]: r["description"] for r in catalogue_rows("hs2022.csv")}


def clean_hs(code: str) -> str:
    """'2933.39.99' -> '29333999'."""
    return _HS_CLEAN.sub("", code)


def check_hs(code: str) -> str:
    """Return the declared code, digits only, or raise ValueError saying what is wrong.

    National tariff lines of 8 to 10 digits are accepted when their first six digits are a
    subheading of HS 2022.
    """
    if code.isdigit() and 6 <= len(code) <= 10 and code[:6] in subheadings():
        return code
    digits = clean_hs(code)
    if not digits.isdigit():
        raise ValueError(f"HS code {code!r} must contain digits only")
    if not 6 <= len(digits) <= 10:
        raise ValueError(f"HS code {code!r} must have 6 to 10 digits, not {len(digits)}")
    if digits[:6] not in subheadings():
        raise ValueError(f"HS code {code!r}: {digits[:6]} is not an HS 2022 subheading")
    return digits


def format_hs(code: str) -> str:
    """'293339' -> '2933.39'; national extensions keep their extra digits after a dot."""
    code = clean_hs(code)
    out = f"{code[:4]}.{code[4:6]}"
    return out + (f".{code[6:]}" if len(code) > 6 else "")


def chapter_name(chapter: str) -> str:
    return descriptions().get(chapter, f"chapter {chapter}")


def _stem(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


class ChapterGuesser:
    """Which HS chapters a description's words belong to, weighted by how specific each word
    is to few chapters (inverse chapter frequency). Words no chapter uses count for nothing."""

    def __init__(self) -> None:
        counts: dict[str, Counter[str]] = defaultdict(Counter)
        for row in catalogue_rows("hs2022.csv"):
            chapter = row["hscode"][:2]
            for word in tokens(row["description"]):
                if len(word) > 2 and word not in _STOP and not word.isdigit():
                    counts[_stem(word)][chapter] += 1
        n = len({r["hscode"][:2] for r in catalogue_rows("hs2022.csv")})
        # weight of a word for a chapter: how often the chapter uses it (damped) times how
        # few chapters use it at all
        self.weights = {
            w: tuple((c, math.log1p(k) * math.log(n / len(by))) for c, k in by.items())
            for w, by in counts.items()
        }
        self._memo: Memo[str, tuple[tuple[str, float], ...]] = Memo()

    def scores(self, text: str) -> tuple[tuple[str, float], ...]:
        """Chapters with their evidence, best first."""
        return self._memo.lookup(text, self._scores)

    def _scores(self, text: str) -> tuple[tuple[str, float], ...]:
        total: defaultdict[str, float] = defaultdict(float)
        for word in {_stem(t) for t in tokens(text)}:
            for chapter, weight in self.weights.get(word, ()):
                total[chapter] += weight
        return tuple(sorted(total.items(), key=lambda kv: (-kv[1], kv[0])))

    def disagrees(self, text: str, chapter: str, *, margin: float) -> str | None:
        """The chapter ``text`` reads like when it is clearly not ``chapter``, else None.

        Clearly means: the declared chapter gets no weight from the words at all and another
        chapter gets at least ``margin``.
        """
        scored = self.scores(text)
        if not scored or any(c == chapter for c, _ in scored):
            return None
        best, weight = scored[0]
        return best if weight >= margin else None


@lru_cache(maxsize=1)
def chapter_guesser() -> ChapterGuesser:
    return ChapterGuesser()

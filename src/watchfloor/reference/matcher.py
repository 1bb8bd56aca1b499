"""Find catalogue substances named in free text such as a customs item description.

Names, synonyms, abbreviations, slang and CAS registry numbers are looked up after folding
case, accents, spacing and punctuation, so "N-Phenethyl-4-piperidone", "n phenethyl 4
piperidone" and "NPHENETHYL4PIPERIDONE" are one name. Misspellings are found by edit
distance (one edit for names up to 9 letters, two beyond) on words that are not ordinary
trade vocabulary. A name followed by "free" or preceded by "no", "without" or "free of" is
a negation and not a mention ("piperidine-free shampoo").

Everything is in memory and memoised by text, so a description seen before costs a lookup.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from watchfloor.memo import Memo
from watchfloor.reference.loader import catalogue_rows, fold
from watchfloor.reference.service import cas_is_valid

CAS_IN_TEXT = re.compile(r"(?<![\d-])(\d{2,7})-(\d{2})-(\d)(?![\d-])")
_TOKEN = re.compile(r"[a-z0-9]+")
_NEGATE_BEFORE = {("no",), ("without",), ("free", "of"), ("zero",), ("non",)}
MAX_WINDOW = 16
T = TypeVar("T")


@dataclass(frozen=True)
class SubstanceFacts:
    """What the catalogue says about a substance, as scoring rules need it."""

    key: str
    name: str
    kind: str  # drug | precursor
    drug_class: str
    cas: str | None
    hs2022: str | None
    un_1961: str | None
    un_1971: str | None
    un_1988_table: str | None
    dea_schedule: str | None
    used_for: str | None
    unverified: str | None
    sources: str

    def describe(self) -> str:
        """One phrase a customs officer understands: what it is and how it is controlled."""
        if self.kind == "precursor":
            use = (self.used_for or "").replace(";", "/")
            what = f"a {use} precursor" if use else "a drug precursor"
            table = f"1988 Convention Table {self.un_1988_table}" if self.un_1988_table else ""
            return f"{what} ({table})" if table else what
        controls = []
        if self.un_1961:
            controls.append(f"1961 Convention Schedule {self.un_1961.replace(';', ', ')}")
        if self.un_1971:
            controls.append(f"1971 Convention Schedule {self.un_1971.replace(';', ', ')}")
        if self.dea_schedule:
            controls.append(f"US Schedule {self.dea_schedule}")
        what = "a fentanyl-class opioid" if self.drug_class == "fentanyl" else "a controlled drug"
        return f"{what} ({'; '.join(controls)})" if controls else what


@dataclass(frozen=True)
class Mention:
    """A substance found in a text: which words, by which name, and how."""

    substance: SubstanceFacts
    found: str  # the words of the text (or the CAS number) that matched
    name: str  # the catalogue name they matched
    name_kind: str  # name | synonym | abbreviation | brand | slang | cas
    how: str  # exact | fuzzy | cas
    distance: int = 0


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(text))


class SubstanceMatcher:
    """Finds catalogue substances in text; build once with :meth:`shipped` and share."""

    def __init__(
        self,
        substances: list[SubstanceFacts],
        names: list[tuple[str, str, str]],
        common_words: frozenset[str],
    ) -> None:
        self.facts = {s.key: s for s in substances}
        self.by_cas = {s.cas: s for s in substances if s.cas}
        # compact form -> (substance key, catalogue name, name kind); first (best) kind wins
        self.exact: dict[str, tuple[str, str, str]] = {}
        order = {"name": 0, "synonym": 1, "abbreviation": 1, "brand": 2, "slang": 3}
        self.common_words = common_words
        for key, name, kind in sorted(names, key=lambda n: order.get(n[2], 4)):
            toks = tokens(name)
            compact = "".join(toks)
            if len(compact) < 3 or len(toks) > MAX_WINDOW or compact in self.exact:
                continue
            ordinary = len(toks) <= 3 and all(t in common_words and t.isalpha() for t in toks)
            if kind in ("slang", "synonym", "brand") and (ordinary or len(compact) < 4):
                continue  # "ice", "china white", "helicopter": ordinary words are not mentions
            if kind in ("abbreviation", "slang") and compact.isdigit():
                continue
            self.exact[compact] = (key, name, kind)
        self.prefixes = frozenset(c[:i] for c in self.exact for i in range(1, len(c) + 1))
        # fuzzy matching only against proper names of 7+ letters, bucketed by length
        self.fuzzy: dict[int, list[str]] = defaultdict(list)
        for compact, (_, _, kind) in self.exact.items():
            if kind in ("name", "synonym") and len(compact) >= 7 and not compact.isdigit():
                self.fuzzy[len(compact)].append(compact)
        self._memo: Memo[str, tuple[Mention, ...]] = Memo()

    @classmethod
    def shipped(cls) -> SubstanceMatcher:
        return _shipped_matcher()

    # -- lookup ----------------------------------------------------------------------------

    def find(self, text: str) -> tuple[Mention, ...]:
        """Every substance mentioned in ``text``, each once, best evidence first."""
        return self._memo.lookup(text, self._find)

    def find_exact(self, text: str) -> tuple[Mention, ...]:
        """As :meth:`find` without misspellings (and without the memo): for long texts such
        as listings, where a near-miss is more often a word of another language and the
        fuzzy pass would cost most of the time."""
        return self._find(text, fuzzy=False)

    def _find(self, text: str, *, fuzzy: bool = True) -> tuple[Mention, ...]:
        found: dict[str, Mention] = {}
        for m in CAS_IN_TEXT.finditer(text):
            cas = m.group(0)
            sub = self.by_cas.get(cas)
            if sub is not None and cas_is_valid(cas):
                found.setdefault(sub.key, Mention(sub, cas, cas, "cas", "cas"))
        folded = fold(text)
        spans = [m.span() for m in _TOKEN.finditer(folded)]
        toks = [folded[a:b] for a, b in spans]
        same = len(folded) == len(text)  # then the original words can be quoted as written

        def words(start: int, end: int) -> str:
            if same:
                return text[spans[start][0] : spans[end - 1][1]]
            return " ".join(toks[start:end])

        used = [False] * len(toks)
        # names as written first, longest window first; then misspellings of what is left
        passes: list[tuple[Iterable[tuple[int, int]], Callable[[list[str]], Any]]] = [
            (self._exact_windows(toks), self._exact)
        ]
        if fuzzy:
            passes.append((_windows(len(toks), (4, 3, 2, 1)), self._fuzzy))
        for windows, lookup in passes:
            for start, end, (entry, how, distance) in _claim(toks, used, windows, lookup):
                key, name, kind = entry
                if key not in found:
                    found[key] = Mention(
                        self.facts[key], words(start, end), name, kind, how, distance
                    )
        return tuple(found.values())

    def _exact_windows(self, toks: list[str]) -> list[tuple[int, int]]:
        """The windows whose joined tokens are a catalogue name, longest first, then left to
        right (the order in which they are claimed). A window grows from each token only
        while its text is still the beginning of some name, so the scan is about linear."""
        found = []
        for start in range(len(toks)):
            compact = ""
            for end in range(start + 1, min(start + MAX_WINDOW, len(toks)) + 1):
                compact += toks[end - 1]
                if compact not in self.prefixes:
                    break
                if compact in self.exact:
                    found.append((start, end))
        found.sort(key=lambda w: (w[0] - w[1], w[0]))
        return found

    def _exact(self, window: list[str]) -> tuple[tuple[str, str, str], str, int] | None:
        entry = self.exact.get("".join(window))
        return None if entry is None else (entry, "exact", 0)

    def _fuzzy(self, window: list[str]) -> tuple[tuple[str, str, str], str, int] | None:
        """A misspelt name: only for windows that are not all ordinary words or numbers."""
        if all(t in self.common_words or t.isdigit() for t in window):
            return None
        hit = self._closest("".join(window))
        return None if hit is None else (self.exact[hit[0]], "fuzzy", hit[1])

    def _closest(self, compact: str) -> tuple[str, int] | None:
        size = len(compact)
        if size < 6:
            return None
        best: tuple[str, int] | None = None
        limit = 1 if size <= 9 else 2
        for length in range(size - limit, size + limit + 1):
            choices = self.fuzzy.get(length)
            if not choices:
                continue
            cutoff = limit if best is None else best[1] - 1
            if cutoff < 1:
                break
            got = process.extractOne(
                compact, choices, scorer=Levenshtein.distance, score_cutoff=cutoff
            )
            if got is not None and got[1] >= 1 and (best is None or got[1] < best[1]):
                best = (got[0], int(got[1]))
        return best


def _windows(n: int, sizes: Iterable[int]) -> Iterator[tuple[int, int]]:
    """Every window of ``n`` tokens of the given sizes, size by size, left to right."""
    for size in sizes:
        for start in range(0, n - size + 1):
            yield start, start + size


def _claim(
    toks: list[str],
    used: list[bool],
    windows: Iterable[tuple[int, int]],
    lookup: Callable[[list[str]], T | None],
) -> Iterator[tuple[int, int, T]]:
    """Windows of not yet used tokens, in the order given, that ``lookup`` recognises.
    A recognised window is used up even when it is negated ("piperidine-free"), so that no
    smaller part of it is found instead; only the windows that are not negated are yielded."""
    for start, end in windows:
        if any(used[start:end]):
            continue
        hit = lookup(toks[start:end])
        if hit is None:
            continue
        for i in range(start, end):
            used[i] = True
        if not _negated(toks, start, end):
            yield start, end, hit


def _negated(toks: list[str], start: int, end: int) -> bool:
    if end < len(toks) and toks[end] == "free":
        return True
    for size in (1, 2):
        if start - size >= 0 and tuple(toks[start - size : start]) in _NEGATE_BEFORE:
            return True
    return False


CHEMICAL_CHAPTERS = ("28", "29", "30", "38")


@lru_cache(maxsize=1)
def trade_vocabulary() -> frozenset[str]:
    """Words of the HS 2022 descriptions outside the chemical and pharmaceutical chapters:
    the ordinary vocabulary of goods ("china", "white", "ice", "helicopter"), without the
    words of chemistry ("benzyl", "ketone")."""
    words: set[str] = set()
    for row in catalogue_rows("hs2022.csv"):
        if row["hscode"][:2] in CHEMICAL_CHAPTERS:
            continue
        for word in tokens(row["description"]):
            words.add(word)
            if len(word) > 3 and word.endswith("s"):
                words.add(word[:-1])  # "helicopters" -> "helicopter"
    return frozenset(words)


@lru_cache(maxsize=1)
def shipped_facts() -> tuple[SubstanceFacts, ...]:
    return tuple(
        SubstanceFacts(
            key=r["key"],
            name=r["name"],
            kind=r["kind"],
            drug_class=r["drug_class"],
            cas=r["cas"] or None,
            hs2022=r["hs2022"] or None,
            un_1961=r["un_1961"] or None,
            un_1971=r["un_1971"] or None,
            un_1988_table=r["un_1988_table"] or None,
            dea_schedule=r["dea_schedule"] or None,
            used_for=r["used_for"] or None,
            unverified=r["unverified"] or None,
            sources=r["sources"],
        )
        for r in catalogue_rows("substances.csv")
    )


@lru_cache(maxsize=1)
def _shipped_matcher() -> SubstanceMatcher:
    facts = shipped_facts()
    names = [(s.key, s.name, "name") for s in facts]
    names += [(r["key"], r["name"], r["name_kind"]) for r in catalogue_rows("names.csv")]
    return SubstanceMatcher(list(facts), names, trade_vocabulary())

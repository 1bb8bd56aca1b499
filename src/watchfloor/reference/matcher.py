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
from watchfloor.reference.families import Family, family_of, family_words, spell_out
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
    family: Family | None = None
    known: bool = True  # False: a name that fits a family but is not in the catalogue

    def describe(self) -> str:
        """One phrase a customs officer understands: what it is and how it is controlled."""
        if not self.known and self.family is not None:
            return (
                f"{self.family.what}: its name is built like a {self.family.name}'s, "
                "and the catalogue does not list it"
            )
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
        if self.drug_class == "fentanyl":
            what = "a fentanyl-class opioid"
        elif self.family is not None:
            what = self.family.what
        else:
            what = "a controlled drug" if controls else "a psychoactive substance"
        return f"{what} ({'; '.join(controls)})" if controls else what


@dataclass(frozen=True)
class Mention:
    """A substance found in a text: which words, by which name, and how."""

    substance: SubstanceFacts
    found: str  # the words of the text (or the CAS number) that matched
    name: str  # the catalogue name they matched
    name_kind: str  # name | synonym | abbreviation | brand | slang | cas | family
    how: str  # exact | variant | family | fuzzy | cas
    distance: int = 0
    ordinary: bool = False  # a street name made of ordinary words ("china white")


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(fold(spell_out(text)))


def variant(compact: str) -> str:
    """A spelling key under which the usual variants of a drug's name meet: ph/f, th/t, k/c,
    y/i, and a final vowel of another language ("Kokain", "cocaina", "phentanyl",
    "fentanilo", "metanfetamina" all meet their English names)."""
    v = compact.replace("ph", "f").replace("th", "t").replace("k", "c").replace("y", "i")
    return v.rstrip("aeo") or v


def family_facts(word: str, family: Family) -> SubstanceFacts:
    """What is known of a name that fits a family but that the catalogue does not list."""
    return SubstanceFacts(
        key=f"family:{family.key}:{''.join(tokens(word))}",
        name=word,
        kind="drug",
        drug_class=family.drug_class,
        cas=None,
        hs2022=None,
        un_1961=None,
        un_1971=None,
        un_1988_table=None,
        dea_schedule=None,
        used_for=None,
        unverified=None,
        sources=family.sources,
        family=family,
        known=False,
    )


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
        self.ordinary: dict[str, tuple[str, str, str]] = {}
        for key, name, kind in sorted(names, key=lambda n: order.get(n[2], 4)):
            toks = tokens(name)
            compact = "".join(toks)
            if len(compact) < 3 or len(toks) > MAX_WINDOW or compact in self.exact:
                continue
            ordinary = len(toks) <= 3 and all(t in common_words and t.isalpha() for t in toks)
            if kind in ("abbreviation", "slang") and compact.isdigit():
                continue
            if kind in ("slang", "synonym", "brand") and (ordinary or len(compact) < 4):
                # "ice", "china white", "helicopter": ordinary words are not mentions, except
                # where the caller knows the item could be a drug (find(..., ordinary=True))
                if kind == "slang" and len(compact) >= 4:
                    self.ordinary.setdefault(compact, (key, name, kind))
                continue
            self.exact[compact] = (key, name, kind)
        self.prefixes = frozenset(
            c[:i] for c in (*self.exact, *self.ordinary) for i in range(1, len(c) + 1)
        )
        # spelling variants of drug names of 6+ letters; a variant shared by two substances
        # ("heroin"/"heroine" stay one, but two different drugs meeting is ambiguous) is dropped
        variants: dict[str, list[tuple[tuple[str, str, str], str]]] = defaultdict(list)
        for compact, entry in self.exact.items():
            if entry[2] in ("name", "synonym") and len(compact) >= 6 and compact.isalpha():
                variants[variant(compact)].append((entry, compact))
        # variant -> (entry, the compact name it is a variant of): the first in the order of
        # self.exact (names before synonyms), so that every process chooses the same one
        self.variants = {
            v: entries[0] for v, entries in variants.items() if len({e[0][0] for e in entries}) == 1
        }
        # fuzzy matching only against proper names of 7+ letters, bucketed by length
        self.fuzzy: dict[int, list[str]] = defaultdict(list)
        for compact, (_, _, kind) in self.exact.items():
            if kind in ("name", "synonym") and len(compact) >= 7 and not compact.isdigit():
                self.fuzzy[len(compact)].append(compact)
        self._memo: Memo[str, tuple[Mention, ...]] = Memo()
        self._ordinary_memo: Memo[str, tuple[Mention, ...]] = Memo()

    @classmethod
    def shipped(cls) -> SubstanceMatcher:
        return _shipped_matcher()

    # -- lookup ----------------------------------------------------------------------------

    def find(self, text: str, *, ordinary: bool = False) -> tuple[Mention, ...]:
        """Every substance mentioned in ``text``, each once, best evidence first. With
        ``ordinary``, street names made of ordinary words ("china white", "ice") count too:
        for a caller that knows the text describes something that could be a drug."""
        if ordinary:
            return self._ordinary_memo.lookup(text, self._find_ordinary)
        return self._memo.lookup(text, self._find)

    def _find_ordinary(self, text: str) -> tuple[Mention, ...]:
        return self._find(text, ordinary=True)

    def find_exact(self, text: str) -> tuple[Mention, ...]:
        """As :meth:`find` without misspellings (and without the memo): for long texts such
        as listings, where a near-miss is more often a word of another language and the
        fuzzy pass would cost most of the time."""
        return self._find(text, fuzzy=False)

    def _find(
        self, text: str, *, fuzzy: bool = True, ordinary: bool = False
    ) -> tuple[Mention, ...]:
        found: dict[str, Mention] = {}
        for m in CAS_IN_TEXT.finditer(text):
            cas = m.group(0)
            sub = self.by_cas.get(cas)
            if sub is not None and cas_is_valid(cas):
                found.setdefault(sub.key, Mention(sub, cas, cas, "cas", "cas"))
        folded = fold(spell_out(text))
        spans = [m.span() for m in _TOKEN.finditer(folded)]
        toks = [folded[a:b] for a, b in spans]
        same = len(folded) == len(text)  # then the original words can be quoted as written

        def words(start: int, end: int) -> str:
            if same:
                return text[spans[start][0] : spans[end - 1][1]]
            return " ".join(toks[start:end])

        # words built like a family's names, as token ranges: a catalogue name inside one
        # ("MDMB" inside "MDMB-4F-BUTINACA") is not a mention of its own
        families = _family_ranges(folded, spans)
        used = [False] * len(toks)
        exact = self._exact_windows(toks, ordinary=ordinary)
        exact = [w for w in exact if not _inside(w, families)]
        lookups = {tuple(toks[a:b]): f for (a, b), f in families.items()}
        passes: list[tuple[Iterable[tuple[int, int]], Callable[[list[str]], Any]]] = [
            (exact, self._exact_or_ordinary if ordinary else self._exact),
            # "fentanil", "Kokain", "heroína": a known drug's name in another spelling
            (
                [w for w in _windows(len(toks), (3, 2, 1)) if not _inside(w, families)],
                self._variant,
            ),
            (list(families), lambda window: _found(lookups.get(tuple(window)), "family")),
        ]
        if fuzzy:
            passes.append((_windows(len(toks), (4, 3, 2, 1)), self._fuzzy))
        for windows, lookup in passes:
            for start, end, (entry, how, distance) in _claim(toks, used, windows, lookup):
                if how == "family":
                    facts = family_facts(words(start, end), entry)
                    found.setdefault(
                        facts.key, Mention(facts, facts.name, facts.name, "family", how)
                    )
                    continue
                key, name, kind = entry
                plain = how == "variant-ordinary" or (
                    ordinary and "".join(toks[start:end]) in self.ordinary
                )
                if plain and not ordinary:
                    continue
                if key in found and (plain or not found[key].ordinary):
                    continue  # a mention by a proper name is kept over an ordinary word
                how = "variant" if how == "variant-ordinary" else how
                found[key] = Mention(
                    self.facts[key], words(start, end), name, kind, how, distance, plain
                )
        return tuple(found.values())

    def _exact_or_ordinary(self, window: list[str]) -> tuple[tuple[str, str, str], str, int] | None:
        compact = "".join(window)
        entry = self.exact.get(compact) or self.ordinary.get(compact)
        return None if entry is None else (entry, "exact", 0)

    def _variant(self, window: list[str]) -> tuple[tuple[str, str, str], str, int] | None:
        compact = "".join(window)
        if len(compact) < 6 or not compact.isalpha():
            return None
        hit = self.variants.get(variant(compact))
        if hit is None:
            return None
        entry, of = hit
        # a name with an "e" added is often an English word of its own ("heroine"): it
        # counts only where the caller allows ordinary words (see find)
        plain = compact == of + "e"
        return (entry, "variant-ordinary" if plain else "variant", 0)

    def _exact_windows(self, toks: list[str], *, ordinary: bool = False) -> list[tuple[int, int]]:
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
                if compact in self.exact or (ordinary and compact in self.ordinary):
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


def _found(entry: T | None, how: str) -> tuple[T, str, int] | None:
    return None if entry is None else (entry, how, 0)


def _family_ranges(folded: str, spans: list[tuple[int, int]]) -> dict[tuple[int, int], Family]:
    """Token ranges of the words of ``folded`` that fit a family."""
    ranges = {}
    for fw in family_words(folded):
        inside = [i for i, (a, b) in enumerate(spans) if a >= fw.start and b <= fw.end]
        if inside:
            ranges[(inside[0], inside[-1] + 1)] = fw.family
    return ranges


def _inside(window: tuple[int, int], ranges: dict[tuple[int, int], Family]) -> bool:
    """Whether ``window`` lies strictly inside one of ``ranges`` (a shorter part of it)."""
    a, b = window
    return any(s <= a and b <= e and (b - a) < (e - s) for s, e in ranges)


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
    """The catalogue's substances, each with the family its names fit (if any)."""
    names: dict[str, list[str]] = defaultdict(list)
    for r in catalogue_rows("names.csv"):
        if r["name_kind"] in ("synonym", "abbreviation"):
            names[r["key"]].append(r["name"])
    out = []
    for r in catalogue_rows("substances.csv"):
        family = None
        if r["kind"] == "drug":
            family = next(
                (f for n in (r["name"], *names[r["key"]]) if (f := family_of(n)) is not None),
                None,
            )
        out.append(
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
                family=family,
            )
        )
    return tuple(out)


@lru_cache(maxsize=1)
def _shipped_matcher() -> SubstanceMatcher:
    facts = shipped_facts()
    names = [(s.key, s.name, "name") for s in facts]
    names += [(r["key"], r["name"], r["name_kind"]) for r in catalogue_rows("names.csv")]
    return SubstanceMatcher(list(facts), names, trade_vocabulary())

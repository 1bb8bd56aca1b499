"""Fuzzy screening of party names against sanctions lists and the parties of seizures.

Names are transliterated to ASCII (unidecode), folded, stripped of legal forms and
honorifics, and compared as sorted tokens (so "AMEZCUA CONTRERAS, Jose de Jesus" and
"Jose de Jesus Amezcua Contreras" agree). Candidates come from an index of rare tokens and
their five-letter prefixes, so a name is compared with a handful of listed names, not all.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Protocol

from rapidfuzz import fuzz, process
from unidecode import unidecode

from watchfloor.identifiers import name_tokens, screenable
from watchfloor.memo import Memo

SHORT_NAME = 12  # names with fewer letters must agree almost exactly
MAX_POSTING = 300  # tokens shared by more listed names than this are too common to block on


@dataclass(frozen=True)
class Listed:
    """A name on a list: where it comes from and what to say about a hit."""

    name: str
    source: str  # sanctions | seizure | watchlist
    label: str  # e.g. "the OFAC SDN list (SDNTK)"
    category: str  # the config key of the points, e.g. sanctions_narcotics
    countries: frozenset[str]
    ref: dict[str, Any]
    contact: tuple[str | None, str | None, str | None] = (
        None,
        None,
        None,
    )  # address, phone, e-mail


@dataclass(frozen=True)
class Hit:
    listed: Listed
    score: float


class Screening(Protocol):
    """Anything that finds listed names close to a name: one index, or several together."""

    def match(self, name: str, threshold: float) -> tuple[Hit, ...]: ...


def sorted_form(toks: tuple[str, ...]) -> str:
    """A name's words in sorted order: listed names and queries are compared in this form."""
    return " ".join(sorted(toks))


@dataclass(frozen=True)
class Query:
    """A name made ready for every index it is screened against: its words, its sorted form
    (the form listed names are kept in) and the keys that find its candidates."""

    toks: tuple[str, ...]
    key: str
    blocks: frozenset[str]

    @classmethod
    def of(cls, name: str) -> Query | None:
        """None for a name too short to screen."""
        toks = name_tokens(name)
        if not screenable(toks):
            return None
        return cls(toks, sorted_form(toks), frozenset(_block_keys(toks)))

    def cutoff(self, threshold: float) -> float:
        if sum(map(len, self.toks)) < SHORT_NAME:
            return threshold + (100 - threshold) * 0.6  # "Ming Chang" is not "Ming Chung"
        return threshold


class NameIndex:
    def __init__(self, entries: list[Listed]) -> None:
        self.entries: list[Listed] = []
        self.keys: list[str] = []
        postings: dict[str, set[int]] = defaultdict(set)
        for entry in entries:
            toks = name_tokens(entry.name)
            if not screenable(toks):
                continue
            idx = len(self.entries)
            self.entries.append(entry)
            self.keys.append(sorted_form(toks))
            for key in _block_keys(toks):
                postings[key].add(idx)
        self.postings = {k: frozenset(v) for k, v in postings.items() if len(v) <= MAX_POSTING}
        self._memo: Memo[tuple[float, str], tuple[Hit, ...]] = Memo(500_000)

    def __len__(self) -> int:
        return len(self.entries)

    def match(self, name: str, threshold: float) -> tuple[Hit, ...]:
        return self._memo.lookup((threshold, name), lambda _: self._match(name, threshold))

    def _match(self, name: str, threshold: float) -> tuple[Hit, ...]:
        query = Query.of(name)
        return best(self.hits(query, threshold)) if query else ()

    def hits(self, query: Query, threshold: float) -> list[Hit]:
        """Every listed name at least ``threshold`` similar, unordered."""
        candidates: set[int] = set()
        for key in query.blocks:
            posting = self.postings.get(key)
            if posting:
                candidates.update(posting)
        if not candidates:
            return []
        # both sides are in sorted-word form, so a plain ratio is the token-sort ratio;
        # rapidfuzz loops over the candidates in C
        ids = list(candidates)
        found = process.extract(
            query.key,
            [self.keys[i] for i in ids],
            scorer=fuzz.ratio,
            processor=None,
            score_cutoff=query.cutoff(threshold),
            limit=None,
        )
        return [
            Hit(self.entries[ids[at]], score)
            for key, score, at in found
            if len(query.toks) > 2 or _tokens_agree(query.toks, key)
        ]


def best(hits: list[Hit]) -> tuple[Hit, ...]:
    """The five closest hits, closest first."""
    return tuple(sorted(hits, key=lambda h: -h.score)[:5])


def _tokens_agree(toks: tuple[str, ...], listed: str) -> bool:
    """For names of one or two words every word must match a listed word closely:
    "Guiying Zeng" is not "Guiying Zheng"."""
    words = listed.split()
    return all(max(fuzz.ratio(t, w) for w in words) >= 90 for t in toks)


def _block_keys(toks: tuple[str, ...]) -> set[str]:
    keys = set()
    for t in toks:
        if len(t) >= 3:
            keys.add(t)
        if len(t) >= 6:
            keys.add(t[:5] + "*")
            keys.add("*" + t[-5:])
    return keys


def _digits(phone: str | None) -> str:
    return re.sub(r"\D", "", phone or "")[-9:]


def corroborating(contact: tuple[str | None, str | None, str | None], party: Any) -> list[str]:
    """Which of address, phone and e-mail of a listed party agree with the declared one."""
    address, phone, email = contact
    agreed = []
    if (
        address
        and party.address
        and fuzz.token_set_ratio(unidecode(address).lower(), unidecode(party.address).lower()) >= 90
    ):
        agreed.append("address")
    if (
        phone
        and party.phone
        and len(_digits(phone)) >= 7
        and _digits(phone) == _digits(party.phone)
    ):
        agreed.append("phone")
    if email and party.email and email.strip().lower() == party.email.strip().lower():
        agreed.append("e-mail")
    return agreed

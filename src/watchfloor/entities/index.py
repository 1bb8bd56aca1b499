"""An in-memory blocking index over party names: which few parties to score for a query.

Each name is filed under its words, the first five letters of long words, each word's
phonetic key, its consonant skeleton and its letters run together; a query collects the
parties that share most keys with it and only those are scored (``matching.compare``).
Keys held by very many names ("mohammed", "trading") are used only when a query has nothing
rarer, so a common first name does not drag ten thousand parties into every query.

The index grows in place (``add``) as parties are stored; a removed party is simply not
found by the service's visibility check and drops out at the next rebuild.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable

import numpy as np
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from watchfloor.entities.matching import Candidate, Match, MatchingConfig, Query, compare
from watchfloor.identifiers import name_tokens, phonetic, skeleton, unvowelled

COMMON = 2_000  # a key filed under more names than this is "common"


def block_keys(name: str) -> set[str]:
    """The keys a name is filed under (and looked up by)."""
    toks = name_tokens(name)
    keys: set[str] = set()
    for t in toks:
        if len(t) >= 2:
            keys.add(t)
            keys.add("~" + phonetic(t))
        if len(t) >= 6:
            keys.add(t[:5] + "*")
    if len(toks) > 1:
        keys.add("=" + "".join(sorted(toks)))
    if unvowelled(name) or toks:
        keys.update("#" + w for w in skeleton(name).split() if len(w) >= 2)
    return keys


class PartyIndex:
    """Candidates for screening, filed by blocking keys."""

    def __init__(self, candidates: Iterable[Candidate] = ()) -> None:
        self.candidates: dict[int, Candidate] = {}
        self.keys: dict[int, list[str]] = {}  # each name's words, sorted and spaced
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.add(candidates)

    def __len__(self) -> int:
        return len(self.candidates)

    def add(self, candidates: Iterable[Candidate]) -> None:
        for cand in candidates:
            if cand.id in self.candidates:
                continue
            self.candidates[cand.id] = cand
            self.keys[cand.id] = [" ".join(sorted(name_tokens(n))) for n in cand.names]
            keys: set[str] = set()
            for n in cand.names:
                keys |= block_keys(n)
            for k in keys:
                self.postings[k].append(cand.id)

    def candidates_for(self, name: str, limit: int) -> list[int]:
        """Ids of the parties sharing most keys with ``name``; rare keys first."""
        keys = [k for k in block_keys(name) if k in self.postings]
        if not keys:
            return []
        rare = [k for k in keys if len(self.postings[k]) <= COMMON]
        if not rare:  # only common words: take the least common one
            rare = [min(keys, key=lambda k: len(self.postings[k]))]
        counts: Counter[int] = Counter()
        for k in rare:
            counts.update(self.postings[k])
        return [i for i, _ in counts.most_common(limit)]

    def shortlist(self, name: str, ids: list[int], size: int) -> list[int]:
        """The ``size`` of ``ids`` whose names are closest to ``name`` by two quick string
        scores computed in one vectorised pass, and the ``size`` that share most blocking
        keys (so that spacing and script variants, which string scores miss, stay in)."""
        if len(ids) <= size:
            return ids
        query = " ".join(sorted(name_tokens(name)))
        owner: list[int] = []
        choices: list[str] = []
        for i in ids:
            for k in self.keys[i]:
                owner.append(i)
                choices.append(k)
        quick = np.maximum(
            cdist([query], choices, scorer=fuzz.ratio)[0],
            cdist([query], choices, scorer=fuzz.token_set_ratio)[0],
        )
        best: dict[int, float] = {}
        for i, score in zip(owner, quick.tolist(), strict=True):
            if score > best.get(i, -1.0):
                best[i] = score
        by_score = sorted(best, key=lambda i: -best[i])[:size]
        return list(dict.fromkeys(by_score + ids[:size]))

    def search(
        self, query: Query, cfg: MatchingConfig, *, limit: int = 10, shortlist: int = 40
    ) -> list[Match]:
        """The best-scoring parties for ``query``, best first (all of them, passing or not).
        Blocking finds up to ``cfg.candidates``; a vectorised string score keeps the most
        promising; only those are scored feature by feature."""
        ids = self.candidates_for(query.name, cfg.candidates)
        found = [
            compare(query, self.candidates[i], cfg)
            for i in self.shortlist(query.name, ids, shortlist)
        ]
        found.sort(key=lambda m: (-m.score, m.candidate.id))
        return found[:limit]

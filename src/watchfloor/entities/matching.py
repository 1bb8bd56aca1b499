"""Scoring a screened name against one party, with a reason for every point.

The score starts from the best name similarity over the party's names and aliases, then each
other feature (date of birth, country, identifiers, address, phonetic agreement, kind of
party) adds or takes away the amount set in ``matching.toml``. Every feature is reported,
also when it is missing or neutral, so that an officer sees why a candidate ranks where it
does.

>>> cfg = config()
>>> q = Query(name="Guzman Loera, Joaquin", date_of_birth="1957-04-04")
>>> c = Candidate(id=1, schema="person", names=("GUZMAN LOERA, Joaquin",),
...               dates_of_birth=("1957-04-04",))
>>> m = compare(q, c, cfg)
>>> round(m.score, 2), m.passes
(1.0, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field
from rapidfuzz import fuzz
from rapidfuzz.process import cdist

from watchfloor import datafiles
from watchfloor.identifiers import (
    TRADE,
    fold,
    legal_form_of,
    name_tokens,
    one_name,
    phonetic,
    pinyin_syllables,
    token_skeleton,
    unvowelled,
)

Outcome = Literal["agree", "partial", "conflict", "missing", "neutral"]
Schema = Literal["person", "company", "vessel", "aircraft"]


class NameSettings(BaseModel):
    short_letters: int = Field(ge=0)
    short_penalty: float = Field(ge=0, le=10)
    initial: float = Field(ge=0, le=1)


class Effects(BaseModel):
    dob_agree: float
    dob_year: float
    dob_conflict: float
    country_agree: float
    country_conflict: float
    identifier_agree: float
    identifier_conflict: float
    address_agree: float
    phonetic_agree: float
    schema_conflict: float


class MatchingConfig(BaseModel):
    """The checked-in scoring settings (``entities/matching.toml``)."""

    version: str
    threshold: float = Field(ge=0, le=1)
    floor: float = Field(ge=0, le=1)
    candidates: int = Field(ge=1, le=10_000)
    name: NameSettings
    effects: Effects


def config() -> MatchingConfig:
    return datafiles.load(datafiles.shipped("watchfloor.entities", "matching.toml"), MatchingConfig)


@dataclass(frozen=True)
class Query:
    """What is screened: a name and whatever else is known of the party."""

    name: str
    schema: Schema | None = None
    countries: frozenset[str] = frozenset()
    date_of_birth: str | None = None  # YYYY, YYYY-MM or YYYY-MM-DD
    address: str | None = None
    identifiers: tuple[tuple[str | None, str], ...] = ()  # (kind or None, number)


@dataclass(frozen=True)
class Candidate:
    """A party as the screening index holds it."""

    id: int
    names: tuple[str, ...]
    schema: str | None = None
    countries: frozenset[str] = frozenset()
    dates_of_birth: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()  # (kind key, number key)
    addresses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Feature:
    """One feature's comparison: what agreed or not, and what it did to the score."""

    feature: str
    outcome: Outcome
    detail: str
    effect: float


@dataclass
class Match:
    candidate: Candidate
    score: float
    passes: bool
    name: str  # the party's name or alias that matched best
    features: list[Feature] = field(default_factory=list)


# --- names -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NameScore:
    score: float
    method: str


SPELLING = 0.95  # two spellings of one name (a transliteration): as good as agreeing


def _letters(token: str) -> float:
    """What a word weighs in a name: its letters, a quarter of them for a trade word."""
    return len(token) * (0.25 if token in TRADE else 1.0)


def _misspelt(t: str, u: str) -> bool:
    """Whether two different words may be one word misspelt: both long enough that one
    letter is not the whole difference of two names (ping/ming, Hassan/Husain in the same
    script), and starting alike (Hernandez is not Fernandez) unless they sound alike."""
    if min(len(t), len(u)) < 5:
        return False
    short, long = sorted((t, u), key=len)
    if long.startswith(short) and len(long) - len(short) >= 3:
        return False  # a name built on another (Ivanov, Ivanovsky; Martin, Martineau)
    st, su = pinyin_syllables(t), pinyin_syllables(u)
    if st and su and len(st) == len(su):
        return False  # Chinese names differ by whole syllables: Xiaoping is not Xiaoming
    return t[0] == u[0] or phonetic(t) == phonetic(u)


def _aligned(
    q: tuple[str, ...], o: tuple[str, ...], initial: float
) -> tuple[float, float, bool, list[str]]:
    """Shares of each name's weight found in the other, word by word (best partner each):
    (``q`` in ``o``, ``o`` in ``q``), and whether each name has a distinctive word the other
    lacks entirely (Guzmán Loera, Guzmán López: two people, not one written two ways), and
    the words taken as spellings of one name ("karo/caro"). One matrix of word similarities
    serves all of them."""
    sim = cdist(q, o, scorer=fuzz.ratio, dtype=np.float64) / 100
    sim[sim < 0.75] = 0.0  # a word that is not there at all, not a misspelling
    near = sim > 0  # a letter or two apart: maybe a typing error, no proof of two people
    spelt: list[str] = []
    for i, t in enumerate(q):
        for j, u in enumerate(o):
            if (len(t) == 1 and u.startswith(t)) or (len(u) == 1 and t.startswith(u)):
                sim[i, j] = initial  # initials: "J" stands for "Joaquin", and back
            elif sim[i, j] < SPELLING and t != u and one_name(t, u):
                sim[i, j] = SPELLING  # Yevgeny / Evgenii, Hussein / Husain: one name
                spelt.append(f"{t}/{u}")
            elif 0 < sim[i, j] < 1 and not _misspelt(t, u):
                sim[i, j] = 0.0
    wq = np.array([_letters(t) for t in q], dtype=np.float64)
    wo = np.array([_letters(u) for u in o], dtype=np.float64)
    in_o, in_q = sim.max(axis=1), sim.max(axis=0)
    apart = ~near & (sim == 0)
    conflict = any(apart[i].all() and t not in TRADE for i, t in enumerate(q)) and any(
        apart[:, j].all() and u not in TRADE for j, u in enumerate(o)
    )
    return (
        float((in_o * wq).sum() / wq.sum()),
        float((in_q * wo).sum() / wo.sum()),
        conflict,
        spelt,
    )


def _respaced(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """``a`` with two neighbouring words run together where ``b`` writes them as one word
    ("Abdel Rahman" against "Abdelrahman", "Bio Chemical" against "Biochemical")."""
    out = list(a)
    i = 0
    while i < len(out) - 1:
        joined = out[i] + out[i + 1]
        if min(len(out[i]), len(out[i + 1])) < 2 or (
            joined not in b and not any(fuzz.ratio(joined, u) >= 90 for u in b if len(u) > 5)
        ):
            i += 1
            continue
        out[i : i + 2] = [joined]
    return tuple(out)


def _distinctive(toks: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t for t in toks if t not in TRADE) or toks


def name_similarity(query: str, other: str, settings: NameSettings) -> NameScore:
    """How alike two names are, 0-1, whatever their word order, script or spacing.

    >>> s = config().name
    >>> name_similarity("Joaquin Guzman", "GUZMAN LOERA, Joaquin Archivaldo", s).score > 0.8
    True
    >>> name_similarity("Xi Jinping", "习近平", s).score == 1.0
    True
    """
    q, o = name_tokens(query), name_tokens(other)
    if not q or not o:
        return NameScore(0.0, "no comparable words")
    # word by word, in any order: the query's words found in the party's name count most,
    # the party's words left over less (a partial name is a weaker match, not none)
    q, o = _respaced(q, o), _respaced(o, q)
    found, left, conflict, spelt = _aligned(q, o, settings.initial)
    # a person may be screened by part of their name; a company's name is its whole
    # designation, so a distinctive word missing on either side counts in full
    company = any(t in TRADE for t in (*q, *o)) or legal_form_of(query) or legal_form_of(other)
    aligned = min(found, left) if company else 0.75 * found + 0.25 * left
    if conflict:  # a word of each name that the other does not have: it tells them apart
        aligned = max(0.0, min(found, left) - (1 - max(found, left)))
    best = NameScore(
        aligned,
        f"word by word, spellings of one name: {', '.join(spelt)}" if spelt else "word by word",
    )
    if len(q) != len(o):  # "Xi Jin Ping" / "Xi Jinping": the same letters, spaced otherwise
        # of the distinctive words only: generic words joined in would carry the match
        dq, do = _distinctive(q), _distinctive(o)
        joined = (
            max(
                fuzz.ratio("".join(dq), "".join(do)),
                fuzz.ratio("".join(dq), "".join(reversed(do))),
            )
            / 100
        )
        if joined > best.score and joined >= 0.9:
            best = NameScore(joined, "spacing aside")
    if unvowelled(query) != unvowelled(other):  # only across scripts: both in Arabic
        # script write the same letters, and their long vowels are letters that count
        skel = fuzz.ratio(token_skeleton(query), token_skeleton(other)) / 100
        if skel > best.score:
            best = NameScore(skel, "consonants (the script writes no short vowels)")
    # a name written without short vowels is not short for lack of them: count the other's
    shown = [t for t, name in ((q, query), (o, other)) if not unvowelled(name)] or [q, o]
    letters = min(len("".join(t)) for t in shown)
    if letters < settings.short_letters and best.score < 1.0:
        return NameScore(
            max(0.0, best.score - settings.short_penalty * (1 - best.score)),
            best.method + ", short name",
        )
    return best


# --- other features ---------------------------------------------------------------------------


def _dob(query: str | None, known: tuple[str, ...], fx: Effects) -> Feature:
    if not query or not known:
        return Feature("date_of_birth", "missing", "not given on both sides", 0.0)
    if query in known and len(query) == 10:
        return Feature("date_of_birth", "agree", f"{query} on both", fx.dob_agree)
    for k in known:
        n = min(len(k), len(query))
        if k[:n] == query[:n]:
            return Feature("date_of_birth", "partial", f"{query} and {k} agree", fx.dob_year)
    years = [int(k[:4]) for k in known]
    if min(abs(int(query[:4]) - y) for y in years) <= 1:
        return Feature("date_of_birth", "neutral", f"{query} is close to {', '.join(known)}", 0.0)
    return Feature(
        "date_of_birth", "conflict", f"{query} against {', '.join(known)}", fx.dob_conflict
    )


def _countries(query: frozenset[str], known: frozenset[str], fx: Effects) -> Feature:
    if not query or not known:
        return Feature("country", "missing", "not given on both sides", 0.0)
    common = sorted(query & known)
    if common:
        return Feature("country", "agree", ", ".join(common), fx.country_agree)
    return Feature(
        "country",
        "conflict",
        f"{', '.join(sorted(query))} against {', '.join(sorted(known))}",
        fx.country_conflict,
    )


def _identifiers(query: Query, cand: Candidate, fx: Effects) -> Feature:
    if not query.identifiers or not cand.identifiers:
        return Feature("identifier", "missing", "not given on both sides", 0.0)
    numbers = {n for _, n in cand.identifiers}
    asked = [
        (identifier_kind(k) if k else None, identifier_number(v)) for k, v in query.identifiers
    ]
    for _, number in asked:
        if number in numbers:
            label = next(k for k, n in cand.identifiers if n == number)
            return Feature("identifier", "agree", f"{label} {number}", fx.identifier_agree)
    kinds = {k for k, _ in cand.identifiers}
    clash = [(k, n) for k, n in asked if k and k in kinds]
    if clash:
        k, n = clash[0]
        theirs = ", ".join(v for kk, v in cand.identifiers if kk == k)
        return Feature(
            "identifier", "conflict", f"{k} {n} against {theirs}", fx.identifier_conflict
        )
    return Feature("identifier", "neutral", "no document of the same kind", 0.0)


def _address(query: str | None, known: tuple[str, ...], fx: Effects) -> Feature:
    if not query or not known:
        return Feature("address", "missing", "not given on both sides", 0.0)
    best = max(fuzz.token_set_ratio(fold(query), fold(a)) / 100 for a in known)
    if best >= 0.85:
        return Feature("address", "agree", f"similarity {best:.2f}", fx.address_agree)
    return Feature("address", "neutral", f"similarity {best:.2f}", 0.0)


def _phonetic(query: str, name: str, fx: Effects, exact: bool) -> Feature:
    q = [phonetic(t) for t in name_tokens(query) if len(t) > 1]
    keys = {phonetic(t) for t in name_tokens(name)}
    if not q:
        return Feature("phonetic", "missing", "no words to compare", 0.0)
    alike = sum(k in keys for k in q)
    if alike == len(q):
        effect = 0.0 if exact else fx.phonetic_agree
        return Feature("phonetic", "agree", "every word sounds alike", effect)
    return Feature("phonetic", "partial" if alike else "neutral", f"{alike} of {len(q)} words", 0.0)


def _schema(query: str | None, cand: str | None, fx: Effects) -> Feature:
    if not query or not cand:
        return Feature("schema", "missing", "kind of party not given on both sides", 0.0)
    if query == cand:
        return Feature("schema", "agree", query, 0.0)
    return Feature("schema", "conflict", f"{query} against {cand}", fx.schema_conflict)


@lru_cache(maxsize=4096)
def identifier_kind(kind: str) -> str:
    """A document kind reduced to a key: "Passport No." and "alt. Passport" are "passport"."""
    words = [w for w in name_tokens(kind) if w not in ("alt", "no", "number", "num")]
    return " ".join(words) or fold(kind).strip()


def identifier_number(value: str) -> str:
    """Letters and digits only, upper case: "G-12 345" and "g12345" are one number."""
    return "".join(ch for ch in fold(value).upper() if ch.isalnum())


def compare(query: Query, cand: Candidate, cfg: MatchingConfig) -> Match:
    """Score ``cand`` for ``query``: name first, then each feature's effect."""
    best_name, best = cand.names[0] if cand.names else "", NameScore(0.0, "no names")
    for n in cand.names:
        s = name_similarity(query.name, n, cfg.name)
        if s.score > best.score:
            best_name, best = n, s
            if s.score >= 1.0:
                break
    fx = cfg.effects
    features = [
        Feature("name", "agree" if best.score >= 0.95 else "partial", best.method, best.score),
        _phonetic(query.name, best_name, fx, exact=best.score >= 1.0),
        _dob(query.date_of_birth, cand.dates_of_birth, fx),
        _countries(query.countries, cand.countries, fx),
        _identifiers(query, cand, fx),
        _address(query.address, cand.addresses, fx),
        _schema(query.schema, cand.schema, fx),
    ]
    score = min(1.0, max(0.0, sum(f.effect for f in features)))
    return Match(cand, score, score >= cfg.threshold, best_name, features)

"""Search and read the reference catalogue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from rapidfuzz import fuzz, process
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from watchfloor.db import containing
from watchfloor.errors import NotFound
from watchfloor.reference.loader import normalize_name
from watchfloor.reference.models import HsCode, Substance, SubstanceName

CAS_RE = re.compile(r"^\s*(\d{2,7})-(\d{2})-(\d)\s*$")


def cas_is_valid(cas: str) -> bool:
    """True when ``cas`` has the CAS registry number shape and its check digit is right.

    >>> cas_is_valid("437-38-7"), cas_is_valid("437-38-8")
    (True, False)
    """
    m = CAS_RE.match(cas)
    if not m:
        return False
    body = m.group(1) + m.group(2)
    total = sum(int(d) * i for i, d in enumerate(reversed(body), start=1))
    return total % 10 == int(m.group(3))


@dataclass(frozen=True)
class SubstanceHit:
    """A substance found by a search, with the name that matched and how."""

    substance: Substance
    matched: str
    matched_kind: str
    how: str  # cas | exact | prefix | contains | fuzzy
    score: float


_RANK = {"cas": 0, "exact": 1, "prefix": 2, "contains": 3, "fuzzy": 4}
# among equally good matches, a canonical name beats a synonym, which beats slang
_KIND_RANK = {"cas": 0, "name": 0, "synonym": 1, "abbreviation": 1, "brand": 2, "slang": 3}


Candidate = tuple[Substance, str, str, str, float]  # substance, matched, its kind, how, score


def _by_cas(session: Session, q: str) -> Iterator[Candidate]:
    if CAS_RE.match(q):
        for sub in session.scalars(select(Substance).where(Substance.cas == q)):
            yield sub, sub.cas or q, "cas", "cas", 100.0


def _by_name(session: Session, norm: str) -> Iterator[Candidate]:
    """Names equal to, starting with or containing the normalised query."""
    stmt = (
        select(SubstanceName)
        .where(
            or_(
                SubstanceName.normalized == norm,
                SubstanceName.normalized.like(containing(norm), escape="\\"),
            )
        )
        .limit(500)
    )
    for name in session.scalars(stmt):
        if name.normalized == norm:
            how = "exact"
        elif name.normalized.startswith(norm):
            how = "prefix"
        else:
            how = "contains"
        yield (
            name.substance,
            name.name,
            name.name_kind,
            how,
            100.0 * len(norm) / len(name.normalized),
        )


def _by_spelling(session: Session, norm: str, limit: int) -> Iterator[Candidate]:
    """Names a typo or two away (rapidfuzz ratio of 80 or more)."""
    choices = {n.id: n.normalized for n in session.scalars(select(SubstanceName))}
    for _, score, nid in process.extract(
        norm, choices, scorer=fuzz.ratio, limit=limit * 2, score_cutoff=80
    ):
        name = session.get(SubstanceName, nid)
        if name is not None:
            yield name.substance, name.name, name.name_kind, "fuzzy", float(score)


def search_substances(
    session: Session, q: str, *, kind: str | None = None, limit: int = 20
) -> list[SubstanceHit]:
    """Find substances by name, synonym, abbreviation, brand, slang or CAS number.

    Exact matches of a normalised name come first, then prefix and substring matches, then
    fuzzy ones (typos) when fewer than ``limit`` were found.
    """
    q = q.strip()
    if not q:
        return []
    hits: dict[int, SubstanceHit] = {}

    def add(found: Iterator[Candidate]) -> None:
        for sub, matched, matched_kind, how, score in found:
            old = hits.get(sub.id)
            better = old is None or _order(how, matched_kind, score) < _order(
                old.how, old.matched_kind, old.score
            )
            if (not kind or sub.kind == kind) and better:
                hits[sub.id] = SubstanceHit(sub, matched, matched_kind, how, score)

    add(_by_cas(session, q))
    norm = normalize_name(q)
    if norm:
        add(_by_name(session, norm))
        if len(hits) < limit and len(norm) >= 4:
            add(_by_spelling(session, norm, limit))
    ordered = sorted(
        hits.values(), key=lambda h: (*_order(h.how, h.matched_kind, h.score), h.substance.name)
    )
    return ordered[:limit]


def _order(how: str, matched_kind: str, score: float) -> tuple[int, int, float]:
    return _RANK[how], _KIND_RANK.get(matched_kind, 4), -score


def get_substance(session: Session, key: str) -> Substance:
    sub = session.scalar(select(Substance).where(Substance.key == key))
    if sub is None:
        raise NotFound(f"substance {key!r} is not in the catalogue")
    return sub


def get_hs_code(session: Session, code: str) -> HsCode:
    hs = session.get(HsCode, code)
    if hs is None:
        raise NotFound(f"HS code {code!r} is not in HS 2022")
    return hs

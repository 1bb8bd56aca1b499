"""Reference catalogue API under /api/v1/reference."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from watchfloor.identifiers import country_codes, country_name
from watchfloor.reference.schemas import (
    CountryOut,
    HsCodeOut,
    SearchResult,
    SubstanceDetail,
    SubstanceHitOut,
    SubstanceOut,
)
from watchfloor.reference.service import get_hs_code, get_substance, search_substances
from watchfloor.security.deps import Db, current_principal

router = APIRouter(
    prefix="/api/v1/reference", tags=["reference"], dependencies=[Depends(current_principal)]
)


@router.get("/substances", response_model=SearchResult)
def substances(
    db: Db,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="Name, synonym, abbreviation, slang or CAS number.",
        ),
    ],
    kind: Annotated[Literal["drug", "precursor"] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> SearchResult:
    """Search the catalogue; exact matches first, then prefix, substring and fuzzy matches."""
    hits = search_substances(db, q, kind=kind, limit=limit)
    return SearchResult(
        query=q,
        count=len(hits),
        results=[
            SubstanceHitOut(
                substance=SubstanceOut.model_validate(h.substance),
                matched=h.matched,
                matched_kind=h.matched_kind,
                how=h.how,
                score=round(h.score, 1),
            )
            for h in hits
        ],
    )


@router.get("/substances/{key}", response_model=SubstanceDetail)
def substance(db: Db, key: str) -> SubstanceDetail:
    """One substance with every other name it goes by and the sources of its facts."""
    return SubstanceDetail.model_validate(get_substance(db, key))


@router.get("/hs/{code}", response_model=HsCodeOut)
def hs_code(db: Db, code: str) -> HsCodeOut:
    """An HS 2022 chapter, heading or subheading (2, 4 or 6 digits)."""
    return HsCodeOut.model_validate(get_hs_code(db, code))


@router.get("/countries", response_model=list[CountryOut])
def countries() -> list[CountryOut]:
    """ISO 3166-1 alpha-2 countries."""
    return [CountryOut(code=c, name=country_name(c)) for c in sorted(country_codes())]

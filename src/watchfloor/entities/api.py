"""Screening and parties under /api/v1/entities."""

from __future__ import annotations

from fastapi import APIRouter

from watchfloor.entities import service
from watchfloor.entities.matching import Query
from watchfloor.entities.models import Party
from watchfloor.entities.schemas import CandidateOut, FeatureOut, MatchIn, MatchOut
from watchfloor.security.deps import CurrentPrincipal, Db

router = APIRouter(prefix="/api/v1/entities", tags=["entities"])


def query_of(body: MatchIn) -> Query:
    return Query(
        name=body.name,
        schema=body.schema_,
        countries=frozenset(body.countries),
        date_of_birth=body.date_of_birth,
        address=body.address,
        identifiers=tuple((i.kind, i.number) for i in body.identifiers),
    )


def candidate_out(s: service.Screened) -> CandidateOut:
    p: Party = s.party
    return CandidateOut(
        party_id=p.id,
        name=p.name,
        matched_name=s.match.name,
        schema_=p.schema,
        source_type=p.source_type,
        source_id=p.source_id,
        source_label=s.source_label,
        role=p.role,
        owner_agency=s.owner,
        countries=p.countries.split(),
        dates_of_birth=p.dates_of_birth.split(),
        score=round(s.match.score, 4),
        passes=s.match.passes,
        features=[
            FeatureOut(
                feature=f.feature, outcome=f.outcome, detail=f.detail, effect=round(f.effect, 4)
            )
            for f in s.match.features
        ],  # fmt: skip
    )


@router.post("/match", response_model=MatchOut)
def post_match(db: Db, principal: CurrentPrincipal, body: MatchIn) -> MatchOut:
    """Screen a name against every party you may read (sanctions lists, and the senders,
    consignees, sellers, suspects, exporters and importers of records you may read).

    Candidates come ranked with a 0-1 score, whether each passes the threshold, and every
    feature's part in the score: name similarity (any word order, script or spacing,
    initials), phonetic agreement, date of birth, country, identifiers, address and kind of
    party. A conflicting date of birth or document lowers the score."""
    found, cfg = service.screen(
        db, principal, query_of(body), limit=body.limit, threshold=body.threshold
    )
    return MatchOut(
        query=body.name,
        config_version=cfg.version,
        threshold=cfg.threshold,
        results=[candidate_out(s) for s in found],
    )

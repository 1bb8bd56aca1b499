"""Screening and parties under /api/v1/entities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from watchfloor.entities import networks, reading, service
from watchfloor.entities.matching import Query as Screening
from watchfloor.entities.models import Party, ScreeningDecision
from watchfloor.entities.schemas import (
    CandidateOut,
    DecisionIn,
    DecisionOut,
    EntityClusterOut,
    EntityPartyOut,
    FeatureOut,
    MatchIn,
    MatchOut,
    NetworkOut,
    RecordRef,
    SplitIn,
    SplitOut,
)
from watchfloor.security import Principal
from watchfloor.security.deps import CurrentPrincipal, Db, RecordId, requires

router = APIRouter(prefix="/api/v1/entities", tags=["entities"])
Analyst = Annotated[Principal, Depends(requires("analyst"))]
Admin = Annotated[Principal, Depends(requires("admin"))]


def query_of(body: MatchIn) -> Screening:
    return Screening(
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
        label=POTENTIAL if s.match.passes else "weak similarity",
        cluster_id=s.cluster_id,
        other_records=[
            RecordRef(party_id=o.id, source_type=o.source_type, source_id=o.source_id, role=o.role)
            for o in s.others
        ],
        decision=decision_out(s.decision) if s.decision else None,
        features=[
            FeatureOut(
                feature=f.feature, outcome=f.outcome, detail=f.detail, effect=round(f.effect, 4)
            )
            for f in s.match.features
        ],  # fmt: skip
    )


POTENTIAL = "potential match — review"


def decision_out(d: ScreeningDecision) -> DecisionOut:
    return DecisionOut(
        id=d.id, query=d.query, party_id=d.party_id, cluster_id=d.cluster_id,
        decision=d.decision, reason=d.reason, decided_by=d.decided_by, decided_at=d.decided_at,
    )  # fmt: skip


@router.post("/decisions", response_model=DecisionOut, status_code=status.HTTP_201_CREATED)
def post_decision(db: Db, principal: Analyst, body: DecisionIn) -> DecisionOut:
    """Record your decision on a screening hit: the screened name is (``match``) or is not
    (``no_match``) this party. Kept with its reason, audited, and shown beside the hit the
    next time the name is screened."""
    row = service.decide(
        db, principal, query=body.query, party_id=body.party_id, decision=body.decision,
        reason=body.reason, score=body.score,
    )  # fmt: skip
    db.commit()
    return decision_out(row)


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


@router.get("/parties/{party_id}", response_model=EntityPartyOut)
def get_party(db: Db, principal: CurrentPrincipal, party_id: RecordId) -> EntityPartyOut:
    """One party with everything its record says of it and its cluster; 404 unless you may
    read the record it was taken from."""
    return reading.read_party(db, principal, party_id)


@router.get("/clusters/{cluster_id}", response_model=EntityClusterOut)
def get_cluster(db: Db, principal: CurrentPrincipal, cluster_id: RecordId) -> EntityClusterOut:
    """A resolved identity: the parties you may read, how many others are restricted, and
    each matched pair with its weight and the fields that agreed."""
    return reading.read_cluster(db, principal, cluster_id)


@router.post("/clusters/{cluster_id}/confirm", response_model=EntityClusterOut)
def post_confirm(db: Db, principal: Admin, cluster_id: RecordId) -> EntityClusterOut:
    """Hold your agency's members to be one identity with the members you may read; later
    runs keep them together. Admins of an agency whose records the cluster holds (403
    otherwise: the decision holds for every agency's view)."""
    out = reading.confirm(db, principal, cluster_id)
    db.commit()
    return out


@router.post("/clusters/{cluster_id}/split", response_model=SplitOut)
def post_split(db: Db, principal: Admin, cluster_id: RecordId, body: SplitIn) -> SplitOut:
    """Hold the named members not to be the others; the cluster is formed again without
    joining them, and later runs never join them. Admins only, about their agency's own
    records: either the named members or the others must all be the agency's (403
    otherwise, naming the records and their owners)."""
    after = reading.split(db, principal, cluster_id, body.party_ids)
    db.commit()
    return SplitOut(clusters=after)


@router.get("/{party_id}/network", response_model=NetworkOut)
def get_network(
    db: Db,
    principal: CurrentPrincipal,
    party_id: RecordId,
    depth: Annotated[int, Query(ge=1, le=3, description="Steps out from the entity.")] = 1,
) -> NetworkOut:
    """The trafficking network around a party's entity: entities linked by shipments,
    seizures, notifications, sanctions "Linked To" relations and shared phones, e-mails,
    wallets, handles or addresses, with proposed communities and centrality. Entities of
    records you may not read are shown as restricted, without names."""
    service.refresh(db)  # parties of records stored a moment ago
    found = networks.network(db, principal, party_id, depth=depth)
    return NetworkOut.model_validate(found, from_attributes=True)

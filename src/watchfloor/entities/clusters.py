"""Clusters of parties: resolution runs, analysts' decisions, and linking new parties.

A full run (:func:`resolve`) trains the Splink model on every party, predicts the pairs above
the threshold, and joins them into clusters strongest pair first; an analyst's split pair is
never joined (not even through a third party) and a confirmed pair always is. Decisions are
kept across runs. :func:`link_new` places parties stored since the last run with the model of
that run, without training or comparing the old parties among themselves again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.db import table_of
from watchfloor.entities import resolution
from watchfloor.entities.models import (
    ClusterMember,
    EntityCluster,
    MatchLink,
    PairDecision,
    Party,
    ResolutionRun,
)
from watchfloor.errors import Conflict

THRESHOLD = 0.5  # a pair is joined when a match is more likely than not
LOAD = 20_000


def _records(session: Session, *, after: int = 0, upto: int | None = None) -> list[dict]:
    out: list[dict] = []
    last = after
    while True:
        stmt = select(Party).where(Party.id > last).order_by(Party.id).limit(LOAD)
        if upto is not None:
            stmt = stmt.where(Party.id <= upto)
        page = session.scalars(stmt).all()
        if not page:
            return out
        out += [resolution.party_record(p) for p in page]
        last = page[-1].id
        session.expunge_all()


@dataclass
class Edge:
    left: int
    right: int
    probability: float
    weight: float
    agreed: list[str]


class _Components:
    """Union-find that refuses a merge joining a split pair."""

    def __init__(self, cannot: dict[int, set[int]]) -> None:
        self.parent: dict[int, int] = {}
        self.members: dict[int, set[int]] = {}
        self.cannot = cannot

    def find(self, x: int) -> int:
        self.parent.setdefault(x, x)
        self.members.setdefault(x, {x})
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        small, big = sorted((ra, rb), key=lambda r: len(self.members[r]))
        if any(self.cannot.get(m, set()) & self.members[big] for m in self.members[small]):
            return False
        self.parent[small] = big
        self.members[big] |= self.members.pop(small)
        return True

    def groups(self) -> list[set[int]]:
        return [m for r, m in self.members.items() if self.parent[r] == r and len(m) > 1]


def _decisions(session: Session) -> tuple[dict[int, set[int]], list[tuple[int, int]]]:
    cannot: dict[int, set[int]] = {}
    must: list[tuple[int, int]] = []
    for left, right, same in session.execute(
        select(PairDecision.party_l, PairDecision.party_r, PairDecision.same)
    ):
        if same:
            must.append((left, right))
        else:
            cannot.setdefault(left, set()).add(right)
            cannot.setdefault(right, set()).add(left)
    return cannot, must


def _cluster(edges: list[Edge], cannot: dict[int, set[int]], must: list[tuple[int, int]]):
    """Join pairs strongest first; keep as evidence every pair whose two parties end in
    one cluster (not only the pairs that joined them) and is not a split pair."""
    comps = _Components(cannot)
    for a, b in must:
        comps.union(a, b)
    for e in sorted(edges, key=lambda e: -e.probability):
        comps.union(e.left, e.right)
    kept = [e for e in edges if _together(comps, e)]
    return comps, kept


def _together(comps: _Components, e: Edge) -> bool:
    return comps.find(e.left) == comps.find(e.right) and e.right not in comps.cannot.get(e.left, ())


def _store(session: Session, run: ResolutionRun, comps: _Components, kept: list[Edge]) -> int:
    cluster_of: dict[int, int] = {}
    for members in comps.groups():
        cluster = EntityCluster(run_id=run.id, size=len(members))
        session.add(cluster)
        session.flush()
        for m in members:
            cluster_of[m] = cluster.id
    if cluster_of:
        rows = [{"party_id": p, "cluster_id": c} for p, c in cluster_of.items()]
        for i in range(0, len(rows), LOAD):
            session.execute(insert(ClusterMember), rows[i : i + LOAD])
    _write_links(session, run, kept, cluster_of)
    return len(comps.groups())


def _write_links(
    session: Session, run: ResolutionRun, kept: list[Edge], cluster_of: dict[int, int]
) -> None:
    """Store the matched pairs of a run as the evidence of their clusters."""
    rows = [
        {"party_l": e.left, "party_r": e.right, "probability": e.probability,
         "weight": e.weight, "agreed": " ".join(e.agreed), "run_id": run.id,
         "cluster_id": cluster_of.get(e.left)}
        for e in kept
    ]  # fmt: skip
    for i in range(0, len(rows), LOAD):
        session.execute(insert(MatchLink), rows[i : i + LOAD])


def _edges(links: Iterable[resolution.Link]) -> list[Edge]:
    out = []
    for lk in links:
        a, b = sorted((int(lk.left), int(lk.right)))
        out.append(Edge(a, b, lk.probability, lk.weight, lk.agreed))
    return out


def resolve(session: Session, *, actor: str, threshold: float = THRESHOLD) -> ResolutionRun:
    """A full run over every party: train, predict, cluster, replace the stored clusters."""
    started = time.perf_counter()
    records = _records(session)
    if len(records) < 2:
        raise Conflict("entity resolution needs at least two parties: run 'entities sync'")
    cannot, must = _decisions(session)
    labels = [(str(a), str(b)) for a, b in must]  # analysts' confirmations teach the model
    links, model = resolution.link([records], threshold=threshold, labels=labels)
    comps, kept = _cluster(_edges(links), cannot, must)
    session.execute(delete(MatchLink))
    session.execute(delete(ClusterMember))
    session.execute(delete(EntityCluster))
    run = ResolutionRun(kind="full", threshold=threshold, parties=len(records), links=len(kept),
                        clusters=0, seconds=0.0, model=resolution.model_json(model),
                        started_by=actor)  # fmt: skip
    session.add(run)
    session.flush()
    run.clusters = _store(session, run, comps, kept)
    run.seconds = time.perf_counter() - started
    audit.record(session, actor=actor, action="entities.resolve", object_type="resolution_run",
                 object_id=run.id, detail={"parties": run.parties, "clusters": run.clusters,
                                           "links": run.links})  # fmt: skip
    return run


def link_new(session: Session, *, actor: str) -> ResolutionRun | None:
    """Place parties stored since the last run into clusters with that run's model."""
    last = last_run(session)
    if last is None:
        return None
    seen = (
        session.scalar(select(func.max(Party.id)).where(Party.extracted_at <= last.started_at)) or 0
    )
    started = time.perf_counter()
    new = _records(session, after=seen)
    if not new:
        return None
    old = _records(session, upto=seen)
    model = json.loads(last.model)
    links = resolution.predict_with(model, [old, new], threshold=last.threshold)
    links += resolution.predict_with(model, [new], threshold=last.threshold)
    cannot, must = _decisions(session)
    # the stored clusters stand: start from them, then add the new pairs
    comps = _Components(cannot)
    for party_id, cluster_id in session.execute(
        select(ClusterMember.party_id, ClusterMember.cluster_id)
    ):
        comps.union(party_id, -cluster_id)  # a cluster is a node of its own here
    edges = _edges(links)
    for e in sorted(edges, key=lambda e: -e.probability):
        comps.union(e.left, e.right)
    kept = [e for e in edges if _together(comps, e)]
    run = ResolutionRun(kind="incremental", threshold=last.threshold, parties=len(new),
                        links=len(kept), clusters=0, seconds=0.0, model=last.model,
                        started_by=actor)  # fmt: skip
    session.add(run)
    session.flush()
    run.clusters = _merge(session, run, comps, kept, {int(r["unique_id"]) for r in new})
    run.seconds = time.perf_counter() - started
    return run


def _merge(
    session: Session, run: ResolutionRun, comps: _Components, kept: list[Edge], new: set[int]
) -> int:
    """Write an incremental run: groups holding an old cluster keep (or merge into) its id;
    returns the clusters made or changed."""
    changed = 0
    cluster_of: dict[int, int] = {}
    for members in comps.groups():
        old = sorted(-m for m in members if m < 0)
        parties = {m for m in members if m > 0}
        if not (parties & new) and len(old) <= 1:
            continue  # a stored cluster nothing new touched
        if old:
            target = old[0]
            for other in old[1:]:  # a new party bridged two clusters: they become one
                session.execute(
                    table_of(ClusterMember)
                    .update()
                    .where(ClusterMember.cluster_id == other)
                    .values(cluster_id=target)
                )
                session.execute(delete(EntityCluster).where(EntityCluster.id == other))
        else:
            cluster = EntityCluster(run_id=run.id, size=0)
            session.add(cluster)
            session.flush()
            target = cluster.id
        stored = set(session.scalars(
            select(ClusterMember.party_id).where(ClusterMember.party_id.in_(parties))
        ))  # fmt: skip
        fresh = [{"party_id": p, "cluster_id": target} for p in parties - stored]
        if fresh or len(old) > 1 or not old:
            changed += 1
        if fresh:
            session.execute(insert(ClusterMember), fresh)
        for p in parties:
            cluster_of[p] = target
        size = session.scalar(select(func.count()).where(ClusterMember.cluster_id == target))
        session.execute(
            table_of(EntityCluster).update().where(EntityCluster.id == target).values(size=size)
        )
    _write_links(session, run, kept, cluster_of)
    return changed


def decide(session: Session, *, party_ids: list[int], same: bool, against: list[int],
           actor: str, agency_id: int) -> int:  # fmt: skip
    """Record analysts' decisions: every party of ``party_ids`` is (``same``) or is not the
    same as every party of ``against``. Returns the pairs decided."""
    pairs = {tuple(sorted((a, b))) for a in party_ids for b in against if a != b}
    for a, b in pairs:
        session.execute(
            delete(PairDecision).where(PairDecision.party_l == a, PairDecision.party_r == b)
        )
        session.add(PairDecision(party_l=a, party_r=b, same=same, decided_by=actor,
                                 agency_id=agency_id))  # fmt: skip
    session.flush()
    return len(pairs)


def recluster(session: Session, cluster_id: int) -> list[int]:
    """Cluster one cluster's stored pairs again under the decisions; returns the ids of the
    clusters its parties are in afterwards (a split leaves two or more)."""
    cluster = session.get(EntityCluster, cluster_id)
    if cluster is None:
        return []
    members = set(session.scalars(
        select(ClusterMember.party_id).where(ClusterMember.cluster_id == cluster_id)
    ))  # fmt: skip
    edges = [
        Edge(lk.party_l, lk.party_r, lk.probability, lk.weight, lk.agreed.split())
        for lk in session.scalars(select(MatchLink).where(MatchLink.cluster_id == cluster_id))
    ]
    cannot, must = _decisions(session)
    must = [(a, b) for a, b in must if a in members and b in members]
    comps, kept = _cluster(edges, cannot, must)
    session.execute(delete(MatchLink).where(MatchLink.cluster_id == cluster_id))
    session.execute(delete(ClusterMember).where(ClusterMember.cluster_id == cluster_id))
    session.execute(delete(EntityCluster).where(EntityCluster.id == cluster_id))
    run = session.get(ResolutionRun, cluster.run_id) if cluster.run_id else None
    before = set(session.scalars(select(EntityCluster.id)))
    if run is not None:
        _store(session, run, comps, kept)
    session.flush()
    return sorted(set(session.scalars(select(EntityCluster.id))) - before)


def clusters_of(session: Session, party_ids: list[int]) -> dict[int, int]:
    """The cluster of each of ``party_ids`` that is in one."""
    if not party_ids:
        return {}
    rows = session.execute(
        select(ClusterMember.party_id, ClusterMember.cluster_id).where(
            ClusterMember.party_id.in_(party_ids)
        )
    )
    return {p: c for p, c in rows}


def cluster_of(session: Session, party_id: int) -> int | None:
    return session.scalar(
        select(ClusterMember.cluster_id).where(ClusterMember.party_id == party_id)
    )


def pairs_of(session: Session, cluster_id: int) -> list[MatchLink]:
    return list(session.scalars(
        select(MatchLink).where(MatchLink.cluster_id == cluster_id).order_by(MatchLink.id)
    ))  # fmt: skip


def members_of(session: Session, cluster_id: int) -> list[int]:
    return list(session.scalars(
        select(ClusterMember.party_id).where(ClusterMember.cluster_id == cluster_id)
        .order_by(ClusterMember.party_id)
    ))  # fmt: skip


def decisions_of(session: Session, party_ids: list[int]) -> list[PairDecision]:
    return list(session.scalars(select(PairDecision).where(
        or_(PairDecision.party_l.in_(party_ids), PairDecision.party_r.in_(party_ids))
    )))  # fmt: skip


def last_run(session: Session) -> ResolutionRun | None:
    return session.scalar(select(ResolutionRun).order_by(ResolutionRun.id.desc()).limit(1))

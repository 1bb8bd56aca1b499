"""Screening a name against every party the caller may read (the yente ``/match`` use case).

One :class:`~watchfloor.entities.index.PartyIndex` per database lives in the process. Before a
query it takes the parties of records stored since the last query (``extract.sync``, at most
once every ``REFRESH_SECONDS``) and files the new ones; candidates are then scored in memory
and only those the caller may read (``entities.policy``, in SQL over the few candidate ids)
are answered. Reads of other agencies' parties are audited, as every read of shared data.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.db import engine_of
from watchfloor.entities import clusters, extract, policy, reading
from watchfloor.entities.index import PartyIndex
from watchfloor.entities.matching import Candidate, Match, MatchingConfig, Query, config
from watchfloor.entities.models import Party, ScreeningDecision
from watchfloor.errors import FieldProblem, Invalid
from watchfloor.identifiers import name_key
from watchfloor.security import Principal, require_role

REFRESH_SECONDS = 2.0
REFRESH_PAGES = 2  # per source and refresh: a big import is taken by the worker or the CLI
LOAD_CHUNK = 20_000


def candidate(p: Party) -> Candidate:
    """A stored party as the index holds it."""
    return Candidate(
        id=p.id,
        names=(p.name, *json.loads(p.aliases)),
        schema=p.schema,
        countries=frozenset(p.countries.split()),
        dates_of_birth=tuple(p.dates_of_birth.split()),
        identifiers=tuple((k, n) for k, n in json.loads(p.identifiers)),
        addresses=tuple(json.loads(p.addresses)),
    )


@dataclass
class _Loaded:
    index: PartyIndex
    last_id: int = 0
    refreshed: float = 0.0


_indexes: dict[str, _Loaded] = {}
_lock = threading.Lock()


def _engine_key(session: Session) -> str:
    engine = engine_of(session)
    return f"{engine.url}#{id(engine)}"


def refresh(session: Session, *, force: bool = False) -> PartyIndex:
    """The process's index for this database, brought up to date when it is stale."""
    with _lock:
        loaded = _indexes.setdefault(_engine_key(session), _Loaded(PartyIndex()))
        if not force and time.monotonic() - loaded.refreshed < REFRESH_SECONDS:
            return loaded.index
        take_new_parties(session)
        while True:
            rows = session.scalars(
                select(Party).where(Party.id > loaded.last_id).order_by(Party.id).limit(LOAD_CHUNK)
            ).all()
            if not rows:
                break
            loaded.index.add(candidate(p) for p in rows)
            loaded.last_id = rows[-1].id
        loaded.refreshed = time.monotonic()
        return loaded.index


def take_new_parties(session: Session) -> dict[str, int]:
    """Run ``extract.sync`` in a savepoint; another process taking the same records first
    (a unique key clash) or holding the lock is not an error: its parties are as good."""
    try:
        with session.begin_nested():
            added = extract.sync(session, max_pages=REFRESH_PAGES)
        session.commit()
        return added
    except (IntegrityError, OperationalError):
        session.rollback()
        return {}


@dataclass
class Screened:
    """A candidate the caller may read, with what the index knows of its source: the best
    party of a resolved entity, and the other records of that entity the caller may read."""

    match: Match
    party: Party
    owner: str | None
    source_label: str
    cluster_id: int | None = None
    others: list[Party] = field(default_factory=list)
    decision: ScreeningDecision | None = None


def screen(
    session: Session,
    principal: Principal,
    query: Query,
    *,
    limit: int = 10,
    threshold: float | None = None,
    cfg: MatchingConfig | None = None,
) -> tuple[list[Screened], MatchingConfig]:
    """The best candidates for ``query`` among the parties ``principal`` may read."""
    cfg = cfg or config()
    if threshold is not None:
        cfg = cfg.model_copy(update={"threshold": threshold})
    index = refresh(session)
    # nothing below the floor is listed; a candidate at the threshold is a potential match
    found = [m for m in index.search(query, cfg, limit=cfg.candidates) if m.score >= cfg.floor]
    for m in found:
        m.passes = m.score >= cfg.threshold
    # several records of one resolved entity are one row: read more, then group
    kept = _readable_first(session, principal, found, 4 * limit)
    wanted = [m.candidate.id for m in kept]
    parties = (
        {p.id: p for p in session.scalars(select(Party).where(Party.id.in_(wanted)))}
        if wanted
        else {}
    )
    groups = clusters.clusters_of(session, wanted)
    rows: dict[int | str, Screened] = {}
    owners = reading.owner_codes(session, list(parties.values()))
    labels = _sanctions_labels(session, list(parties.values()))
    for m in kept:  # best first: the first of an entity is its row
        p = parties[m.candidate.id]
        group: int | str = groups.get(p.id, f"party:{p.id}")
        if group in rows:
            rows[group].others.append(p)
        elif len(rows) < limit:
            rows[group] = Screened(
                m, p, owners.get(p.owner_agency_id), labels.get(p.id) or p.source_type,
                groups.get(p.id),
            )  # fmt: skip
    out = list(rows.values())
    _attach_decisions(session, principal, query.name, out)
    reading.audit_foreign(
        session,
        principal,
        [p for s in out for p in (s.party, *s.others)],
        "party.match",
        query=query.name,
    )
    return out, cfg


def decide(
    session: Session,
    principal: Principal,
    *,
    query: str,
    party_id: int,
    decision: str,
    reason: str,
    score: float | None = None,
) -> ScreeningDecision:
    """Record an analyst's decision that the screened ``query`` is (``match``) or is not
    (``no_match``) the party ``party_id`` (which the analyst must be able to read); audited."""
    require_role(principal, "analyst")
    if decision not in ("match", "no_match"):
        raise Invalid(
            "unknown decision",
            [FieldProblem("decision", f"{decision!r} is not 'match' or 'no_match'")],
        )
    if not reason.strip():
        raise Invalid("a decision needs a reason", [FieldProblem("reason", "required")])
    party = reading.party_readable(session, principal, party_id)
    row = ScreeningDecision(
        agency_id=principal.agency_id,
        query=query[:400],
        query_key=name_key(query) or query[:400],
        party_id=party.id,
        cluster_id=clusters.cluster_of(session, party.id),
        decision=decision,
        reason=reason,
        score=score,
        decided_by=principal.actor,
    )
    session.add(row)
    session.flush()
    audit.record_by(
        session,
        principal,
        action="screening.decide",
        object_type="party",
        object_id=party.id,
        detail={"query": query, "decision": decision, "reason": reason, "decision_id": row.id},
    )
    return row


def _attach_decisions(
    session: Session, principal: Principal, query: str, rows: list[Screened]
) -> None:
    """The agency's latest decision on each row (the same name, the same party or entity)."""
    key = name_key(query)
    if not rows or key is None:
        return
    decided = session.scalars(
        select(ScreeningDecision)
        .where(
            ScreeningDecision.agency_id == principal.agency_id,
            ScreeningDecision.query_key == key,
        )
        .order_by(ScreeningDecision.id)
    ).all()
    for r in rows:
        ids = {r.party.id, *(p.id for p in r.others)}
        for d in decided:
            if d.party_id in ids or (d.cluster_id is not None and d.cluster_id == r.cluster_id):
                r.decision = d


def _readable_first(
    session: Session, principal: Principal, found: list[Match], limit: int
) -> list[Match]:
    """The first ``limit`` of ``found`` (best first) that the caller may read, asking the
    policy about a few more ids at a time than are still wanted."""
    kept: list[Match] = []
    start = 0
    while len(kept) < limit and start < len(found):
        step = found[start : start + 2 * (limit - len(kept)) + 5]
        ok = policy.readable_ids(session, principal, (m.candidate.id for m in step))
        kept += [m for m in step if m.candidate.id in ok][: limit - len(kept)]
        start += len(step)
    return kept


def _sanctions_labels(session: Session, parties: list[Party]) -> dict[int, str]:
    from watchfloor.reference import SanctionsEntry

    by_entry = {p.source_id: p.id for p in parties if p.source_type == "sanctions"}
    if not by_entry:
        return {}
    rows = session.execute(
        select(SanctionsEntry.id, SanctionsEntry.programs, SanctionsEntry.ent_num).where(
            SanctionsEntry.id.in_(list(by_entry))
        )
    )
    return {
        by_entry[i]: f"OFAC SDN #{ent} [{programs.replace(' ', '] [')}]"
        for i, programs, ent in rows
    }

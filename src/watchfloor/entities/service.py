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
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.entities import extract, policy
from watchfloor.entities.index import PartyIndex
from watchfloor.entities.matching import Candidate, Match, MatchingConfig, Query, config
from watchfloor.entities.models import Party
from watchfloor.security.models import Agency
from watchfloor.security.service import Principal

REFRESH_SECONDS = 2.0
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
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
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
            added = extract.sync(session)
        session.commit()
        return added
    except (IntegrityError, OperationalError):
        session.rollback()
        return {}


@dataclass
class Screened:
    """A candidate the caller may read, with what the index knows of its source."""

    match: Match
    party: Party
    owner: str | None
    source_label: str


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
    found = index.search(query, cfg, limit=cfg.candidates)
    for m in found:
        m.passes = m.score >= cfg.threshold
    ids = [m.candidate.id for m in found]
    readable = (
        {
            p.id: p
            for p in session.scalars(
                select(Party).where(Party.id.in_(ids), policy.visible(principal))
            )
        }
        if ids
        else {}
    )
    kept = [m for m in found if m.candidate.id in readable][:limit]
    owners = _owners(session, {readable[m.candidate.id].owner_agency_id for m in kept})
    labels = _sanctions_labels(session, [readable[m.candidate.id] for m in kept])
    out = [
        Screened(
            m,
            readable[m.candidate.id],
            owners.get(readable[m.candidate.id].owner_agency_id),
            labels.get(m.candidate.id) or readable[m.candidate.id].source_type,
        )
        for m in kept
    ]
    foreign = [
        s.party.id for s in out if s.party.owner_agency_id not in (None, principal.agency_id)
    ]
    if foreign:
        audit.record_by(
            session, principal, action="party.match", object_type="party",
            detail={"foreign_ids": foreign, "query": query.name},
        )  # fmt: skip
        session.commit()
    return out, cfg


def _owners(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(wanted))).all())


def _sanctions_labels(session: Session, parties: list[Party]) -> dict[int, str]:
    from watchfloor.reference.sanctions import SanctionsEntry

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

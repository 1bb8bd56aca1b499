"""Reading parties and clusters as the caller may, and admins' confirm and split.

A cluster shows only the parties whose records the caller may read; the others are counted
as restricted, never named. A party or cluster the caller may not read at all is a 404, so
that existence does not leak. Reads of other agencies' parties are audited.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.entities import clusters, policy
from watchfloor.entities.models import EntityCluster, Party
from watchfloor.entities.schemas import EntityClusterOut, EntityPartyOut, LinkOut
from watchfloor.errors import Forbidden, NotFound
from watchfloor.security import Agency, Principal, require_role


def party_out(session: Session, p: Party, owner: str | None) -> EntityPartyOut:
    return EntityPartyOut(
        id=p.id, name=p.name, aliases=p.listed("aliases"), schema_=p.schema,
        source_type=p.source_type, source_id=p.source_id, role=p.role, owner_agency=owner,
        countries=p.countries.split(), dates_of_birth=p.dates_of_birth.split(),
        identifiers=[list(i) for i in p.listed("identifiers")], addresses=p.listed("addresses"),
        phones=p.listed("phones"), emails=p.listed("emails"), wallets=p.listed("wallets"),
        handles=p.listed("handles"), linked_to=p.listed("linked_to"),
        cluster_id=clusters.cluster_of(session, p.id),
    )  # fmt: skip


def _readable(session: Session, principal: Principal, ids: list[int]) -> list[Party]:
    if not ids:
        return []
    stmt = select(Party).where(Party.id.in_(ids), policy.visible(principal)).order_by(Party.id)
    return list(session.scalars(stmt))


def owner_codes(session: Session, parties: list[Party]) -> dict[int | None, str]:
    """Agency code by agency id, for the owners of ``parties``."""
    ids = {p.owner_agency_id for p in parties if p.owner_agency_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(ids))).all())


def audit_foreign(
    session: Session, principal: Principal, parties: list[Party], action: str, **detail: str
) -> None:
    """Audit the parties of other agencies that the caller was shown (the caller commits)."""
    foreign = [p.id for p in parties if p.owner_agency_id not in (None, principal.agency_id)]
    if foreign:
        audit.record_read(session, principal, action=action, object_type="party",
                          detail={"foreign_ids": foreign, **detail})  # fmt: skip


def party_readable(session: Session, principal: Principal, party_id: int) -> Party:
    """The party, if the caller may read its record; 404 otherwise."""
    found = _readable(session, principal, [party_id])
    if not found:
        raise NotFound(f"party {party_id} not found")
    return found[0]


def read_party(session: Session, principal: Principal, party_id: int) -> EntityPartyOut:
    """One party; 404 unless its record is readable by the caller."""
    party = party_readable(session, principal, party_id)
    audit_foreign(session, principal, [party], "party.read")
    return party_out(session, party, owner_codes(session, [party]).get(party.owner_agency_id))


def read_cluster(session: Session, principal: Principal, cluster_id: int) -> EntityClusterOut:
    """A cluster as the caller may see it; 404 when it shows none of its parties."""
    cluster = session.get(EntityCluster, cluster_id)
    members = clusters.members_of(session, cluster_id) if cluster else []
    shown = _readable(session, principal, members)
    if cluster is None or not shown:
        raise NotFound(f"cluster {cluster_id} not found")
    ids = {p.id for p in shown}
    links = [lk for lk in clusters.pairs_of(session, cluster_id)
             if lk.party_l in ids and lk.party_r in ids]  # fmt: skip
    confirmed = {
        (d.party_l, d.party_r) for d in clusters.decisions_of(session, list(ids)) if d.same
    }
    owners = owner_codes(session, shown)
    audit_foreign(session, principal, shown, "party.read")
    return EntityClusterOut(
        id=cluster.id,
        size=len(members),
        restricted=len(members) - len(shown),
        confirmed=bool(links) and all((lk.party_l, lk.party_r) in confirmed for lk in links),
        members=[party_out(session, p, owners.get(p.owner_agency_id)) for p in shown],
        links=[
            LinkOut(
                party_l=lk.party_l,
                party_r=lk.party_r,
                probability=lk.probability,
                weight=lk.weight,
                agreed=lk.agreed.split(),
            )
            for lk in links
        ],  # fmt: skip
    )


def _decider(principal: Principal, cluster_id: int, shown: EntityClusterOut) -> set[int]:
    """Who may hold parties of a cluster together or apart: an admin of an agency whose
    records the cluster holds, and only about its own records (each decided pair has one).
    The decision is kept for every agency's view and every later run, so it is never one
    agency's about two records of others. Returns the caller's own members."""
    require_role(principal, "admin")
    own = {m.id for m in shown.members if m.owner_agency == principal.agency_code}
    if not own:
        raise Forbidden(
            f"cluster {cluster_id} holds no record of {principal.agency_code}: holding its "
            "parties together or apart is for the admins of the agencies whose records they are"
        )
    return own


def confirm(session: Session, principal: Principal, cluster_id: int) -> EntityClusterOut:
    """The agency's admin holds each of its own members to be one with every member they
    may read: kept across runs."""
    shown = read_cluster(session, principal, cluster_id)
    own = _decider(principal, cluster_id, shown)
    ids = [m.id for m in shown.members]
    n = clusters.decide(session, party_ids=sorted(own), same=True, against=ids,
                        actor=principal.actor, agency_id=principal.agency_id)  # fmt: skip
    audit.record_by(session, principal, action="cluster.confirm", object_type="entity_cluster",
                    object_id=cluster_id, detail={"parties": ids, "pairs": n})  # fmt: skip
    return read_cluster(session, principal, cluster_id)


def split(
    session: Session, principal: Principal, cluster_id: int, party_ids: list[int]
) -> list[int]:
    """The agency's admin holds ``party_ids`` not to be the other members: the cluster is
    formed again without joining them (now and in every later run). Either side must be all
    the agency's own records (:func:`_decider`)."""
    shown = read_cluster(session, principal, cluster_id)
    ids = {m.id for m in shown.members}
    unknown = [p for p in party_ids if p not in ids]
    if unknown:
        raise NotFound(f"party {unknown[0]} is not a member of cluster {cluster_id} you can read")
    others = sorted(ids - set(party_ids))
    own = _decider(principal, cluster_id, shown)
    theirs = sorted({p for p in party_ids if p not in own} | {o for o in others if o not in own})
    if not (set(party_ids) <= own or set(others) <= own):
        owners = sorted({m.owner_agency or "the sanctions list" for m in shown.members
                         if m.id in theirs})  # fmt: skip
        raise Forbidden(
            f"parties {', '.join(map(str, theirs))} are records of {', '.join(owners)}: "
            f"{principal.agency_code} may hold its own records apart from the others, not "
            "another agency's from each other; ask that agency's admin"
        )
    clusters.decide(session, party_ids=party_ids, same=False, against=others,
                    actor=principal.actor, agency_id=principal.agency_id)  # fmt: skip
    after = clusters.recluster(session, cluster_id)
    audit.record_by(
        session, principal, action="cluster.split", object_type="entity_cluster",
        object_id=cluster_id, detail={"apart": party_ids, "clusters": after},
    )  # fmt: skip
    return after

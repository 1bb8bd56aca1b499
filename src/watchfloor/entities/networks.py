"""Trafficking networks: resolved entities and what links them, as far as the viewer may see.

A node is an entity: a cluster of parties (``entities.clusters``) or a party no run joined
to another. Edges come from the records: a shipment's sender and consignee, parties seized
or reported together, a notification's exporter and importer, a "Linked To" relation of a
sanctions entry, and a phone, e-mail, wallet, handle or address that two parties share.
The walk starts at one party's entity and goes ``depth`` steps out. It only walks on from
parties the viewer may read; a party reached through a shared contact or a sanctions link
whose record the viewer may not read is a node marked "restricted", with no name and no way
on. Communities (Louvain, networkx) propose networks; betweenness ranks key members.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

import networkx as nx
from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from watchfloor.entities import policy
from watchfloor.entities.models import ClusterMember, Party, PartyContact
from watchfloor.entities.reading import audit_foreign
from watchfloor.errors import NotFound
from watchfloor.identifiers import name_tokens
from watchfloor.security import Principal

RECORD_EDGES = {
    "shipment": "shipped to",
    "seizure": "seized together",
    "incident": "reported together",
    "notification": "traded with",
}
COMMON_CONTACT = 50  # a value shared by more parties than this (a carrier's desk) links nothing
MAX_NODES = 300


@dataclass
class Node:
    id: str
    label: str
    kind: str  # entity | restricted
    parties: list[int] = field(default_factory=list)
    restricted: int = 0  # parties of the entity the viewer may not read
    countries: list[str] = field(default_factory=list)
    sources: dict[str, int] = field(default_factory=dict)
    community: int = 0
    centrality: float = 0.0


@dataclass
class Edge:
    source: str
    target: str
    kinds: list[str]
    evidence: list[dict[str, object]]


@dataclass
class Network:
    start: str
    depth: int
    nodes: list[Node]
    edges: list[Edge]
    truncated: bool


def _clusters(session: Session, ids: set[int]) -> dict[int, int]:
    if not ids:
        return {}
    rows = session.execute(
        select(ClusterMember.party_id, ClusterMember.cluster_id).where(
            ClusterMember.party_id.in_(sorted(ids))
        )
    )
    return dict(rows.all())


def _members(session: Session, cluster_ids: set[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = defaultdict(list)
    if cluster_ids:
        for party, cluster in session.execute(
            select(ClusterMember.party_id, ClusterMember.cluster_id).where(
                ClusterMember.cluster_id.in_(sorted(cluster_ids))
            )
        ):
            out[cluster].append(party)
    return out


Link = tuple[int, int, str, dict[str, object]]  # party, party, kind, evidence


def _record_links(session: Session, ids: list[int]) -> list[Link]:
    records = session.execute(
        select(Party.source_type, Party.source_id)
        .where(Party.id.in_(ids), Party.source_type.in_(list(RECORD_EDGES)))
        .distinct()
    ).all()
    if not records:
        return []
    rows = session.execute(
        select(Party.id, Party.source_type, Party.source_id, Party.role).where(
            tuple_(Party.source_type, Party.source_id).in_([tuple(r) for r in records])
        )
    ).all()
    by_record: dict[tuple[str, int], list[tuple[int, str]]] = defaultdict(list)
    for pid, stype, sid, role in rows:
        by_record[(stype, sid)].append((pid, role))
    links = []
    for (stype, sid), parties in by_record.items():
        for i, (a, _) in enumerate(parties):
            for b, _ in parties[i + 1 :]:
                ev = {"record_type": stype, "record_id": sid}
                links.append((a, b, RECORD_EDGES[stype], ev))
    return links


def _contact_links(session: Session, ids: list[int]) -> list[Link]:
    mine = session.execute(
        select(PartyContact.kind, PartyContact.value).where(PartyContact.party_id.in_(ids))
    ).all()
    if not mine:
        return []
    pairs = list({(k, v) for k, v in mine})
    common = {
        (k, v)
        for k, v, n in session.execute(
            select(PartyContact.kind, PartyContact.value, func.count())
            .where(tuple_(PartyContact.kind, PartyContact.value).in_(pairs))
            .group_by(PartyContact.kind, PartyContact.value)
        )
        if n > COMMON_CONTACT
    }
    wanted = [p for p in pairs if p not in common]
    if not wanted:
        return []
    holders: dict[tuple[str, str], list[int]] = defaultdict(list)
    for pid, kind, value in session.execute(
        select(PartyContact.party_id, PartyContact.kind, PartyContact.value).where(
            tuple_(PartyContact.kind, PartyContact.value).in_(wanted)
        )
    ):
        holders[(kind, value)].append(pid)
    links: list[tuple[int, int, str, dict[str, object]]] = []
    for (kind, value), parties in holders.items():
        for i, a in enumerate(parties):
            for b in parties[i + 1 :]:
                links.append((a, b, f"shared {kind}", {"kind": kind, "value": value}))
    return links


@dataclass
class _Listed:
    """The sanctions parties by name key, and by the keys of the names they are linked to."""

    stamp: tuple[int, int]
    by_name: dict[str, set[int]]
    by_link: dict[str, set[int]]


_listed: dict[str, _Listed] = {}


def _listed_index(session: Session) -> _Listed:
    """Built once per list load: a "Linked To" name is written a little otherwise than the
    entry it names ("X S.A. DE C.V" for "X, S.A. DE C.V."), so both sides are name keys."""
    stamp = tuple(session.execute(
        select(func.count(), func.max(Party.id)).where(Party.source_type == "sanctions")
    ).one())  # fmt: skip
    key = str(session.get_bind().engine.url)
    found = _listed.get(key)
    if found is None or found.stamp != stamp:
        by_name: dict[str, set[int]] = defaultdict(set)
        by_link: dict[str, set[int]] = defaultdict(set)
        rows = session.execute(
            select(Party.id, Party.name, Party.aliases, Party.linked_to).where(
                Party.source_type == "sanctions"
            )
        )
        for pid, name, aliases, linked in rows:
            for n in [name, *json.loads(aliases or "[]")]:
                by_name[_key(n)].add(pid)
            for n in json.loads(linked or "[]"):
                by_link[_key(n)].add(pid)
        found = _listed[key] = _Listed(stamp, by_name, by_link)  # type: ignore[arg-type]
    return found


def _key(name: str) -> str:
    return " ".join(sorted(name_tokens(name)))


def _sanctions_links(session: Session, ids: list[int]) -> list[Link]:
    rows = session.execute(
        select(Party.id, Party.name, Party.linked_to).where(
            Party.id.in_(ids), Party.source_type == "sanctions"
        )
    ).all()
    if not rows:
        return []
    listed = _listed_index(session)
    links: list[Link] = []
    for pid, name, linked in rows:
        for n in json.loads(linked or "[]"):
            links += [(pid, o, "linked to", {"list": "OFAC SDN"})
                      for o in listed.by_name.get(_key(n), ()) if o != pid]  # fmt: skip
        links += [(o, pid, "linked to", {"list": "OFAC SDN"})
                  for o in listed.by_link.get(_key(name), ()) if o != pid]  # fmt: skip
    return links


def _links(session: Session, ids: set[int]) -> list[Link]:
    ordered = sorted(ids)
    out: list[Link] = []
    for i in range(0, len(ordered), 400):
        chunk = ordered[i : i + 400]
        out += _record_links(session, chunk)
        out += _contact_links(session, chunk)
        out += _sanctions_links(session, chunk)
    return out


def network(session: Session, principal: Principal, party_id: int, *, depth: int = 1) -> Network:
    """The network around ``party_id``'s entity, ``depth`` steps out, as ``principal`` may
    see it; 404 when the party itself is not readable."""
    if not policy.readable_ids(session, principal, {party_id}):
        raise NotFound(f"party {party_id} not found")
    cluster_of = _clusters(session, {party_id})
    node_of: dict[int, str] = {}
    readable: set[int] = set()
    hidden: set[int] = set()

    def place(parties: set[int]) -> set[int]:
        """Give parties their nodes; returns the readable parties newly reached (with the
        readable members of their clusters), the ones to walk on from."""
        parties = {p for p in parties if p not in node_of}
        if not parties:
            return set()
        cluster_of.update(_clusters(session, parties))
        members = _members(session, {cluster_of[p] for p in parties if p in cluster_of})
        for cluster, ms in members.items():
            cluster_of.update((m, cluster) for m in ms)
        everyone = parties | {m for ms in members.values() for m in ms}
        everyone -= set(node_of)
        ok = policy.readable_ids(session, principal, everyone)
        for p in everyone:
            if p in ok:
                node_of[p] = f"c{cluster_of[p]}" if p in cluster_of else f"p{p}"
                readable.add(p)
            else:
                hidden.add(p)
                node_of[p] = f"c{cluster_of[p]}" if p in cluster_of else f"r{len(hidden)}"
        return everyone & ok

    frontier = place({party_id})
    links: list[Link] = []
    truncated = False
    for _ in range(depth):
        found = _links(session, frontier)
        links += found
        reached = {p for a, b, _, _ in found for p in (a, b)}
        frontier = place(reached)
        if len({node_of[p] for p in node_of}) > MAX_NODES:
            truncated = True
            break
        if not frontier:
            break
    shown = list(session.scalars(select(Party).where(Party.id.in_(sorted(readable)))))
    audit_foreign(session, principal, shown, "party.read", via="network")
    return _assemble(session, node_of, readable, hidden, links, node_of[party_id], depth, truncated)


def _edges(
    links: list[Link], node_of: dict[int, str], nodes: dict[str, Node]
) -> dict[tuple[str, str], Edge]:
    """The links between parties as edges between entities, merged per pair, with up to
    20 pieces of evidence each; none where an end is restricted."""
    merged: dict[tuple[str, str], Edge] = {}
    for a, b, kind, ev in links:
        na, nb = node_of.get(a), node_of.get(b)
        if na is None or nb is None or na == nb:
            continue
        if nodes[na].kind == "restricted" or nodes[nb].kind == "restricted":
            ev = {}  # the record behind a restricted end is not the viewer's to see
        key = (min(na, nb), max(na, nb))
        edge = merged.setdefault(key, Edge(key[0], key[1], [], []))
        if kind not in edge.kinds:
            edge.kinds.append(kind)
        if ev and ev not in edge.evidence and len(edge.evidence) < 20:
            edge.evidence.append(ev)
    return merged


def _place(nodes: dict[str, Node], edges: dict[tuple[str, str], Edge]) -> None:
    """Each entity's proposed community (Louvain) and betweenness centrality."""
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    if not graph.number_of_edges():
        return
    for i, community in enumerate(nx.community.louvain_communities(graph, seed=1)):
        for n in community:
            nodes[n].community = i
    for n, c in nx.betweenness_centrality(graph).items():
        nodes[n].centrality = round(c, 4)


def _assemble(
    session: Session,
    node_of: dict[int, str],
    readable: set[int],
    hidden: set[int],
    links: list[Link],
    start: str,
    depth: int,
    truncated: bool,
) -> Network:
    parties = {
        p.id: p for p in session.scalars(select(Party).where(Party.id.in_(sorted(readable))))
    }
    by_node: dict[str, list[int]] = defaultdict(list)
    for pid, node in node_of.items():
        by_node[node].append(pid)
    # an entity of which the viewer reads nothing gets an id that says nothing either
    renamed = {
        node: f"r{i}"
        for i, node in enumerate(
            sorted(n for n, ms in by_node.items() if not readable & set(ms)), 1
        )
    }
    node_of = {p: renamed.get(n, n) for p, n in node_of.items()}
    by_node = {renamed.get(n, n): ms for n, ms in by_node.items()}
    nodes: dict[str, Node] = {}
    for node, members in by_node.items():
        shown = [parties[m] for m in members if m in parties]
        if not shown:
            nodes[node] = Node(node, "restricted", "restricted", restricted=len(members))
            continue
        names = Counter(p.name for p in shown)
        nodes[node] = Node(
            node,
            names.most_common(1)[0][0],
            "entity",
            parties=sorted(p.id for p in shown),
            restricted=sum(m in hidden for m in members),
            countries=sorted({c for p in shown for c in p.countries.split()}),
            sources=dict(Counter(p.source_type for p in shown)),
        )
    merged = _edges(links, node_of, nodes)
    _place(nodes, merged)
    ordered = sorted(nodes.values(), key=lambda n: (n.id != start, -n.centrality, n.id))
    return Network(start, depth, ordered, list(merged.values()), truncated)

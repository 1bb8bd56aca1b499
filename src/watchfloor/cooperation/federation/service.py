"""Federation between instances: signed feeds of the records a peer's agencies may read.

Each instance has an Ed25519 key pair (made on first use, kept in its database) and
registers its peers by name, URL, public key and the agencies that work there. A peer asks
for ``GET /api/v1/federation/feed?since=N`` with a request signed by its own key; the answer
is a batch of the changes after ``N`` (:class:`~watchfloor.sharing.changes.Change`),
each record judged as it is now against the sharing policy for the peer's agencies:

- readable by one of them: sent, with its owner and its policy (TLP, recipients,
  originator control, legal basis, expiry), so that the peer applies the same rules;
- not readable, but sent before: revoked (a record it never had is not mentioned);
- not readable and never sent: nothing leaves.

The batch is signed; the receiving side (:func:`sync`) checks the signature against the
registered key, that the batch is for it and continues from where it stopped (a replayed
batch starts elsewhere), and that its nonce is new. A rejected batch is audited and nothing
of it is stored. Records are stored with their origin and applied idempotently; expiry
needs no message, as the policy travels with the record. Only records that originate on this
instance are fed: a peer's records go back to their own instance only. Seizures, incidents
and watchlist entries travel (a peer's entries are screened against its own traffic too).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.batches import upsert
from watchfloor.cooperation import links
from watchfloor.cooperation.federation import checkpoints
from watchfloor.cooperation.federation.keys import canonical, sign, verify
from watchfloor.cooperation.federation.models import Peer, SeenNonce, Sent
from watchfloor.cooperation.seizures.models import Incident, Seizure
from watchfloor.cooperation.watchlists import screening
from watchfloor.cooperation.watchlists.models import WatchlistEntry
from watchfloor.db import analyze, utcnow
from watchfloor.errors import FieldProblem, Invalid, NotFound, Unauthenticated, WatchfloorError
from watchfloor.security import Agency, refusals, system_principal
from watchfloor.settings import get_settings
from watchfloor.sharing import Change, can_read, forget_recipients, name_recipients, sharing_out

# the tables of the records that travel (each a Shareable with origin columns)
FEDERATED: dict[str, Any] = {
    "seizure": Seizure,
    "incident": Incident,
    "watchlist_entry": WatchlistEntry,
}
CLOCK_SKEW = dt.timedelta(minutes=5)
ACTOR = "system:federation"


class Rejected(WatchfloorError):
    """A peer's batch that failed a check; nothing of it was stored."""

    status = 502
    title = "Peer batch rejected"


def request_message(method: str, path: str, at: str) -> bytes:
    return f"{method.upper()}\n{path}\n{at}".encode()


def request_headers(session: Session, method: str, path: str) -> dict[str, str]:
    """Headers that prove to a peer that this instance sent the request."""
    at = utcnow().isoformat()
    return {
        "X-Watchfloor-Instance": get_settings().instance_name,
        "X-Watchfloor-Time": at,
        "X-Watchfloor-Signature": sign(session, request_message(method, path, at)),
    }


# --- peers ----------------------------------------------------------------------------------


def add_peer(
    session: Session, *, name: str, url: str, key: str, agencies: list[str], actor: str
) -> Peer:
    """Register (or update) a peer; its agencies must be known here (they are marked as
    working on the peer)."""
    if len(key) != 64 or not all(c in "0123456789abcdef" for c in key.lower()):
        raise Invalid("the key is 32 bytes of hex", [FieldProblem("key", "not an Ed25519 key")])
    if not url.startswith(("http://", "https://")):
        raise Invalid("the URL must be http(s)", [FieldProblem("url", url)])
    codes = sorted({c.strip().upper() for c in agencies if c.strip()})
    found = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))}
    missing = [c for c in codes if c not in found]
    if missing:
        raise Invalid(
            f"unknown agencies: {', '.join(missing)}",
            [FieldProblem("agencies", f"create {c} first") for c in missing],
        )
    peer = session.scalar(select(Peer).where(Peer.name == name))
    if peer is None:
        peer = Peer(name=name, url=url.rstrip("/"), public_key=key.lower(), cursor=0)
        session.add(peer)
    peer.url, peer.public_key, peer.agencies = url.rstrip("/"), key.lower(), " ".join(codes)
    for a in found.values():
        a.home_instance = name
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="federation.peer",
        object_type="peer",
        object_id=peer.id,
        detail={"name": name, "url": url, "key": key.lower(), "agencies": codes},
    )
    return peer


def get_peer(session: Session, name: str) -> Peer:
    peer = session.scalar(select(Peer).where(Peer.name == name))
    if peer is None:
        raise NotFound(
            f"no peer {name!r}: register it with 'watchfloor cooperation federation add-peer'"
        )
    return peer


def authenticate(session: Session, method: str, path: str, headers: Any) -> Peer:
    """The peer that signed this request, or 401 (counted, and sampled into the audit log)."""
    name = headers.get("x-watchfloor-instance", "")
    at = headers.get("x-watchfloor-time", "")
    signature = headers.get("x-watchfloor-signature", "")
    peer = session.scalar(select(Peer).where(Peer.name == name)) if name else None
    reason = None
    try:
        when = dt.datetime.fromisoformat(at)
    except ValueError:
        when = None
    if peer is None:
        reason = f"unknown instance {name!r}"
    elif when is None or when.tzinfo is None or abs(utcnow() - when) > CLOCK_SKEW:
        reason = "request time missing or more than 5 minutes off"
    elif not verify(peer.public_key, request_message(method, path, at), signature):
        reason = "bad signature"
    if reason:  # counted; the first of the hour from this name audited (security.refusals)
        refusals.note(session, kind="federation", source=name, reason=reason, actor=ACTOR)
        session.commit()
        raise Unauthenticated(f"federation request refused: {reason}")
    return peer  # type: ignore[return-value]


# --- the feed -------------------------------------------------------------------------------


def _owner(a: Agency) -> dict[str, Any]:
    return {"code": a.code, "name": a.name, "country": a.country, "kind": a.kind}


def feed(session: Session, peer: Peer, since: int, limit: int = 2000) -> dict[str, Any]:
    """The next batch for ``peer`` after change ``since`` (unsigned; the API signs it)."""
    from watchfloor.cooperation.seizures.service import incident_out, seizure_out
    from watchfloor.cooperation.watchlists.deconfliction import entry_out

    outs: dict[str, Callable[[Any], BaseModel]] = {
        "seizure": seizure_out,
        "incident": incident_out,
        "watchlist_entry": entry_out,
    }
    last = func.max(Change.seq).label("last")
    changes = session.execute(
        select(Change.record_type, Change.record_id, last)
        .where(Change.seq > since)
        .group_by(Change.record_type, Change.record_id)
        .order_by(last)
        .limit(limit)
    ).all()
    codes = peer.agencies.split()
    readers = [
        system_principal(a) for a in session.scalars(select(Agency).where(Agency.code.in_(codes)))
    ]
    records, revoked, newly = [], [], []
    for rtype in FEDERATED:
        ids = [c.record_id for c in changes if c.record_type == rtype]
        sent: set[int] = (
            set()
        )  # of this batch's records only: the ledger grows with every record sent
        for start in range(0, len(ids), 500):
            sent.update(
                session.scalars(
                    select(Sent.record_id).where(
                        Sent.peer_id == peer.id,
                        Sent.record_type == rtype,
                        Sent.record_id.in_(ids[start : start + 500]),
                    )
                )
            )
        model = FEDERATED[rtype]
        rows: dict[int, Any] = {}
        for start in range(0, len(ids), 500):
            rows.update(
                (r.id, r)
                for r in session.scalars(
                    select(model).where(model.id.in_(ids[start : start + 500]))
                )
            )
        for rid in ids:
            r = rows.get(rid)
            ok = (
                r is not None and r.origin_instance is None and any(can_read(p, r) for p in readers)
            )
            if r is not None and ok:
                policy = sharing_out(r).model_dump(mode="json")
                data = outs[rtype](r).model_dump(mode="json", exclude={"sharing", "shipment_id"})
                records.append(
                    {
                        "type": rtype,
                        "id": rid,
                        "owner": _owner(r.owner),
                        "policy": policy,
                        "data": data,
                    }
                )
                if rid not in sent:
                    newly.append({"peer_id": peer.id, "record_type": rtype, "record_id": rid})
            elif rid in sent:
                revoked.append({"type": rtype, "id": rid})
    if newly:
        session.execute(insert(Sent), newly)
    for x in revoked:
        session.execute(
            delete(Sent).where(
                Sent.peer_id == peer.id, Sent.record_type == x["type"], Sent.record_id == x["id"]
            )
        )
    until = max((c.last for c in changes), default=since)
    batch = {
        "instance": get_settings().instance_name,
        "peer": peer.name,
        "since": since,
        "until": until,
        "has_more": len(changes) == limit,
        "issued_at": utcnow().isoformat(),
        "nonce": secrets.token_hex(16),
        "records": records,
        "revoked": revoked,
    }
    audit.record(
        session,
        actor=ACTOR,
        action="federation.feed",
        object_type="peer",
        object_id=peer.id,
        detail={
            "peer": peer.name,
            "since": since,
            "until": until,
            "records": len(records),
            "revoked": len(revoked),
        },
    )
    return batch


# --- receiving ------------------------------------------------------------------------------


@dataclass
class SyncReport:
    batches: int = 0
    stored: int = 0
    revoked: int = 0
    cursor: int = 0
    errors: list[str] = field(default_factory=list)


def check(session: Session, peer: Peer, body: Any, since: int) -> dict[str, Any]:
    """The batch of a feed answer once every check passed; otherwise :class:`Rejected`
    (audited)."""
    reason = None
    batch = body.get("batch") if isinstance(body, dict) else None
    if not isinstance(batch, dict) or not isinstance(body.get("signature"), str):
        reason = "not a signed batch"
    elif not verify(peer.public_key, canonical(batch), body["signature"]):
        reason = "bad signature: the batch was altered or not signed by the peer"
    elif batch.get("instance") != peer.name or batch.get("peer") != get_settings().instance_name:
        reason = f"batch from {batch.get('instance')!r} for {batch.get('peer')!r}"
    elif batch.get("since") != since:
        reason = f"batch starts after change {batch.get('since')}, not {since}: a replay"
    else:
        try:
            with session.begin_nested():
                session.add(SeenNonce(peer_id=peer.id, nonce=str(batch.get("nonce"))[:64]))
        except IntegrityError:
            reason = "nonce seen before: a replay"
    if reason:
        session.rollback()
        audit.record(
            session,
            actor=ACTOR,
            action="federation.rejected",
            object_type="peer",
            object_id=peer.id,
            detail={"peer": peer.name, "reason": reason},
        )
        session.commit()
        raise Rejected(f"batch from {peer.name} rejected: {reason}")
    return batch  # type: ignore[return-value]


def _agency(
    session: Session, owner: dict[str, Any], peer: Peer, cache: dict[str, Agency]
) -> Agency:
    code = owner["code"]
    if code not in cache:
        found = session.scalar(select(Agency).where(Agency.code == code))
        if found is None:  # an agency of the peer's: known here by its records
            found = Agency(
                code=code,
                name=owner.get("name") or code,
                country=owner.get("country"),
                kind=owner.get("kind") or "other",
                home_instance=peer.name,
            )
            session.add(found)
            session.flush()
        cache[code] = found
    return cache[code]


def _columns(rtype: str, data: dict[str, Any]) -> dict[str, Any]:
    import json

    if rtype == "watchlist_entry":
        expires = data.get("expires_at")
        return {
            "reference": data["reference"],
            "kind": data["kind"],
            "value": data["value"],
            "normalised": data["normalised"],
            "label": data.get("label"),
            "reason": data["reason"],
            "expires_at": dt.datetime.fromisoformat(expires) if expires else None,
            "active": data["active"],
            "source": data.get("source"),
            "created_at": dt.datetime.fromisoformat(data["created_at"]),
        }

    common = {
        "reference": data["reference"],
        "country": data["country"],
        "place": data.get("place"),
        "mode": data.get("mode"),
        "origin_country": data.get("origin_country"),
        "route": " ".join(data.get("route") or []),
        "parties": json.dumps(data.get("parties") or [], ensure_ascii=False),
        "source": data.get("source"),
        "created_at": dt.datetime.fromisoformat(data["created_at"]),
    }
    if rtype == "seizure":
        return {
            **common,
            "seized_on": dt.date.fromisoformat(data["seized_on"]),
            "substance_text": data["substance"],
            "substance_key": data.get("substance_key"),
            "quantity": data["quantity"],
            "unit": data["unit"],
            "normalised_quantity": data.get("normalised_quantity"),
            "normalised_unit": data.get("normalised_unit"),
            "concealment": data.get("concealment"),
            "period": data.get("period") or "event",
            "events": data.get("events") or 1,
            "notes": data.get("notes"),
        }
    chemicals = data.get("chemicals") or []
    return {
        **common,
        "kind": data["kind"],
        "occurred_on": dt.date.fromisoformat(data["occurred_on"]),
        "description": data["description"],
        "chemicals": json.dumps(chemicals, ensure_ascii=False),
        "substance_keys": " ".join(
            sorted({c["substance_key"] for c in chemicals if c.get("substance_key")})
        ),
        "destination_country": data.get("destination_country"),
    }


def _existing(session: Session, model: Any, peer: Peer, ids: list[int]) -> dict[int, Any]:
    found: dict[int, Any] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            (r.origin_id, r)
            for r in session.scalars(
                select(model).where(model.origin_instance == peer.name, model.origin_id.in_(chunk))
            )
        )
    return found


def _local_ids(session: Session, model: Any, peer: Peer, ids: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        out.update(
            session.execute(
                select(model.origin_id, model.id).where(
                    model.origin_instance == peer.name, model.origin_id.in_(chunk)
                )
            ).all()
        )
    return out


def _values(
    session: Session, peer: Peer, rtype: str, rec: dict[str, Any], cache: Any, now: Any
) -> dict[str, Any]:
    policy = rec["policy"]
    expires = policy.get("expires_at")
    return {
        **_columns(rtype, rec["data"]),
        "owner_agency_id": _agency(session, rec["owner"], peer, cache).id,
        "tlp": policy["tlp"],
        "originator_control": policy["originator_control"],
        "legal_basis": policy.get("legal_basis"),
        "share_expires_at": dt.datetime.fromisoformat(expires) if expires else None,
        "origin_instance": peer.name,
        "origin_id": rec["id"],
        "created_by": f"federation:{peer.name}",
        "updated_at": now,
    }


@dataclass
class _Feed:
    """How :func:`watchfloor.batches.upsert` stores one type of a peer's records: keyed
    by their id on the peer, always written again (a batch applied twice changes nothing)."""

    peer: Peer
    rtype: str
    model: Any
    cache: dict[str, Agency]
    now: dt.datetime

    def key(self, rec: dict[str, Any]) -> int:
        return int(rec["id"])

    def same(self, rec: dict[str, Any], old: Any) -> bool:
        return False

    def existing(self, session: Session, keys: list[Any]) -> dict[Any, Any]:
        return _existing(session, self.model, self.peer, keys)

    def _values(self, session: Session, rec: dict[str, Any]) -> dict[str, Any]:
        return _values(session, self.peer, self.rtype, rec, self.cache, self.now)

    def insert(self, session: Session, recs: list[dict[str, Any]]) -> list[int]:
        session.execute(insert(self.model), [self._values(session, r) for r in recs])
        local = _local_ids(session, self.model, self.peer, [r["id"] for r in recs])
        return [local[r["id"]] for r in recs]

    def update(self, session: Session, pairs: list[tuple[dict[str, Any], Any]]) -> list[int]:
        for rec, old in pairs:
            for k, value in self._values(session, rec).items():
                setattr(old, k, value)
        session.flush()
        return [old.id for _, old in pairs]

    def grants(
        self, session: Session, stored: list[tuple[dict[str, Any], int]]
    ) -> Iterator[tuple[int, int | None, str | None]]:
        """The recipients the peer named for each stored record, as local agencies."""
        for rec, rid in stored:
            policy = rec["policy"]
            for code in policy.get("recipients") or []:
                yield rid, _agency(session, {"code": code}, self.peer, self.cache).id, None
            for community in policy.get("communities") or []:
                yield rid, None, community


def store(session: Session, peer: Peer, batch: dict[str, Any]) -> tuple[int, int]:
    """Apply a checked batch: upsert its records with their origin and policy, delete the
    revoked ones. Applying it twice changes nothing. Written in bulk: a batch costs a few
    statements, not a few a record."""
    cache: dict[str, Agency] = {}
    now = utcnow()
    stored = revoked = 0
    for rtype, model in FEDERATED.items():
        feed = _Feed(peer, rtype, model, cache, now)
        recs = {r["id"]: r for r in batch["records"] if r["type"] == rtype}  # the last wins
        done = upsert(session, list(recs.values()), feed)
        gone = feed.existing(session, [x["id"] for x in batch["revoked"] if x["type"] == rtype])
        # the peer's policy replaces the recipients each record had
        touched = [rid for _, rid in done.stored] + [r.id for r in gone.values()]
        forget_recipients(session, model.share_type, touched)
        name_recipients(
            session,
            model.share_type,
            feed.grants(session, done.stored),
            granted_by=f"federation:{peer.name}",
            at=now,
        )
        if model is WatchlistEntry:  # a peer's entry meets the records stored here already
            screening.screen_stored(session, [rid for _, rid in done.stored])
        for r in gone.values():
            session.delete(r)
        for obj in list(session.identity_map.values()):
            if isinstance(obj, model):
                session.expire(obj, ["recipients"])
        stored += len(done.stored)
        revoked += len(gone)
    if any(r["type"] == "watchlist_entry" for r in batch["records"]) or batch["revoked"]:
        links.changed("watchlist_entry", session)  # the scorers read the name entries
    peer.cursor = batch["until"]
    peer.last_sync_at = now
    audit.record(
        session,
        actor=ACTOR,
        action="federation.sync",
        object_type="peer",
        object_id=peer.id,
        detail={"peer": peer.name, "until": batch["until"], "stored": stored, "revoked": revoked},
    )
    return stored, revoked


def sync(
    make_session: Any, peer_name: str, *, limit: int = 2000, progress: Any = None
) -> SyncReport:
    """Pull ``peer_name``'s feed until it has nothing more, one transaction a batch."""
    import httpx

    report = SyncReport()
    refresh_at = 2000  # rows stored before the tables' statistics are refreshed (doubling)
    with httpx.Client(timeout=120) as client:
        while True:
            with make_session() as session:
                peer = get_peer(session, peer_name)
                since = peer.cursor
                path = f"/api/v1/federation/feed?since={since}&limit={limit}"
                headers = request_headers(session, "GET", path)
                session.commit()
                try:
                    r = client.get(peer.url + path, headers=headers)
                except httpx.HTTPError as exc:
                    raise Rejected(f"{peer.name} at {peer.url} did not answer: {exc}") from None
                if r.status_code != 200:
                    raise Rejected(f"{peer.name} answered {r.status_code}: {r.text[:300]}")
                batch = check(session, peer, r.json(), since)
                stored, revoked = store(session, peer, batch)
                wrong = checkpoints.keep_peers(
                    session, peer.name, peer.public_key, batch.get("checkpoint")
                )
                if wrong:
                    audit.record(
                        session, actor=ACTOR, action="federation.checkpoint_refused",
                        object_type="peer", object_id=peer.name, detail={"reason": wrong},
                    )  # fmt: skip
                session.commit()
                if report.stored + stored >= refresh_at:
                    # PostgreSQL plans the origin lookups by its statistics: a table that
                    # grew tenfold since its last ANALYZE gets scanned once per lookup
                    analyze(session, "seizures", "incidents", "share_recipients")
                    session.commit()
                    refresh_at *= 2
            report.batches += 1
            report.stored += stored
            report.revoked += revoked
            report.cursor = batch["until"]
            if progress:
                progress(report)
            if not batch["has_more"]:
                return report

"""Signed checkpoints of the audit chain: what stops whoever holds the database from cutting
events off its end unseen.

A checkpoint says "this instance's chain held ``seq`` events, the last with hash ``hash``, at
``at``", signed with the instance's Ed25519 key (the one its peers know). It is made by
``watchfloor audit checkpoint`` (written to a file, to be published or handed to an oversight
body), by the worker every ``audit_checkpoint_seconds``, and with every federation feed
batch, so that each peer keeps the other's. ``watchfloor audit verify --checkpoint FILE``
checks a checkpoint against the chain as it is now: the event it names must still be there
with that hash. The keyed MACs of :mod:`watchfloor.audit` stop rewriting; checkpoints held
elsewhere stop truncation and rollback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchfloor.audit import AuditCheckpoint, AuditEvent, AuditHead
from watchfloor.cooperation.federation.keys import canonical, public_key, sign, verify
from watchfloor.db import utcnow
from watchfloor.errors import FieldProblem, Invalid
from watchfloor.settings import get_settings

FIELDS = ("instance", "seq", "hash", "at")


def _message(cp: dict[str, Any]) -> bytes:
    return canonical({k: cp[k] for k in FIELDS})


def make(session: Session) -> dict[str, Any]:
    """A signed checkpoint of this instance's chain as committed now, also kept here (one
    per head: asked twice without a new event, the same one comes back)."""
    head = session.get(AuditHead, 1)
    seq, digest = (head.seq, head.hash) if head is not None else (0, "0" * 64)
    instance = get_settings().instance_name
    kept = session.scalar(
        select(AuditCheckpoint).where(
            AuditCheckpoint.instance == instance, AuditCheckpoint.seq == seq
        )
    )
    if kept is not None and kept.hash == digest:
        return as_dict(kept)
    cp: dict[str, Any] = {
        "instance": instance,
        "seq": seq,
        "hash": digest,
        "at": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    cp["public_key"] = public_key(session)
    cp["signature"] = sign(session, _message(cp))
    if kept is None:
        keep(session, cp)
    return cp


def as_dict(row: AuditCheckpoint) -> dict[str, Any]:
    return {
        "instance": row.instance,
        "seq": row.seq,
        "hash": row.hash,
        "at": row.at,
        "public_key": row.public_key,
        "signature": row.signature,
    }


def parse(data: Any) -> dict[str, Any]:
    """A checkpoint as given (a file's JSON), checked for shape: 422 naming the field."""
    if not isinstance(data, dict):
        problem = FieldProblem("checkpoint", "not an object")
        raise Invalid("a checkpoint is a JSON object", [problem])
    problems = []
    for name, kind in (
        ("instance", str), ("seq", int), ("hash", str), ("at", str),
        ("public_key", str), ("signature", str),
    ):  # fmt: skip
        value = data.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            problems.append(FieldProblem(name, f"missing, or not a {kind.__name__}"))
    if problems:
        raise Invalid("not a Watchfloor audit checkpoint", problems)
    return {k: data[k] for k in (*FIELDS, "public_key", "signature")}


def signed(cp: dict[str, Any], key: str | None = None) -> bool:
    """Whether ``cp`` carries a good signature by ``key`` (by default the key it names)."""
    return verify(key or cp["public_key"], _message(cp), cp["signature"])


@dataclass(frozen=True)
class Check:
    ok: bool
    reason: str


def check(session: Session, cp: dict[str, Any]) -> Check:
    """Whether this instance's chain still holds what the checkpoint ``cp`` says it held."""
    ours = public_key(session)
    if cp["public_key"] != ours:
        return Check(False, f"signed by key {cp['public_key'][:16]}…, not this instance's")
    if not signed(cp, ours):
        return Check(False, "the signature does not match the checkpoint")
    head = session.get(AuditHead, 1)
    last = head.seq if head is not None else 0
    if cp["seq"] > last:
        return Check(
            False,
            f"the checkpoint of {cp['at']} records event {cp['seq']}, but the chain now ends "
            f"at event {last}: events were removed from the end",
        )
    if cp["seq"] == 0:
        return Check(True, "an empty chain")
    event = session.get(AuditEvent, cp["seq"])
    if event is None or event.hash != cp["hash"]:
        return Check(
            False,
            f"event {cp['seq']} is not the one the checkpoint of {cp['at']} records: the chain "
            "was rewritten up to it",
        )
    return Check(True, f"event {cp['seq']} is as the checkpoint of {cp['at']} records")


def keep(session: Session, cp: dict[str, Any]) -> bool:
    """Keep a checkpoint (this instance's, or a peer's already verified); False if one for
    that instance and event is kept already."""
    try:
        with session.begin_nested():
            session.add(
                AuditCheckpoint(
                    **{k: cp[k] for k in (*FIELDS, "public_key", "signature")},
                    received_at=utcnow(),
                )
            )
    except IntegrityError:
        return False
    return True


def keep_peers(session: Session, peer_name: str, peer_key: str, cp: Any) -> str | None:
    """Keep a peer's checkpoint that came with its feed, if its signature is the peer's and
    it does not go back (a smaller event number than one kept, or the same number with
    another hash, is a peer whose chain was cut or rewritten). Returns what is wrong, if
    anything (the batch itself is still good: its own signature was checked)."""
    try:
        cp = parse(cp)
    except Invalid as exc:
        return str(exc)
    if cp["instance"] != peer_name or not signed(cp, peer_key):
        return "checkpoint not signed by the peer"
    last = session.scalar(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.instance == peer_name)
        .order_by(AuditCheckpoint.seq.desc())
        .limit(1)
    )
    if last is not None and (
        cp["seq"] < last.seq or (cp["seq"] == last.seq and cp["hash"] != last.hash)
    ):
        return (
            f"the peer's chain went back: event {cp['seq']} now, event {last.seq} "
            f"({last.hash[:12]}…) in its checkpoint of {last.at}"
        )
    keep(session, cp)
    return None


def kept(session: Session, instance: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """Checkpoints kept here, newest first: this instance's by default."""
    name = instance or get_settings().instance_name
    rows = session.scalars(
        select(AuditCheckpoint)
        .where(AuditCheckpoint.instance == name)
        .order_by(AuditCheckpoint.seq.desc())
        .limit(limit)
    )
    return [as_dict(r) for r in rows]

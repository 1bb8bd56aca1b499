"""Append-only, hash-chained audit log.

Every write, share, decision and read of another agency's data calls :func:`record` inside the
same transaction as the change it records, so either both land or neither does. Event ``n``
stores the hash of event ``n-1``; its own hash is SHA-256 over its canonical JSON (which
includes that previous hash). Altering, deleting, inserting or reordering any row therefore
breaks the chain at a sequence number that :func:`verify` reports.

Whoever holds the database could still rewrite an event and re-hash everything after it.
So each event also carries a **keyed MAC**: HMAC-SHA256 of its hash under the audit key, which
is kept outside the database (``WATCHFLOOR_AUDIT_KEY``, or the file ``audit.key`` in the data
directory, made on first use). Rewriting an event then needs the key as well. Cutting events
off the end leaves a valid shorter chain: signed checkpoints of the head, exported and kept
elsewhere (``cooperation.federation.checkpoints``; federated peers keep each other's), show it.

Concurrent writers never fork the chain: :func:`record` first updates the single
``audit_head`` row, which takes a row lock on PostgreSQL and the write lock on SQLite, so
writers append strictly one after another.

>>> # with a session inside a transaction
>>> # record(session, actor="user:ana", agency="MX-ANAM", action="seizure.create",
>>> #        object_type="seizure", object_id="17", detail={"tlp": "amber"})
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, cast

from sqlalchemy import (
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.settings import ConfigError, get_settings

GENESIS = "0" * 64


class AuditEvent(Base):
    """One entry of the chain. Rows are never updated or deleted by the application."""

    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(120))
    agency: Mapped[str | None] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    detail: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC-SHA256 of ``hash`` under the audit key; None in events written before keys
    mac: Mapped[str | None] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed statement that a chain held ``seq`` events ending in ``hash`` at ``at``:
    this instance's own (``instance`` is its name), or a federated peer's, kept here so that
    the peer cannot later cut its chain unseen."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (UniqueConstraint("instance", "seq", name="uq_audit_checkpoint"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance: Mapped[str] = mapped_column(String(80))
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[str] = mapped_column(String(40))  # as signed (ISO 8601)
    public_key: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditHead(Base):
    """A single row holding the last sequence number and hash: the chain's lock and its tail."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


def canonical(obj: Any) -> str:
    """Canonical JSON: sorted keys, no spaces, UTF-8 text. Stable across backends and runs."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def _iso(at: dt.datetime) -> str:
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    *,
    seq: int,
    at: dt.datetime,
    actor: str,
    agency: str | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    detail: str,
    prev_hash: str,
) -> str:
    """SHA-256 (hex) over the canonical JSON of an event's fields and the previous hash."""
    payload = canonical(
        {
            "seq": seq,
            "at": _iso(at),
            "actor": actor,
            "agency": agency,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "detail": detail,
            "prev_hash": prev_hash,
        }
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


_keys: dict[str, bytes] = {}


def audit_key() -> bytes:
    """The key of the audit MACs: ``WATCHFLOOR_AUDIT_KEY`` (hex, at least 32 bytes), else the
    file ``audit.key`` in the data directory, made (mode 0600) on first use. Every process
    writing to one database must hold the same key: set the variable (or share the file)
    when several servers and workers run."""
    key = known_audit_key()
    if key is not None:
        return key
    path = get_settings().data_dir / "audit.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
    found = known_audit_key()
    assert found is not None
    return found


def known_audit_key() -> bytes | None:
    """:func:`audit_key` where one exists already (never made here): what ``verify`` uses."""
    env = os.environ.get("WATCHFLOOR_AUDIT_KEY", "").strip()
    where = "env" if env else str(get_settings().data_dir / "audit.key")
    if where in _keys:
        return _keys[where]
    if env:
        key = _hex_key(env, "WATCHFLOOR_AUDIT_KEY must be")
    else:
        path = Path(where)
        if not path.exists():
            return None
        key = _hex_key(path.read_text().strip(), f"{path} must hold")
    _keys[where] = key
    return key


def _hex_key(text: str, what: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 32:
        raise ConfigError(f"{what} at least 32 bytes, written in hex")
    return key


def event_mac(digest: str, key: bytes) -> str:
    """The keyed MAC of an event: HMAC-SHA256 of its hash under the audit key, hex."""
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()


# Core statements, built once: an event is appended on every write and every read of shared
# data, and the ORM's bulk UPDATE path and the statements' construction cost more than the
# round trips themselves (a quarter of a one-shipment stream batch)
_events = cast(Table, AuditEvent.__table__)
_head = cast(Table, AuditHead.__table__)
_FIELDS = tuple(c.name for c in _events.columns if c.name not in ("hash", "mac"))
_TAKE_HEAD = (
    update(_head)
    .where(_head.c.id == 1)
    .values(seq=_head.c.seq + 1)
    .returning(_head.c.seq, _head.c.hash)
)
_APPEND = insert(_events).values(
    {f: bindparam(f"v_{f}", type_=_events.c[f].type) for f in (*_FIELDS, "hash", "mac")}
)
_MOVE_HEAD = update(_head).where(_head.c.id == 1).values(hash=bindparam("v_hash"))
# PostgreSQL: one round trip, the event appended in a CTE of the statement that moves the head
_APPEND_AND_MOVE = _MOVE_HEAD.add_cte(_APPEND.cte("appended"))


def _fields(
    seq: int,
    prev_hash: str,
    at: dt.datetime,
    actor: str,
    agency: str | None,
    action: str,
    object_type: str | None,
    object_id: str | int | None,
    detail: dict[str, Any] | None,
) -> dict[str, Any]:
    """The stored fields of an event, as :func:`event_hash` covers them."""
    return {
        "seq": seq,
        "at": at,
        "actor": actor,
        "agency": agency,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "detail": canonical(detail or {}),
        "prev_hash": prev_hash,
    }


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    agency: str | None = None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction (the caller commits)."""
    session.flush()
    connection = session.connection()
    # Taking the head row first serialises writers: nobody reads the tail until they own it.
    seq, prev_hash = connection.execute(_TAKE_HEAD).one()
    fields = _fields(
        seq, prev_hash, utcnow(), actor, agency, action, object_type, object_id, detail
    )
    digest = event_hash(**fields)
    params = {f"v_{k}": v for k, v in fields.items()}
    params["v_hash"] = digest
    params["v_mac"] = mac = event_mac(digest, audit_key())
    if connection.dialect.name == "postgresql":
        connection.execute(_APPEND_AND_MOVE, params)
    else:
        connection.execute(_APPEND, params)
        connection.execute(_MOVE_HEAD, params)
    # a plain copy of what was written: the row itself is never loaded into the session
    return AuditEvent(**fields, hash=digest, mac=mac)


def record_many(
    session: Session,
    events: Sequence[dict[str, Any]],
    *,
    actor: str,
    agency: str | None = None,
) -> int:
    """Append several events of one actor in the caller's transaction, chained in the order
    given (each a dict of ``action``, ``object_type``, ``object_id``, ``detail``): the head
    is taken once and the events written in one statement, so that auditing every alert of
    an intake batch costs a round trip, not one per alert. Returns how many were written."""
    if not events:
        return 0
    session.flush()
    connection = session.connection()
    first, prev_hash = connection.execute(
        update(_head)
        .where(_head.c.id == 1)
        .values(seq=_head.c.seq + len(events))
        .returning(_head.c.seq, _head.c.hash)
    ).one()
    first -= len(events) - 1  # the head now holds the last event's number
    at = utcnow()
    key = audit_key()
    rows = []
    for n, event in enumerate(events):
        fields = _fields(
            first + n, prev_hash, at, actor, agency, event["action"],
            event.get("object_type"), event.get("object_id"), event.get("detail"),
        )  # fmt: skip
        prev_hash = event_hash(**fields)
        rows.append(
            {f"v_{k}": v for k, v in fields.items()}
            | {"v_hash": prev_hash, "v_mac": event_mac(prev_hash, key)}
        )
    connection.execute(_APPEND, rows)
    connection.execute(_MOVE_HEAD, {"v_hash": prev_hash})
    return len(rows)


class Acting(Protocol):
    """Whoever acts: a security Principal (not imported here, the security layer uses us)."""

    @property
    def actor(self) -> str: ...

    @property
    def agency_code(self) -> str: ...


def record_by(session: Session, principal: Acting, **event: Any) -> AuditEvent:
    """:func:`record` for an event acted by ``principal`` on behalf of its agency."""
    return record(session, actor=principal.actor, agency=principal.agency_code, **event)


_READS = "watchfloor.audit.reads"


def record_read(session: Session, principal: Acting, **event: Any) -> AuditEvent:
    """:func:`record_by` for a read of other agencies' data. Helpers never commit: the
    owner of the transaction does, and a web request's session commits its reads before the
    response leaves (``security.deps.get_db``), whatever the route did."""
    session.info[_READS] = True
    return record_by(session, principal, **event)


def reads_pending(session: Session) -> bool:
    """Whether the session holds audited reads not yet committed (and forget it)."""
    return bool(session.info.pop(_READS, False))


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain."""

    ok: bool
    verified: int
    first_bad_seq: int | None = None
    reason: str | None = None
    # the first event with a keyed MAC (events before it were written before keys); None
    # when no event has one, or when the MACs were not checked (no key given)
    keyed_from: int | None = None
    macs_checked: bool = False


def _in_order(session: Session) -> Iterator[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    yield from session.scalars(stmt)


def _mac_problem(ev: AuditEvent, key: bytes) -> str | None:
    if ev.mac is None:
        return "keyed MAC missing after keyed events (removed, or written without the key)"
    if not hmac.compare_digest(ev.mac, event_mac(ev.hash, key)):
        return (
            "keyed MAC does not match: the event was rewritten and re-hashed without the "
            "audit key, or this is not its key"
        )
    return None


def verify(session: Session, *, key: bytes | None = None) -> VerifyResult:
    """Walk the chain from the first event; report the first sequence number that is wrong.
    With ``key`` (the audit key), every event's MAC is checked too: once one event has a MAC,
    every later one must have the right one."""
    expected_seq = 1
    prev = GENESIS
    count = 0
    keyed_from: int | None = None

    def bad(seq: int, why: str) -> VerifyResult:
        return VerifyResult(False, count, seq, why, keyed_from, key is not None)

    for ev in _in_order(session):
        if ev.seq != expected_seq:
            if ev.seq > expected_seq:
                why = f"event {expected_seq} is missing (next stored event is {ev.seq})"
            else:
                why = f"unexpected sequence number {ev.seq} where {expected_seq} was due"
            return bad(expected_seq, why)
        if ev.prev_hash != prev:
            return bad(ev.seq, "previous-hash link broken (event moved, inserted or removed)")
        digest = event_hash(
            seq=ev.seq,
            at=ev.at,
            actor=ev.actor,
            agency=ev.agency,
            action=ev.action,
            object_type=ev.object_type,
            object_id=ev.object_id,
            detail=ev.detail,
            prev_hash=ev.prev_hash,
        )
        if digest != ev.hash:
            return bad(ev.seq, "content does not match its hash (altered)")
        if ev.mac is not None and keyed_from is None:
            keyed_from = ev.seq
        if key is not None and keyed_from is not None and (problem := _mac_problem(ev, key)):
            return bad(ev.seq, problem)
        prev = ev.hash
        expected_seq += 1
        count += 1
    head = session.get(AuditHead, 1)
    if head is None:
        return bad(expected_seq, "audit head row is missing")
    if head.seq != count or head.hash != prev:
        return bad(
            count + 1,
            f"chain ends at event {count} but the head records event {head.seq} "
            "(events removed from the end?)",
        )
    return VerifyResult(True, count, keyed_from=keyed_from, macs_checked=key is not None)

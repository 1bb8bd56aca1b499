"""``watchfloor worker``: the consumers between the event bus and the database.

- ``<root>.shipments.submit``: one shipment or ``{"shipments": [...]}`` per message, with an
  ``Authorization: Bearer <api key>`` header naming the submitting agency. Messages are
  taken as they wait (up to 256 at once) and those of one caller are validated, stored and
  scored in one transaction, exactly as through the API; the outcome is published on
  ``<root>.shipments.scored`` (and ``<root>.shipments.rejected`` for refused rows or
  messages), correlated by the message's ``Nats-Msg-Id``; an answer says when JetStream
  received the message (``received_at``) and when its rows were committed (``at``). The
  message is acknowledged after the commit, so a crash before it means redelivery, and
  redelivery changes nothing (the reference is the idempotency key).
- Every ``notice_check_seconds`` (a setting), overdue notices to platforms are escalated
  and announced on ``<root>.listings.notice_overdue``.
- Every ``retrain_seconds``, agencies with enough new inspection outcomes get a new
  version of their risk model, and the parties of records stored since are taken and
  placed in the clusters of the last entity resolution run.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from watchfloor import jobs, throughput, wiring
from watchfloor.batches import MAX_BATCH, BatchResult, RowResult, batch_event
from watchfloor.cooperation.federation import checkpoints
from watchfloor.db import session_factory, session_scope
from watchfloor.errors import WatchfloorError
from watchfloor.events import EventBus, Message, committed, connect_bus
from watchfloor.listings import escalation
from watchfloor.listings import intake as listings_intake
from watchfloor.security.models import Agency
from watchfloor.security.service import Principal, key_principal, system_principal
from watchfloor.settings import Settings
from watchfloor.shipments import intake, scoring
from watchfloor.shipments.models import Outcome, Shipment

log = logging.getLogger("watchfloor.worker")


def _token(headers: dict[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


@dataclass(frozen=True)
class Intake:
    """One kind of record the worker takes in: ``<root>.<name>.submit`` in,
    ``<root>.<name>.<answered>`` and ``<root>.<name>.rejected`` out."""

    name: str  # also the key of a batch message: {"<name>": [...]}
    answered: str
    submit: Callable[..., BatchResult]
    key: tuple[str, ...]  # the fields of a row's natural key

    def rows_of(self, payload: Any) -> list[Any]:
        if isinstance(payload, dict) and isinstance(payload.get(self.name), list):
            return payload[self.name]
        return [payload]

    def keys_of(self, rows: list[Any]) -> set[tuple[Any, ...]]:
        return {tuple(str(r.get(f)) for f in self.key) for r in rows if isinstance(r, dict)}


SHIPMENTS = Intake("shipments", "scored", intake.submit, ("reference",))
LISTINGS = Intake("listings", "classified", listings_intake.submit, ("platform", "external_id"))


def _rounds(
    kind: Intake, parts: list[tuple[str | None, list[Any]]]
) -> list[list[tuple[str | None, list[Any]]]]:
    """Consecutive messages in as few submissions as possible, none of them holding the
    same record twice: a message that repeats an earlier one's record (a client's retry)
    is then answered as if it had come alone, after it, instead of superseding it."""
    rounds: list[list[tuple[str | None, list[Any]]]] = []
    seen: set[tuple[Any, ...]] = set()
    for part in parts:
        keys = kind.keys_of(part[1])
        if not rounds or keys & seen:
            rounds.append([])
            seen = set()
        rounds[-1].append(part)
        seen |= keys
    return rounds


def handle_submit(
    engine: Engine, messages: list[Message], kind: Intake = SHIPMENTS
) -> list[tuple[str, dict[str, Any]]]:
    """Store (and score or classify) the waiting messages, those of one caller in one
    transaction; returns the events to publish, one or two per message."""
    events: list[tuple[str, dict[str, Any]]] = []
    groups: dict[tuple[str, str], tuple[Principal, list[tuple[str | None, list[Any]]]]] = {}
    received = {
        m.headers.get("Nats-Msg-Id"): m.received_at.isoformat()
        for m in messages
        if m.received_at is not None
    }
    with throughput.batch_collection(), session_factory(engine)() as session:
        known: dict[str | None, Principal | None] = {}
        for m in messages:
            msg_id = m.headers.get("Nats-Msg-Id")
            token = _token(m.headers)
            if token not in known:
                known[token] = key_principal(session, token) if token else None
            principal = known[token]
            rows = kind.rows_of(m.payload)
            reason = None
            if principal is None:
                reason = (
                    "no Authorization: Bearer header" if not token else "unknown or revoked key"
                )
                log.warning("refused a %s message (%s): %s", kind.name, msg_id, reason)
            elif len(rows) > MAX_BATCH:
                reason = f"{len(rows)} {kind.name} in one message; the limit is {MAX_BATCH}"
            if reason or principal is None:
                events.append((f"{kind.name}.rejected", {"message_id": msg_id, "reason": reason}))
                continue
            key = (principal.actor, principal.role)
            groups.setdefault(key, (principal, []))[1].append((msg_id, rows))
        for principal, parts in (
            (p, r) for p, all_parts in groups.values() for r in _rounds(kind, all_parts)
        ):
            all_rows = [row for _, rows in parts for row in rows]
            try:
                result = kind.submit(session, principal, all_rows, source="stream")
            except intake.Stale:
                session.rollback()
                raise  # another writer stored a record meanwhile: all come back, and are retried
            except WatchfloorError as exc:
                session.rollback()
                for msg_id, _ in parts:
                    events.append(
                        (f"{kind.name}.rejected", {"message_id": msg_id, "reason": str(exc)})
                    )
                continue
            session.commit()
            offset = 0
            for msg_id, rows in parts:
                part = [
                    r.model_copy(update={"index": r.index - offset})
                    for r in result.results[offset : offset + len(rows)]
                ]
                offset += len(rows)
                events.extend(_answers(kind, principal, msg_id, part, received.get(msg_id)))
        events.extend(committed(session))  # what the services queued (alerts raised...)
    return events


def _answers(
    kind: Intake,
    principal: Principal,
    msg_id: str | None,
    rows: list[RowResult],
    received_at: str | None = None,
) -> list[tuple[str, dict[str, Any]]]:
    """The answer events of one message; an accepted one says when the broker received the
    message (``received_at``) and when its rows were committed (``at``)."""
    accepted = [r for r in rows if r.status != "rejected"]
    rejected = [r for r in rows if r.status == "rejected"]
    out: list[tuple[str, dict[str, Any]]] = []
    if accepted:
        result = BatchResult(accepted=len(accepted), rejected=len(rejected), results=rows)
        event = batch_event(principal, result, kind.name)
        answer = {**event, "message_id": msg_id, "received_at": received_at}
        out.append((f"{kind.name}.{kind.answered}", answer))
    if rejected:
        out.append(
            (
                f"{kind.name}.rejected",
                {
                    "message_id": msg_id,
                    "agency": principal.agency_code,
                    "reason": f"{len(rejected)} of {len(rows)} rows rejected",
                    "rows": [r.model_dump() for r in rejected][:1000],
                },
            )
        )
    return out


def retrain_due_agencies(engine: Engine) -> list[str]:
    """Retrain every agency whose new outcomes reach the configured count; returns versions."""
    from watchfloor.shipments.service import retrain_due, train_model

    trained = []
    make = session_factory(engine)
    with make() as session:
        agency_ids = list(
            session.scalars(
                select(Shipment.owner_agency_id)
                .join(Outcome, Outcome.shipment_id == Shipment.id)
                .distinct()
            )
        )
    for agency_id in agency_ids:
        with make() as session:
            if not retrain_due(session, agency_id):
                continue
            agency = session.get(Agency, agency_id)
            principal = system_principal(agency)  # type: ignore[arg-type]
            try:
                row = train_model(session, principal)
            except WatchfloorError as exc:
                log.info("no retraining for %s: %s", agency.code, exc)  # type: ignore[union-attr]
                continue
            session.commit()
            trained.append(row.version)
    return trained


async def run(
    settings: Settings,
    engine: Engine,
    *,
    stop: asyncio.Event | None = None,
    retrain_seconds: float = 300.0,
    bus: EventBus | None = None,
    settle_gc: bool = False,
) -> None:
    """Consume until ``stop`` is set (or forever). ``settle_gc`` is for a process that does
    nothing else (the CLI's): see :func:`watchfloor.throughput.settle`."""
    if not settings.nats_url and bus is None:
        raise WatchfloorError("the worker needs NATS: set WATCHFLOOR_NATS_URL")
    wiring.connect()
    bus = bus or await connect_bus(settings)
    root = settings.nats_subject_root
    stop = stop or asyncio.Event()

    def consumer(kind: Intake) -> Callable[[list[Message]], Awaitable[None]]:
        async def on_submit(messages: list[Message]) -> None:
            started = time.perf_counter()
            events = await asyncio.to_thread(handle_submit, engine, messages, kind)
            stored = time.perf_counter()
            if settle_gc:
                throughput.settle(scoring.builds)
            # the answers go out together: one at a time, each waiting for JetStream's ack,
            # would cap the worker at about a thousand messages a second
            await bus.publish_many([(f"{root}.{name}", event) for name, event in events])
            log.debug(
                "%d %s messages: stored in %.1f ms, answered in %.1f ms",
                len(messages),
                kind.name,
                (stored - started) * 1000,
                (time.perf_counter() - stored) * 1000,
            )

        return on_submit

    async def announce(tail: str, payload: dict[str, Any]) -> None:
        await bus.publish(f"{root}.{tail}", payload)

    await wiring.listen_for_changes(bus, root)  # other processes' changes drop our caches
    tasks = _periodic_tasks(settings, engine, announce, stop)
    tasks.append(asyncio.create_task(_retrain(engine, retrain_seconds, announce, stop)))
    for kind in (SHIPMENTS, LISTINGS):
        await bus.subscribe_batches(
            f"{root}.{kind.name}.submit", consumer(kind), durable=f"watchfloor-{kind.name}-submit"
        )
        log.info("worker consuming %s.%s.submit", root, kind.name)
    try:
        await stop.wait()
    finally:
        for task in tasks:
            task.cancel()
        await bus.close()


def _periodic_tasks(
    settings: Settings,
    engine: Engine,
    announce: Callable[[str, dict[str, Any]], Awaitable[None]],
    stop: asyncio.Event,
) -> list[asyncio.Task[None]]:
    """The jobs the worker runs on a timer, each only when its setting is above zero:
    overdue notices and notifications, early-warning scans, federation pulls, audit
    checkpoints."""
    tasks = []
    if settings.notice_check_seconds > 0:
        tasks.append(
            asyncio.create_task(
                escalation.loop(engine, settings.notice_check_seconds, announce, stop=stop)
            )
        )
    if settings.warning_scan_seconds > 0:
        tasks.append(
            asyncio.create_task(
                _scan_for_subscribers(engine, settings.warning_scan_seconds, announce, stop)
            )
        )
    if settings.federation_sync_seconds > 0:
        tasks.append(
            asyncio.create_task(_sync_peers(engine, settings.federation_sync_seconds, stop))
        )
    if settings.audit_checkpoint_seconds > 0:
        tasks.append(
            asyncio.create_task(_checkpoints(engine, settings.audit_checkpoint_seconds, stop))
        )
    return tasks


async def _retrain(engine: Engine, every: float, announce: Any, stop: asyncio.Event) -> None:
    """Retrain the agencies whose new outcomes call for it, then place new parties in
    clusters; the first pass after one interval."""

    async def step() -> None:
        for version in await asyncio.to_thread(retrain_due_agencies, engine):
            await announce("models.trained", {"version": version})
        await asyncio.to_thread(take_parties, engine)

    await _periodically(engine, every, stop, step, "retrain", wait_first=True)


async def _checkpoints(engine: Engine, every: float, stop: asyncio.Event) -> None:
    async def step() -> None:
        await asyncio.to_thread(sign_checkpoint, engine)

    await _periodically(engine, every, stop, step, "audit checkpoint")


def sign_checkpoint(engine: Engine) -> int:
    """Sign and keep a checkpoint of the audit chain's head; returns its event number."""
    with session_scope(engine) as session:
        return int(checkpoints.make(session)["seq"])


def scan_for_subscribers(engine: Engine) -> list[dict[str, Any]]:
    """Scan the last periods of every source for each agency with an active subscription
    (what that agency may read); returns the events of the new warnings, to publish."""
    from watchfloor.warning import service
    from watchfloor.warning.models import Subscription

    events: list[dict[str, Any]] = []
    with session_scope(engine) as session:
        ids = session.scalars(
            select(Subscription.agency_id).where(Subscription.active.is_(True)).distinct()
        ).all()
    for agency_id in ids:
        try:
            with session_scope(engine) as session:
                principal = system_principal(session.get(Agency, agency_id))  # type: ignore[arg-type]
                principal = replace(principal, actor="worker")
                events += service.scan(session, principal).events
        except Exception:  # one agency's failure does not stop the others' scans
            log.exception("early-warning scan failed for agency %s", agency_id)
    return events


async def _periodically(
    engine: Engine, every: float, stop: asyncio.Event, step: Callable[[], Awaitable[None]],
    what: str, *, wait_first: bool = False,
) -> None:  # fmt: skip
    """Run ``step`` every ``every`` seconds until ``stop``, in the one process of the
    instance that claims each period (:func:`watchfloor.jobs.claim`); a failed pass is
    logged and the loop outlives it (a peer's or the database's hiccup)."""
    while not stop.is_set():
        if wait_first:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=jobs.until_next(every))
            if stop.is_set():
                break
        try:
            if await asyncio.to_thread(jobs.claim, engine, what, every):
                await step()
        except Exception:
            log.exception("%s failed", what)
        if not wait_first:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=jobs.until_next(every))


async def _scan_for_subscribers(
    engine: Engine, every: float, announce: Any, stop: asyncio.Event
) -> None:
    async def step() -> None:
        for event in await asyncio.to_thread(scan_for_subscribers, engine):
            await announce("warning.raised", event)

    # after the first interval: a worker's start is busy enough
    await _periodically(engine, every, stop, step, "early-warning scan", wait_first=True)


def take_parties(engine: Engine) -> None:
    """Take the parties of records stored since the last pass, and place them in the
    clusters of the last resolution run (when there is one)."""
    from watchfloor.entities import clusters, extract

    try:
        with session_scope(engine) as session:
            added = extract.sync(session)
        if any(added.values()):
            with session_scope(engine) as session:
                clusters.link_new(session, actor="worker")
    except Exception:  # the loop outlives a database hiccup; the next pass takes them
        log.exception("taking parties failed")


def sync_all_peers(engine: Engine) -> list[str]:
    """Pull every registered peer's feed once; a peer that fails is logged and skipped."""
    from watchfloor.cooperation.federation import service as federation
    from watchfloor.cooperation.federation.models import Peer

    make = session_factory(engine)
    with make() as session:
        names = list(session.scalars(select(Peer.name).order_by(Peer.name)))
    done = []
    for name in names:
        try:
            report = federation.sync(make, name)
        except WatchfloorError as exc:
            log.warning("federation sync with %s failed: %s", name, exc)
            continue
        log.info(
            "federation sync with %s: %d stored, %d revoked", name, report.stored, report.revoked
        )
        done.append(name)
    return done


async def _sync_peers(engine: Engine, every: float, stop: asyncio.Event) -> None:
    async def step() -> None:
        await asyncio.to_thread(sync_all_peers, engine)

    await _periodically(engine, every, stop, step, "federation sync")

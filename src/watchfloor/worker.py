"""``watchfloor worker``: the consumers between the event bus and the database.

- ``<root>.shipments.submit``: one shipment or ``{"shipments": [...]}`` per message, with an
  ``Authorization: Bearer <api key>`` header naming the submitting agency. Messages are
  taken as they wait (up to 256 at once) and those of one caller are validated, stored and
  scored in one transaction, exactly as through the API; the outcome is published on
  ``<root>.shipments.scored`` (and ``<root>.shipments.rejected`` for refused rows or
  messages), correlated by the message's ``Nats-Msg-Id``. The message is acknowledged
  after the commit, so a crash before it means redelivery, and redelivery changes nothing
  (the reference is the idempotency key).
- Every ``retrain_seconds``, agencies with enough new inspection outcomes get a new
  version of their risk model.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from watchfloor import throughput
from watchfloor.batches import MAX_BATCH, BatchResult, RowResult
from watchfloor.db import session_factory
from watchfloor.errors import WatchfloorError
from watchfloor.events import EventBus, Message, connect_bus
from watchfloor.security.models import Agency
from watchfloor.security.service import Principal, key_principal, system_principal
from watchfloor.settings import Settings
from watchfloor.shipments import intake, scoring
from watchfloor.shipments.models import Outcome, Shipment

log = logging.getLogger("watchfloor.worker")
SUBMIT_DURABLE = "watchfloor-shipments-submit"


def _token(headers: dict[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def _rows_of(payload: Any) -> list[Any]:
    if isinstance(payload, dict) and isinstance(payload.get("shipments"), list):
        return payload["shipments"]
    return [payload]


def handle_submit(engine: Engine, messages: list[Message]) -> list[tuple[str, dict[str, Any]]]:
    """Store and score the waiting messages, those of one caller in one transaction; returns
    the events to publish, one or two per message."""
    events: list[tuple[str, dict[str, Any]]] = []
    groups: dict[tuple[str, str], tuple[Principal, list[tuple[str | None, list[Any]]]]] = {}
    with session_factory(engine)() as session:
        known: dict[str | None, Principal | None] = {}
        for m in messages:
            msg_id = m.headers.get("Nats-Msg-Id")
            token = _token(m.headers)
            if token not in known:
                known[token] = key_principal(session, token) if token else None
            principal = known[token]
            rows = _rows_of(m.payload)
            reason = None
            if principal is None:
                reason = (
                    "no Authorization: Bearer header" if not token else "unknown or revoked key"
                )
                log.warning("refused a shipments message (%s): %s", msg_id, reason)
            elif len(rows) > MAX_BATCH:
                reason = f"{len(rows)} shipments in one message; the limit is {MAX_BATCH}"
            if reason or principal is None:
                events.append(("shipments.rejected", {"message_id": msg_id, "reason": reason}))
                continue
            key = (principal.actor, principal.role)
            groups.setdefault(key, (principal, []))[1].append((msg_id, rows))
        for principal, parts in groups.values():
            all_rows = [row for _, rows in parts for row in rows]
            try:
                result = intake.submit(session, principal, all_rows, source="stream")
            except WatchfloorError as exc:
                session.rollback()
                for msg_id, _ in parts:
                    events.append(
                        ("shipments.rejected", {"message_id": msg_id, "reason": str(exc)})
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
                events.extend(_answers(principal, msg_id, part))
    return events


def _answers(
    principal: Principal, msg_id: str | None, rows: list[RowResult]
) -> list[tuple[str, dict[str, Any]]]:
    accepted = [r for r in rows if r.status != "rejected"]
    rejected = [r for r in rows if r.status == "rejected"]
    out: list[tuple[str, dict[str, Any]]] = []
    if accepted:
        result = BatchResult(accepted=len(accepted), rejected=len(rejected), results=rows)
        out.append(
            ("shipments.scored", {**intake.scored_event(principal, result), "message_id": msg_id})
        )
    if rejected:
        out.append(
            (
                "shipments.rejected",
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
    bus = bus or await connect_bus(settings)
    root = settings.nats_subject_root
    stop = stop or asyncio.Event()

    async def on_submit(messages: list[Message]) -> None:
        started = time.perf_counter()
        events = await asyncio.to_thread(handle_submit, engine, messages)
        stored = time.perf_counter()
        if settle_gc:
            throughput.settle(scoring.builds)
        # the answers go out together: one at a time, each waiting for JetStream's ack,
        # would cap the worker at about a thousand messages a second
        await asyncio.gather(*(bus.publish(f"{root}.{name}", event) for name, event in events))
        log.debug(
            "%d messages: stored in %.1f ms, answered in %.1f ms",
            len(messages),
            (stored - started) * 1000,
            (time.perf_counter() - stored) * 1000,
        )

    await bus.subscribe_batches(f"{root}.shipments.submit", on_submit, durable=SUBMIT_DURABLE)
    log.info("worker consuming %s.shipments.submit", root)
    try:
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=retrain_seconds)
            except TimeoutError:
                for version in await asyncio.to_thread(retrain_due_agencies, engine):
                    await bus.publish(f"{root}.models.trained", {"version": version})
    finally:
        await bus.close()

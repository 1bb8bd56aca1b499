"""``watchfloor worker``: the consumers between the event bus and the database.

- ``<root>.shipments.submit``: one shipment or ``{"shipments": [...]}`` per message, with an
  ``Authorization: Bearer <api key>`` header naming the submitting agency. The batch is
  validated, stored and scored exactly as through the API; the outcome is published on
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
from typing import Any

from sqlalchemy import distinct, select
from sqlalchemy.engine import Engine

from watchfloor.db import session_factory
from watchfloor.errors import WatchfloorError
from watchfloor.events import EventBus, connect_bus
from watchfloor.security.models import Agency
from watchfloor.security.service import key_principal, system_principal
from watchfloor.settings import Settings
from watchfloor.shipments import intake
from watchfloor.shipments.models import Outcome, Shipment
from watchfloor.shipments.schemas import MAX_BATCH

log = logging.getLogger("watchfloor.worker")
SUBMIT_DURABLE = "watchfloor-shipments-submit"


def _token(headers: dict[str, str]) -> str | None:
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme, _, token = value.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def handle_submit(
    engine: Engine, payload: Any, headers: dict[str, str]
) -> list[tuple[str, dict[str, Any]]]:
    """Store and score one submitted message; returns the events to publish."""
    msg_id = headers.get("Nats-Msg-Id")
    make = session_factory(engine)
    with make() as session:
        token = _token(headers)
        principal = key_principal(session, token) if token else None
        if principal is None:
            reason = "no Authorization: Bearer header" if not token else "unknown or revoked key"
            log.warning("refused a shipments message (%s): %s", msg_id, reason)
            return [("shipments.rejected", {"message_id": msg_id, "reason": reason})]
        if isinstance(payload, dict) and isinstance(payload.get("shipments"), list):
            rows = payload["shipments"]
        else:
            rows = [payload]
        if len(rows) > MAX_BATCH:
            reason = f"{len(rows)} shipments in one message; the limit is {MAX_BATCH}"
            return [("shipments.rejected", {"message_id": msg_id, "reason": reason})]
        try:
            result = intake.submit(session, principal, rows, source="stream")
        except WatchfloorError as exc:
            session.rollback()
            return [("shipments.rejected", {"message_id": msg_id, "reason": str(exc)})]
        session.commit()
    events = []
    if result.accepted:
        events.append(
            ("shipments.scored", {**intake.scored_event(principal, result), "message_id": msg_id})
        )
    if result.rejected:
        events.append(
            (
                "shipments.rejected",
                {
                    "message_id": msg_id,
                    "agency": principal.agency_code,
                    "reason": f"{result.rejected} of {len(rows)} rows rejected",
                    "rows": [r.model_dump() for r in result.results if r.status == "rejected"][
                        :1000
                    ],
                },
            )
        )
    return events


def retrain_due_agencies(engine: Engine) -> list[str]:
    """Retrain every agency whose new outcomes reach the configured count; returns versions."""
    from watchfloor.shipments.service import retrain_due, train_model

    trained = []
    make = session_factory(engine)
    with make() as session:
        agency_ids = list(
            session.scalars(
                select(distinct(Shipment.owner_agency_id)).join(
                    Outcome, Outcome.shipment_id == Shipment.id
                )
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
) -> None:
    """Consume until ``stop`` is set (or forever)."""
    if not settings.nats_url and bus is None:
        raise WatchfloorError("the worker needs NATS: set WATCHFLOOR_NATS_URL")
    bus = bus or await connect_bus(settings)
    root = settings.nats_subject_root
    stop = stop or asyncio.Event()

    async def on_submit(subject: str, payload: Any, headers: dict[str, str]) -> None:
        events = await asyncio.to_thread(handle_submit, engine, payload, headers)
        for name, event in events:
            await bus.publish(f"{root}.{name}", event)

    await bus.subscribe(f"{root}.shipments.submit", on_submit, durable=SUBMIT_DURABLE)
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

"""`watchfloor worker` on a real NATS JetStream and a real database: messages on
<root>.shipments.submit are authenticated, stored, scored and answered; redelivery changes
nothing."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from sqlalchemy import select

from tests.helpers import api_headers, first_answers, nats_url, record, wait_for
from watchfloor import worker
from watchfloor.db import session_scope
from watchfloor.events import JetStreamBus
from watchfloor.settings import Settings
from watchfloor.shipments.models import Shipment


def test_worker_stores_scores_answers_and_is_idempotent(engine) -> None:  # type: ignore[no-untyped-def]
    url = nats_url()
    tag = uuid.uuid4().hex[:8]
    settings = Settings(
        nats_url=url, nats_stream=f"WFTEST{tag.upper()}", nats_subject_root=f"wftest{tag}"
    )
    root = settings.nats_subject_root
    auth = api_headers(engine, "US-CBP", "officer")

    async def scenario() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        stop = asyncio.Event()
        bus = await JetStreamBus(url, stream=settings.nats_stream, subject_root=root).connect()
        task = asyncio.create_task(worker.run(settings, engine, stop=stop, bus=bus))
        client = await JetStreamBus(url, stream=settings.nats_stream, subject_root=root).connect()
        scored: list[dict[str, Any]] = []
        rejected: list[dict[str, Any]] = []

        async def on_scored(subject: str, payload: dict[str, Any]) -> None:
            scored.append(payload)

        async def on_rejected(subject: str, payload: dict[str, Any]) -> None:
            rejected.append(payload)

        await client.subscribe(f"{root}.shipments.scored", on_scored, durable="t-scored")
        await client.subscribe(f"{root}.shipments.rejected", on_rejected, durable="t-rejected")
        submit = f"{root}.shipments.submit"
        batch = {"shipments": [record("N-1", "NPP", "293337"), record("N-2")]}
        await client.publish(submit, batch, msg_id="m1", headers=auth)
        # the same content again under another message id: a redelivery in effect
        await client.publish(submit, batch, msg_id="m2", headers=auth)
        await client.publish(submit, record("N-3"), msg_id="m3")  # no key
        await client.publish(
            submit, record("N-4"), msg_id="m4", headers={"Authorization": "Bearer wf_nope_x"}
        )
        bad = record("N-5", origin_country="QQ")
        await client.publish(submit, bad, msg_id="m5", headers=auth)
        await wait_for(lambda: len(scored) >= 2 and len(rejected) >= 3, timeout=30)
        stop.set()
        await task
        await client.delete_stream()
        await client.close()
        return scored, rejected

    scored, rejected = asyncio.run(scenario())
    by_msg = first_answers(scored)
    assert [s["status"] for s in by_msg["m1"]["shipments"]] == ["created", "created"]
    assert by_msg["m1"]["shipments"][0]["score"] >= 45
    # receipt by the broker, then the commit: both times, in UTC
    received = dt.datetime.fromisoformat(by_msg["m1"]["received_at"])
    committed = dt.datetime.fromisoformat(by_msg["m1"]["at"])
    assert received.utcoffset() == dt.timedelta(0)
    assert received <= committed < received + dt.timedelta(seconds=30)
    assert by_msg["m2"]["shipments"] == []  # nothing created or updated
    assert by_msg["m2"]["accepted"] == 2
    reasons = first_answers(rejected)
    assert reasons["m3"]["reason"] == "no Authorization: Bearer header"
    assert reasons["m4"]["reason"] == "unknown or revoked key"
    assert reasons["m5"]["rows"][0]["errors"][0]["field"] == "origin_country"
    with session_scope(engine) as s:
        refs = s.scalars(select(Shipment.reference).where(Shipment.reference.like("N-%")))
        assert sorted(refs) == ["N-1", "N-2"]
        sources = list(s.scalars(select(Shipment.source).where(Shipment.reference.like("N-%"))))
        assert sources == ["stream", "stream"], sources

"""`watchfloor worker` takes listings from <root>.listings.submit on a real JetStream:
classified, stored, answered on <root>.listings.classified; redelivery changes nothing."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import select

from tests.helpers import api_headers, first_answers, listing, nats_url, wait_for
from watchfloor import worker
from watchfloor.db import session_scope
from watchfloor.events import JetStreamBus
from watchfloor.listings.models import Listing
from watchfloor.settings import Settings


def test_worker_classifies_listings_from_the_stream(engine) -> None:  # type: ignore[no-untyped-def]
    url, tag = nats_url(), uuid.uuid4().hex[:8]
    settings = Settings(
        nats_url=url, nats_stream=f"WFLTEST{tag.upper()}", nats_subject_root=f"wfltest{tag}"
    )
    root, auth = settings.nats_subject_root, api_headers(engine, "PLATFORM-EXAMPLE", "officer")
    answers: dict[str, list[dict[str, Any]]] = {"classified": [], "rejected": []}

    async def scenario() -> None:
        stop = asyncio.Event()
        bus = await JetStreamBus(url, stream=settings.nats_stream, subject_root=root).connect()
        task = asyncio.create_task(worker.run(settings, engine, stop=stop, bus=bus))
        client = await JetStreamBus(url, stream=settings.nats_stream, subject_root=root).connect()
        for name, got in answers.items():

            async def keep(subject: str, payload: dict[str, Any], got=got) -> None:  # type: ignore[no-untyped-def]
                got.append(payload)

            await client.subscribe(f"{root}.listings.{name}", keep, durable=f"t-{name}")
        batch = {"listings": [listing("S1"), listing("S2", title="Netflix premium account")]}
        submit = f"{root}.listings.submit"
        await client.publish(submit, batch, msg_id="m1", headers=auth)
        await client.publish(submit, batch, msg_id="m2", headers=auth)  # a redelivery in effect
        await client.publish(submit, listing("S3", ships_from="QQ"), msg_id="m3", headers=auth)
        await wait_for(
            lambda: len(answers["classified"]) >= 2 and len(answers["rejected"]) >= 1, timeout=30
        )
        stop.set()
        await task
        await client.delete_stream()
        await client.close()

    asyncio.run(scenario())
    by_msg = first_answers(answers["classified"])
    assert [x["status"] for x in by_msg["m1"]["listings"]] == ["created", "created"]
    assert by_msg["m2"]["listings"] == [] and by_msg["m2"]["accepted"] == 2
    assert answers["rejected"][0]["rows"][0]["errors"][0]["field"] == "ships_from"
    with session_scope(engine) as s:
        rows = s.scalars(select(Listing).where(Listing.external_id.in_(["S1", "S2", "S3"])))
        stored = {x.external_id: (x.is_drug_sale, x.source) for x in rows}
    assert stored == {"S1": (True, "stream"), "S2": (False, "stream")}

"""The worker's periodic scan for subscribing agencies, its warnings pushed over a real
NATS JetStream."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.helpers import import_dataset, nats_url, wait_for
from watchfloor.db import session_scope
from watchfloor.events import JetStreamBus
from watchfloor.security.service import get_agency, system_principal
from watchfloor.warning import service
from watchfloor.worker import _scan_for_subscribers, scan_for_subscribers


def test_subscribers_warnings_are_scanned_and_pushed_over_jetstream(bare) -> None:  # type: ignore[no-untyped-def]
    import_dataset(bare, "US-CBP", "nflis-drug", "nflis.csv", tlp="amber")
    with session_scope(bare) as s:
        cbp = system_principal(get_agency(s, "US-CBP"))
        service.subscribe(s, cbp, name="Ohio", substances=[], places=["US-OH"], kinds=["spike"])
    tag = uuid.uuid4().hex[:8]
    stream, root = f"WFWTEST{tag.upper()}", f"wfwtest{tag}"

    async def scenario() -> list[dict[str, Any]]:
        bus = await JetStreamBus(nats_url(), stream=stream, subject_root=root).connect()
        got: list[dict[str, Any]] = []

        async def handler(subject: str, payload: dict[str, Any]) -> None:
            got.append(payload)

        await bus.subscribe(f"{root}.warning.raised", handler, durable="t")

        async def announce(tail: str, payload: dict[str, Any]) -> None:
            await bus.publish(f"{root}.{tail}", payload)

        stop = asyncio.Event()
        task = asyncio.create_task(_scan_for_subscribers(bare, 0.2, announce, stop))
        await wait_for(lambda: len(got) > 0, timeout=30)
        await asyncio.sleep(1.0)  # later passes find nothing new
        stop.set()
        await task
        await bus.delete_stream()
        await bus.close()
        return got

    got = asyncio.run(scenario())
    assert got and all(e["owner_agency_id"] == cbp.agency_id for e in got)
    assert len({e["id"] for e in got}) == len(got)  # each warning published once
    assert any(e["kind"] == "spike" and e["place"] == "US-OH" for e in got)
    assert scan_for_subscribers(bare) == []  # nothing new since

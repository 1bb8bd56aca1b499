"""The event bus: in-process and real NATS JetStream behave alike."""

from __future__ import annotations

import asyncio
import contextlib
import math
import uuid
from typing import Any

import pytest

from tests.helpers import nats_url, wait_for
from watchfloor.errors import WatchfloorError
from watchfloor.events import InProcessBus, JetStreamBus, decode, subject_matches


@pytest.mark.parametrize(
    ("pattern", "subject", "ok"),
    [
        ("watchfloor.shipments.received", "watchfloor.shipments.received", True),
        ("watchfloor.*.received", "watchfloor.listings.received", True),
        ("watchfloor.>", "watchfloor.a.b.c", True),
        ("watchfloor.>", "watchfloor", False),
        ("watchfloor.*", "watchfloor.a.b", False),
        ("watchfloor.a", "watchfloor.b", False),
    ],
)
def test_subject_matching(pattern: str, subject: str, ok: bool) -> None:
    assert subject_matches(pattern, subject) is ok


def test_in_process_bus_delivers_in_order_and_drops_duplicates() -> None:
    async def scenario() -> list[Any]:
        bus = InProcessBus()
        got: list[Any] = []

        async def handler(subject: str, payload: dict[str, Any]) -> None:
            got.append((subject, payload["n"]))

        await bus.subscribe("watchfloor.test.*", handler, durable="t")
        for n, mid in [(1, "a"), (1, "a"), (2, "b")]:
            await bus.publish("watchfloor.test.ping", {"n": n}, msg_id=mid)
        await bus.publish("watchfloor.other.ping", {"n": 3})
        await bus.publish_many([("watchfloor.test.a", {"n": 4}), ("watchfloor.test.b", {"n": 5})])
        await bus.close()
        return got

    assert asyncio.run(scenario()) == [
        ("watchfloor.test.ping", 1),
        ("watchfloor.test.ping", 2),
        ("watchfloor.test.a", 4),
        ("watchfloor.test.b", 5),
    ]


def test_jetstream_delivers_dedupes_redelivers_and_resumes() -> None:
    url = nats_url()
    tag = uuid.uuid4().hex[:8]
    stream, root = f"WFTEST{tag.upper()}", f"wftest{tag}"
    subject = f"{root}.test.ping"

    async def scenario() -> None:
        bus = await JetStreamBus(url, stream=stream, subject_root=root, ack_wait=2.0).connect()
        got: list[int] = []
        failed_once: set[int] = set()

        async def handler(subj: str, payload: dict[str, Any]) -> None:
            n = payload["n"]
            if n == 2 and n not in failed_once:  # first delivery of 2 fails: must come again
                failed_once.add(n)
                raise RuntimeError("transient failure")
            got.append(n)

        await bus.subscribe(subject, handler, durable="worker")
        for n, mid in [(1, "m1"), (1, "m1"), (2, "m2"), (3, "m3")]:
            await bus.publish(subject, {"n": n}, msg_id=mid)
        # JetStream delivers at least once: a message may come twice (the consumers are
        # idempotent), but each comes, and the failed one comes again
        await wait_for(lambda: set(got) == {1, 2, 3} and 2 in failed_once)
        info = await bus._js.stream_info(stream)
        assert info.state.messages == 3  # the second m1 was dropped at publication
        await bus.close()

        # published while no worker runs; the durable consumer resumes where it stopped
        pub = await JetStreamBus(url, stream=stream, subject_root=root).connect()
        await pub.publish(subject, {"n": 4}, msg_id="m4")
        await pub.close()
        again = await JetStreamBus(url, stream=stream, subject_root=root).connect()
        later: list[int] = []

        async def handler2(subj: str, payload: dict[str, Any]) -> None:
            later.append(payload["n"])

        await again.subscribe(subject, handler2, durable="worker")
        await wait_for(lambda: 4 in later)
        await asyncio.sleep(0.5)
        assert 1 not in later  # what was acked before is not delivered again
        await again.delete_stream()
        await again.close()

    asyncio.run(scenario())


def test_connect_bus_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    from watchfloor.events import connect_bus
    from watchfloor.settings import get_settings

    url = nats_url()

    async def kind() -> str:
        bus = await connect_bus()
        name = type(bus).__name__
        if isinstance(bus, JetStreamBus):
            await bus.delete_stream()
        await bus.close()
        return name

    monkeypatch.delenv("WATCHFLOOR_NATS_URL", raising=False)
    get_settings.cache_clear()
    try:
        assert asyncio.run(kind()) == "InProcessBus"
        tag = uuid.uuid4().hex[:8]
        monkeypatch.setenv("WATCHFLOOR_NATS_URL", url)
        monkeypatch.setenv("WATCHFLOOR_NATS_STREAM", f"WFTEST{tag.upper()}")
        monkeypatch.setenv("WATCHFLOOR_NATS_SUBJECT_ROOT", f"wftest{tag}")
        get_settings.cache_clear()
        assert asyncio.run(kind()) == "JetStreamBus"
    finally:
        get_settings.cache_clear()


def test_a_failed_pull_is_logged_and_the_consumer_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    from watchfloor.events import _fetch

    class Pull:  # stands in for nats-py's pull subscription, a third-party object
        def __init__(self, outcome: Any) -> None:
            self.outcome = outcome

        async def fetch(self, batch: int, timeout: float) -> list[Any]:
            if isinstance(self.outcome, BaseException):
                raise self.outcome
            return self.outcome

    async def scenario() -> None:
        assert await _fetch(Pull(["m"]), 8) == ["m"]
        assert await _fetch(Pull(TimeoutError()), 8) == []
        assert await _fetch(Pull(RuntimeError("408 Request Timeout")), 8) == []
        with pytest.raises(asyncio.CancelledError):
            await _fetch(Pull(asyncio.CancelledError()), 8)

    asyncio.run(scenario())
    assert "pulling from JetStream failed" in caplog.text


def test_close_stops_a_consumer_even_when_a_cancellation_is_swallowed() -> None:
    """Python 3.11's wait_for, inside the NATS client, can swallow a cancellation; a consumer
    loop that then went on pulling kept close() (and a test run) waiting for ever. Here the
    handler itself swallows the cancellation: close() must still return, and the consumer
    must end rather than pull again."""
    tag = uuid.uuid4().hex[:8]
    stream, root = f"WFCLOSE{tag.upper()}", f"wfclose{tag}"

    async def scenario() -> tuple[float, int]:
        bus = await JetStreamBus(nats_url(), stream=stream, subject_root=root).connect()
        calls = 0

        async def stubborn(subject: str, payload: dict[str, Any]) -> None:
            nonlocal calls
            calls += 1
            with contextlib.suppress(asyncio.CancelledError):  # as the race in wait_for does
                await asyncio.sleep(30)

        await bus.subscribe(f"{root}.x", stubborn, durable="stubborn")
        await bus.publish(f"{root}.x", {"n": 1}, msg_id="one")
        await wait_for(lambda: calls == 1)
        tasks = list(bus._tasks)
        admin = await JetStreamBus(nats_url(), stream=stream, subject_root=root).connect()
        started = asyncio.get_running_loop().time()
        await asyncio.wait_for(bus.close(), timeout=15)  # before the fix: for ever
        took = asyncio.get_running_loop().time() - started
        await asyncio.sleep(0.2)
        assert all(t.done() for t in tasks)  # ended by the flag, within one pull
        await admin.delete_stream()
        await admin.close()
        return took, calls

    took, calls = asyncio.run(scenario())
    assert took < 5.0
    assert calls == 1


def test_publish_many_waits_until_jetstream_stored_every_event() -> None:
    url = nats_url()
    tag = uuid.uuid4().hex[:8]
    stream, root = f"WFTEST{tag.upper()}", f"wftest{tag}"

    async def scenario() -> None:
        bus = await JetStreamBus(url, stream=stream, subject_root=root).connect()
        events = [(f"{root}.test.{'odd' if n % 2 else 'even'}", {"n": n}) for n in range(300)]
        await bus.publish_many(events)
        # confirmed means stored: no waiting here
        info = await bus._js.stream_info(stream)
        assert info.state.messages == 300
        got: list[tuple[str, int]] = []

        async def handler(subj: str, payload: dict[str, Any]) -> None:
            got.append((subj, payload["n"]))

        await bus.subscribe(f"{root}.test.*", handler, durable="reader")
        await wait_for(lambda: len(got) >= 300)
        assert sorted(got, key=lambda e: e[1]) == [(s, p["n"]) for s, p in events]
        await bus.publish_many([])  # nothing to confirm
        # a subject no stream takes is refused, and the good events beside it are stored
        with pytest.raises(WatchfloorError, match="refused 1 of 2 events"):
            await bus.publish_many([(f"{root}.test.more", {"n": 300}), (f"nostream{tag}.x", {})])
        info = await bus._js.stream_info(stream)
        assert info.state.messages == 301
        await bus.delete_stream()
        await bus.close()

    asyncio.run(scenario())


def test_a_message_reads_as_the_api_would_read_its_body() -> None:
    assert decode(b'{"n": 1, "s": "\\u00e9"}') == {"n": 1, "s": "é"}
    # what orjson refuses the standard library still reads, for validation to judge
    value = decode(b'{"value": NaN, "weight": 1e400}')
    assert math.isnan(value["value"]) and value["weight"] == math.inf
    with pytest.raises(ValueError):
        decode(b"{not json")

"""Shipments stream: 1,000 shipments a second published to NATS JetStream for 60 seconds, one
shipment per message, each stored and scored by a real `watchfloor worker` process.

Usage: python bench/shipments_stream.py [--rate 1000] [--seconds 60] [--backend sqlite|postgresql]

Latency is measured from the publish of a message to the arrival, back at this process, of
the worker's `shipments.scored` event for it: that covers receipt, validation, scoring, the
commit and one extra trip through NATS, so it is an upper bound of "receipt to stored
score". The baseline, measured in the same run at the same rate, is the same round trip
through JetStream with a consumer that stores nothing. At the end the database must hold
exactly as many shipments as were sent. Goal: p99 under 50 ms, nothing lost.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from _common import pg_server, scratch_database
from rich.console import Console
from rich.table import Table
from shipments_intake import generator, prepare
from sqlalchemy import func, select

from watchfloor.db import build_engine, session_scope
from watchfloor.events import JetStreamBus, Message
from watchfloor.security.service import create_api_key, get_agency
from watchfloor.shipments.models import Shipment

console = Console()
NATS = os.environ.get("WATCHFLOOR_BENCH_NATS_URL") or os.environ.get(
    "WATCHFLOOR_TEST_NATS_URL", "nats://127.0.0.1:4222"
)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def publish_at_rate(
    bus: JetStreamBus,
    subject: str,
    payloads: list[Any],
    rate: float,
    headers: dict[str, str],
    sent: dict[str, float],
) -> float:
    start = time.perf_counter()
    for i, payload in enumerate(payloads):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        msg_id = f"m{i}"
        sent[msg_id] = time.perf_counter()
        await bus.publish(subject, payload, msg_id=msg_id, headers=headers)
    return time.perf_counter() - start


async def wait_for(done: dict[str, float], n: int, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while len(done) < n and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


async def baseline(rate: float, seconds: float) -> list[float]:
    """The same publish -> consume -> publish -> receive trip, with nothing stored."""
    tag = uuid.uuid4().hex[:8]
    stream, root = f"WFBENCHB{tag.upper()}", f"wfbenchb{tag}"
    bus = await JetStreamBus(NATS, stream=stream, subject_root=root).connect()
    sent: dict[str, float] = {}
    done: dict[str, float] = {}

    async def echo(messages: list[Message]) -> None:
        for m in messages:
            await bus.publish(f"{root}.echo.done", {"message_id": m.headers["Nats-Msg-Id"]})

    async def back(subject: str, payload: dict[str, Any]) -> None:
        done[payload["message_id"]] = time.perf_counter()

    await bus.subscribe_batches(f"{root}.echo.submit", echo, durable="echo")
    await bus.subscribe(f"{root}.echo.done", back, durable="back")
    payloads = [{"n": i} for i in range(int(rate * seconds))]
    await publish_at_rate(bus, f"{root}.echo.submit", payloads, rate, {}, sent)
    await wait_for(done, len(payloads), 30)
    await bus.delete_stream()
    await bus.close()
    return [(done[k] - sent[k]) * 1000 for k in done]


async def measure(
    url: str, rate: float, seconds: float, key: str
) -> tuple[list[float], int, int, float]:
    tag = uuid.uuid4().hex[:8]
    stream, root = f"WFBENCH{tag.upper()}", f"wfbench{tag}"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")},
        "WATCHFLOOR_DATABASE_URL": url,
        "WATCHFLOOR_NATS_URL": NATS,
        "WATCHFLOOR_NATS_STREAM": stream,
        "WATCHFLOOR_NATS_SUBJECT_ROOT": root,
        "WATCHFLOOR_LOG_LEVEL": "warning",
    }
    worker = subprocess.Popen(
        [str(Path(sys.executable).with_name("watchfloor")), "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    bus = await JetStreamBus(NATS, stream=stream, subject_root=root).connect()
    sent: dict[str, float] = {}
    done: dict[str, float] = {}
    rejected: list[Any] = []

    async def scored(subject: str, payload: dict[str, Any]) -> None:
        done[payload["message_id"]] = time.perf_counter()

    async def refused(subject: str, payload: dict[str, Any]) -> None:
        rejected.append(payload)

    await bus.subscribe(f"{root}.shipments.scored", scored, durable="bench-scored")
    await bus.subscribe(f"{root}.shipments.rejected", refused, durable="bench-rejected")
    gen = generator(777)
    n = int(rate * seconds)
    payloads = [gen.make(i)[0] for i in range(n)]
    # warm-up: the worker builds its scorer on its first message
    await bus.publish(
        f"{root}.shipments.submit",
        payloads[0],
        msg_id="warm",
        headers={"Authorization": f"Bearer {key}"},
    )
    await wait_for(done, 1, 60)
    done.clear()
    took = await publish_at_rate(
        bus,
        f"{root}.shipments.submit",
        payloads[1:],
        rate,
        {"Authorization": f"Bearer {key}"},
        sent,
    )
    await wait_for(done, len(sent), 60)
    await bus.delete_stream()
    await bus.close()
    worker.terminate()
    worker.wait(timeout=30)
    engine = build_engine(url)
    with session_scope(engine) as s:
        stored = s.scalar(select(func.count()).select_from(Shipment)) or 0
    engine.dispose()
    latencies = [(done[k] - sent[k]) * 1000 for k in sent if k in done]
    if rejected:
        console.print(f"[red]{len(rejected)} messages rejected[/], e.g. {rejected[0]}")
    return latencies, len(sent) + 1, stored, took


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    args = ap.parse_args()
    server = pg_server() if args.backend == "postgresql" else None
    if args.backend == "postgresql" and server is None:
        sys.exit("no PostgreSQL server: set WATCHFLOOR_BENCH_PG_URL")
    base = asyncio.run(baseline(args.rate, min(args.seconds, 20.0)))
    with scratch_database(server) as url:
        prepare(url, 777)
        engine = build_engine(url)
        with session_scope(engine) as s:
            key = create_api_key(s, agency=get_agency(s, "US-CBP"), role="officer", actor="bench")
        engine.dispose()
        latencies, sent, stored, took = asyncio.run(
            measure(url, args.rate, args.seconds, key.secret)
        )
    table = Table(title=f"{sent:,} shipments over NATS at {args.rate:,.0f}/s into {args.backend}")
    for col in ("path", "messages", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for label, values in (
        ("JetStream round trip, nothing stored", base),
        ("worker: validate, score, store, answer", latencies),
    ):
        table.add_row(
            label,
            f"{len(values):,}",
            f"{statistics.median(values):.1f}",
            f"{percentile(values, 90):.1f}",
            f"{percentile(values, 99):.1f}",
            f"{max(values):.1f}",
        )
    console.print(table)
    console.print(
        f"published {sent - 1:,} in {took:.1f} s ({(sent - 1) / took:,.0f}/s); "
        f"answered {len(latencies):,}; stored {stored:,} of {sent:,} sent "
        f"({'nothing lost' if stored == sent else 'LOST ' + str(sent - stored)})"
    )


if __name__ == "__main__":
    main()

"""Shipments stream: 1,000 shipments a second published to NATS JetStream for 60 seconds, one
shipment per message, each stored and scored by a real `watchfloor worker` process.

Usage: python bench/shipments_stream.py [--rate 1000] [--seconds 60] [--backend sqlite|postgresql]
       [--workers 1] [--batch-costs]

Three latencies per message. From its receipt by JetStream to the commit of its stored
score: the issue's measure (the worker's `shipments.scored` event says both times, in UTC;
broker and worker share this machine's clock). From the moment this process publishes it to
that commit (adds the publish). From the publish to the arrival of that event back here (one
more trip through NATS, an upper bound). The answers are read with a plain NATS
subscription, so that the harness's own acks and pull requests do not compete with the
worker for the two cores. The baseline, measured in the same run at the same rate, is the
same round trip through JetStream with a consumer that stores nothing. At the end the
database must hold exactly as many shipments as were sent. Goal: p99 under 50 ms, nothing
lost. ``--batch-costs`` then times the worker's handler in this process on batches of 1 to
100 messages, which splits a batch's time into what is fixed and what each message adds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import nats
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
    sent_wall: dict[str, float] | None = None,
) -> float:
    start = time.perf_counter()
    for i, payload in enumerate(payloads):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        msg_id = f"m{i}"
        sent[msg_id] = time.perf_counter()
        if sent_wall is not None:
            sent_wall[msg_id] = time.time()
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
        # answered together, as the worker answers: one publish at a time, each waiting for
        # JetStream's ack, is itself a queue on a slow machine
        await bus.publish_many(
            [(f"{root}.echo.done", {"message_id": m.headers["Nats-Msg-Id"]}) for m in messages]
        )

    async def back(msg: Any) -> None:
        done[json.loads(msg.data)["message_id"]] = time.perf_counter()

    listener = await nats.connect(NATS)
    await listener.subscribe(f"{root}.echo.done", cb=back)
    await bus.subscribe_batches(f"{root}.echo.submit", echo, durable="echo")
    payloads = [{"n": i} for i in range(int(rate * seconds))]
    await publish_at_rate(bus, f"{root}.echo.submit", payloads, rate, {}, sent)
    await wait_for(done, len(payloads), 30)
    await listener.close()
    await bus.delete_stream()
    await bus.close()
    return [(done[k] - sent[k]) * 1000 for k in done]


async def measure(
    url: str, rate: float, seconds: float, key: str, workers: int
) -> tuple[list[float], list[float], list[float], int, int, float]:
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
    # the workers' logs go to a file: an unread pipe would stall a worker once it filled
    logs = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 (closed after the workers stop)
    procs = [
        subprocess.Popen(
            [str(Path(sys.executable).with_name("watchfloor")), "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=logs,
        )
        for _ in range(workers)
    ]
    bus = await JetStreamBus(NATS, stream=stream, subject_root=root).connect()
    sent: dict[str, float] = {}
    sent_wall: dict[str, float] = {}
    done: dict[str, float] = {}
    committed: dict[str, float] = {}
    received: dict[str, float] = {}
    rejected: list[Any] = []

    async def scored(msg: Any) -> None:
        payload = json.loads(msg.data)
        msg_id = payload["message_id"]
        done[msg_id] = time.perf_counter()
        committed[msg_id] = dt.datetime.fromisoformat(payload["at"]).timestamp()
        received[msg_id] = dt.datetime.fromisoformat(payload["received_at"]).timestamp()

    async def refused(msg: Any) -> None:
        rejected.append(json.loads(msg.data))

    listener = await nats.connect(NATS)
    await listener.subscribe(f"{root}.shipments.scored", cb=scored)
    await listener.subscribe(f"{root}.shipments.rejected", cb=refused)
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
        sent_wall,
    )
    await wait_for(done, len(sent), 60)
    await listener.close()
    await bus.delete_stream()
    await bus.close()
    for proc in procs:
        proc.terminate()
    for proc in procs:
        proc.wait(timeout=30)
    logs.seek(0)
    errors = [line for line in logs if " ERROR " in line or "Traceback" in line]
    logs.close()
    if errors:
        console.print(f"[red]the workers logged {len(errors)} errors[/], e.g. {errors[0]}")
    engine = build_engine(url)
    with session_scope(engine) as s:
        stored = s.scalar(select(func.count()).select_from(Shipment)) or 0
    engine.dispose()
    latencies = [(done[k] - sent[k]) * 1000 for k in sent if k in done]
    to_commit = [(committed[k] - sent_wall[k]) * 1000 for k in sent if k in committed]
    receipt = [(committed[k] - received[k]) * 1000 for k in sent if k in committed]
    if rejected:
        console.print(f"[red]{len(rejected)} messages rejected[/], e.g. {rejected[0]}")
    return receipt, to_commit, latencies, len(sent) + 1, stored, took


def batch_costs(url: str, key: str) -> Table:
    """The worker's handler in this process, on batches of growing size: how much of a
    batch's time is fixed (its queries, audit event and commit) and how much each message
    adds. The median of several batches of each size, after a warm-up."""
    from watchfloor.worker import handle_submit

    engine = build_engine(url)
    gen = generator(779)  # references the stream above did not use
    headers = {"Authorization": f"Bearer {key}"}
    numbers = itertools.count()

    def batch(size: int) -> list[Message]:
        now = dt.datetime.now(dt.UTC)
        ids = itertools.islice(numbers, size)
        return [Message("", gen.make(i)[0], {**headers, "Nats-Msg-Id": f"c{i}"}, now) for i in ids]

    handle_submit(engine, batch(50))  # the scorer and the caches
    table = Table(title=f"the worker's handler in process, {engine.dialect.name}")
    for col in ("messages a batch", "median ms", "ms a message", "CPU ms"):
        table.add_column(col, justify="right")
    for size in (1, 5, 20, 50, 100):
        walls, cpus = [], []
        for _ in range(max(5, 500 // size)):
            messages = batch(size)
            wall, cpu = time.perf_counter(), time.process_time()
            handle_submit(engine, messages)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        wall_ms, cpu_ms = statistics.median(walls) * 1000, statistics.median(cpus) * 1000
        table.add_row(str(size), f"{wall_ms:.1f}", f"{wall_ms / size:.2f}", f"{cpu_ms:.1f}")
    engine.dispose()
    return table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rate", type=float, default=1000.0)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    ap.add_argument("--workers", type=int, default=1, help="worker processes sharing the consumer")
    ap.add_argument(
        "--batch-costs",
        action="store_true",
        help="then time the worker's handler in process on batches of 1 to 100 messages",
    )
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
        receipt, to_commit, latencies, sent, stored, took = asyncio.run(
            measure(url, args.rate, args.seconds, key.secret, args.workers)
        )
        costs = batch_costs(url, key.secret) if args.batch_costs else None
    table = Table(
        title=f"{sent:,} shipments over NATS at {args.rate:,.0f}/s into {args.backend}, "
        f"{args.workers} worker process{'es' if args.workers > 1 else ''}"
    )
    for col in ("path", "messages", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for label, values in (
        ("JetStream round trip, nothing stored", base),
        ("receipt by JetStream to the commit of the score", receipt),
        ("publish to that commit", to_commit),
        ("publish to the answer, back here", latencies),
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
    if costs is not None:
        console.print(costs)


if __name__ == "__main__":
    main()

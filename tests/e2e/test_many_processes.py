"""Two `watchfloor serve` and two `watchfloor worker` processes on one PostgreSQL and one NATS
JetStream, as the README's deployment runs them: intake through both servers and the bus
stores and alerts once, a revocation made through one server changes scoring in the other
processes at once (over the bus), and every periodic job runs once a period, whichever
process wins it."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers import TODAY, api_headers, free_port, nats_url, record
from watchfloor.alerts.models import Alert
from watchfloor.db import build_engine, session_scope
from watchfloor.events import JetStreamBus
from watchfloor.jobs import JobRun
from watchfloor.shipments.models import Shipment

pytestmark = pytest.mark.e2e
WATCHFLOOR = str(Path(sys.executable).with_name("watchfloor"))
TRADER = "Tianjin Hengxing Precursor Trading Ltd"


@pytest.fixture
def deployment(db_url: str) -> Iterator[tuple[list[str], dict[str, str], float]]:
    """Two servers and two workers; their URLs, the shared settings, when they started."""
    tag = uuid.uuid4().hex[:8]
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")},
        "WATCHFLOOR_DATABASE_URL": db_url,
        "WATCHFLOOR_NATS_URL": nats_url(),
        "WATCHFLOOR_NATS_STREAM": f"WFMP{tag.upper()}",
        "WATCHFLOOR_NATS_SUBJECT_ROOT": f"wfmp{tag}",
        "WATCHFLOOR_AUDIT_KEY": secrets.token_hex(32),  # one key for every process
        "WATCHFLOOR_DEMO": "1",
        "WATCHFLOOR_NOTICE_CHECK_SECONDS": "1",
        "WATCHFLOOR_AUDIT_CHECKPOINT_SECONDS": "1",
        "WATCHFLOOR_FEDERATION_SYNC_SECONDS": "1",
        "WATCHFLOOR_WARNING_SCAN_SECONDS": "2",
    }
    ports = [free_port(), free_port()]
    started = time.time()
    procs = [
        subprocess.Popen([WATCHFLOOR, "serve", "--port", str(p)], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for p in ports
    ] + [
        subprocess.Popen([WATCHFLOOR, "worker", "--retrain-seconds", "1"], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(2)
    ]  # fmt: skip
    bases = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        for base in bases:
            for _ in range(300):
                try:
                    urllib.request.urlopen(base + "/healthz", timeout=1)
                    break
                except OSError:
                    assert all(p.poll() is None for p in procs), "a process died at start"
                    time.sleep(0.1)
        yield bases, env, started
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=20)


def parties_reasons(base: str, headers: dict[str, str], ref: str) -> list[dict]:  # type: ignore[type-arg]
    sent = record(ref, sender={"name": TRADER.upper(), "country": "CN"})
    r = httpx.post(base + "/api/v1/shipments", json=sent, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    got = httpx.get(f"{base}/api/v1/shipments/{r.json()['results'][0]['id']}", headers=headers)
    return [x for x in got.json()["reasons"] if x["rule"] == "parties"]


def through_the_bus(env: dict[str, str], headers: dict[str, str], batch: dict) -> None:  # type: ignore[type-arg]
    async def send() -> None:
        bus = await JetStreamBus(
            env["WATCHFLOOR_NATS_URL"],
            stream=env["WATCHFLOOR_NATS_STREAM"],
            subject_root=env["WATCHFLOOR_NATS_SUBJECT_ROOT"],
        ).connect()
        await bus.publish(f"{env['WATCHFLOOR_NATS_SUBJECT_ROOT']}.shipments.submit", batch,
                          msg_id=uuid.uuid4().hex, headers=headers)  # fmt: skip
        await bus.close()

    asyncio.run(send())


def stored(engine, ref: str, timeout: float = 30.0) -> int:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with session_scope(engine) as s:
            sid = s.scalar(select(Shipment.id).where(Shipment.reference == ref))
        if sid is not None:
            return sid
        time.sleep(0.1)
    raise AssertionError(f"{ref} was not stored by a worker")


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_servers_and_two_workers_act_once(deployment, db_url: str) -> None:  # type: ignore[no-untyped-def]
    (one, two), env, started = deployment
    engine = build_engine(db_url)
    mx, us = api_headers(engine, "MX-ANAM", "officer"), api_headers(engine, "US-CBP", "officer")

    # MX-ANAM shares a seizure with US-CBP; every process's scorer learns of it
    body = {"reference": "MP-SZ-1", "seized_on": TODAY.isoformat(), "country": "MX",
            "substance": "NPP", "quantity": 40, "unit": "kg",
            "sharing": {"tlp": "amber", "recipients": ["US-CBP"]},
            "parties": [{"role": "sender", "name": TRADER, "country": "CN"}]}  # fmt: skip
    made = httpx.post(one + "/api/v1/sharing/seizures", json=body, headers=mx, timeout=60)
    assert made.status_code == 201, made.text
    for i, base in enumerate((one, two, one, two)):
        quoted = parties_reasons(base, us, f"MP-WARM-{i}")
        assert quoted and "MP-SZ-1" in quoted[0]["text"], quoted
    for i in range(4):  # both workers' scorers, as far as the broker hands them work
        through_the_bus(
            env, us, record(f"MP-WARM-BUS-{i}", sender={"name": TRADER, "country": "CN"})
        )
        stored(engine, f"MP-WARM-BUS-{i}")

    # revoked through one server: the other server and the workers forget it at once
    url = f"{one}/api/v1/sharing/seizures/{made.json()['id']}/sharing"
    revoked = httpx.put(url, json={"tlp": "amber", "recipients": []}, headers=mx, timeout=60)
    assert revoked.status_code == 200, revoked.text
    time.sleep(0.5)  # the bus's latency, not a refresh period (that is 60 s)
    assert parties_reasons(two, us, "MP-AFTER-2") == []
    assert parties_reasons(one, us, "MP-AFTER-1") == []
    for i in range(4):
        ref = f"MP-AFTER-BUS-{i}"
        through_the_bus(env, us, record(ref, sender={"name": TRADER, "country": "CN"}))
        sid = stored(engine, ref)
        got = httpx.get(f"{one}/api/v1/shipments/{sid}", headers=us).json()
        assert [x for x in got["reasons"] if x["rule"] == "parties"] == [], got["reasons"]

    # one precursor parcel sent at the same moment through both servers and the bus
    parcel = record("MP-DUP-1", "NPP", "293337")
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(
            lambda base: httpx.post(base + "/api/v1/shipments", json=parcel, headers=us,
                                    timeout=60),
            (one, two, one, two),
        ))  # fmt: skip
    through_the_bus(env, us, parcel)
    assert all(a.status_code in (200, 409) for a in answers), [a.text for a in answers]
    time.sleep(3)  # the bus copy is handled meanwhile
    with session_scope(engine) as s:
        ids = s.scalars(select(Shipment.id).where(Shipment.reference == "MP-DUP-1")).all()
        assert len(ids) == 1
        alerts = s.scalar(
            select(func.count()).where(Alert.object_type == "shipment", Alert.object_id == ids[0])
        )
        assert alerts == 1

    # every periodic job ran at most once a period, the two workers competing for each
    time.sleep(max(0.0, 6 - (time.time() - started)))
    elapsed = time.time() - started
    with session_scope(engine) as s:
        runs = s.execute(select(JobRun.job, JobRun.period, JobRun.holder)).all()
    by_job: dict[str, list[int]] = {}
    for job, period, _ in runs:
        by_job.setdefault(job, []).append(period)
    assert {"audit checkpoint", "federation sync", "retrain"} <= set(by_job), by_job
    for job, periods in by_job.items():
        assert len(periods) == len(set(periods)), job
        every = {"early-warning scan": 2}.get(job, 1)
        assert len(periods) <= elapsed / every + 3, (job, len(periods), elapsed)
    assert len({holder for _, _, holder in runs}) == 2  # both workers won some periods
    engine.dispose()

"""Federation throughput: 100,000 seizures shared with a peer's agency, pulled by the peer
from a real server process (signed batches over HTTP, verified and stored), beside a plain
bulk insert of the same rows into the peer's database.

Usage: python bench/federation_sync.py [--n 100000] [--batch 5000] [--backends sqlite,postgresql]

Instance wf-a holds the seizures (MX-ANAM's, TLP:AMBER, named to CA-CBSA, which works on
wf-b); wf-b runs `federation.sync` against wf-a's `watchfloor serve`. The baseline writes the
rows that arrived, with their recipients, into wf-b again in one transaction (Core insert).
"""

from __future__ import annotations

import argparse
import os
import time

os.environ["WATCHFLOOR_INSTANCE_NAME"] = "wf-b"  # this process acts for the receiving side

from _common import pg_server, scratch_database, served  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402
from sqlalchemy import delete, func, insert, select  # noqa: E402

from watchfloor.cooperation import intake
from watchfloor.cooperation.federation import keys
from watchfloor.cooperation.federation import service as federation  # noqa: E402
from watchfloor.cooperation.seizures.models import Seizure  # noqa: E402
from watchfloor.db import build_engine, session_factory, session_scope  # noqa: E402
from watchfloor.migrate import upgrade  # noqa: E402
from watchfloor.security.service import create_agency, system_principal  # noqa: E402
from watchfloor.sharing.models import ShareRecipient

console = Console()


def fill(url: str, n: int) -> None:
    engine = build_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        mx = create_agency(
            s, code="MX-ANAM", name="ANAM", country="MX", kind="customs", actor="bench"
        )
        create_agency(s, code="CA-CBSA", name="CBSA", country="CA", kind="customs", actor="bench")
        principal = system_principal(mx)
    sharing = {"tlp": "amber", "recipients": ["CA-CBSA"]}
    for start in range(0, n, 5000):
        rows = [
            {
                "reference": f"F-{i:07d}",
                "seized_on": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}",
                "country": "MX",
                "place": "Manzanillo",
                "substance": ("fentanyl", "methamphetamine", "cocaine")[i % 3],
                "quantity": 1 + i % 50,
                "unit": "kg",
                "mode": "cargo",
                "sharing": sharing,
            }
            for i in range(start, min(n, start + 5000))
        ]
        with session_scope(engine) as s:
            intake.submit(s, principal, rows, source="bench")
    engine.dispose()


def run(backend: str, n: int, batch: int) -> dict[str, float] | None:
    server = pg_server() if backend == "postgresql" else None
    if backend == "postgresql" and server is None:
        console.print("no PostgreSQL server: set WATCHFLOOR_BENCH_PG_URL")
        return None
    with scratch_database(server) as url_a, scratch_database(server) as url_b:
        with console.status(f"{backend}: {n:,} seizures on wf-a"):
            fill(url_a, n)
        engine_b = build_engine(url_b)
        upgrade(engine_b)
        engine_a = build_engine(url_a)
        with session_scope(engine_b) as s:
            create_agency(
                s, code="CA-CBSA", name="CBSA", country="CA", kind="customs", actor="bench"
            )
            key_b = keys.public_key(s)
        with session_scope(engine_a) as s:
            key_a = keys.public_key(s)
            federation.add_peer(
                s,
                name="wf-b",
                url="http://127.0.0.1:1",
                key=key_b,
                agencies=["CA-CBSA"],
                actor="bench",
            )
        engine_a.dispose()
        with served(url_a, WATCHFLOOR_INSTANCE_NAME="wf-a") as base:
            with session_scope(engine_b) as s:
                federation.add_peer(
                    s,
                    name="wf-a",
                    url=base,
                    key=key_a,
                    agencies=[],
                    actor="bench",
                )
            started = time.perf_counter()
            report = federation.sync(session_factory(engine_b), "wf-a", limit=batch)
            synced = time.perf_counter() - started
        with session_scope(engine_b) as s:
            rows = [
                {c.key: getattr(r, c.key) for c in Seizure.__table__.columns}
                for r in s.scalars(select(Seizure).where(Seizure.origin_instance == "wf-a"))
            ]
            shares = [
                {c.key: getattr(r, c.key) for c in ShareRecipient.__table__.columns}
                for r in s.scalars(
                    select(ShareRecipient).where(ShareRecipient.record_type == "seizure")
                )
            ]
            s.execute(delete(ShareRecipient).where(ShareRecipient.record_type == "seizure"))
            s.execute(delete(Seizure).where(Seizure.origin_instance == "wf-a"))
        started = time.perf_counter()
        with session_scope(engine_b) as s:
            s.execute(insert(Seizure), rows)
            s.execute(insert(ShareRecipient), shares)
        plain = time.perf_counter() - started
        with session_scope(engine_b) as s:
            assert s.scalar(select(func.count()).select_from(Seizure)) == n
        engine_b.dispose()
    assert report.stored == n, report
    return {"records": n, "batches": report.batches, "sync": synced, "plain": plain}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    table = Table(title=f"federation: {args.n:,} shared seizures pulled by a peer")
    for col in ("backend", "batches", "sync s", "records/s", "plain insert s", "ratio"):
        table.add_column(col, justify="right")
    for backend in args.backends.split(","):
        got = run(backend, args.n, args.batch)
        if got is None:
            continue
        table.add_row(
            backend,
            str(got["batches"]),
            f"{got['sync']:.1f}",
            f"{got['records'] / got['sync']:,.0f}",
            f"{got['plain']:.2f}",
            f"{got['sync'] / got['plain']:.1f}x",
        )
    console.print(table)


if __name__ == "__main__":
    main()

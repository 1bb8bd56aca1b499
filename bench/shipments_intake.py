"""Shipments intake: generated advance data imported, validated, stored and scored.

Usage: python bench/shipments_intake.py [--n 1000000] [--seed 424242] [--backends sqlite,postgresql]

Writes (once, then reuses) var/bench/shipments-<n>-s<seed>.jsonl from the generator, then in
one run measures:
- the floor: DuckDB's read_json of the same file (parse only, every item unnested);
- `watchfloor shipments import` (the same code path as the CLI: validation, idempotency
  lookup, all six rules, inserts of shipments, items and assessments, alerts, audit) into a
  fresh SQLite file and into a scratch PostgreSQL database.
Prints shipments scored per second and the ratio to DuckDB, and where the CPU time went per
shipment (this process, its two preparing workers, the PostgreSQL server): on two cores the
sum of these sets the rate. Goal: 10,000 per second.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
import orjson
from _common import CACHE, pg_server, scratch_database
from _cpu import CpuSampler
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select

from watchfloor.cooperation.seizures.schemas import SeizureIn
from watchfloor.cooperation.seizures.service import create_seizure
from watchfloor.db import build_engine, session_scope
from watchfloor.demo import load_demo
from watchfloor.migrate import upgrade
from watchfloor.reference.loader import load_catalogue
from watchfloor.security.models import Office
from watchfloor.security.service import get_agency, system_principal
from watchfloor.shipments.demo import ensure_sanctions
from watchfloor.shipments.files import import_file
from watchfloor.shipments.generator import ShipmentGenerator
from watchfloor.shipments.models import Shipment, ShipmentItem

console = Console()
OFFICES = ("JFK-BENCH", "ORD-BENCH", "LAX-BENCH")


def generator(seed: int) -> ShipmentGenerator:
    return ShipmentGenerator(seed, destination="US", agency="US-CBP", offices=OFFICES, days=60)


def data_file(n: int, seed: int) -> Path:
    path = CACHE / f"shipments-{n}-s{seed}.jsonl"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    gen = generator(seed)
    tmp = path.with_suffix(".part")
    with Progress(console=console) as progress, open(tmp, "wb") as fh:
        task = progress.add_task(f"generating {n:,} shipments", total=n)
        for i in range(n):
            fh.write(orjson.dumps(gen.make(i)[0]) + b"\n")
            if i % 5000 == 0:
                progress.update(task, completed=i)
        progress.update(task, completed=n)
    tmp.rename(path)
    return path


def duckdb_floor(path: Path) -> tuple[float, int, int]:
    con = duckdb.connect()
    start = time.perf_counter()
    shipments, items = con.execute(
        "SELECT count(*), sum(len(items)) FROM read_json(?, format='newline_delimited')",
        [str(path)],
    ).fetchall()[0]
    return time.perf_counter() - start, shipments, items


def prepare(url: str, seed: int) -> None:
    """Schema, catalogue, agencies, sanctions, offices and the agency's earlier seizures."""
    engine = build_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        load_catalogue(s)
    with session_scope(engine) as s:
        load_demo(s, with_shipments=False, with_listings=False)
        ensure_sanctions(s)
        cbp = get_agency(s, "US-CBP")
        for code in OFFICES:
            s.add(
                Office(
                    agency_id=cbp.id,
                    code=code,
                    name=code,
                    country="US",
                    daily_capacity=200,
                    alert_threshold=45,
                )
            )
        principal = system_principal(cbp)
        for data in generator(seed).seizures(60):
            create_seizure(s, principal, SeizureIn(**data))
    engine.dispose()


def import_rate(url: str, path: Path, n: int) -> tuple[float, int, int]:
    engine = build_engine(url)
    with session_scope(engine) as s:
        principal = system_principal(get_agency(s, "US-CBP"))
    with Progress(console=console) as progress, CpuSampler() as cpu:
        task = progress.add_task(f"importing into {engine.dialect.name}", total=path.stat().st_size)
        report = import_file(
            engine,
            principal,
            path,
            batch_size=5000,
            progress=lambda done, total: progress.update(task, completed=done),
        )
    console.print(f"{engine.dialect.name}: {cpu.per_record(report.created)}")
    with session_scope(engine) as s:
        stored = s.scalar(select(func.count()).select_from(Shipment))
        items = s.scalar(select(func.count()).select_from(ShipmentItem))
    engine.dispose()
    assert stored == n == report.created, (stored, n, report)
    return report.seconds, stored, items


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=424242)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    path = data_file(args.n, args.seed)
    floor, shipments, items = duckdb_floor(path)
    table = Table(title=f"Intake of {shipments:,} shipments ({items:,} items), {path.name}")
    for col in ("path", "seconds", "shipments/s", "x DuckDB parse"):
        table.add_column(col, justify="right" if col != "path" else "left")
    table.add_row(
        "DuckDB read_json (parse only)", f"{floor:.2f}", f"{shipments / floor:,.0f}", "1.0"
    )
    for backend in args.backends.split(","):
        server = None
        if backend == "postgresql":
            server = pg_server()
            if server is None:
                console.print("PostgreSQL: no server (set WATCHFLOOR_BENCH_PG_URL); skipped")
                continue
        with scratch_database(server) as url:
            prepare(url, args.seed)
            seconds, stored, _ = import_rate(url, path, shipments)
        table.add_row(
            f"watchfloor import + scoring, {backend}",
            f"{seconds:.2f}",
            f"{stored / seconds:,.0f}",
            f"{seconds / floor:.1f}",
        )
    console.print(table)


if __name__ == "__main__":
    main()

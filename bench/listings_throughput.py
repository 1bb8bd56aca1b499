"""Listings throughput: every Agora 2014 product-crawl listing imported, classified and
searched for signals, beside DuckDB merely reading the same CSV files.

Usage: python bench/listings_throughput.py [--backends sqlite,postgresql]

Writes (once) var/bench/agora-listings.jsonl from the 35,178 rows of
../shared/data/agora-listings/product (vendor descriptions joined where they exist), then
measures `watchfloor listings import` of it (validation, HTML and Unicode clean-up, the
classifier, signal extraction, inserts, audit) into a fresh SQLite file and a scratch
PostgreSQL database. Goal: at least 5,000 listings per second.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb
import orjson
from _common import CACHE, pg_server, scratch_database
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from sqlalchemy import func, select

from watchfloor.db import build_engine, session_scope
from watchfloor.demo import load_demo
from watchfloor.listings import agora
from watchfloor.listings.files import import_listings
from watchfloor.listings.models import Listing, ListingSignal
from watchfloor.migrate import upgrade
from watchfloor.reference.loader import load_catalogue
from watchfloor.security.service import get_agency, system_principal

AGORA = Path(__file__).resolve().parents[2] / "shared" / "data" / "agora-listings"
console = Console()


def data_file() -> Path:
    path = CACHE / "agora-listings.jsonl"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        bodies = agora.vendor_descriptions(AGORA)
        with open(path.with_suffix(".part"), "wb") as fh:
            for row in agora.read_all_products(AGORA):
                fh.write(orjson.dumps(agora.as_listing(row, bodies)) + b"\n")
        path.with_suffix(".part").rename(path)
    return path


def duckdb_floor() -> tuple[float, int]:
    con = duckdb.connect()
    start = time.perf_counter()
    (n,) = con.execute(
        "SELECT count(*) FROM read_csv(?, union_by_name=true, all_varchar=true)",
        [str(AGORA / "product" / "*.csv")],
    ).fetchone()  # type: ignore[misc]
    return time.perf_counter() - start, n


def import_rate(url: str, path: Path) -> tuple[float, int, int, int]:
    engine = build_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        load_catalogue(s)
    with session_scope(engine) as s:
        load_demo(s, with_shipments=False, with_listings=False)
    with session_scope(engine) as s:
        principal = system_principal(get_agency(s, "PLATFORM-EXAMPLE"))
    with Progress(console=console) as progress:
        task = progress.add_task(f"importing into {engine.dialect.name}", total=None)
        report = import_listings(
            engine,
            principal,
            path,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    with session_scope(engine) as s:
        stored = s.scalar(select(func.count()).select_from(Listing)) or 0
        signals = s.scalar(select(func.count()).select_from(ListingSignal)) or 0
    engine.dispose()
    return report.seconds, report.records, stored, signals


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    if not (AGORA / "product").is_dir():
        console.print(f"skipped: the Agora listings are not at {AGORA}")
        return
    path = data_file()
    floor, n = duckdb_floor()
    table = Table(title=f"Import of {n:,} Agora listings (goal: 5,000 per second)")
    for col in ("path", "seconds", "listings/s", "x DuckDB read_csv", "stored", "signals"):
        table.add_column(col, justify="left" if col == "path" else "right")
    floor_rate = f"{n / floor:,.0f}"
    table.add_row("DuckDB read_csv (parse only)", f"{floor:.2f}", floor_rate, "1.0", "", "")
    for backend in args.backends.split(","):
        server = pg_server() if backend == "postgresql" else None
        if backend == "postgresql" and server is None:
            console.print("no PostgreSQL server: set WATCHFLOOR_BENCH_PG_URL")
            continue
        with scratch_database(server) as url:
            seconds, records, stored, signals = import_rate(url, path)
        table.add_row(
            f"watchfloor listings import, {backend}",
            f"{seconds:.2f}",
            f"{records / seconds:,.0f}",
            f"{seconds / floor:,.1f}",
            f"{stored:,}",
            f"{signals:,}",
        )
    console.print(table)


if __name__ == "__main__":
    main()

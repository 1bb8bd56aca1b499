"""Screening latency: POST /api/v1/entities/match over HTTP against a real `watchfloor serve`,
with the full OFAC SDN list and 100,000 parties of shipments loaded.

Usage: python bench/entities_match.py [--parties 100000] [--queries 1000] [--backend sqlite]

The database holds the SDN list of ../shared/data/ofac-sdn/snapshot-2022-01 (the shipped
narcotics subset where that folder is absent) and the senders and consignees of generated
shipments (two parties each). Queries, one after another from this process: a third are SDN
names disturbed the way screening meets them (words reordered, one letter changed, a word
dropped), a third are stored parties' names disturbed alike, a third are names that are not
there. The baseline, measured against the same server in the same run, is GET /api/v1/me:
authentication and one round trip, nothing screened. Goal: p95 under 50 ms. The share of
disturbed SDN names whose listed party comes first is printed as a check of the answers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import httpx
from _common import ROOT, pg_server, scratch_database, served
from faker import Faker
from rich.console import Console
from rich.table import Table
from shipments_intake import data_file, import_rate, prepare
from sqlalchemy import func, select

from watchfloor.db import build_engine, session_scope
from watchfloor.entities import extract
from watchfloor.entities.models import Party
from watchfloor.reference.sanctions import load_sdn
from watchfloor.security.service import create_api_key, get_agency

console = Console()
SDN = ROOT.parent / "shared" / "data" / "ofac-sdn" / "snapshot-2022-01"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def disturb(name: str, rng: random.Random) -> str:
    words = name.replace(",", " ").split()
    how = rng.randrange(3)
    if how == 0 and len(words) > 1:
        rng.shuffle(words)
    elif how == 1:
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 3:
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + rng.choice("aeioulnrst") + w[j + 1 :]
    elif len(words) > 2:
        words.pop(rng.randrange(len(words)))
    return " ".join(words)


def fill(url: str, parties: int) -> tuple[int, int]:
    shipments = parties // 2
    prepare(url, seed=31)
    engine = build_engine(url)
    if SDN.is_dir():
        with session_scope(engine) as s:
            load_sdn(s, SDN, actor="bench")
    import_rate(url, data_file(shipments, 31), shipments)
    with session_scope(engine) as s:
        extract.sync(s)
    with session_scope(engine) as s:
        counts = dict(
            s.execute(select(Party.source_type, func.count()).group_by(Party.source_type)).all()
        )
    engine.dispose()
    return counts.get("sanctions", 0), counts.get("shipment", 0)


def queries(url: str, n: int, seed: int = 7) -> list[tuple[str, int | None]]:
    """(name to screen, party id expected first or None) for each query."""
    rng, fake = random.Random(seed), Faker(["en_US", "es_MX", "zh_CN", "ru_RU"])
    fake.seed_instance(seed)
    engine = build_engine(url)
    with session_scope(engine) as s:
        sdn = s.execute(
            select(Party.id, Party.name).where(
                Party.source_type == "sanctions", Party.schema == "person"
            )
        ).all()
        stored = s.execute(
            select(Party.id, Party.name).where(Party.source_type == "shipment").limit(50_000)
        ).all()
    engine.dispose()
    out: list[tuple[str, int | None]] = []
    for i in range(n):
        if i % 3 == 0:
            pid, name = rng.choice(sdn)
            out.append((disturb(name, rng), pid))
        elif i % 3 == 1:
            out.append((disturb(rng.choice(stored)[1], rng), None))
        else:
            out.append((f"{fake.first_name()} {fake.last_name()} {fake.last_name()}", None))
    return out


def run(backend: str, parties: int, n: int) -> dict[str, float] | None:
    server = pg_server() if backend == "postgresql" else None
    if backend == "postgresql" and server is None:
        console.print("no PostgreSQL server: set WATCHFLOOR_BENCH_PG_URL")
        return None
    with scratch_database(server) as url:
        sdn, stored = fill(url, parties)
        engine = build_engine(url)
        with session_scope(engine) as s:
            key = create_api_key(
                s, agency=get_agency(s, "US-CBP"), role="analyst", actor="bench"
            ).secret
        engine.dispose()
        asked = queries(url, n)
        headers = {"Authorization": f"Bearer {key}"}
        with served(url) as base, httpx.Client(base_url=base, headers=headers) as http:
            started = time.perf_counter()  # the first query builds the index
            http.post("/api/v1/entities/match", json={"name": "warm up"}, timeout=600)
            build = time.perf_counter() - started
            floor, took, first = [], [], 0
            for name, expected in asked:
                t = time.perf_counter()
                r = http.get("/api/v1/me")
                floor.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
                t = time.perf_counter()
                r = http.post("/api/v1/entities/match", json={"name": name, "limit": 5})
                took.append(time.perf_counter() - t)
                assert r.status_code == 200, r.text
                results = r.json()["results"]
                if expected is not None and results and results[0]["party_id"] == expected:
                    first += 1
    return {
        "sdn": sdn, "stored": stored, "build": build, "first": first / len(asked[::3]),
        "p50": percentile(took, 50), "p95": percentile(took, 95), "p99": percentile(took, 99),
        "mean": statistics.fmean(took), "floor_p50": percentile(floor, 50),
        "floor_p95": percentile(floor, 95),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parties", type=int, default=100_000)
    ap.add_argument("--queries", type=int, default=1_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    table = Table(title=f"POST /api/v1/entities/match, {args.queries:,} queries")
    for col in ("backend", "parties", "index build s", "p50 ms", "p95 ms", "p99 ms",
                "GET /me p50 / p95 ms", "SDN first"):  # fmt: skip
        table.add_column(col, justify="right")
    for backend in args.backends.split(","):
        r = run(backend, args.parties, args.queries)
        if r is None:
            continue
        table.add_row(
            backend,
            f"{r['sdn']:,} SDN + {r['stored']:,}",
            f"{r['build']:.1f}",
            f"{r['p50'] * 1000:.1f}",
            f"{r['p95'] * 1000:.1f}",
            f"{r['p99'] * 1000:.1f}",
            f"{r['floor_p50'] * 1000:.1f} / {r['floor_p95'] * 1000:.1f}",
            f"{r['first']:.1%}",
        )
    console.print(table)


if __name__ == "__main__":
    main()

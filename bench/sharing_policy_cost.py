"""What the sharing policy costs: listing 100,000 seizures visible to one agency through
``sharing.policy.visible``, beside the same query without the filter, on SQLite and
PostgreSQL.

Usage: python bench/sharing_policy_cost.py [--n 100000] [--backends sqlite,postgresql]

The scratch database holds ``n`` seizures that US-CBP may all read, each by another rule:
its own (40 %), TLP:CLEAR or GREEN (20 %), named as a recipient (30 %), or a member of a
recipient community (10 %); and as many more that it may not read (other agencies', amber
or red, named to others), so that the filter has work to do. Both queries return the same
100,000 rows: the plain one reads them by their run of ids (the cheapest way to say
"these rows" without any policy), the filtered one finds them by the policy alone.
Goal: the policy costs at most 1.5 times the plain query.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import time

from _common import pg_server, scratch_database
from rich.console import Console
from rich.table import Table
from sqlalchemy import delete, insert, select

from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.db import build_engine, session_scope
from watchfloor.demo import load_demo
from watchfloor.migrate import upgrade
from watchfloor.security.models import Agency
from watchfloor.security.service import get_agency, system_principal
from watchfloor.sharing.models import ShareRecipient
from watchfloor.sharing.policy import visible

console = Console()
COLUMNS = (Seizure.id, Seizure.reference, Seizure.seized_on, Seizure.country, Seizure.quantity)


def fill(url: str, n: int, seed: int = 5) -> list[int]:
    """Seizures and recipients written in bulk; returns the ids US-CBP may read."""
    engine = build_engine(url)
    upgrade(engine)
    with session_scope(engine) as s:
        load_demo(s, with_shipments=False, with_listings=False, with_statistics=False)
    rng = random.Random(seed)
    with session_scope(engine) as s:
        s.execute(delete(ShareRecipient))  # the demo's few seizures would be in one count only
        s.execute(delete(Seizure))
        ids = {a.code: a.id for a in s.scalars(select(Agency))}
        cbp, others = ids["US-CBP"], [v for k, v in ids.items() if k != "US-CBP"]
        seizures, recipients, readable = [], [], []
        for i in range(2 * n):
            mine = i < n
            rule = rng.random()
            row = {
                "id": i + 1000,
                "reference": f"B-{i}",
                "seized_on": dt.date(2026, 1, 1) + dt.timedelta(days=i % 300),
                "country": "MX",
                "substance_text": "fentanyl",
                "quantity": 1.0,
                "unit": "kg",
                "route": "",
                "parties": "[]",
                "created_by": "bench",
                "created_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                "originator_control": False,
                "owner_agency_id": rng.choice(others),
                "tlp": rng.choice(["amber", "red"]),
            }
            if mine:
                readable.append(row["id"])
                if rule < 0.4:
                    row["owner_agency_id"] = cbp
                elif rule < 0.6:
                    row["tlp"] = rng.choice(["clear", "green"])
                elif rule < 0.9:
                    recipients.append((row["id"], cbp, None))
                else:
                    recipients.append((row["id"], None, "NA-PRECURSORS"))
            elif rule < 0.5:  # shared with someone else
                recipients.append((row["id"], rng.choice(others), None))
            seizures.append(row)
        s.execute(insert(Seizure.__table__), seizures)
        s.execute(
            insert(ShareRecipient.__table__),
            [
                {
                    "record_type": "seizure",
                    "record_id": rid,
                    "agency_id": aid,
                    "community": com,
                    "granted_by": "bench",
                    "granted_at": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                }
                for rid, aid, com in recipients
            ],
        )
    with engine.connect() as c:
        c.exec_driver_sql("ANALYZE")
    engine.dispose()
    return readable


def timed(engine, stmts, repeat: int = 9) -> list[tuple[float, int]]:  # type: ignore[no-untyped-def]
    """Median time and row count of each statement, their runs interleaved: one after the
    other, ``repeat`` times, so that a passing disturbance (the server's checkpoint, another
    process) falls on both alike instead of on whichever ran at that moment."""
    runs: list[list[float]] = [[] for _ in stmts]
    counts = [0] * len(stmts)
    for _ in range(repeat):
        for i, stmt in enumerate(stmts):
            with engine.connect() as c:
                start = time.perf_counter()
                counts[i] = len(c.execute(stmt).all())
                runs[i].append(time.perf_counter() - start)
    return [(statistics.median(r), n) for r, n in zip(runs, counts, strict=True)]


def measure(url: str, readable: list[int]) -> tuple[float, float, int, int]:
    engine = build_engine(url)
    with session_scope(engine) as s:
        principal = system_principal(get_agency(s, "US-CBP"))
    filtered = select(*COLUMNS).where(visible(principal, Seizure))
    # the readable rows hold one run of ids: the plain query reads exactly them by range
    plain = select(*COLUMNS).where(Seizure.id.between(min(readable), max(readable)))
    (with_policy, n_policy), (without, n_plain) = timed(engine, [filtered, plain])
    engine.dispose()
    return with_policy, without, n_policy, n_plain


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--backends", default="sqlite,postgresql")
    args = ap.parse_args()
    table = Table(title=f"{args.n:,} seizures visible to US-CBP (goal: policy <= 1.5x plain)")
    for col in ("backend", "plain query", "with the policy", "ratio", "rows"):
        table.add_column(col, justify="left" if col == "backend" else "right")
    for backend in args.backends.split(","):
        server = pg_server() if backend == "postgresql" else None
        if backend == "postgresql" and server is None:
            console.print("no PostgreSQL server: set WATCHFLOOR_BENCH_PG_URL")
            continue
        with scratch_database(server) as url:
            with console.status(f"filling {backend}"):
                readable = fill(url, args.n)
            policy, plain, n_policy, n_plain = measure(url, readable)
        if n_policy != n_plain:
            console.print(f"[red]{backend}: the policy found {n_policy:,} rows, not {n_plain:,}")
        table.add_row(
            backend,
            f"{plain * 1000:,.0f} ms",
            f"{policy * 1000:,.0f} ms",
            f"{policy / plain:.2f}x",
            f"{n_policy:,}",
        )
    console.print(table)


if __name__ == "__main__":
    main()

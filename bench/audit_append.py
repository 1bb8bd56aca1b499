"""Audit chain cost: events appended per second, next to plain inserts in the same database.

Usage: python bench/audit_append.py [N] [SERVER_URL]
Default: 2000 events in a temporary SQLite file. With a PostgreSQL URL, a scratch database is
created on that server for the run and dropped afterwards.
Prints both rates and the overhead of chaining (the head-row lock and the SHA-256).
"""

from __future__ import annotations

import sys
import time

from _common import scratch_database  # bench/ is on sys.path when a script runs
from sqlalchemy import text

from watchfloor import audit
from watchfloor.db import build_engine, session_scope
from watchfloor.migrate import upgrade


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    with scratch_database(sys.argv[2] if len(sys.argv) > 2 else None) as url:
        run(n, url)


def run(n: int, url: str) -> None:
    engine = build_engine(url)
    upgrade(engine)
    with engine.begin() as c:
        c.execute(
            text(
                "CREATE TABLE IF NOT EXISTS bench_plain (id INTEGER PRIMARY KEY, "
                "actor VARCHAR(120), detail TEXT)"
            )
        )

    t0 = time.perf_counter()
    for i in range(n):
        with engine.begin() as c:
            c.execute(
                text("INSERT INTO bench_plain (id, actor, detail) VALUES (:i, 'bench', :d)"),
                {"i": i + 1 + int(time.time()), "d": f'{{"i": {i}}}'},
            )
    plain = n / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    for i in range(n):
        with session_scope(engine) as s:
            audit.record(s, actor="bench", action="bench.event", detail={"i": i})
    chained = n / (time.perf_counter() - t0)

    t0 = time.perf_counter()
    with session_scope(engine) as s:
        result = audit.verify(s)
    verify_rate = result.verified / (time.perf_counter() - t0)
    assert result.ok
    print(f"backend: {engine.dialect.name}, {n} single-event transactions")
    print(f"baseline plain insert:   {plain:10.0f} tx/s")
    print(f"audit.record (chained):  {chained:10.0f} tx/s  ({plain / chained:.2f}x the cost)")
    print(f"audit.verify:            {verify_rate:10.0f} events/s")
    engine.dispose()


if __name__ == "__main__":
    main()

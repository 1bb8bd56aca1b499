"""Audit chain cost: events appended per second, next to plain inserts in the same database.

Usage: python bench/audit_append.py [N] [SERVER_URL]
Default: 2000 events in a temporary SQLite file. With a PostgreSQL URL, a scratch database is
created on that server for the run and dropped afterwards.
Prints both rates and the overhead of chaining (the head-row lock and the SHA-256).
"""

from __future__ import annotations

import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from watchfloor import audit
from watchfloor.db import build_engine, session_scope
from watchfloor.migrate import upgrade


@contextmanager
def scratch_database(server: str | None) -> Iterator[str]:
    if server is None:
        yield f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.db'}"
        return
    name = f"wf_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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

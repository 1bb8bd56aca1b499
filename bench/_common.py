"""Helpers shared by the benchmarks: scratch databases and a prepared Watchfloor schema."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench"


def pg_server() -> str | None:
    """The PostgreSQL server to benchmark on: WATCHFLOOR_BENCH_PG_URL, else the test server
    that `make bench` starts or finds (WATCHFLOOR_TEST_PG_URL)."""
    return os.environ.get("WATCHFLOOR_BENCH_PG_URL") or os.environ.get("WATCHFLOOR_TEST_PG_URL")


@contextmanager
def scratch_database(server: str | None) -> Iterator[str]:
    """A throw-away database: a temporary SQLite file, or a new database on ``server``."""
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

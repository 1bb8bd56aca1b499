"""The database helpers that bulk writers lean on, against a real PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from watchfloor import db
from watchfloor.db import build_engine, wait_for_statistics


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_growing_table_is_looked_at_once_per_fifth_of_growth(
    make_db: Callable[[str], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stream of small batches into a table of 20,000 analyzed rows: the background look
    (a thread and a query) is taken when the growth may call for ANALYZE, not after every
    batch once a thousand rows have come in."""
    engine = build_engine(make_db("empty"))
    looks: list[str] = []
    real = db._analyze

    def counted(engine_, table, key):  # type: ignore[no-untyped-def]
        looks.append(table)
        real(engine_, table, key)

    monkeypatch.setattr(db, "_analyze", counted)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE grown (n integer)")
            conn.exec_driver_sql("INSERT INTO grown SELECT generate_series(1, 20000)")
            conn.exec_driver_sql("ANALYZE grown")
        with engine.connect() as conn:
            for _ in range(3):  # 3,000 rows: the first look finds 20,000, no ANALYZE due
                db._refresh_statistics(conn, "grown", 1000)
                wait_for_statistics()
            assert looks == ["grown"]
            db._refresh_statistics(conn, "grown", 1000)  # 4,000: a fifth of 20,000
            wait_for_statistics()
            assert looks == ["grown", "grown"]
            for _ in range(4):  # that look analyzed: the next is due at a fifth of 24,000
                db._refresh_statistics(conn, "grown", 1000)
                wait_for_statistics()
            assert looks == ["grown", "grown"]
    finally:
        engine.dispose()

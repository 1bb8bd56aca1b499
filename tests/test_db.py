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


def test_sqlite_timestamps_have_one_text_form_and_old_rows_are_mended(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Bulk-written timestamps read back in the ORM's text form on SQLite, so a filter at a
    second's boundary finds a shipment at that very second; rows an older version wrote in
    the driver's form are rewritten by the migration."""
    import datetime as dt

    from sqlalchemy import insert, select

    from watchfloor.migrate import upgrade
    from watchfloor.security.models import Agency
    from watchfloor.shipments.intake import Writers
    from watchfloor.shipments.models import Shipment

    engine = build_engine(f"sqlite:///{tmp_path / 'ts.db'}")
    try:
        upgrade(engine, "0014_warning")
        midnight = dt.datetime(2026, 10, 3, tzinfo=dt.UTC)
        with engine.begin() as conn:
            agency = conn.execute(
                insert(Agency).values(code="XX-TEST", name="Test", country="XX", kind="customs")
            ).inserted_primary_key[0]
            for ref, at in (("OLD-1", "2026-10-03 00:00:00+00:00"),):
                conn.exec_driver_sql(
                    "INSERT INTO shipments (owner_agency_id, reference, content_hash, mode, "
                    "declared_at, arrival_on, origin_country, destination_country, "
                    "sender_name, consignee_name, item_count, score, reasons, received_at, "
                    "updated_at, status, source, transit_countries) VALUES "
                    "(?, ?, 'x', 'post', ?, '2026-10-03', 'CN', 'US', 's', 'c', 0, 0, '[]', "
                    "?, ?, 'open', 'file', '')",
                    (agency, ref, at, at, at),
                )
        upgrade(engine)
        with engine.begin() as conn:
            stored = conn.exec_driver_sql("SELECT declared_at FROM shipments").scalar()
            assert stored == "2026-10-03 00:00:00.000000"
            w = Writers(conn.dialect).shipment
            values = dict.fromkeys(w.columns)
            values.update(
                owner_agency_id=agency, reference="NEW-1", content_hash="y", mode="post",
                declared_at=midnight, arrival_on=midnight.date(), origin_country="CN",
                destination_country="US", sender_name="s", consignee_name="c", item_count=0,
                score=0, reasons="[]", received_at=midnight, updated_at=midnight,
                status="open", source="file", transit_countries="",
            )  # fmt: skip
            conn.exec_driver_sql(
                f"INSERT INTO shipments ({', '.join(w.columns)}) "
                f"VALUES ({', '.join('?' for _ in w.columns)})",
                [w.row([values[c] for c in w.columns])],
            )
            found = conn.execute(
                select(Shipment.reference).where(Shipment.declared_at >= midnight)
            ).scalars()
            assert sorted(found) == ["NEW-1", "OLD-1"]
    finally:
        engine.dispose()


def test_bulk_rows_read_back_as_written(make_db: Callable[[str], str]) -> None:
    """RowWriter's rows (binary COPY on PostgreSQL, executemany on SQLite) read back through
    the ORM as written: timestamps to the microsecond and in UTC, dates, whole numbers in
    float columns, text in any script, NULLs."""
    import datetime as dt

    from sqlalchemy import select

    from watchfloor.db import session_factory
    from watchfloor.security.service import create_agency
    from watchfloor.shipments.intake import ITEM_COLUMNS, Writers
    from watchfloor.shipments.models import RiskAssessment, Shipment, ShipmentItem

    engine = build_engine(make_db("empty"))
    try:
        w = Writers(engine.dialect)
        if engine.dialect.name == "postgresql":  # every column of the three tables: binary
            assert w.keyed_shipment.binary and w.keyed_item.binary and w.keyed_assessment.binary
        at = dt.datetime(2026, 3, 1, 23, 59, 58, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
        with session_factory(engine)() as s:
            agency = create_agency(
                s, code="XX-T", name="T", country="US", kind="customs", actor="test"
            )
            s.flush()
            row = w.keyed_shipment.row(
                [7, "post", at, None, at.date(), "CN", "", "US", None, "Carrier",
                 "Zhāng Wěi 张伟", None, "CN", None, None, "Mary Jones", "1 Main St", "US",
                 "+15550100", "m@example.org", 20, "USD", None, 1, 55, 0.25, "[]",
                 agency.id, "REF-1", "d" * 64, at, at, "open", "file"]
            )  # fmt: skip
            w.keyed_shipment.insert(s, [row])
            # laid out without the shipment's id, stored behind it, as an intake does
            item = w.item.row([1, "NPP powder", "293337", 3, "kg", 20, None])
            w.keyed_item.insert(s, [(7, *item)])
            scored = w.assessment.row([at, 55, 0.25, "2026.1", None, "[]"])
            w.keyed_assessment.insert(s, [(7, *scored)])
            s.commit()
            got = s.scalars(select(ShipmentItem)).one()
            assert [getattr(got, c) for c in ITEM_COLUMNS] == [
                1, "NPP powder", "293337", 3.0, "kg", 20.0, None
            ]  # fmt: skip
            assessment = s.scalars(select(RiskAssessment)).one()
            assert assessment.scored_at == at
            assert assessment.scored_at.utcoffset() == dt.timedelta(0)
            shipment = s.get(Shipment, 7)
            assert shipment is not None and shipment.received_at == at
            assert (shipment.sender_name, shipment.declared_value, shipment.arrival_on) == (
                "Zhāng Wěi 张伟",
                20.0,
                dt.date(2026, 3, 1),
            )
            assert shipment.arrival_at is None and shipment.carrier == "Carrier"
    finally:
        engine.dispose()

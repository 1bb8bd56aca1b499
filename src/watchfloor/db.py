"""Database engine, sessions and the declarative base.

SQLite (the default, one file) and PostgreSQL (``postgresql+psycopg://``) run the same code and
the same Alembic migrations. Schemas are only ever created by migrations.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, cast

from sqlalchemy import DateTime, Engine, MetaData, Table, create_engine, event, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from watchfloor.settings import get_settings

log = logging.getLogger(__name__)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table."""

    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite forgets zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; Watchfloor stores UTC-aware timestamps only")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class DatabaseUnavailable(Exception):
    """The database cannot be reached; the message names host and port, never the password."""


def describe_url(url: str) -> str:
    """A human description of a database URL without its password."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        return f"SQLite file {u.database}"
    return (
        f"{u.get_backend_name()} at {u.host or 'localhost'}:{u.port or 5432} database {u.database}"
    )


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
WRITER_WAIT = 30.0  # as SQLite's busy timeout: past it, SQLite's own waiting takes over


def _one_writer(engine: Engine) -> None:
    """SQLite has one writer at a time; a connection that finds the database locked sleeps
    and tries again with growing pauses (up to 100 ms each), so under many writers of one
    process a waiter often sleeps on after the lock is free. The threads of a process
    therefore take their turn at a lock of their own, from their first write to the end of
    their transaction, and are woken at once when it is theirs. Writers in other processes
    (an import) still meet SQLite's own waiting."""
    turn = threading.Lock()

    @event.listens_for(engine, "before_cursor_execute")
    def _take(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if "writer" in conn.info or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        conn.info["writer"] = turn.acquire(timeout=WRITER_WAIT)

    def _give(conn: Any) -> None:
        if conn.info.pop("writer", False):
            turn.release()

    def _returned(dbapi_conn: Any, record: Any) -> None:  # the pool rolls back what is left
        if record.info.pop("writer", False):
            turn.release()

    event.listen(engine, "commit", _give)
    event.listen(engine, "rollback", _give)
    event.listen(engine, "checkin", _returned)


def build_engine(url: str) -> Engine:
    """Create an engine for ``url`` with the settings each backend needs."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            from pathlib import Path

            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        _one_writer(engine)
        return engine
    timeout = get_settings().db_connect_timeout
    # JIT compilation pays off for long analytical scans only; for the sharing filter over
    # 200,000 seizures it took 190 of 295 ms (the planner's cost of the policy's EXISTS is
    # high), so it is off for Watchfloor's connections
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args={"connect_timeout": timeout, "options": "-c jit=off"},
    )


@lru_cache(maxsize=8)
def get_engine(url: str | None = None) -> Engine:
    """The shared engine for ``url`` (default: the configured database)."""
    return build_engine(url or get_settings().resolved_database_url())


def table_of(model: type[Any]) -> Table:
    """The Core table of a mapped class, typed as one (``__table__`` is typed as any
    FromClause): for statements that bypass the ORM where it costs more than the rows."""
    return cast(Table, model.__table__)


def engine_of(session: Session) -> Engine:
    """The engine a session is bound to (its bind may be a connection of that engine)."""
    bind = session.get_bind()
    return bind if isinstance(bind, Engine) else bind.engine


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (CLI, workers, loaders)."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def check_connection(engine: Engine) -> None:
    """Raise :class:`DatabaseUnavailable` with a one-line reason if the database is unreachable."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else "connection failed"
        # psycopg messages may echo the DSN; keep only the part after the last colon-less clause
        password = engine.url.password
        if password:
            reason = reason.replace(str(password), "***")
        raise DatabaseUnavailable(
            f"cannot reach the database: {describe_url(engine.url.render_as_string())}: {reason}"
        ) from None


class RowWriter:
    """Bulk inserts into one table's ``columns`` for one dialect.

    :meth:`row` turns Python values into what the driver takes (through the columns' types,
    as an ORM insert would); it may run in another process than :meth:`insert`, which sends
    prepared rows with PostgreSQL's COPY or SQLite's executemany. Nothing is returned: query
    the natural key for the ids.
    """

    def __init__(self, table: Table, columns: list[str], dialect: Any) -> None:
        self.table, self.columns, self.dialect = table, columns, dialect
        # the dialect's own form of each type, as a statement would bind it (a decorated
        # type's bind_processor alone skips its dialect's step: on SQLite, a timestamp would
        # reach the driver's default adapter and be stored in another text form than the
        # ORM's, and the two compare wrongly within the same second)
        procs = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
        self.procs = [(i, p) for i, p in enumerate(procs) if p is not None]
        # PostgreSQL's binary COPY when every column's type has a binary form here: no text
        # to format on this side nor to parse on the server's
        types = [_binary_type(table.c[c].type.dialect_impl(dialect)) for c in columns]
        self.binary = None if dialect.name != "postgresql" or None in types else types

    def row(self, values: list[Any] | tuple[Any, ...]) -> tuple[Any, ...]:
        if len(values) != len(self.columns):
            raise ValueError(f"{len(values)} values for {len(self.columns)} columns")
        if not self.procs:  # every value goes to the driver as it is
            return tuple(values)
        out = list(values)
        for i, proc in self.procs:
            value = out[i]
            if value is not None:  # NULL stays NULL (so it does in every type used here: no JSON)
                out[i] = proc(value)
        return tuple(out)

    def insert(self, session: Session, rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        conn = session.connection()
        quote = self.dialect.identifier_preparer.quote
        names = ", ".join(quote(c) for c in self.columns)
        if self.dialect.name == "postgresql":
            import psycopg

            raw = conn.connection.driver_connection
            statement = f"COPY {quote(self.table.name)} ({names}) FROM STDIN"
            if self.binary:
                statement += " (FORMAT BINARY)"
            try:
                with raw.cursor() as cur, cur.copy(statement) as copy:  # type: ignore[union-attr]
                    if self.binary:
                        copy.set_types(self.binary)
                    for row in rows:
                        copy.write_row(row)
            except psycopg.IntegrityError as exc:  # as SQLAlchemy tells it of other statements
                raise IntegrityError(statement, None, exc) from exc
            _refresh_statistics(conn, self.table.name, len(rows))
        else:
            marks = ", ".join("?" for _ in self.columns)
            conn.exec_driver_sql(
                f"INSERT INTO {quote(self.table.name)} ({names}) VALUES ({marks})", rows
            )


def _binary_type(sql_type: Any) -> str | None:
    """The PostgreSQL type a binary COPY sends a column's values as; None when not known."""
    from sqlalchemy import BigInteger, Boolean, Date, DateTime, Enum, Float, Integer, String, Text

    if isinstance(sql_type, TypeDecorator):  # UTCDateTime and the like: what they store
        sql_type = sql_type.impl_instance
    if isinstance(sql_type, Enum):  # a String to SQLAlchemy, a type of its own to PostgreSQL
        return None
    for kind, name in (
        (BigInteger, "int8"), (Integer, "int4"), (Float, "float8"), (Boolean, "bool"),
        (Text, "text"), (String, "varchar"), (Date, "date"),
    ):  # fmt: skip
        if isinstance(sql_type, kind):
            return name
    if isinstance(sql_type, DateTime):
        return "timestamptz" if sql_type.timezone else "timestamp"
    return None


def allocate_ids(session: Session, table: Table, n: int) -> list[int] | None:
    """``n`` new primary keys from the sequence of ``table.id`` on PostgreSQL, so that a bulk
    insert need not read its ids back; None on SQLite, whose ids come from the insert."""
    if session.get_bind().dialect.name != "postgresql" or n <= 0:
        return None
    # one row holding an array: 5,000 rows of one number each cost 40 ms to fetch
    return list(
        session.execute(
            text(
                "SELECT array_agg(nextval(pg_get_serial_sequence(:t, 'id'))) "
                "FROM generate_series(1, :n)"
            ),
            {"t": table.name, "n": n},
        ).scalar_one()
    )


def inserted_ids(session: Session, table: Table, n: int) -> list[int] | None:
    """On SQLite, the ids of the last ``n`` rows this transaction inserted into ``table`` in
    one statement without ids: SQLite gives each new row the largest id plus one, and no
    other connection writes while this transaction holds the write lock, so they are the
    ``n`` largest (verify a sample: the caller knows what it inserted). None elsewhere."""
    if session.get_bind().dialect.name != "sqlite" or n <= 0:
        return None
    last = session.execute(text(f'SELECT max(id) FROM "{table.name}"')).scalar()
    return None if last is None else list(range(last - n + 1, last + 1))


def unique_violation(exc: IntegrityError) -> bool:
    """Whether an integrity error is a unique index refusing a duplicate (not, say, a NULL)."""
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig)


def claim_escalation(session: Session, row: Any, level: int, now: dt.datetime) -> bool:
    """Raise ``row.escalation`` to ``level`` unless another process did first (a conditional
    update: the step happens once however many processes check the deadlines); the row is
    refreshed when claimed."""
    model = type(row)
    result: Any = session.execute(  # a CursorResult: its rowcount says who claimed it
        update(model)
        .where(model.id == row.id, model.escalation == row.escalation)
        .values(escalation=level, escalated_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = result.rowcount
    if claimed == 1:
        session.refresh(row)
    return bool(claimed == 1)


def analyze(session: Session, *tables: str) -> None:
    """ANALYZE ``tables`` inside the session's transaction on PostgreSQL.

    A long load in one transaction (the demo) reads what it wrote before committing; the
    background refresh below only sees committed rows, so until then the planner takes the
    new rows for none and picks nested loops over thousands of them. ANALYZE counts the rows
    the current transaction inserted, and its statistics commit with them.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(text(f'ANALYZE "{table}"'))


_grown: dict[tuple[str, str], int] = {}
_analyzing: set[tuple[str, str]] = set()
_settled: set[tuple[str, str]] = set()  # large enough for autovacuum to look after
_known: dict[tuple[str, str], float] = {}  # rows a table had when last looked at
_threads: dict[tuple[str, str], threading.Thread] = {}
_grown_lock = threading.Lock()


def _refresh_statistics(conn: Any, table: str, added: int) -> None:
    """ANALYZE a PostgreSQL table, in the background, once this process has grown it by a
    fifth or more.

    Until statistics exist the planner takes a fresh table for a handful of rows and probes
    it by the wrong index; the next lookup by natural key then scans every row. PostgreSQL's
    own advice for bulk loads is to analyze after them; a stream of small batches adds up to
    a bulk load too, so the rows are counted across calls. ANALYZE runs on a connection of
    its own so that the writer never waits for it (it reads what is committed, which is all
    but the batch at hand).
    """
    key = (conn.engine.url.render_as_string(hide_password=True), table)
    with _grown_lock:
        grown = _grown[key] = _grown.get(key, 0) + added
        # a look costs a thread and a query: none until the growth may call for ANALYZE
        due = max(1000.0, 0.2 * _known.get(key, 0.0))
        if grown < due or key in _analyzing or key in _settled:
            return
        _analyzing.add(key)
        thread = _threads[key] = threading.Thread(
            target=_analyze, args=(conn.engine, table, key), name=f"analyze-{table}", daemon=True
        )
    thread.start()


def _analyze(engine: Engine, table: str, key: tuple[str, str]) -> None:
    try:
        with engine.begin() as conn:
            # a writer that analyzes in its own transaction (db.analyze) holds the lock until
            # it commits, and then its statistics are fresh: give up instead of waiting
            conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            # a tenth of the default sample (3,000 rows, not 30,000): the planner needs the
            # table's size and a rough picture, and a stream that grows a table keeps asking;
            # autovacuum analyzes with the full sample once the table is large
            conn.exec_driver_sql("SET LOCAL default_statistics_target = 10")
            known = conn.exec_driver_sql(
                "SELECT reltuples FROM pg_class WHERE relname = %s", (table,)
            ).scalar()
            # past 50,000 rows the statistics tell the planner enough, and autovacuum keeps
            # them up to date
            with _grown_lock:
                grown = _grown.get(key, 0)
                if known is not None and known >= 50_000:
                    _settled.add(key)
                _known[key] = max(0.0, known or 0.0)
            if known is None or known < 0 or (known < 50_000 and grown >= 0.2 * known):
                conn.exec_driver_sql(f"ANALYZE {conn.dialect.identifier_preparer.quote(table)}")
                with _grown_lock:
                    _grown[key] = max(0, _grown.get(key, 0) - grown)
                    _known[key] += grown
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "55P03":  # lock_not_available
            log.warning("ANALYZE %s failed", table, exc_info=True)
    except Exception:  # statistics are an optimisation: a failure must not stop the writer
        log.warning("ANALYZE %s failed", table, exc_info=True)
    finally:
        with _grown_lock:
            _analyzing.discard(key)
            _threads.pop(key, None)


def wait_for_statistics(timeout: float = 10.0) -> None:
    """Wait for the background ANALYZE threads of this process (before a database is
    copied or dropped, which needs every other connection gone)."""
    with _grown_lock:
        pending = list(_threads.values())
    for thread in pending:
        thread.join(timeout)


def containing(text: str) -> str:
    """A LIKE pattern for ``text`` anywhere in a value, its own ``%``, ``_`` and ``\\`` taken
    literally (pass ``escape="\\"`` with it)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fetch_page(session: Session, stmt: Any, limit: int) -> tuple[list[Any], int | None]:
    """One page of a statement ordered by id, newest first: the rows and the cursor of the
    next page (the last id shown), or None when there is no more."""
    rows = list(session.scalars(stmt.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].id if more and rows else None)

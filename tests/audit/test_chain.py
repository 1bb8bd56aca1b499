"""The audit hash chain: intact chains verify, every kind of tampering is caught."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import DBAPIError

from watchfloor import audit
from watchfloor.audit import AuditEvent, AuditHead
from watchfloor.db import session_scope

WATCHFLOOR = Path(sys.executable).with_name("watchfloor")


def cli_verify(db_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WATCHFLOOR_DATABASE_URL": db_url}
    return subprocess.run(
        [str(WATCHFLOOR), "audit", "verify"], env=env, capture_output=True, text=True, timeout=60
    )


def drop_append_only_guard(engine: Engine) -> None:
    """What an attacker with database-owner rights does first."""
    with engine.begin() as c:
        if engine.dialect.name == "postgresql":
            c.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        else:
            c.execute(text("DROP TRIGGER audit_events_no_update"))
            c.execute(text("DROP TRIGGER audit_events_no_delete"))


def test_demo_chain_verifies_by_cli(db_url: str, engine: Engine) -> None:
    with session_scope(engine) as s:
        n = s.scalar(select(func.count()).select_from(AuditEvent))
    assert n and n > 20
    r = cli_verify(db_url)
    assert r.returncode == 0, r.stderr
    assert f"{n} events verified" in r.stdout


def test_event_is_written_in_the_callers_transaction(engine: Engine) -> None:
    with session_scope(engine) as s:
        before = s.get(AuditHead, 1).seq  # type: ignore[union-attr]
    s2 = session_scope(engine).__enter__()
    audit.record(s2, actor="test", action="test.rolled_back")
    s2.rollback()
    s2.close()
    with session_scope(engine) as s:
        assert s.get(AuditHead, 1).seq == before  # type: ignore[union-attr]
        assert s.scalar(select(func.count()).where(AuditEvent.action == "test.rolled_back")) == 0
        assert audit.verify(s).ok


def test_database_refuses_update_and_delete(engine: Engine) -> None:
    for stmt in (
        "UPDATE audit_events SET actor = 'x' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
    ):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as c:
            c.execute(text(stmt))


TAMPERING = {
    "alter": ["UPDATE audit_events SET actor = 'user:mallory' WHERE seq = 7"],
    "delete": ["DELETE FROM audit_events WHERE seq = 7"],
    "insert": [
        # shift the tail up by one and forge an event at 7 with a plausible hash
        "UPDATE audit_events SET seq = seq + 100000 WHERE seq >= 7",
        "UPDATE audit_events SET seq = seq - 100000 + 1 WHERE seq >= 100000",
        "INSERT INTO audit_events (seq, at, actor, agency, action, object_type, object_id,"
        " detail, prev_hash, hash) SELECT 7, at, 'user:mallory', agency, 'seizure.read',"
        " object_type, object_id, detail, "
        " CASE WHEN substr(prev_hash, 1, 1) = 'f' THEN 'e' ELSE 'f' END || substr(prev_hash, 2),"
        " CASE WHEN substr(hash, 1, 1) = 'e' THEN 'd' ELSE 'e' END || substr(hash, 2)"
        " FROM audit_events WHERE seq = 6",
    ],
    "reorder": [
        "UPDATE audit_events SET seq = -7 WHERE seq = 7",
        "UPDATE audit_events SET seq = 7 WHERE seq = 8",
        "UPDATE audit_events SET seq = 8 WHERE seq = -7",
    ],
}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_tampering_is_caught_with_first_bad_seq(how: str, db_url: str, engine: Engine) -> None:
    drop_append_only_guard(engine)
    with engine.begin() as c:
        for stmt in TAMPERING[how]:
            c.execute(text(stmt))
    r = cli_verify(db_url)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "BROKEN at sequence 7" in r.stderr, r.stderr


def test_deleting_the_tail_is_caught(db_url: str, engine: Engine) -> None:
    drop_append_only_guard(engine)
    with engine.begin() as c:
        last = c.execute(text("SELECT max(seq) FROM audit_events")).scalar_one()
        c.execute(text("DELETE FROM audit_events WHERE seq = :s"), {"s": last})
    r = cli_verify(db_url)
    assert r.returncode == 1
    assert f"BROKEN at sequence {last}" in r.stderr


WRITER = """
import sys
from watchfloor import audit
from watchfloor.db import build_engine, session_scope
engine = build_engine(sys.argv[1])
for i in range(int(sys.argv[3])):
    with session_scope(engine) as s:
        audit.record(s, actor="writer:" + sys.argv[2], action="test.concurrent", detail={"i": i})
"""


def test_two_processes_writing_at_once_never_fork_the_chain(db_url: str, engine: Engine) -> None:
    with session_scope(engine) as s:
        before = s.get(AuditHead, 1).seq  # type: ignore[union-attr]
    per_writer = 60
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, db_url, name, str(per_writer)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for p in procs:
        _, errors = p.communicate(timeout=120)
        assert p.returncode == 0, errors
    with session_scope(engine) as s:
        result = audit.verify(s)
        assert result.ok, result
        assert result.verified == before + 2 * per_writer
        writers = s.execute(
            select(AuditEvent.actor, func.count())
            .where(AuditEvent.action == "test.concurrent")
            .group_by(AuditEvent.actor)
        ).all()
        assert dict(writers) == {"writer:a": per_writer, "writer:b": per_writer}

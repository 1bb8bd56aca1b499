"""What whoever holds the database cannot do to the audit log unseen: rewrite an event and
re-hash the rest (the keyed MACs, with a key kept outside the database), or cut events off
the end (signed checkpoints kept elsewhere). SQLite and PostgreSQL, through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, select, text

from tests.audit.test_chain import drop_append_only_guard
from watchfloor import audit
from watchfloor.audit import AuditCheckpoint, AuditEvent, AuditHead, event_hash
from watchfloor.db import session_scope

WATCHFLOOR = Path(sys.executable).with_name("watchfloor")


def cli(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "WATCHFLOOR_DATABASE_URL": db_url}
    return subprocess.run(
        [str(WATCHFLOOR), "audit", *args], env=env, capture_output=True, text=True, timeout=60
    )


def rehash_from(engine: Engine, seq: int) -> None:
    """What an attacker without the key can do: recompute every hash from ``seq`` on, each
    linked to the one before, and move the head; the MACs stay as they were."""
    with session_scope(engine) as s:
        prev = s.get(AuditEvent, seq - 1).hash if seq > 1 else audit.GENESIS  # type: ignore[union-attr]
        rows = s.scalars(select(AuditEvent).where(AuditEvent.seq >= seq).order_by(AuditEvent.seq))
        new = []
        for ev in rows:
            fields = {
                k: getattr(ev, k)
                for k in ("seq", "at", "actor", "agency", "action", "object_type", "object_id",
                          "detail")
            }  # fmt: skip
            digest = event_hash(**fields, prev_hash=prev)
            new.append((ev.seq, prev, digest))
            prev = digest
    with engine.begin() as c:
        # unique hashes: move every row's hashes out of the way first
        c.execute(text("UPDATE audit_events SET prev_hash = 'x' || seq, hash = 'y' || seq "
                       "WHERE seq >= :s"), {"s": seq})  # fmt: skip
        for n, p, h in new:
            c.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h WHERE seq = :n"),
                      {"p": p, "h": h, "n": n})  # fmt: skip
        c.execute(text("UPDATE audit_head SET hash = :h WHERE id = 1"), {"h": prev})


def test_events_carry_a_keyed_mac_from_the_first(engine: Engine) -> None:
    with session_scope(engine) as s:
        result = audit.verify(s, key=audit.known_audit_key())
        assert result.ok and result.macs_checked and result.keyed_from == 1, result
        assert audit.verify(s, key=b"k" * 32).first_bad_seq == 1  # another key: caught


def test_rewriting_and_rehashing_is_caught_by_the_keyed_mac(db_url: str, engine: Engine) -> None:
    drop_append_only_guard(engine)
    with engine.begin() as c:
        c.execute(text("UPDATE audit_events SET actor = 'user:mallory' WHERE seq = 7"))
    rehash_from(engine, 7)
    with session_scope(engine) as s:
        assert audit.verify(s).ok  # the plain chain is whole again: hashes alone miss it
    r = cli(db_url, "verify")
    assert r.returncode == 1, r.stdout
    assert "BROKEN at sequence 7" in r.stderr and "keyed MAC does not match" in r.stderr


def test_a_checkpoint_kept_elsewhere_shows_a_cut_tail(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "checkpoint.json"
    r = cli(db_url, "checkpoint", "--out", str(path))
    assert r.returncode == 0, r.stderr
    cp = json.loads(path.read_text())
    ok = cli(db_url, "verify", "--checkpoint", str(path))
    assert ok.returncode == 0 and f"event {cp['seq']} is as the checkpoint" in ok.stdout, ok.stderr
    # the holder of the database removes the last three events, moves the head back and
    # deletes the checkpoints kept in the database: the chain and the MACs are whole
    drop_append_only_guard(engine)
    cut = cp["seq"] - 3
    with engine.begin() as c:
        c.execute(text("DELETE FROM audit_events WHERE seq > :n"), {"n": cut})
        h = c.execute(text("SELECT hash FROM audit_events WHERE seq = :n"), {"n": cut}).scalar()
        c.execute(text("UPDATE audit_head SET seq = :n, hash = :h WHERE id = 1"),
                  {"n": cut, "h": h})  # fmt: skip
        c.execute(text("DELETE FROM audit_checkpoints"))
    assert cli(db_url, "verify").returncode == 0
    r = cli(db_url, "verify", "--checkpoint", str(path))
    assert r.returncode == 1 and "events were removed from the end" in r.stderr, r.stderr
    assert f"chain now ends at event {cut}" in r.stderr


def test_a_forged_or_foreign_checkpoint_is_refused(
    db_url: str, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "cp.json"
    assert cli(db_url, "checkpoint", "--out", str(path)).returncode == 0
    cp = json.loads(path.read_text())
    forged = tmp_path / "forged.json"
    forged.write_text(json.dumps(cp | {"seq": cp["seq"] - 1}))
    r = cli(db_url, "verify", "--checkpoint", str(forged))
    assert r.returncode == 1 and "signature does not match" in r.stderr, r.stderr
    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps(cp | {"public_key": "ab" * 32}))
    r = cli(db_url, "verify", "--checkpoint", str(foreign))
    assert r.returncode == 1 and "not this instance's" in r.stderr
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"seq": "7"}))
    r = cli(db_url, "verify", "--checkpoint", str(bad))
    assert r.returncode == 2 and "not a checkpoint" in r.stderr
    # asked again with no new event, the same checkpoint; the database keeps one per head
    again = json.loads(cli(db_url, "checkpoint").stdout)
    assert again == cp
    with session_scope(engine) as s:
        rows = s.scalars(select(AuditCheckpoint).where(AuditCheckpoint.seq == cp["seq"])).all()
        assert len(rows) == 1 and s.get(AuditHead, 1).seq == cp["seq"]  # type: ignore[union-attr]

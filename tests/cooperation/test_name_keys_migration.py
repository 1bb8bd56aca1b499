"""Migration 0016: watched names and addresses stored before identifiers were one normal
form are made again in it, so that old entries meet the records screened from now on."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from watchfloor.cooperation.watchlists import screening
from watchfloor.db import build_engine
from watchfloor.migrate import upgrade


def test_old_watchlist_keys_are_folded_as_screening_folds_them(tmp_path: Path) -> None:
    engine = build_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0015_sqlite_timestamp_text")
    old = [  # as the ASCII-only fold stored them: ß and CJK dropped
        (1, "name", "Straße Hans", "hans strae"),
        (2, "name", "张伟 Trading", "trading"),
        (3, "address", "Große Allee 4, Köln", "groe allee 4 koln"),
        (4, "phone", "+1 604 555 0143", "+16045550143"),
    ]
    with engine.begin() as c:
        c.execute(
            text(
                "INSERT INTO agencies (id, code, name, kind, created_at) "
                "VALUES (1, 'XX-A', 'A', 'customs', '2026-01-01 00:00:00.000000')"
            )
        )
        for id_, kind, value, normalised in old:
            c.execute(
                text(
                    "INSERT INTO watchlist_entries (id, reference, kind, value, normalised, "
                    "reason, active, created_at, created_by, updated_at, owner_agency_id, tlp, "
                    "originator_control) VALUES (:id, :ref, :kind, :value, :norm, 'r', 1, "
                    "'2026-01-01 00:00:00.000000', 't', '2026-01-01 00:00:00.000000', 1, "
                    "'amber', 0)"
                ),
                {"id": id_, "ref": f"WL-{id_}", "kind": kind, "value": value, "norm": normalised},
            )
    upgrade(engine)
    with engine.connect() as c:
        stored = dict(c.execute(text("SELECT id, normalised FROM watchlist_entries")).all())
    for id_, kind, value, _ in old:
        assert stored[id_] == screening.normalise(kind, value), (kind, value, stored[id_])
    assert stored[1] == "hans strasse" and stored[4] == "+16045550143"
    engine.dispose()

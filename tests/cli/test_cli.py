"""The `watchfloor` command as a user runs it: set-up steps, keys, clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import run
from watchfloor.audit import AuditEvent
from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.db import build_engine, session_scope
from watchfloor.entities.models import EntityCluster, Party, ResolutionRun
from watchfloor.security.models import Agency, User

# `make run`'s own database; the intakes' idempotency on PostgreSQL has tests of its own
TABLES = (Agency, User, Seizure, AuditEvent, Party, ResolutionRun, EntityCluster)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.slow
def test_setup_steps_twice_load_nothing_twice(make_db) -> None:  # type: ignore[no-untyped-def]
    url = make_db("empty")
    env = {"WATCHFLOOR_DATABASE_URL": url}
    counts = []
    said: dict[str, str] = {}  # the second round's output of each step
    for _ in range(2):
        for step in (["db", "upgrade"], ["reference", "load"], ["demo", "load"]):
            r = run(*step, env=env)
            assert r.returncode == 0, r.stderr
            said[step[0]], said[f"{step[0]} progress"] = r.stdout, r.stderr
        engine = build_engine(url)
        with session_scope(engine) as s:
            counts.append(tuple(s.scalar(select(func.count()).select_from(m)) for m in TABLES))
        engine.dispose()
    assert counts[0] == counts[1]
    agencies, users, seizures, _, parties, runs, clusters = counts[0]
    assert parties > 5000  # the demo's records' parties, taken once
    assert runs == 1 and clusters > 100  # resolved once, not again by the second load
    assert agencies >= 8 and users >= 12 and seizures >= 6
    assert "already at revision" in said["db"] and "already loaded" in said["reference"]
    assert "us.cbp.officer" in said["demo"] and "watchfloor-demo" in said["demo"]
    assert "demo: loaded" in said["demo progress"] and "step 8/8" in said["demo progress"]


def test_keys_create_prints_once_and_revoke(db_url: str) -> None:
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    r = run("keys", "create", "--agency", "US-CBP", "--role", "analyst", env=env)
    assert r.returncode == 0, r.stderr
    secret = r.stdout.strip().splitlines()[-1]
    assert secret.startswith("wf_")
    listing = run("keys", "list", "--json", env=env).stdout
    assert secret not in listing and secret.split("_")[1] in listing
    assert run("keys", "revoke", secret.split("_")[1], env=env).returncode == 0
    assert '"revoked_at": null' not in run("keys", "list", "--json", env=env).stdout
    bad = run("keys", "create", "--agency", "XX-NONE", "--role", "analyst", env=env)
    assert bad.returncode == 2 and "agency 'XX-NONE' does not exist" in bad.stderr


def test_malformed_setting_names_the_variable() -> None:
    r = run("db", "current", env={"WATCHFLOOR_PORT": "eighty"})
    assert r.returncode == 2
    assert "WATCHFLOOR_PORT" in r.stderr
    assert "Traceback" not in r.stderr


def test_unreachable_database_is_one_line_without_password() -> None:
    url = "postgresql+psycopg://watch:s3cret-pw@127.0.0.1:1/nowhere"
    r = run(
        "db", "upgrade", env={"WATCHFLOOR_DATABASE_URL": url, "WATCHFLOOR_DB_CONNECT_TIMEOUT": "2"}
    )
    assert r.returncode == 2
    lines = [line for line in r.stderr.strip().splitlines() if line.strip()]
    assert len(lines) == 1, r.stderr
    assert "127.0.0.1:1" in lines[0]
    assert "s3cret-pw" not in r.stderr and "Traceback" not in r.stderr


def test_listings_escalate_report_and_reclassify(db_url: str) -> None:
    import datetime as dt

    from watchfloor.listings import intake, notices
    from watchfloor.listings.notice_schemas import NoticeIn
    from watchfloor.security.service import get_agency, system_principal

    engine = build_engine(db_url)
    with session_scope(engine) as s:
        cbp = system_principal(get_agency(s, "US-CBP"))
        row = {"platform": "Bazaar Forum", "external_id": "C1", "title": "10x M30 blues"}
        (result,) = intake.submit(s, cbp, [row]).results
        data = NoticeIn(
            platform="PLATFORM-BAZAAR",
            listing_ids=[result.id],
            legal_ground="21 U.S.C. 841",
            requested_action="remove",
            priority="urgent",
            reference="CLI-1",
        )
        sent = dt.datetime.now(dt.UTC) - dt.timedelta(hours=25)  # Bazaar: 24 h when urgent
        notices.send_notice(s, cbp, data, now=sent)
    engine.dispose()
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    r = run("listings", "escalate", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert '"level": "overdue"' in r.stdout and '"reference": "CLI-1"' in r.stdout
    assert run("listings", "escalate", "--json", env=env).stdout.strip() == "[]"
    csv_out = run("listings", "report", "PLATFORM-BAZAAR", "--format", "csv", env=env)
    assert csv_out.returncode == 0, csv_out.stderr
    total = csv_out.stdout.strip().splitlines()[-1].split(",")
    assert total[3:6] == ["total", "1", "0"]  # period, received, withdrawn
    bad = run("listings", "report", "US-CBP", env=env)
    assert bad.returncode == 2 and "no platform agency" in bad.stderr
    again = run("listings", "reclassify", "--agency", "us-cbp", "--json", env=env)
    assert again.returncode == 0, again.stderr
    assert '"listings": 1, "changed": 0' in again.stdout  # decided by the same model
    nobody = run("listings", "reclassify", "--agency", "XX-NONE", env=env)
    assert nobody.returncode == 2 and "'XX-NONE' does not exist" in nobody.stderr


# the command's own work; screening itself is tested on both databases (tests/entities)
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_entities_screen_a_csv_with_a_bad_row(db_url: str, tmp_path: Path) -> None:
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    r = run("entities", "sync", "--json", env=env)
    assert r.returncode == 0, r.stderr
    names = tmp_path / "names.csv"
    names.write_text(
        "name,country,date_of_birth\n"
        "Rafael Karo Quintero,MX,1952-12-12\n"
        "Somebody Else,XX,\n"
        "Zyxw Qvut Nobody,,\n",
        encoding="utf-8",
    )
    out = tmp_path / "results.csv"
    r = run("entities", "screen", str(names), "--agency", "US-CBP", "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert (
        "line 3: countries.0:" in r.stderr
        and "2 names screened, 1 pass, 1 rows refused" in r.stderr
    )
    rows = out.read_text(encoding="utf-8").splitlines()
    assert rows[0].startswith("line,name,candidate,party_id,source,score,passes,why")
    assert (
        rows[1].startswith('2,Rafael Karo Quintero,"CARO QUINTERO, Rafael"') and ",True," in rows[1]
    )
    assert rows[2].startswith("4,Zyxw Qvut Nobody,") and ",False," in rows[2]
    missing = run("entities", "screen", str(names), "--agency", "XX-NONE", env=env)
    assert missing.returncode != 0 and "XX-NONE" in missing.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cooperation_group_imports_and_old_names_still_work(db_url: str, tmp_path: Path) -> None:
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    shown = run("cooperation", "--help", env=env)
    assert shown.returncode == 0 and "import" in shown.stdout and "federation" in shown.stdout
    assert "sharing" not in run("--help", env=env).stdout  # the old names are hidden...
    seizures = tmp_path / "s.jsonl"
    seizures.write_text(
        '{"reference": "CLI-SZ-1", "seized_on": "2026-09-14", "country": "MX", '
        '"substance": "fentanyl", "quantity": 2.5, "unit": "kg"}\n'
    )
    new = run("cooperation", "import", str(seizures), "--agency", "MX-ANAM", "--json", env=env)
    assert new.returncode == 0, new.stderr
    assert (json.loads(new.stdout)["created"], json.loads(new.stdout)["rejected"]) == (1, 0)
    old = run("sharing", "import", str(seizures), "--agency", "MX-ANAM", "--json", env=env)
    assert old.returncode == 0, old.stderr  # ...and still work: the second run changes nothing
    assert (json.loads(old.stdout)["created"], json.loads(old.stdout)["unchanged"]) == (0, 1)
    ident = run("federation", "identity", "--json", env=env)
    assert ident.returncode == 0 and "public_key" in ident.stdout

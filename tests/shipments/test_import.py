"""`watchfloor shipments import` and `watchfloor demo shipments` as an operator runs them."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import WATCHFLOOR, run
from watchfloor.db import build_engine, session_scope
from watchfloor.shipments.models import Shipment, ShipmentItem


def count(url: str, model=Shipment) -> int:  # type: ignore[no-untyped-def]
    engine = build_engine(url)
    try:
        with session_scope(engine) as s:
            return s.scalar(select(func.count()).select_from(model)) or 0
    finally:
        engine.dispose()


@pytest.mark.slow
def test_generate_then_import_jsonl_twice(db_url: str, tmp_path: Path) -> None:
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    data = tmp_path / "s.jsonl"
    r = run(
        "demo",
        "shipments",
        "--n",
        "1500",
        "--seed",
        "9",
        "--out",
        str(data),
        "--agency",
        "US-CBP",
        "--office",
        "JFK-IMF",
        "--office",
        "ORD-IMF",
        env=env,
    )
    assert r.returncode == 0, r.stderr
    truth = list(csv.DictReader(Path(str(data) + ".truth.csv").read_text().splitlines()))
    assert len(truth) == 1500
    first = json.loads(data.read_text().splitlines()[0])
    assert "risky" not in first and "kind" not in first  # the truth stays apart
    before = count(db_url)
    r = run(
        "shipments", "import", str(data), "--agency", "US-CBP", "--batch", "400", "--json", env=env
    )
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["created"], report["rejected"], report["batches"]) == (1500, 0, 4)
    assert count(db_url) == before + 1500
    again = json.loads(
        run("shipments", "import", str(data), "--agency", "US-CBP", "--json", env=env).stdout
    )
    assert (again["created"], again["unchanged"]) == (0, 1500)
    assert count(db_url) == before + 1500


def test_csv_with_one_row_per_item_and_a_rejects_file(db_url: str, tmp_path: Path) -> None:
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    path = tmp_path / "manifest.csv"
    header = [
        "reference",
        "mode",
        "declared_at",
        "origin_country",
        "destination_country",
        "office",
        "sender_name",
        "sender_country",
        "consignee_name",
        "currency",
        "declared_value",
        "item_description",
        "item_hs_code",
        "item_value",
    ]
    rows = [
        [
            "HB-1",
            "cargo",
            "2026-11-20T08:00:00+01:00",
            "NL",
            "US",
            "CVG-EXP",
            "Rotterdam BV",
            "NL",
            "Acme Inc",
            "EUR",
            "300",
            "bicycle parts",
            "871499",
            "200",
        ],
        ["HB-1", "", "", "", "", "", "", "", "", "", "", "BMK glycidate", "291899", "100"],
        [
            "HB-2",
            "cargo",
            "2026-11-20T08:00:00Z",
            "NL",
            "US",
            "CVG-EXP",
            "Rotterdam BV",
            "NL",
            "Acme Inc",
            "EUR",
            "abc",
            "yoga mat",
            "950691",
            "10",
        ],
        [
            "HB-3",
            "cargo",
            "2026-11-20",
            "NL",
            "US",
            "CVG-EXP",
            "Rotterdam BV",
            "NL",
            "Acme Inc",
            "EUR",
            "10",
            "yoga mat",
            "950691",
            "10",
        ],
    ]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    r = run("shipments", "import", str(path), "--agency", "US-CBP", env=env)
    assert r.returncode == 0, r.stderr
    assert "1 created" in r.stdout and "2 rejected" in r.stdout
    rejects = [json.loads(x) for x in Path(str(path) + ".rejects.jsonl").read_text().splitlines()]
    assert [(x["line"], x["reference"]) for x in rejects] == [(4, "HB-2"), (5, "HB-3")]
    assert rejects[0]["errors"][0]["field"] == "declared_value"
    assert rejects[1]["errors"][0]["field"] == "declared_at"
    engine = build_engine(db_url)
    with session_scope(engine) as s:
        hb1 = s.scalar(select(Shipment).where(Shipment.reference == "HB-1"))
        assert [i.description for i in hb1.items] == ["bicycle parts", "BMK glycidate"]
        assert hb1.score >= 45
    engine.dispose()


def test_unknown_csv_columns_and_agencies_are_one_clear_line(db_url: str, tmp_path: Path) -> None:
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    path = tmp_path / "x.csv"
    path.write_text("reference,colour\nA,red\n")
    r = run("shipments", "import", str(path), "--agency", "US-CBP", env=env)
    assert r.returncode == 2 and "unknown CSV columns: colour" in r.stderr
    r = run("shipments", "import", str(path), "--agency", "XX-NONE", env=env)
    assert r.returncode == 2 and "agency 'XX-NONE' does not exist" in r.stderr


@pytest.mark.slow
def test_a_killed_import_keeps_committed_batches_and_resumes(db_url: str, tmp_path: Path) -> None:
    """Kill -9 after the first batches commit; nothing committed is lost, the rerun completes
    the file and no shipment is stored twice."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("WATCHFLOOR_")},
        "WATCHFLOOR_DATABASE_URL": db_url,
    }
    data = tmp_path / "big.jsonl"
    n = 6000
    assert (
        run(
            "demo",
            "shipments",
            "--n",
            str(n),
            "--seed",
            "4",
            "--out",
            str(data),
            "--agency",
            "US-CBP",
            env={"WATCHFLOOR_DATABASE_URL": db_url},
        ).returncode
        == 0
    )
    before = count(db_url)
    proc = subprocess.Popen(
        [WATCHFLOOR, "shipments", "import", str(data), "--agency", "US-CBP", "--batch", "200"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.time() + 60
    while count(db_url) - before < 400 and time.time() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stored = count(db_url) - before
    assert 400 <= stored < n, stored
    assert stored % 200 == 0  # whole batches only
    r = run(
        "shipments",
        "import",
        str(data),
        "--agency",
        "US-CBP",
        "--json",
        env={"WATCHFLOOR_DATABASE_URL": db_url},
    )
    report = json.loads(r.stdout)
    # a batch whose commit reached SQLite's write-ahead log just as the kill came is seen
    # by the next writer, which recovers the log, and may not be by a reader before it:
    # the import's own count is the one that decides
    assert report["unchanged"] in (stored, stored + 200), (report, stored)
    assert report["unchanged"] % 200 == 0 and report["created"] == n - report["unchanged"]
    assert count(db_url) - before == n
    engine = build_engine(db_url)
    with session_scope(engine) as s:
        dupes = s.execute(
            select(Shipment.reference)
            .group_by(Shipment.owner_agency_id, Shipment.reference)
            .having(func.count() > 1)
        ).all()
        orphans = s.scalar(
            select(func.count())
            .select_from(ShipmentItem)
            .where(~ShipmentItem.shipment_id.in_(select(Shipment.id)))
        )
    engine.dispose()
    assert dupes == [] and orphans == 0

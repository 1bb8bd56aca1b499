"""`watchfloor listings import` as an operator runs it: JSON Lines and CSV, a rejects file,
and a second run that changes nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import orjson
from sqlalchemy import func, select

from tests.cli.test_cli import run
from tests.listings.test_api import listing
from watchfloor.db import build_engine, session_scope
from watchfloor.listings.models import Listing


def stored(url: str) -> dict[str, bool]:
    engine = build_engine(url)
    try:
        with session_scope(engine) as s:
            return {x.external_id: x.is_drug_sale for x in s.scalars(select(Listing))}
    finally:
        engine.dispose()


def test_jsonl_import_with_rejects_then_again_unchanged(db_url: str, tmp_path: Path) -> None:
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    path = tmp_path / "listings.jsonl"
    lines = [
        orjson.dumps(listing("J1")),
        b"{not json",
        orjson.dumps(listing("J2", title="Replica Rolex Submariner watch", body="Swiss")),
        orjson.dumps(listing("J3", ships_from="QQ")),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    r = run("listings", "import", str(path), "--agency", "PLATFORM-EXAMPLE", "--json", env=env)
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert (report["created"], report["rejected"]) == (2, 2)
    assert stored(db_url) == {"J1": True, "J2": False}
    rejects = [json.loads(x) for x in Path(report["rejects_file"]).read_text().splitlines()]
    assert [(x["line"], x["errors"][0]["field"]) for x in rejects] == [
        (2, "line"),
        (4, "ships_from"),
    ]
    assert rejects[1]["record"]["external_id"] == "J3"
    again = run("listings", "import", str(path), "--agency", "PLATFORM-EXAMPLE", "--json", env=env)
    assert json.loads(again.stdout)["unchanged"] == 2


def test_csv_import_and_unknown_columns(db_url: str, tmp_path: Path) -> None:
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    path = tmp_path / "listings.csv"
    with open(path, "w", newline="") as fh:
        csv.writer(fh).writerows(
            [
                ["platform", "external_id", "title", "body", "price", "ships_to", "image_hashes"],
                ["Forum", "C1", "Xanax 2mg x 100", "pharma", "120", "US CA", "a1b2c3d4e5f60718"],
                ["Forum", "C2", "", "no title", "abc", "", ""],
            ]
        )
    r = run("listings", "import", str(path), "--agency", "US-CBP", env=env)
    assert r.returncode == 0, r.stderr
    assert "1 created" in r.stdout and "1 rejected" in r.stdout
    assert "line 3" in r.stdout and "title" in r.stdout and "price" in r.stdout
    engine = build_engine(db_url)
    with session_scope(engine) as s:
        x = s.scalars(select(Listing).where(Listing.external_id == "C1")).one()
        assert (x.substance_class, x.ships_to, x.price) == ("benzodiazepine", "US CA", 120.0)
        assert s.scalar(select(func.count()).select_from(Listing)) == 1
    engine.dispose()
    bad = tmp_path / "bad.csv"
    bad.write_text("platform,external_id,title,colour\n")
    r = run("listings", "import", str(bad), "--agency", "US-CBP", env=env)
    assert r.returncode != 0 and "unknown CSV columns: colour" in (r.stdout + r.stderr)

"""`watchfloor listings import` as an operator runs it: JSON Lines and CSV, a rejects file,
and a second run that changes nothing."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import orjson
from sqlalchemy import func, select

from tests.helpers import listing, run
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


def _stored_rows(url: str) -> list[tuple]:
    engine = build_engine(url)
    try:
        with session_scope(engine) as s:
            rows = s.scalars(select(Listing).order_by(Listing.external_id)).all()
            return [
                (
                    x.external_id,
                    x.title,
                    x.is_drug_sale,
                    x.substance_class,
                    x.probability,
                    x.terms,
                    sorted((g.kind, g.value) for g in x.signals),
                )
                for x in rows
            ]
    finally:
        engine.dispose()


def test_parallel_import_stores_what_a_serial_one_does(make_db, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """Other processes preparing batches (and this one, while they start) change nothing of
    what is stored or reported: same rows, classifications, signals and rejects, even with
    repeated texts (answered from memory) and a key repeated in a later batch."""
    from watchfloor.listings.files import import_listings
    from watchfloor.security.service import get_agency, system_principal

    texts = [
        ("5g MDMA crystals 84% pure", "Champagne rocks. Telegram: @rocketman_nl"),
        ("Replica Rolex Submariner watch", "Swiss movement, ships from <b>HK</b>"),
        ("Xanax 2mg x 100", "pharma grade, call +31 20 794 7800"),
        ("100 blotters LSD 200ug", "bitcoin only 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"),
    ]
    lines = []
    for i in range(150):
        title, body = texts[i % len(texts)]
        lines.append(orjson.dumps(listing(f"P{i:03d}", title=title, body=body)))
        if i == 40:
            lines.append(b"{not json")
        if i == 70:
            lines.append(orjson.dumps(listing("P010", title="Cocaine 1g", body="fishscale")))
        if i == 90:
            lines.append(orjson.dumps(listing(f"Q{i}", ships_from="QQ")))
    path = tmp_path / "crawl.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    reports, stored_by = [], []
    for parallel in (False, True):
        url = make_db("demo")
        engine = build_engine(url)
        with session_scope(engine) as s:
            principal = system_principal(get_agency(s, "PLATFORM-EXAMPLE"))
        report = import_listings(
            engine,
            principal,
            path,
            batch_size=20,
            parallel=parallel,
            rejects=tmp_path / f"rejects-{parallel}.jsonl",
        )
        engine.dispose()
        reports.append(report)
        stored_by.append(_stored_rows(url))
    serial, parallel_report = reports
    counts = ("records", "created", "updated", "unchanged", "rejected", "batches")
    assert [getattr(serial, c) for c in counts] == [getattr(parallel_report, c) for c in counts]
    assert (serial.created, serial.updated, serial.rejected) == (150, 1, 2)
    assert stored_by[0] == stored_by[1]
    p010 = next(r for r in stored_by[1] if r[0] == "P010")
    assert (p010[1], p010[3]) == ("Cocaine 1g", "cocaine")
    assert {r[0]: r[3] for r in stored_by[1]}["P003"] == "psychedelic"
    rejects = [(tmp_path / f"rejects-{p}.jsonl").read_text() for p in (False, True)]
    assert rejects[0] == rejects[1]
    assert [json.loads(x)["line"] for x in rejects[1].splitlines()] == [42, 94]

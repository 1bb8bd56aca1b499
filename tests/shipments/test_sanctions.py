"""The OFAC SDN legacy CSV triple: remarks taken apart, aliases and addresses kept, loads
idempotent."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import run, shared_data
from watchfloor.db import session_scope
from watchfloor.reference.sanctions import (
    SanctionsEntry,
    SanctionsName,
    parse_remarks,
    parse_sdn,
)

SHIPPED = Path(str(resources.files("watchfloor.reference").joinpath("data", "sanctions")))


def test_remarks_are_taken_apart() -> None:
    r = parse_remarks(
        "DOB 27 Jun 1956; alt. DOB 1958; POB Amalfi, Antioquia, Colombia; "
        "Cedula No. 21446537 (Colombia); Passport 21446537 (Colombia); a.k.a. 'LA NEGRA'; "
        "nationality Mexico; Gender Female; Website www.example.com; "
        "Linked To: FUNDACION PARA LA PAZ DE CORDOBA."
    )
    assert r.dates_of_birth == ["1956-06-27", "1958"]
    assert r.places_of_birth == ["Amalfi, Antioquia, Colombia"]
    assert r.identifiers == [
        {"kind": "Cedula", "value": "21446537", "country": "CO"},
        {"kind": "Passport", "value": "21446537", "country": "CO"},
    ]
    assert r.aliases == [("aka", "LA NEGRA")]
    assert r.nationalities == ["MX"] and r.gender == "female"
    assert r.websites == ["www.example.com"]
    assert r.linked_to == ["FUNDACION PARA LA PAZ DE CORDOBA"]
    assert parse_remarks("-0- ").identifiers == []


def test_shipped_subset_is_the_narcotics_programmes() -> None:
    entries = parse_sdn(SHIPPED)
    assert len(entries) == 1957
    assert all({"SDNT", "SDNTK", "ILLICIT-DRUGS-EO14059"} & set(e.programs) for e in entries)
    amezcua = next(e for e in entries if e.ent_num == 6703)
    assert amezcua.name == "AMEZCUA CONTRERAS, Jose de Jesus"
    assert "1964-07-31" in amezcua.details.dates_of_birth


def test_full_snapshot_parses_with_aliases_and_addresses() -> None:
    folder = shared_data("ofac-sdn", "snapshot-2022-01")
    entries = parse_sdn(folder)
    assert len(entries) == 9043
    assert sum(len(e.addresses) for e in entries) > 10_000
    assert sum(len(e.names) - 1 for e in entries) > 10_000


def test_load_sanctions_command_is_idempotent(db_url: str, engine) -> None:  # type: ignore[no-untyped-def]
    env = {"WATCHFLOOR_DATABASE_URL": db_url}
    r = run("reference", "load-sanctions", env=env)  # the demo loaded it already
    assert r.returncode == 0 and "already loaded (1957 entries)" in r.stdout
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(SanctionsEntry)) == 1957
        assert s.scalar(select(func.count()).select_from(SanctionsName)) > 1957
    r = run("reference", "load-sanctions", "/nonexistent", env=env)
    assert r.returncode == 2 and "lacks sdn.csv" in r.stderr


@pytest.mark.parametrize("folder", ["history"])
def test_history_files_have_no_alias_files(folder: str) -> None:
    path = shared_data("ofac-sdn", folder)
    assert (path / "sdn_2024-05-03.csv").is_file()

"""Load the catalogue shipped in ``reference/data`` into the database, idempotently."""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.db import utcnow
from watchfloor.reference.models import (
    HsCode,
    ReferenceLoad,
    ReferenceSource,
    Substance,
    SubstanceName,
)

DATA_FILES = ("substances.csv", "names.csv", "hs2022.csv", "sources.csv")
SUBSTANCE_FIELDS = (
    "name",
    "kind",
    "drug_class",
    "cas",
    "hs2022",
    "un_1961",
    "un_1971",
    "un_1988_table",
    "un_1988_year",
    "dea_schedule",
    "dea_code",
    "dea_narcotic",
    "used_for",
    "unverified",
    "note",
    "sources",
)


def fold(text: str) -> str:
    """Lower-case ASCII: accents are taken off their letters; other non-ASCII characters
    (ß, ø, CJK) are dropped."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()


def normalize_name(text: str) -> str:
    """Fold case, accents, spacing and punctuation.

    >>> normalize_name("4-ANPP") == normalize_name("4 anpp") == "4anpp"
    True
    """
    return re.sub(r"[^a-z0-9]+", "", fold(text))


def _data_text(name: str) -> str:
    return resources.files("watchfloor.reference").joinpath("data", name).read_text("utf-8")


def catalogue_rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(_data_text(name).splitlines()))


def catalogue_checksum() -> str:
    digest = hashlib.sha256()
    for name in DATA_FILES:
        digest.update(_data_text(name).encode("utf-8"))
    return digest.hexdigest()


@dataclass(frozen=True)
class LoadReport:
    loaded: bool
    substances: int
    names: int
    hs_codes: int
    checksum: str


Progress = Callable[[str, int, int], None]


def load_catalogue(
    session: Session, *, actor: str = "cli", progress: Progress | None = None
) -> LoadReport:
    """Bring the database's catalogue to the shipped one; a repeated load changes nothing."""
    checksum = catalogue_checksum()
    last = session.scalar(select(ReferenceLoad).order_by(ReferenceLoad.id.desc()).limit(1))
    if last is not None and last.checksum == checksum:
        return LoadReport(False, last.substances, last.names, last.hs_codes, checksum)

    def step(label: str, done: int, total: int) -> None:
        if progress:
            progress(label, done, total)

    for src in catalogue_rows("sources.csv"):
        session.merge(ReferenceSource(id=src["id"], description=src["description"]))

    substances = catalogue_rows("substances.csv")
    existing = {s.key: s for s in session.scalars(select(Substance))}
    for i, row in enumerate(substances, 1):
        values: dict[str, Any] = {f: (row[f] or None) for f in SUBSTANCE_FIELDS}
        values["sources"] = row["sources"]
        sub = existing.get(row["key"])
        if sub is None:
            sub = Substance(key=row["key"], **values)
            session.add(sub)
            existing[row["key"]] = sub
        else:
            for field, value in values.items():
                setattr(sub, field, value)
        if i % 100 == 0 or i == len(substances):
            step("substances", i, len(substances))
    session.flush()

    ids = {key: sub.id for key, sub in existing.items()}
    session.execute(delete(SubstanceName))
    name_rows = [
        {
            "substance_id": ids[r["key"]],
            "name": r["name"],
            "normalized": normalize_name(r["name"]),
            "name_kind": r["name_kind"],
            "source": r["source"],
        }
        for r in catalogue_rows("names.csv")
    ]
    # the canonical name is searchable like any other name
    name_rows += [
        {
            "substance_id": ids[r["key"]],
            "name": r["name"],
            "normalized": normalize_name(r["name"]),
            "name_kind": "name",
            "source": r["sources"].split(":", 1)[0].split(" | ")[0],
        }
        for r in substances
    ]
    session.execute(insert(SubstanceName), name_rows)
    step("names", len(name_rows), len(name_rows))

    hs_rows = catalogue_rows("hs2022.csv")
    session.execute(delete(HsCode))
    session.execute(
        insert(HsCode),
        [
            {
                "code": r["hscode"],
                "level": int(r["level"]),
                "parent": None if r["parent"] == "TOTAL" else r["parent"],
                "section": r["section"],
                "description": r["description"],
            }
            for r in hs_rows
        ],
    )
    step("HS 2022 codes", len(hs_rows), len(hs_rows))

    report = LoadReport(True, len(substances), len(name_rows), len(hs_rows), checksum)
    session.add(
        ReferenceLoad(
            checksum=checksum,
            loaded_at=utcnow().isoformat(),
            substances=report.substances,
            names=report.names,
            hs_codes=report.hs_codes,
        )
    )
    audit.record(
        session,
        actor=actor,
        action="reference.load",
        object_type="catalogue",
        object_id=checksum[:12],
        detail={
            "substances": report.substances,
            "names": report.names,
            "hs_codes": report.hs_codes,
        },
    )
    return report

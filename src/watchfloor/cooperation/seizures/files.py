"""Seizure and incident files: JSON Lines (one record per line, as the API takes it) or CSV.

Seizure CSV columns (the header names them; order is free, unknown columns are an error):

    reference, seized_on, country, place, substance, quantity, unit, mode, origin_country,
    route, concealment, shipment_reference, period, events, source, notes, parties,
    tlp, recipients, communities, originator_control, legal_basis, expires_at, agency

Incident CSV columns: one row per chemical; consecutive rows with the same reference are one
incident (its other cells are read from the first):

    reference, kind, occurred_on, country, place, description, substance, quantity, unit,
    mode, origin_country, destination_country, route, shipment_reference, source, parties,
    tlp, recipients, communities, originator_control, legal_basis, expires_at, agency

Lists (route, recipients, communities) are separated by spaces, commas or ';'; ``parties``
is a JSON array of ``{role, name, country, ...}``; ``originator_control`` is true or false.
``agency``, when given, must be the importing agency. Empty cells are absent values.
"""

from __future__ import annotations

import contextlib
import io
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from watchfloor.batches import BatchResult, FieldError, RowResult
from watchfloor.bulk import (
    ImportReport,
    Record,
    RejectsFile,
    batches_of,
    csv_records,
    detect_format,
    open_data,
    parse_rows,
    read_jsonl,
    spoiled,
)
from watchfloor.cooperation import intake
from watchfloor.db import session_factory
from watchfloor.security import Principal

SHARING_COLUMNS = (
    "tlp", "recipients", "communities", "originator_control", "legal_basis", "expires_at",
)  # fmt: skip
SEIZURE_COLUMNS = (
    "reference", "seized_on", "country", "place", "substance", "quantity", "unit", "mode",
    "origin_country", "route", "concealment", "shipment_reference", "period", "events",
    "source", "notes", "parties", *SHARING_COLUMNS, "agency",
)  # fmt: skip
INCIDENT_COLUMNS = (
    "reference", "kind", "occurred_on", "country", "place", "description", "substance",
    "quantity", "unit", "mode", "origin_country", "destination_country", "route",
    "shipment_reference", "source", "parties", *SHARING_COLUMNS, "agency",
)  # fmt: skip
_LISTS = ("route", "recipients", "communities")
_CHEMICAL = ("substance", "quantity", "unit")


def _cells(row: dict[str, str | None]) -> dict[str, Any]:
    """A CSV row as a record: lists split, numbers and flags read, sharing nested. A cell
    that does not parse is passed on as text, for validation to name the field."""
    cells: dict[str, Any] = {
        k: v.strip() for k, v in row.items() if k and v is not None and v.strip() != ""
    }
    for name in _LISTS:
        if name in cells:
            cells[name] = [c for c in re.split(r"[\s,;]+", cells[name]) if c]
    for name, kind in (("quantity", float), ("events", int)):
        if name in cells:
            with contextlib.suppress(ValueError):
                cells[name] = kind(cells[name])
    if "parties" in cells:
        with contextlib.suppress(orjson.JSONDecodeError):
            cells["parties"] = orjson.loads(cells["parties"])
    if "originator_control" in cells:
        flag = cells["originator_control"].lower()
        if flag in ("true", "yes", "1", "false", "no", "0"):
            cells["originator_control"] = flag in ("true", "yes", "1")
    sharing = {k: cells.pop(k) for k in SHARING_COLUMNS if k in cells}
    if sharing:
        cells["sharing"] = sharing
    return cells


def read_seizures_csv(fh: io.BufferedReader) -> Iterator[Record]:
    reader = csv_records(fh, SEIZURE_COLUMNS, "seizure")
    start = reader.line_num + 1
    for row in reader:
        bad = spoiled(row)
        yield Record(start, bad if bad is not None else _cells(row))
        start = reader.line_num + 1


def read_incidents_csv(fh: io.BufferedReader) -> Iterator[Record]:
    """Incidents from rows of chemicals: a new reference starts a new incident."""
    reader = csv_records(fh, INCIDENT_COLUMNS, "incident")
    current: Record | None = None
    start = reader.line_num + 1
    for row in reader:
        if (bad := spoiled(row)) is not None:
            if current is not None:
                yield current
                current = None
            yield Record(start, bad)
            start = reader.line_num + 1
            continue
        cells = _cells(row)
        chemical = {k: cells.pop(k) for k in _CHEMICAL if k in cells}
        if current is not None and cells.get("reference") == current.data.get("reference"):
            current.data["chemicals"].append(chemical)
        else:
            if current is not None:
                yield current
            current = Record(start, {**cells, "chemicals": [chemical]})
        start = reader.line_num + 1
    if current is not None:
        yield current


def _own_rows(principal: Principal, rows: list[Any]) -> tuple[list[Any], dict[int, RowResult]]:
    """Drop the ``agency`` cell of each row; a row of another agency is rejected."""
    out: list[Any] = []
    refused: dict[int, RowResult] = {}
    for i, row in enumerate(rows):
        if isinstance(row, dict) and "agency" in row:
            row = dict(row)
            agency = str(row.pop("agency")).strip().upper()
            if agency != principal.agency_code:
                reason = f"you import for {principal.agency_code}, not {agency}"
                refused[i] = RowResult(
                    index=i,
                    reference=row.get("reference")
                    if isinstance(row.get("reference"), str)
                    else None,
                    status="rejected",
                    errors=[FieldError(field="agency", reason=reason)],
                )
        out.append(row)
    return out, refused


def import_records(
    engine: Engine,
    principal: Principal,
    path: Path,
    kind: intake.Kind = intake.SEIZURES,
    *,
    fmt: str | None = None,
    batch_size: int = 2000,
    rejects: Path | None = None,
    source: str = "file",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a seizure or incident file (``.gz`` too) in committed batches; rejected
    records go to a JSON Lines rejects file with their line and reasons. Running it again
    changes nothing."""
    started = time.perf_counter()
    report = ImportReport()
    total = path.stat().st_size
    writer = RejectsFile(rejects or path.with_name(path.name + ".rejects.jsonl"), report)
    fmt = fmt or detect_format(path)
    make = session_factory(engine)
    reader = read_seizures_csv if kind is intake.SEIZURES else read_incidents_csv
    with open_data(path) as (fh, position):
        records = read_jsonl(fh) if fmt == "jsonl" else reader(fh)
        for batch in batches_of(records, batch_size, report):
            rows, errors, parsed = parse_rows([r.data for r in batch])
            rows, refused = _own_rows(principal, rows)
            for i, reason in errors.items():
                refused[i] = RowResult(
                    index=i, status="rejected", errors=[FieldError(field="line", reason=reason)]
                )
            keep = [i for i in range(len(rows)) if i not in refused]
            with make() as session:
                stored = intake.submit(
                    session, principal, [rows[i] for i in keep], kind, source=source
                )
                session.commit()
            results = dict(refused)
            for i, r in zip(keep, stored.results, strict=True):
                results[i] = r.model_copy(update={"index": i})
            ordered = [results[i] for i in range(len(rows))]
            accepted = sum(1 for r in ordered if r.status != "rejected")
            result = BatchResult(accepted=accepted, rejected=len(rows) - accepted, results=ordered)
            writer.write(batch, result, parsed)
            if progress:
                progress(position(), total)
    writer.close()
    report.seconds = time.perf_counter() - started
    return report

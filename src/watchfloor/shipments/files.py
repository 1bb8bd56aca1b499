"""Shipment files: JSON Lines with nested items, or CSV with one row per item.

CSV columns (the header row names them; order is free, unknown columns are an error):

    reference, agency, mode, declared_at, arrival_at, origin_country, transit_countries
    (separated by spaces, commas or ';'), destination_country, office, carrier,
    sender_name, sender_address, sender_country, sender_phone, sender_email,
    consignee_name, consignee_address, consignee_country, consignee_phone, consignee_email,
    declared_value, currency, gross_weight_kg,
    item_description, item_hs_code, item_quantity, item_unit, item_value, item_net_weight_kg

Consecutive rows with the same reference are the items of one shipment; its shipment-level
columns are read from the first of them. Empty cells are absent values.

:func:`import_file` reads a file in batches, submits each batch in its own transaction and
writes the rejected records, each with its line and reasons, to a JSON Lines rejects file
after the batch commits: when the process dies, every committed batch stays, and running
the import again skips what is already stored (same content, same reference).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.engine import Engine

from watchfloor.errors import FieldProblem, Invalid
from watchfloor.security.service import Principal
from watchfloor.shipments.schemas import BatchResult

SHIPMENT_COLUMNS = (
    "reference", "agency", "mode", "declared_at", "arrival_at", "origin_country",
    "transit_countries", "destination_country", "office", "carrier", "declared_value",
    "currency", "gross_weight_kg",
)  # fmt: skip
PARTY_FIELDS = ("name", "address", "country", "phone", "email")
ITEM_FIELDS = ("description", "hs_code", "quantity", "unit", "value", "net_weight_kg")
CSV_COLUMNS = (
    SHIPMENT_COLUMNS
    + tuple(f"sender_{f}" for f in PARTY_FIELDS)
    + tuple(f"consignee_{f}" for f in PARTY_FIELDS)
    + tuple(f"item_{f}" for f in ITEM_FIELDS)
)
NUMBERS = {"declared_value", "gross_weight_kg", "quantity", "value", "net_weight_kg"}


@dataclass
class Record:
    line: int  # first line of the record in the file (1-based; the CSV header is line 1)
    data: Any  # the parsed record, or None when the line could not be parsed
    error: str | None = None


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise Invalid(
        f"{path.name}: unknown file type {suffix!r}; use .jsonl or .csv (or --format)",
        [FieldProblem("file", "unknown format")],
    )


def read_jsonl(fh: io.BufferedReader) -> Iterator[Record]:
    for line_no, line in enumerate(fh, start=1):
        if not line.strip():
            continue
        try:
            yield Record(line_no, orjson.loads(line))
        except orjson.JSONDecodeError as exc:
            yield Record(line_no, None, f"not valid JSON: {exc}")


def _number(value: str) -> Any:
    try:
        return float(value)
    except ValueError:
        return value  # validation names the field and says it is not a number


def _csv_row(row: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    cells = {k: v.strip() for k, v in row.items() if k and v is not None and v.strip() != ""}
    shipment: dict[str, Any] = {}
    for col in SHIPMENT_COLUMNS:
        if col in cells:
            shipment[col] = _number(cells[col]) if col in NUMBERS else cells[col]
    for role in ("sender", "consignee"):
        party = {f: cells[f"{role}_{f}"] for f in PARTY_FIELDS if f"{role}_{f}" in cells}
        if party:
            shipment[role] = party
    item = {
        f: (_number(cells[f"item_{f}"]) if f in NUMBERS else cells[f"item_{f}"])
        for f in ITEM_FIELDS
        if f"item_{f}" in cells
    }
    return shipment, item


def read_csv(fh: io.BufferedReader) -> Iterator[Record]:
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    unknown = [c for c in reader.fieldnames or [] if c not in CSV_COLUMNS]
    if unknown:
        raise Invalid(
            f"unknown CSV columns: {', '.join(unknown)}",
            [FieldProblem(c, "not a shipment column") for c in unknown],
        )
    current: dict[str, Any] | None = None
    start = 0
    for row in reader:
        line = reader.line_num
        shipment, item = _csv_row(row)
        ref = shipment.get("reference")
        if current is not None and ref is not None and ref == current.get("reference"):
            current["items"].append(item)
            continue
        if current is not None:
            yield Record(start, current)
        current = {**shipment, "items": [item] if item else []}
        start = line
    if current is not None:
        yield Record(start, current)


@dataclass
class ImportReport:
    records: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0
    rejected: int = 0
    batches: int = 0
    rejects_file: str | None = None
    alerts: int = 0
    seconds: float = 0.0
    examples: list[dict[str, Any]] = field(default_factory=list)

    def add(self, result: BatchResult) -> None:
        for r in result.results:
            setattr(self, r.status, getattr(self, r.status) + 1)


def import_file(
    engine: Engine,
    principal: Principal,
    path: Path,
    *,
    fmt: str | None = None,
    batch_size: int = 5000,
    rejects: Path | None = None,
    source: str = "file",
    progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a shipments file in committed batches; see the module docstring."""
    import time

    from watchfloor.db import session_factory
    from watchfloor.shipments import intake

    started = time.perf_counter()
    report = ImportReport()
    total = path.stat().st_size
    rejects = rejects or path.with_name(path.name + ".rejects.jsonl")
    reject_fh = None
    make_session = session_factory(engine)

    def flush(batch: list[Record]) -> None:
        nonlocal reject_fh
        parsed = [r for r in batch if r.error is None]
        with make_session() as session:
            result = (
                intake.submit(session, principal, [r.data for r in parsed], source=source)
                if parsed
                else BatchResult(accepted=0, rejected=0, results=[])
            )
            session.commit()
        report.batches += 1
        report.add(result)
        bad = [
            {
                "line": parsed[r.index].line,
                "reference": r.reference,
                "errors": [e.model_dump() for e in r.errors],
                "record": parsed[r.index].data,
            }
            for r in result.results
            if r.status == "rejected"
        ]
        bad += [
            {"line": r.line, "reference": None, "errors": [{"field": "line", "reason": r.error}]}
            for r in batch
            if r.error is not None
        ]
        report.rejected += sum(1 for r in batch if r.error is not None)
        if bad:
            if reject_fh is None:
                reject_fh = open(rejects, "wb")  # noqa: SIM115 - kept open across batches
                report.rejects_file = str(rejects)
            for entry in sorted(bad, key=lambda e: e["line"]):
                reject_fh.write(orjson.dumps(entry) + b"\n")
                if len(report.examples) < 5:
                    report.examples.append(entry)
            reject_fh.flush()

    batch: list[Record] = []
    fmt = fmt or detect_format(path)
    with open(path, "rb") as fh:
        records = read_jsonl(fh) if fmt == "jsonl" else read_csv(fh)  # type: ignore[arg-type]
        for record in records:
            batch.append(record)
            report.records += 1
            if len(batch) >= batch_size:
                flush(batch)
                batch = []
                if progress:
                    progress(fh.tell(), total)
        if batch:
            flush(batch)
    if progress:
        progress(total, total)
    if reject_fh is not None:
        reject_fh.close()
    report.seconds = time.perf_counter() - started
    return report

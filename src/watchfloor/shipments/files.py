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

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from watchfloor.bulk import (
    ImportReport,
    Record,
    RejectsFile,
    batches_of,
    csv_records,
    detect_format,
    open_data,
    parse_rows,
    pipeline,
    read_jsonl,
    spoiled,
)
from watchfloor.security import Principal
from watchfloor.throughput import batch_collection, batch_gc, tune_for_batches

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
    reader = csv_records(fh, CSV_COLUMNS, "shipment")
    current: dict[str, Any] | None = None
    start = 0
    for row in reader:
        line = reader.line_num
        if (bad := spoiled(row)) is not None:
            if current is not None:
                yield Record(start, current)
                current = None
            yield Record(line, bad)
            continue
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


PARALLEL_MIN_BATCHES = 3  # smaller files are not worth starting a second process for


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
    parallel: bool | None = None,
    workers: int = 2,
) -> ImportReport:
    """Import a shipments file in committed batches; see the module docstring.

    With ``parallel`` (the default for files of three batches or more) ``workers`` other
    processes validate and score the next batches while this one stores the current one:
    the stores stay in file order, in this process's transactions, so what is committed is
    the same as without them. Validation and scoring cost about twice what storing does,
    hence two workers by default.
    """
    import time

    started = time.perf_counter()
    report = ImportReport()
    total = path.stat().st_size
    rejects = rejects or path.with_name(path.name + ".rejects.jsonl")
    writer = RejectsFile(rejects, report)
    fmt = fmt or detect_format(path)
    if parallel is None:
        parallel = total > PARALLEL_MIN_BATCHES * batch_size * 400  # ~400 bytes a shipment
    with open_data(path) as (fh, position), batch_gc():
        records = read_jsonl(fh) if fmt == "jsonl" else read_csv(fh)
        batches = batches_of(records, batch_size, report)
        tick = (lambda: progress(position(), total)) if progress else (lambda: None)
        if parallel:
            _import_parallel(engine, principal, batches, writer, report, source, tick, workers)
        else:
            _import_serial(engine, principal, batches, writer, report, source, tick)
    if progress:
        progress(total, total)
    writer.close()
    report.seconds = time.perf_counter() - started
    return report


def prepare_records(
    session: Any, principal: Principal, raws: list[Any], source: str = "file"
) -> tuple[Any, dict[int, Any]]:
    """Parse, validate and score one batch (no writes); lines that are not JSON are rejected
    as such."""
    from watchfloor.batches import FieldError, RowResult
    from watchfloor.shipments import intake

    rows, errors, parsed = parse_rows(raws)
    batch = intake.prepare(session, principal, rows, source=source)
    for i, reason in errors.items():
        batch.results[i] = RowResult(
            index=i, status="rejected", errors=[FieldError(field="line", reason=reason)]
        )
    return batch, {i: v for i, v in parsed.items() if batch.results.get(i) is not None}


def _import_serial(engine, principal, batches, writer, report, source, tick) -> None:
    from watchfloor.db import session_factory
    from watchfloor.shipments import intake

    make = session_factory(engine)
    for batch in batches:
        with batch_collection(), make() as session:
            prepared, parsed = prepare_records(session, principal, [r.data for r in batch], source)
            result = intake.store(session, principal, prepared, source=source)
            session.commit()
        writer.write(batch, result, parsed)
        tick()


_worker: dict[str, Any] = {}


def _worker_init(url: str, principal: Principal, source: str) -> None:
    from watchfloor.db import build_engine

    tune_for_batches()
    _worker["engine"] = build_engine(url)
    _worker["principal"] = principal
    _worker["source"] = source


def _worker_prepare(raws: list[Any]) -> tuple[Any, dict[int, Any]]:
    from watchfloor.db import session_factory

    with batch_collection(), session_factory(_worker["engine"])() as session:
        return prepare_records(session, _worker["principal"], raws, _worker["source"])


def _import_parallel(engine, principal, batches, writer, report, source, tick, workers) -> None:
    from watchfloor.db import session_factory
    from watchfloor.shipments import intake

    make = session_factory(engine)

    def store(batch: list[Record], prepared_parsed: Any) -> None:
        prepared, parsed = prepared_parsed
        # no batch_collection() here: this process holds the prepared batches waiting to be
        # stored, and one collection a batch walked them all (slower than the thresholds)
        with make() as session:
            try:
                result = intake.store(session, principal, prepared, source=source)
            except intake.Stale:
                session.rollback()  # changed by someone else meanwhile: do it again here
                prepared, parsed = prepare_records(
                    session, principal, [r.data for r in batch], source
                )
                result = intake.store(session, principal, prepared, source=source)
            session.commit()
        writer.write(batch, result, parsed)
        tick()

    url = engine.url.render_as_string(hide_password=False)
    pipeline(
        batches,
        workers=workers,
        initializer=_worker_init,
        initargs=(url, principal, source),
        work=_worker_prepare,
        store=store,
    )

"""Listing files: JSON Lines (one listing per line, as the API takes it) or CSV.

CSV columns (the header names them; order is free, unknown columns are an error):

    platform, external_id, url, title, body, price, currency, seller, ships_from,
    ships_to (codes separated by spaces, commas or ';'), observed_at,
    image_hashes (separated by spaces), agency

Empty cells are absent values. :func:`import_listings` submits the file in batches, each in
its own transaction, and writes rejected records with their line and reasons to a JSON
Lines rejects file; running it again skips what is already stored.
"""

from __future__ import annotations

import contextlib
import io
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from watchfloor.batches import FieldError, RowResult
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
from watchfloor.db import session_factory
from watchfloor.listings import intake, labels
from watchfloor.listings.classifier import ListingModel
from watchfloor.security import Principal
from watchfloor.throughput import batch_collection, batch_gc, tune_for_batches

CSV_COLUMNS = (
    "platform", "external_id", "url", "title", "body", "price", "currency", "seller",
    "ships_from", "ships_to", "observed_at", "image_hashes", "agency",
)  # fmt: skip


def read_csv(fh: io.BufferedReader) -> Iterator[Record]:
    reader = csv_records(fh, CSV_COLUMNS, "listing")
    start = reader.line_num + 1
    for row in reader:
        if (bad := spoiled(row)) is not None:
            yield Record(start, bad)
            start = reader.line_num + 1
            continue
        cells: dict[str, Any] = {
            k: v.strip() for k, v in row.items() if k and v is not None and v.strip() != ""
        }
        if "price" in cells:
            with contextlib.suppress(ValueError):  # validation names the field
                cells["price"] = float(cells["price"])
        if "image_hashes" in cells:
            cells["image_hashes"] = cells["image_hashes"].split()
        yield Record(start, cells)
        start = reader.line_num + 1


PARALLEL_MIN_BATCHES = 3  # smaller files are not worth starting other processes for


def import_listings(
    engine: Engine,
    principal: Principal,
    path: Path,
    *,
    fmt: str | None = None,
    batch_size: int = 2000,
    rejects: Path | None = None,
    source: str = "file",
    progress: Callable[[int, int], None] | None = None,
    parallel: bool | None = None,
    workers: int = 1,
) -> ImportReport:
    """Import a listings file in committed batches. With ``parallel`` (the default for files
    of three batches or more) ``workers`` other processes clean, classify and search the
    next batches for signals while this one stores the current one (and prepares batches
    itself until they have started).

    One worker by default: what was classified is remembered by content, and a crawl
    repeats most of its listings, so preparing a batch takes less than storing it; a
    second worker would only take a core from the store and the database."""
    started = time.perf_counter()
    report = ImportReport()
    total = path.stat().st_size
    writer = RejectsFile(rejects or path.with_name(path.name + ".rejects.jsonl"), report)
    fmt = fmt or detect_format(path)
    if parallel is None:
        parallel = total > PARALLEL_MIN_BATCHES * batch_size * 600  # ~600 bytes a listing
    make = session_factory(engine)
    with make() as session:  # the agency's own classifier, if it has one
        model = labels.model_for(session, principal.agency_id)
    blob = model.dumps() if model is not None else None
    with open_data(path) as (fh, position), batch_gc():
        records = read_jsonl(fh) if fmt == "jsonl" else read_csv(fh)

        def store(batch: list[Record], work: tuple[intake.Prepared, dict[int, Any]]) -> None:
            prepared, parsed = work
            with make() as session:  # not batch_collection(): see shipments.files
                result = intake.store(session, principal, prepared, model=model)
                session.commit()
            rejected = {i for i, r in enumerate(result.results) if r.status == "rejected"}
            writer.write(batch, result, {i: v for i, v in parsed.items() if i in rejected})
            if progress:
                progress(position(), total)

        batches = batches_of(records, batch_size, report)
        if parallel:
            pipeline(
                batches,
                workers=workers,
                initializer=_worker_init,
                initargs=(principal, source, blob),
                work=_worker_prepare,
                store=store,
                local=lambda raws: prepare_records(principal, raws, source, model),
            )
        else:
            for batch in batches:
                store(batch, prepare_records(principal, [r.data for r in batch], source, model))
    writer.close()
    report.seconds = time.perf_counter() - started
    return report


def prepare_records(
    principal: Principal, raws: list[Any], source: str, model: ListingModel | None = None
) -> tuple[intake.Prepared, dict[int, Any]]:
    """Parse and prepare one batch (no database); lines that are not JSON are rejected."""
    rows, errors, parsed = parse_rows(raws)
    with batch_collection():
        prepared = intake.prepare(principal, rows, source=source, model=model)
    for i, reason in errors.items():
        prepared.results[i] = RowResult(
            index=i, status="rejected", errors=[FieldError(field="line", reason=reason)]
        )
    return prepared, parsed


_worker: dict[str, Any] = {}


def _worker_init(principal: Principal, source: str, blob: bytes | None) -> None:
    from watchfloor.listings.classifier import shipped_model
    from watchfloor.reference import SubstanceMatcher

    tune_for_batches()
    model = ListingModel.loads(blob) if blob is not None else shipped_model()
    _worker.update(principal=principal, source=source, model=model)
    model.vectorise("warm up")  # load the model now
    SubstanceMatcher.shipped()


def _worker_prepare(raws: list[Any]) -> tuple[intake.Prepared, dict[int, Any]]:
    return prepare_records(_worker["principal"], raws, _worker["source"], _worker["model"])

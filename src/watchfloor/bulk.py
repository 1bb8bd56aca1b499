"""Bulk files, shared by every import (shipments, listings): JSON Lines read line by line,
records gathered into batches, the import report, and the rejects file (JSON Lines: the
record's line, its reasons, the record), written after each batch commits."""

from __future__ import annotations

import csv
import gzip
import io
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from watchfloor.batches import BatchResult
from watchfloor.errors import FieldProblem, Invalid
from watchfloor.inputs import json_loads


@dataclass
class Record:
    line: int  # first line of the record in the file (1-based; the CSV header is line 1)
    data: Any  # a CSV record as a dict, or a JSON line as bytes (parsed by parse_rows)


def detect_format(path: Path) -> str:
    """jsonl or csv, from the file's name (``.gz`` files by the name inside)."""
    suffix = path.suffix.lower()
    if suffix == ".gz":
        suffix = path.with_suffix("").suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".txt"):
        return "csv"
    raise Invalid(
        f"{path.name}: unknown file type {suffix!r}; use .jsonl or .csv (or --format)",
        [FieldProblem("file", "unknown format")],
    )


@contextmanager
def open_data(path: Path) -> Iterator[tuple[Any, Callable[[], int]]]:
    """The file's bytes (gunzipped for ``.gz``) and how far into the file on disk reading
    has come, for a progress bar against its size."""
    with open(path, "rb") as raw:
        if path.suffix.lower() != ".gz":
            yield raw, raw.tell
            return
        with gzip.GzipFile(fileobj=raw) as fh:
            yield fh, raw.tell


def csv_records(
    fh: io.BufferedReader, columns: tuple[str, ...], noun: str
) -> tuple[io.TextIOWrapper, csv.DictReader[str]]:
    """A CSV file's text and its reader, once its header names only known ``columns``;
    detach the text when done, so that the caller's binary file stays open (a progress
    bar reads its position)."""
    text = io.TextIOWrapper(fh, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text)
    unknown = [c for c in reader.fieldnames or [] if c not in columns]
    if unknown:
        raise Invalid(
            f"unknown CSV columns: {', '.join(unknown)}",
            [FieldProblem(c, f"not a {noun} column") for c in unknown],
        )
    return text, reader


def read_jsonl(fh: io.BufferedReader) -> Iterator[Record]:
    """Records of a JSON Lines file, each line left as bytes for the validating process to
    parse (:func:`parse_rows`)."""
    for line_no, line in enumerate(fh, start=1):
        if line.strip():
            yield Record(line_no, line)


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


def batches_of(
    records: Iterator[Record], size: int, report: ImportReport
) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        report.records += 1
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


class RejectsFile:
    """The rejects file: opened on the first rejected record, written after each commit."""

    def __init__(self, path: Path, report: ImportReport) -> None:
        self.path, self.report = path, report
        self.fh: BinaryIO | None = None

    def write(self, batch: list[Record], result: BatchResult, parsed: dict[int, Any]) -> None:
        report = self.report
        report.batches += 1
        report.add(result)
        bad = []
        for r in result.results:
            if r.status != "rejected":
                continue
            record = batch[r.index]
            bad.append(
                {
                    "line": record.line,
                    "reference": r.reference,
                    "errors": [e.model_dump() for e in r.errors],
                    "record": parsed.get(r.index, _data(record)),
                }
            )
        if not bad:
            return
        if self.fh is None:
            self.fh = open(self.path, "wb")  # noqa: SIM115 - kept open across batches
            report.rejects_file = str(self.path)
        for entry in sorted(bad, key=lambda e: e["line"]):
            self.fh.write(orjson.dumps(entry) + b"\n")
            if len(report.examples) < 5:
                report.examples.append(entry)
        self.fh.flush()

    def close(self) -> None:
        if self.fh is not None:
            self.fh.close()


def _data(record: Record) -> Any:
    return None if isinstance(record.data, bytes) else record.data


def parse_rows(raws: list[Any]) -> tuple[list[Any], dict[int, str], dict[int, Any]]:
    """Rows for validation from records (raw JSON lines are parsed here), the lines that are
    not JSON, and the parsed records (kept for the rejects file)."""
    rows: list[Any] = []
    errors: dict[int, str] = {}
    parsed: dict[int, Any] = {}
    for i, raw in enumerate(raws):
        if isinstance(raw, bytes):
            try:
                raw = json_loads(raw)
            except orjson.JSONDecodeError as exc:
                errors[i] = f"not valid JSON: {exc}"
                raw = None
            parsed[i] = raw
        rows.append(raw)
    return rows, errors, parsed


def _worker_start(parent: int, initializer: Callable[..., None], *initargs: Any) -> None:
    """A worker's start: watch the importing process, then run ``initializer``. A worker
    whose parent was killed (kill -9, an out-of-memory kill) exits within a second instead
    of waiting forever on a queue nobody reads."""
    import os
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()
    initializer(*initargs)


class _Feeder:
    """The batches of a :func:`pipeline` in file order, each sent to its worker or, with
    ``local``, done here while the workers start."""

    def __init__(
        self,
        batches: Iterable[list[Record]],
        pools: list[Any],
        work: Callable[[list[Any]], Any],
        local: Callable[[list[Any]], Any] | None,
    ) -> None:
        self.source = iter(batches)
        self.pools, self.work, self.local = pools, work, local
        # batches in file order, each with its worker's future or, done here, its result
        self.pending: deque[tuple[list[Record], Future[Any] | None, Any]] = deque()
        self.ahead = len(pools) + 1  # batches at the workers: one each in hand, one queued
        self.most = 2 * len(pools) + 4  # batches prepared and not yet stored, at most
        # with ``local``, the first batch is done here once the workers have theirs (so
        # that they start meanwhile)
        self.first = next(self.source, None) if local is not None else None
        self.sent = 0
        self.answered = False  # whether the workers have started (one returned a batch)
        self.exhausted = False

    def take(self) -> list[Record] | None:
        batch = None if self.exhausted else next(self.source, None)
        if batch is None and not self.exhausted:
            self.exhausted = True
            for pool in self.pools:  # nothing more to send: workers exit when done
                pool.shutdown(wait=False)
        return batch

    def _here(self, batch: list[Record]) -> tuple[list[Record], None, Any]:
        assert self.local is not None
        return batch, None, self.local([r.data for r in batch])

    def _fill(self) -> None:
        while sum(1 for _, f, _ in self.pending if f is not None) < self.ahead:
            batch = self.take()
            if batch is None:
                break
            pool = self.pools[self.sent % len(self.pools)]
            self.pending.append((batch, pool.submit(self.work, [r.data for r in batch]), None))
            self.sent += 1
        if self.first is not None:
            self.pending.appendleft(self._here(self.first))
            self.first = None

    def next_ready(self) -> tuple[list[Record], Any] | None:
        """The next batch in file order with its prepared result (waiting for it), or None
        when every batch was handed out."""
        while True:
            self._fill()
            if not self.pending:
                return None
            batch, future, result = self.pending[0]
            if future is not None and not self.answered:
                self.answered = future.done()
                if not self.answered and self.local is not None and len(self.pending) < self.most:
                    extra = self.take()
                    if extra is not None:
                        self.pending.append(self._here(extra))
                        continue
            self.pending.popleft()
            return batch, future.result() if future is not None else result


def pipeline(
    batches: Iterable[list[Record]],
    *,
    workers: int,
    initializer: Callable[..., None],
    initargs: tuple[Any, ...],
    work: Callable[[list[Any]], Any],
    store: Callable[[list[Record], Any], None],
    local: Callable[[list[Any]], Any] | None = None,
) -> None:
    """``work`` (validation, scoring, classification) runs on the next batches in
    ``workers`` other processes while this one calls ``store`` on the current one, in file
    order, so what is committed is the same as without them.

    Each worker is a single-process pool and, without ``local``, batch k always goes to
    worker k mod n: a worker that learns as it goes (the shipment scorer's peers) then sees
    the same batches in every run, and results do not depend on timing.

    ``local`` is the same work done in this process, for work whose result does not depend
    on which process does it: this process does the first batch itself, and the next ones
    as long as no worker has returned a batch yet (starting one takes longer than a batch),
    instead of waiting. Once they run it only stores: a batch prepared here would hold up
    the store, which then sets the pace.
    """
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    pools = [
        ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_start,
            initargs=(os.getpid(), initializer, *initargs),
        )
        for _ in range(workers)
    ]
    feeder = _Feeder(batches, pools, work, local)
    try:
        while (ready := feeder.next_ready()) is not None:
            store(*ready)
    finally:
        # without waiting for the processes' exit (half a second of freeing memory); they
        # end on their own, or with this process (see _worker_start)
        for pool in pools:
            pool.shutdown(wait=False, cancel_futures=True)

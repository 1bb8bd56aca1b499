"""Bulk files, shared by every import (shipments, listings, seizures, incidents): JSON Lines
and CSV read line by line, plain or gzipped, records gathered into batches, the import
report, and the rejects file (JSON Lines: the record's line, its reasons, the record),
written after each batch commits.

Input that breaks things spoils only what it touches, and memory stays bounded: a line
longer than :data:`MAX_LINE` bytes, a CSV row with bytes that are not UTF-8, and the place
where gzip data is cut off or corrupt become rejected records naming their line (the good
records around them are kept); gzip data that inflates more than :data:`MAX_RATIO` times its
size (past :data:`MIN_INFLATED`) is a decompression bomb, and reading stops there with a
rejected record that says so."""

from __future__ import annotations

import csv
import io
import zlib
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

MAX_LINE = 8 * 1024 * 1024  # bytes of one line (a record); the API takes 1 MB a record
MAX_RATIO = 200  # gzip inflating more than this many times its size is a bomb...
MIN_INFLATED = 256 * 1024 * 1024  # ...once past this many bytes
_READ_ERRORS = (EOFError, OSError, zlib.error)  # a Bomb is an OSError


@dataclass
class Record:
    line: int  # first line of the record in the file (1-based; the CSV header is line 1)
    data: Any  # a CSV record as a dict, or a JSON line as bytes (parsed by parse_rows)


@dataclass(frozen=True)
class Spoiled:
    """A record that could not be read (see the module's docstring): rejected as is."""

    reason: str


class Bomb(OSError):
    """Gzip data that inflates too far (an OSError, so that reading stops as at any broken
    gzip stream)."""


class _Gunzip(io.RawIOBase):
    """Gzip data inflated as it is read, chunk by chunk, with a cap on what it inflates to.
    Unlike ``gzip.GzipFile`` it hands over everything it could inflate before the data ends
    early or turns corrupt, then raises (``EOFError``, ``zlib.error``); concatenated members
    are read one after another."""

    def __init__(self, raw: Any, cap: int) -> None:
        self.raw, self.cap, self.inflated = raw, cap, 0
        self._z = zlib.decompressobj(31)  # gzip framing
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            if self._z.unconsumed_tail:
                chunk = self._z.unconsumed_tail
            elif self._z.eof and self._z.unused_data:  # the next member
                chunk, self._z = self._z.unused_data, zlib.decompressobj(31)
            else:
                chunk = self.raw.read(1 << 16)
                if not chunk:
                    if not self._z.eof:
                        raise EOFError("gzip data ended before its end marker")
                    return 0
            self._pending = self._z.decompress(chunk, 1 << 16)
            self.inflated += len(self._pending)
            if self.inflated > self.cap:
                raise Bomb(
                    f"the gzip data inflates to more than {self.cap:,} bytes ({MAX_RATIO} "
                    "times its size): refused as a decompression bomb"
                )
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


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
    """The file's bytes (gunzipped, with a cap, for ``.gz`` or data that starts like gzip)
    and how far into the file on disk reading has come, for a progress bar against its
    size."""
    with open(path, "rb") as raw:
        if path.suffix.lower() != ".gz" and raw.peek(2)[:2] != b"\x1f\x8b":
            yield raw, raw.tell
            return
        cap = max(MIN_INFLATED, MAX_RATIO * path.stat().st_size)
        yield io.BufferedReader(_Gunzip(raw, cap), 1 << 16), raw.tell


SPOILED = "\x00spoiled"  # the key of a CSV row that could not be read (its reason)


def csv_records(fh: Any, columns: tuple[str, ...], noun: str) -> CsvRows:
    """A CSV file's rows, once its header names only known ``columns``."""
    rows = CsvRows(fh)
    unknown = [c for c in rows.fieldnames if c not in columns]
    if unknown:
        raise Invalid(
            f"unknown CSV columns: {', '.join(unknown)}",
            [FieldProblem(c, f"not a {noun} column") for c in unknown],
        )
    return rows


class CsvRows:
    """The rows of a CSV file as dicts (``csv.DictReader``), read through :func:`lines`: a
    row that a spoiled line touches (too long, not UTF-8, or where the gzip data breaks)
    comes as ``{SPOILED: reason}``; ``line_num`` is the last line read."""

    def __init__(self, fh: Any) -> None:
        self._spoiled: dict[int, str] = {}
        self._reader = csv.DictReader(self._text(fh))
        self.fieldnames = [f for f in self._reader.fieldnames or [] if f]

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def _text(self, fh: Any) -> Iterator[str]:
        for n, line in lines(fh):
            if isinstance(line, Spoiled):
                self._spoiled[n] = line.reason
                yield SPOILED + "\n"  # a row of its own, unless inside a quoted field
                continue
            try:
                yield line.decode("utf-8-sig" if n == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                self._spoiled[n] = f"line {n} is not UTF-8 (byte {exc.start + 1}: {exc.reason})"
                yield SPOILED + "\n"

    def __iter__(self) -> Iterator[dict[str, Any]]:
        last = self._reader.line_num
        while True:
            try:
                row = next(self._reader)
            except StopIteration:
                break
            except csv.Error as exc:  # a field over the csv module's limit, a stray NUL
                last = self._reader.line_num
                yield {SPOILED: f"line {last}: {exc}"}
                continue
            n = self._reader.line_num
            bad = [self._spoiled.pop(k) for k in range(last + 1, n + 1) if k in self._spoiled]
            last = n
            yield {SPOILED: "; ".join(bad)} if bad else row
        for reason in self._spoiled.values():  # after the last row: where gzip broke
            yield {SPOILED: reason}


def spoiled(row: dict[str, Any]) -> Spoiled | None:
    """The :class:`Spoiled` record of a CSV row that could not be read, else None."""
    return Spoiled(row[SPOILED]) if SPOILED in row else None


def lines(fh: Any) -> Iterator[tuple[int, bytes | Spoiled]]:
    """The lines of a file as bytes, numbered from 1: a line longer than :data:`MAX_LINE`
    is skipped (without holding it) as :class:`Spoiled`, and a read that fails (gzip data
    cut off, corrupt, or a bomb) ends the lines with a :class:`Spoiled` one."""
    line_no = 0
    try:
        while True:
            line = fh.readline(MAX_LINE + 1)
            if not line:
                return
            line_no += 1
            if len(line) > MAX_LINE and not line.endswith(b"\n"):
                while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                yield line_no, Spoiled(f"line {line_no} is longer than {MAX_LINE:,} bytes")
                continue
            yield line_no, line
    except _READ_ERRORS as exc:
        yield line_no + 1, Spoiled(f"unreadable from line {line_no + 1} on: {_read_error(exc)}")


def _read_error(exc: BaseException) -> str:
    if isinstance(exc, Bomb):
        return str(exc)
    if isinstance(exc, EOFError):
        return "the gzip data is cut off (the rest of the file is lost)"
    return f"the gzip data is corrupt ({exc})"


def read_jsonl(fh: io.BufferedReader) -> Iterator[Record]:
    """Records of a JSON Lines file, each line left as bytes for the validating process to
    parse (:func:`parse_rows`)."""
    for line_no, line in lines(fh):
        if isinstance(line, Spoiled) or line.strip():
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
    return None if isinstance(record.data, bytes | Spoiled) else record.data


def parse_rows(raws: list[Any]) -> tuple[list[Any], dict[int, str], dict[int, Any]]:
    """Rows for validation from records (raw JSON lines are parsed here), the lines that are
    not JSON, and the parsed records (kept for the rejects file)."""
    rows: list[Any] = []
    errors: dict[int, str] = {}
    parsed: dict[int, Any] = {}
    for i, raw in enumerate(raws):
        if isinstance(raw, Spoiled):
            errors[i] = raw.reason
            parsed[i] = None
            raw = None
        elif isinstance(raw, bytes):
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

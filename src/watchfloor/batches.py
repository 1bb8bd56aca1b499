"""Batch submissions, shared by every intake (shipments, listings, seizures, incidents,
watchlist entries, federation): the keyed upsert they all are, the per-row results, pydantic
errors as field paths, and the event a committed batch announces. No web framework here:
reading a request body and answering with a status are :mod:`watchfloor.http`'s.

Every intake is the same algorithm. Rows are validated (the bad ones get a result naming
field and reason); the valid rows are looked up by their natural key; a row whose content
digest equals the stored one is ``unchanged``, a new key is ``created``, another digest is
``updated``; each kind says how it inserts and updates (:class:`Keyed`), :func:`upsert`
does the rest, and :class:`Results` reports every row in the order it was sent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, Protocol, TypeVar

import orjson
from pydantic import BaseModel, ValidationError

from watchfloor.audit import Acting
from watchfloor.db import utcnow
from watchfloor.errors import field_path
from watchfloor.inputs import nul_field

MAX_BATCH = 10_000
CHUNK = 500  # keys per IN (...) lookup: far below every backend's limit on parameters
R = TypeVar("R")  # a valid row of a batch, as the kind prepared it
E = TypeVar("E")  # what is stored under a key, as the kind looked it up
T = TypeVar("T")


class FieldError(BaseModel):
    field: str
    reason: str


class RowResult(BaseModel):
    """What happened to one submitted record (``reference``: its natural key)."""

    index: int
    reference: str | None = None
    status: Literal["created", "updated", "unchanged", "superseded", "rejected"]
    id: int | None = None
    score: int | None = None
    errors: list[FieldError] = []  # a plain default: model_construct is slow with a factory


def record_json(raw: Any) -> bytes:
    """A submitted record's JSON form with sorted keys (key order does not matter)."""
    return orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)


def json_form(raw: Any) -> bytes | None:
    """:func:`record_json`, made once per submitted record for its digest and its NUL
    check; None when the record holds what JSON cannot (validation then says what)."""
    try:
        return record_json(raw)
    except TypeError:
        return None


def nul_errors(raw: Any, dumped: bytes | None) -> list[FieldError]:
    """The rejection of a record some text of which holds U+0000, naming the field
    (``dumped``: its :func:`json_form`); empty when none does."""
    where = nul_field(raw, dumped)
    if where is None:
        return []
    return [FieldError(field=where, reason="contains a NUL character (U+0000)")]


def content_digest(raw: Any, dumped: bytes | None = None) -> str:
    """Digest of a submitted record (``dumped``: its :func:`record_json`, if already made):
    the same record sent again is recognised without comparing columns."""
    return hashlib.sha256(record_json(raw) if dumped is None else dumped).hexdigest()


_ACCEPTED_FIELDS = frozenset({"index", "reference", "status", "id", "score"})
_set = object.__setattr__


def accepted_row(
    index: int, reference: str | None, status: str, id: int | None = None, score: int | None = None
) -> RowResult:
    """The result of a row that passed validation, built as pydantic's ``model_construct``
    would but without its per-field default handling: an intake makes one per row, and
    this takes a fifth of the time (values are trusted: they come from stored rows)."""
    row = RowResult.__new__(RowResult)
    _set(
        row,
        "__dict__",
        {
            "index": index,
            "reference": reference,
            "status": status,
            "id": id,
            "score": score,
            "errors": [],
        },
    )
    _set(row, "__pydantic_fields_set__", set(_ACCEPTED_FIELDS))
    _set(row, "__pydantic_extra__", None)
    _set(row, "__pydantic_private__", None)
    return row


class BatchResult(BaseModel):
    accepted: int
    rejected: int
    results: list[RowResult]


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """``items`` in slices of ``size``, for lookups by many keys."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Results:
    """The per-row results of one batch by row index, reported in the order sent."""

    __slots__ = ("rows", "by_index")

    def __init__(self, rows: int, known: Mapping[int, RowResult] | None = None) -> None:
        self.rows = rows
        self.by_index: dict[int, RowResult] = dict(known or {})

    def accept(
        self,
        index: int,
        reference: str | None,
        status: str,
        id: int | None = None,
        score: int | None = None,
    ) -> None:
        self.by_index[index] = accepted_row(index, reference, status, id, score)

    def batch(self) -> BatchResult:
        ordered = [self.by_index[i] for i in range(self.rows)]
        accepted = sum(1 for r in ordered if r.status != "rejected")
        return BatchResult(accepted=accepted, rejected=self.rows - accepted, results=ordered)


class Keyed(Protocol[R, E]):
    """A kind of record as :func:`upsert` stores it: how a row's natural key and content
    are read, how stored records are found by key, and how rows are written."""

    def key(self, row: R) -> Hashable:
        """The row's natural key (a reference, or platform and external id...)."""
        ...

    def same(self, row: R, old: E) -> bool:
        """Whether the stored record already holds the row's content."""
        ...

    def existing(self, session: Any, keys: list[Hashable]) -> Mapping[Hashable, E]:
        """What is stored under the keys that are (absent keys left out)."""
        ...

    def insert(self, session: Any, rows: list[R]) -> list[int]:
        """Store new rows; their ids in the order given."""
        ...

    def update(self, session: Any, pairs: list[tuple[R, E]]) -> list[int]:
        """Write changed rows over what was stored; their ids in the order given."""
        ...


@dataclass
class Upserted(Generic[R, E]):
    """What :func:`upsert` did with each valid row."""

    created: list[tuple[R, int]] = field(default_factory=list)
    updated: list[tuple[R, int]] = field(default_factory=list)
    unchanged: list[tuple[R, E]] = field(default_factory=list)

    @property
    def stored(self) -> list[tuple[R, int]]:
        """The rows written, created first."""
        return self.created + self.updated


def upsert(session: Any, rows: Sequence[R], kind: Keyed[R, E]) -> Upserted[R, E]:
    """Store the valid rows of a batch (one per key) by their natural key in the caller's
    transaction: new keys inserted, other content written over, the same content left."""
    keys = [kind.key(r) for r in rows]
    stored = kind.existing(session, list(dict.fromkeys(keys)))
    done: Upserted[R, E] = Upserted()
    new: list[R] = []
    changed: list[tuple[R, E]] = []
    for row, key in zip(rows, keys, strict=True):
        old = stored.get(key)
        if old is None:
            new.append(row)
        elif kind.same(row, old):
            done.unchanged.append((row, old))
        else:
            changed.append((row, old))
    if new:
        done.created = list(zip(new, kind.insert(session, new), strict=True))
    if changed:
        done.updated = list(
            zip([r for r, _ in changed], kind.update(session, changed), strict=True)
        )
    return done


def error_list(exc: ValidationError, record: str = "shipment") -> list[FieldError]:
    """Pydantic's errors as field paths like ``items[1].hs_code`` with a plain reason."""
    out = []
    for err in exc.errors(include_url=False):
        path = field_path(err["loc"])
        reason = err["msg"]
        if reason.startswith("Value error, "):
            reason = reason[len("Value error, ") :]
        out.append(FieldError(field=path or record, reason=reason))
    return out


def batch_event(principal: Acting, result: BatchResult, noun: str) -> dict[str, Any]:
    """What subscribers (live queues, alert pushers) learn of a committed batch: the rows
    created or updated, under ``noun`` (shipments, listings)."""
    return {
        "agency": principal.agency_code,
        "at": utcnow().isoformat(),
        "accepted": result.accepted,
        "rejected": result.rejected,
        noun: [
            {"id": r.id, "reference": r.reference, "status": r.status, "score": r.score}
            for r in result.results
            if r.status in ("created", "updated")
        ],
    }

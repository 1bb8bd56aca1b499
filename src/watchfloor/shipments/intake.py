"""Intake of advance data: one validation, one store-and-score path, for the API, files and
the stream.

A batch is one transaction: every valid row is stored and scored, every invalid row is
reported with its index, field and reason, and nothing of the batch is visible until it
commits. The reference is the idempotency key: a row whose content is the same as what is
stored changes nothing ("unchanged"), a changed one replaces it and is scored again
("updated"). Within one batch the last row with a reference wins; earlier ones are
"superseded".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import String, any_, bindparam, delete, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.alerts import service as alerts
from watchfloor.batches import (
    BatchResult,
    FieldError,
    Results,
    RowResult,
    Upserted,
    accepted_row,
    chunks,
    content_digest,
    error_list,
    json_form,
    nul_errors,
    upsert,
)
from watchfloor.cooperation.watchlists import screening as watchlists
from watchfloor.db import RowWriter, allocate_ids, inserted_ids, unique_violation, utcnow
from watchfloor.errors import Conflict, Forbidden
from watchfloor.security import Agency, Office, Principal, require_role
from watchfloor.shipments.models import RiskAssessment, Shipment, ShipmentItem
from watchfloor.shipments.schemas import ShipmentIn
from watchfloor.shipments.scoring import Assessment, Config, Scorer, record_config, scorer_for

CHUNK = 500  # references per IN (...) lookup


@dataclass
class _Row:
    index: int
    data: ShipmentIn
    digest: str
    office: Office | None


def _offices(session: Session, agency_id: int) -> tuple[dict[str, Office], Office | None]:
    offices = list(
        session.scalars(select(Office).where(Office.agency_id == agency_id).order_by(Office.id))
    )
    return {o.code.upper(): o for o in offices}, (offices[0] if offices else None)


def validate_rows(
    rows: Sequence[Any], principal: Principal, offices: dict[str, Office], default: Office | None
) -> tuple[list[_Row], dict[int, RowResult]]:
    """Split rows into valid ones and per-row rejections."""
    valid: list[_Row] = []
    rejected: dict[int, RowResult] = {}
    for index, raw in enumerate(rows):
        reference = raw.get("reference") if isinstance(raw, dict) else None
        reference = reference if isinstance(reference, str) else None
        if not isinstance(raw, dict):
            errors = [FieldError(field="shipment", reason="must be a JSON object")]
            rejected[index] = RowResult(index=index, status="rejected", errors=errors)
            continue
        dumped = json_form(raw)  # one serialisation: the digest and the NUL check
        errors = nul_errors(raw, dumped)
        if errors:
            rejected[index] = RowResult(
                index=index, reference=reference, status="rejected", errors=errors
            )
            continue
        try:
            data = ShipmentIn.model_validate(raw)
        except ValidationError as exc:
            rejected[index] = RowResult(
                index=index, reference=reference, status="rejected", errors=error_list(exc)
            )
            continue
        errors = []
        if data.agency and data.agency.upper() != principal.agency_code:
            errors.append(
                FieldError(
                    field="agency",
                    reason=f"you submit for {principal.agency_code}, not {data.agency}",
                )
            )
        office = default
        if data.office:
            office = offices.get(data.office.upper())
            if office is None:
                known = ", ".join(sorted(offices)) or "none"
                errors.append(
                    FieldError(
                        field="office",
                        reason=f"unknown office {data.office!r} of {principal.agency_code} "
                        f"(known: {known})",
                    )
                )
        if errors:
            rejected[index] = RowResult(
                index=index, reference=data.reference, status="rejected", errors=errors
            )
            continue
        valid.append(_Row(index, data, content_digest(raw, dumped), office))
    return valid, rejected


def _among(session: Session, column: Any, values: list[str]) -> Any:
    """``column IN values``; on PostgreSQL one array parameter (``= ANY``), which is planned
    once and probed through the unique index instead of a 500-way OR."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(String)))
    return column.in_(values)


_SHIPMENT_COLUMNS = (
    "mode",
    "declared_at",
    "arrival_at",
    "arrival_on",
    "origin_country",
    "transit_countries",
    "destination_country",
    "office_id",
    "carrier",
    "sender_name",
    "sender_address",
    "sender_country",
    "sender_phone",
    "sender_email",
    "consignee_name",
    "consignee_address",
    "consignee_country",
    "consignee_phone",
    "consignee_email",
    "declared_value",
    "currency",
    "gross_weight_kg",
    "item_count",
    "score",
    "probability",
    "reasons",
)  # fmt: skip  (the order of _values)


def _values(data: ShipmentIn, office: Office | None, a: Assessment, reasons: str) -> list[Any]:
    """The shipment's values of ``_SHIPMENT_COLUMNS``, in their order."""
    arrival = data.arrival_at or data.declared_at
    sender, consignee = data.sender, data.consignee
    return [
        data.mode,
        data.declared_at,
        data.arrival_at,
        arrival.astimezone(dt.UTC).date(),
        data.origin_country,
        " ".join(data.transit_countries),
        data.destination_country,
        office.id if office else None,
        data.carrier,
        sender.name,
        sender.address or None,
        sender.country,
        sender.phone,
        sender.email,
        consignee.name,
        consignee.address or None,
        consignee.country,
        consignee.phone,
        consignee.email,
        data.declared_value,
        data.currency,
        data.gross_weight_kg,
        len(data.items),
        a.score,
        a.probability,
        reasons,
    ]


ITEM_COLUMNS = ["line", "description", "hs_code", "quantity", "unit", "value", "net_weight_kg"]
ASSESSMENT_COLUMNS = ["score", "probability", "config_version", "model_version", "reasons"]
SHIPMENT_EXTRA = [
    "owner_agency_id", "reference", "content_hash", "received_at", "updated_at", "status",
    "source",
]  # fmt: skip


def _items(data: ShipmentIn) -> list[tuple[Any, ...]]:
    return [
        (line, i.description, i.hs_code, i.quantity, i.unit, i.value, i.net_weight_kg)
        for line, i in enumerate(data.items, start=1)
    ]


Stored = tuple[int, str, int]  # a stored shipment's id, content digest and score


class Writers:
    """Row layouts of the three tables an intake writes, for one dialect."""

    def __init__(self, dialect: Any) -> None:
        self.dialect = dialect
        shipment_cols = list(_SHIPMENT_COLUMNS) + SHIPMENT_EXTRA
        self.shipment = RowWriter(Shipment.__table__, shipment_cols, dialect)  # type: ignore[arg-type]
        # the same row behind an id drawn beforehand (see db.allocate_ids)
        self.keyed_shipment = RowWriter(Shipment.__table__, ["id", *shipment_cols], dialect)  # type: ignore[arg-type]
        # items and assessments are laid out without their first column, the shipment's
        # id, and stored behind it
        self.item = RowWriter(ShipmentItem.__table__, ITEM_COLUMNS, dialect)  # type: ignore[arg-type]
        self.keyed_item = RowWriter(
            ShipmentItem.__table__,  # type: ignore[arg-type]
            ["shipment_id", *ITEM_COLUMNS],
            dialect,
        )
        self.assessment = RowWriter(
            RiskAssessment.__table__,  # type: ignore[arg-type]
            ["scored_at", *ASSESSMENT_COLUMNS],
            dialect,
        )
        self.keyed_assessment = RowWriter(
            RiskAssessment.__table__,  # type: ignore[arg-type]
            ["shipment_id", "scored_at", *ASSESSMENT_COLUMNS],
            dialect,
        )


class Stale(Conflict):
    """A row was prepared for a state of the database that changed before it was stored
    (another submission stored the same reference meanwhile): send the batch again."""


class Prepared(NamedTuple):
    """A valid row, scored and laid out for the driver, waiting to be stored.

    ``row`` is the shipments row ready for a bulk insert (None when the shipment existed at
    preparation: then ``columns`` holds the values for an update). Item and assessment rows
    lack only their first value, the shipment id. A named tuple, not a dataclass: a batch
    crosses from the preparing process to the storing one, where a tuple is rebuilt in
    about 1.0 us against a dataclass's 1.6.
    """

    index: int  # type: ignore[assignment]  # shadows tuple.index, never called on a row
    reference: str
    digest: str
    row: tuple[Any, ...] | None
    columns: dict[str, Any] | None
    items: list[tuple[Any, ...]]
    assessment: tuple[Any, ...]
    score: int
    alert_threshold: int
    office_id: int | None
    top_reason: str
    unchanged: bool = False


@dataclass
class PreparedBatch:
    """A batch after validation and scoring: picklable, so another process may prepare it."""

    rows: int
    results: dict[int, RowResult]  # the rejected and superseded rows
    prepared: list[Prepared]
    config: Config
    model_version: str | None
    dialect: str
    # reference -> (id, digest, score) of the stored shipments, as prepare() read them
    existing: dict[str, Stored] = field(default_factory=dict)


def _agency(session: Session, principal: Principal) -> Agency:
    require_role(principal, "officer")
    agency = session.get(Agency, principal.agency_id)
    if agency is None or agency.kind == "platform":
        raise Forbidden("only customs, postal and law-enforcement agencies submit shipments")
    return agency


def _existing(session: Session, agency_id: int, refs: list[str]) -> dict[str, Stored]:
    """reference -> (id, content digest, score) of the agency's stored shipments."""
    found: dict[str, Stored] = {}
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start : start + CHUNK]
        for sid, ref, digest, score in session.execute(
            select(Shipment.id, Shipment.reference, Shipment.content_hash, Shipment.score).where(
                Shipment.owner_agency_id == agency_id, _among(session, Shipment.reference, chunk)
            )
        ):
            found[ref] = (sid, digest, score)
    return found


def ids_by_reference(session: Session, agency_id: int, refs: Sequence[str]) -> dict[str, int]:
    """The ids of the agency's shipments among ``refs`` (others' are never found)."""
    return {ref: v[0] for ref, v in _existing(session, agency_id, sorted(set(refs))).items()}


_writers: dict[str, Writers] = {}


def writers(dialect: Any) -> Writers:
    w = _writers.get(dialect.name)
    if w is None:
        w = _writers[dialect.name] = Writers(dialect)
    return w


def prepare(
    session: Session,
    principal: Principal,
    rows: Sequence[Any],
    *,
    scorer: Scorer | None = None,
    source: str = "api",
) -> PreparedBatch:
    """Validate and score a batch and lay it out for the driver, without writing anything.

    Rows whose stored content is already the same are not scored (nothing would change).
    :func:`store` checks again and raises :class:`Stale` when the database moved meanwhile.
    """
    agency = _agency(session, principal)
    offices, default = _offices(session, agency.id)
    valid, results = validate_rows(rows, principal, offices, default)
    last = {r.data.reference: r.index for r in valid}
    batch = []
    for r in valid:
        if last[r.data.reference] != r.index:
            results[r.index] = accepted_row(r.index, r.data.reference, "superseded")
        else:
            batch.append(r)
    existing = _existing(session, agency.id, [r.data.reference for r in batch])
    digest_of = {r.data.reference: r.digest for r in batch}
    same = {ref for ref, (_, digest, _) in existing.items() if digest == digest_of[ref]}
    to_score = [r for r in batch if r.data.reference not in same]
    scorer = scorer or scorer_for(session, agency)
    with scorer.lock:
        assessments = scorer.score_many([r.data for r in to_score])
    threshold = scorer.config["alerts"]["default_threshold"]
    w = writers(session.get_bind().dialect)
    now = utcnow()
    prepared = []
    for r, a in zip(to_score, assessments, strict=True):
        reasons = a.reasons_json()
        values = _values(r.data, r.office, a, reasons)
        is_new = r.data.reference not in existing
        prepared.append(
            Prepared(
                index=r.index,
                reference=r.data.reference,
                digest=r.digest,
                row=w.shipment.row(
                    [
                        *values,
                        agency.id,
                        r.data.reference,
                        r.digest,
                        now,
                        now,
                        "open",
                        source,
                    ]
                )
                if is_new
                else None,
                columns=None if is_new else dict(zip(_SHIPMENT_COLUMNS, values, strict=True)),
                items=[w.item.row(item) for item in _items(r.data)],
                assessment=w.assessment.row(
                    [now, a.score, a.probability, a.config_version, a.model_version, reasons]
                ),
                score=a.score,
                alert_threshold=r.office.alert_threshold if r.office else threshold,
                office_id=r.office.id if r.office else None,
                top_reason=a.reasons[0].text if a.reasons else "",
            )
        )
    for r in batch:
        if r.data.reference in same:  # store() reports it with the stored id and score
            prepared.append(
                Prepared(
                    r.index,
                    r.data.reference,
                    r.digest,
                    None,
                    None,
                    [],
                    (),
                    0,
                    0,
                    None,
                    "",
                    unchanged=True,
                )
            )
    return PreparedBatch(
        rows=len(rows),
        results=results,
        prepared=prepared,
        config=scorer.config,
        model_version=scorer.model.version if scorer.model else None,
        dialect=w.dialect.name,
        existing=existing,
    )


@dataclass
class _Store:
    """How :func:`watchfloor.batches.upsert` stores a prepared batch of shipments."""

    agency_id: int
    batch: PreparedBatch
    recheck: bool
    w: Writers
    source: str
    now: dt.datetime

    def key(self, p: Prepared) -> str:
        return p.reference

    def same(self, p: Prepared, old: Stored) -> bool:
        return old[1] == p.digest

    def existing(self, session: Session, keys: list[Any]) -> dict[Any, Stored]:
        """What is stored, checked against what was prepared before anything is written:
        a row prepared as unchanged, or without the columns its write now needs, is
        :class:`Stale`."""
        found = self.batch.existing
        if self.recheck:
            # what was stored at preparation is read again; what was new then is inserted
            # as new, and the unique (agency, reference) index refuses it if it no longer is
            found = _existing(session, self.agency_id, [k for k in keys if k in found])
        for p in self.batch.prepared:
            old = found.get(p.reference)
            if old is not None and old[1] == p.digest:
                continue
            if p.unchanged or (old is None and p.row is None) or (old and p.columns is None):
                raise Stale(f"{p.reference} changed after it was prepared; prepare it again")
        return found

    def insert(self, session: Session, new: list[Prepared]) -> list[int]:
        try:
            ids = _insert_new(session, self.w, self.agency_id, new)
        except IntegrityError as exc:
            if not unique_violation(exc):
                raise
            raise Stale(
                "a shipment of this batch was stored by another submission meanwhile; "
                "send the batch again"
            ) from exc
        return [ids[p.index] for p in new]

    def update(self, session: Session, pairs: list[tuple[Prepared, Stored]]) -> list[int]:
        changed_ids = [old[0] for _, old in pairs]
        session.execute(
            update(Shipment),
            [
                {
                    **p.columns,  # type: ignore[dict-item]
                    "id": sid,
                    "content_hash": p.digest,
                    "updated_at": self.now,
                    "source": self.source,
                }
                for (p, _), sid in zip(pairs, changed_ids, strict=True)
            ],
        )
        for part in chunks(changed_ids, CHUNK):
            session.execute(delete(ShipmentItem).where(ShipmentItem.shipment_id.in_(part)))
        return changed_ids


def store(
    session: Session,
    principal: Principal,
    batch: PreparedBatch,
    *,
    source: str = "api",
    recheck: bool = True,
) -> BatchResult:
    """Write a prepared batch in the caller's transaction (the caller commits).

    ``recheck=False`` trusts what :func:`prepare` read of the stored shipments: only for a
    batch prepared a moment ago in this same transaction (a concurrent writer of the same
    reference then meets the unique index either way)."""
    agency = _agency(session, principal)
    w = writers(session.get_bind().dialect)
    if w.dialect.name != batch.dialect:
        raise Stale(f"prepared for {batch.dialect}, stored into {w.dialect.name}")
    now = utcnow()
    record_config(session, batch.config)
    done = upsert(session, batch.prepared, _Store(agency.id, batch, recheck, w, source, now))
    if done.stored:
        w.keyed_item.insert(session, [(sid, *item) for p, sid in done.stored for item in p.items])
        w.keyed_assessment.insert(session, [(sid, *p.assessment) for p, sid in done.stored])
    results = Results(batch.rows, batch.results)
    for p, old in done.unchanged:
        results.accept(p.index, p.reference, "unchanged", old[0], old[2])
    for status, rows in (("created", done.created), ("updated", done.updated)):
        for p, sid in rows:
            results.accept(p.index, p.reference, status, sid, p.score)
    scored = [p for p, _ in done.stored]
    ids = {p.index: sid for p, sid in done.stored}
    raised = _raise_alerts(session, principal, scored, ids, now, {p.index for p, _ in done.created})
    if scored:
        watchlists.screen_fields(
            session, agency.id, "shipment", ((ids[p.index], _party_fields(p)) for p in scored)
        )
    result = results.batch()
    if scored or raised:
        _audit(session, principal, batch, source, done, result, raised)
    return result


def _audit(
    session: Session,
    principal: Principal,
    batch: PreparedBatch,
    source: str,
    done: Upserted[Prepared, Stored],
    result: BatchResult,
    raised: list[int],
) -> None:
    """One event for the batch: its counts, a digest of what was written, the alerts."""
    ids = [sid for _, sid in done.stored]
    audit.record_by(
        session,
        principal,
        action="shipments.intake",
        object_type="shipment_batch",
        object_id=f"{source}:{batch.rows}",
        detail={
            "source": source,
            "created": len(done.created),
            "updated": len(done.updated),
            "unchanged": result.accepted - len(ids),
            "rejected": result.rejected,
            "content_sha256": hashlib.sha256(
                "".join(p.digest for p, _ in done.stored).encode()
            ).hexdigest(),
            "first_id": min(ids) if ids else None,
            "last_id": max(ids) if ids else None,
            "alerts": raised,
            "config_version": batch.config.version,
            "model_version": batch.model_version,
        },
    )


def _insert_new(
    session: Session, w: Writers, agency_id: int, new: list[Prepared]
) -> dict[int, int]:
    """Insert the new shipments; their ids by row index."""
    fresh = allocate_ids(session, Shipment.__table__, len(new))  # type: ignore[arg-type]
    if fresh is None:
        w.shipment.insert(session, [p.row for p in new])  # type: ignore[misc]
        # no RETURNING: SQLite would then insert row by row. Its ids are consecutive
        fresh = inserted_ids(session, Shipment.__table__, len(new))  # type: ignore[arg-type]
        if fresh is None or _references(session, (fresh[0], fresh[-1])) != {
            fresh[0]: new[0].reference,
            fresh[-1]: new[-1].reference,
        }:  # not as expected: the unique (agency, reference) index tells, chunk by chunk
            stored = _existing(session, agency_id, [p.reference for p in new])
            return {p.index: stored[p.reference][0] for p in new}
    else:
        w.keyed_shipment.insert(
            session,
            [(sid, *p.row) for sid, p in zip(fresh, new, strict=True)],  # type: ignore[misc]
        )
    return {p.index: sid for p, sid in zip(new, fresh, strict=True)}


def _references(session: Session, ids: tuple[int, ...]) -> dict[int, str]:
    rows = session.execute(select(Shipment.id, Shipment.reference).where(Shipment.id.in_(ids)))
    return {sid: ref for sid, ref in rows}


_PARTY_FIELDS = tuple(
    (f, _SHIPMENT_COLUMNS.index(f))
    for f in _SHIPMENT_COLUMNS
    if f.startswith(("sender_", "consignee_")) and not f.endswith("_country")
)


def _party_fields(p: Prepared) -> dict[str, Any]:
    """The sender's and consignee's name, address, phone and e-mail, for the watchlists."""
    if p.row is not None:
        return {f: p.row[i] for f, i in _PARTY_FIELDS}
    return {f: p.columns[f] for f, _ in _PARTY_FIELDS}  # type: ignore[index]


def submit(
    session: Session,
    principal: Principal,
    rows: Sequence[Any],
    *,
    source: str = "api",
    scorer: Scorer | None = None,
) -> BatchResult:
    """Validate, score and store a batch in the caller's transaction (the caller commits)."""
    # held here, the agency stays in the session's identity map: store() needs no query
    agency = _agency(session, principal)  # noqa: F841
    batch = prepare(session, principal, rows, scorer=scorer, source=source)
    return store(session, principal, batch, source=source, recheck=False)


def _raise_alerts(
    session: Session,
    principal: Principal,
    rows: list[Prepared],
    ids: dict[int, int],
    now: dt.datetime,
    created: set[int],
) -> list[int]:
    """An alert for every shipment at or above its office's threshold, unless one is open
    (a shipment ``created`` by this batch, by row index, has none yet)."""
    due = [p for p in rows if p.score >= p.alert_threshold]
    if not due:
        return []
    open_for = alerts.open_about(
        session, "shipment", [ids[p.index] for p in due if p.index not in created]
    )
    return alerts.raise_alerts(
        session,
        [
            alerts.NewAlert(
                owner_agency_id=principal.agency_id,
                kind="shipment_risk",
                object_type="shipment",
                object_id=ids[p.index],
                office_id=p.office_id,
                title=f"{p.reference} scored {p.score}: {p.top_reason}",
                score=p.score,
            )
            for p in due
            if ids[p.index] not in open_for
        ],
        actor=principal.actor,
        agency=principal.agency_code,
        now=now,
    )

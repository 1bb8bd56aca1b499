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
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import String, any_, bindparam, delete, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.alerts.models import Alert
from watchfloor.db import bulk_insert, utcnow
from watchfloor.errors import Forbidden
from watchfloor.security.models import Agency
from watchfloor.security.service import Principal, require_role
from watchfloor.shipments.models import Office, RiskAssessment, Shipment, ShipmentItem
from watchfloor.shipments.schemas import (
    BatchResult,
    FieldError,
    RowResult,
    ShipmentIn,
    error_list,
)
from watchfloor.shipments.scoring import Assessment, Scorer, record_config, scorer_for

CHUNK = 500  # references per IN (...) lookup


@dataclass
class _Row:
    index: int
    data: ShipmentIn
    digest: str
    office: Office | None


def content_digest(raw: dict[str, Any]) -> str:
    """Digest of the submitted record (key order does not matter): the same record sent
    again is recognised without comparing columns."""
    return hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()


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
        valid.append(_Row(index, data, content_digest(raw), office))
    return valid, rejected


def _among(session: Session, column: Any, values: list[str]) -> Any:
    """``column IN values``; on PostgreSQL one array parameter (``= ANY``), which is planned
    once and probed through the unique index instead of a 500-way OR."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(String)))
    return column.in_(values)


def _columns(row: _Row, a: Assessment, now: dt.datetime, source: str) -> dict[str, Any]:
    d = row.data
    arrival = d.arrival_at or d.declared_at
    return {
        "content_hash": row.digest,
        "mode": d.mode,
        "declared_at": d.declared_at,
        "arrival_at": d.arrival_at,
        "arrival_on": arrival.astimezone(dt.UTC).date(),
        "origin_country": d.origin_country,
        "transit_countries": " ".join(d.transit_countries),
        "destination_country": d.destination_country,
        "office_id": row.office.id if row.office else None,
        "carrier": d.carrier,
        "sender_name": d.sender.name,
        "sender_address": d.sender.address,
        "sender_country": d.sender.country,
        "sender_phone": d.sender.phone,
        "sender_email": d.sender.email,
        "consignee_name": d.consignee.name,
        "consignee_address": d.consignee.address,
        "consignee_country": d.consignee.country,
        "consignee_phone": d.consignee.phone,
        "consignee_email": d.consignee.email,
        "declared_value": d.declared_value,
        "currency": d.currency,
        "gross_weight_kg": d.gross_weight_kg,
        "item_count": len(d.items),
        "score": a.score,
        "probability": a.probability,
        "reasons": a.reasons_json(),
        "updated_at": now,
        "source": source,
    }


def _items(shipment_id: int, data: ShipmentIn) -> list[dict[str, Any]]:
    return [
        {
            "shipment_id": shipment_id,
            "line": line,
            "description": item.description,
            "hs_code": item.hs_code,
            "quantity": item.quantity,
            "unit": item.unit,
            "value": item.value,
            "net_weight_kg": item.net_weight_kg,
        }
        for line, item in enumerate(data.items, start=1)
    ]


def submit(
    session: Session,
    principal: Principal,
    rows: Sequence[Any],
    *,
    source: str = "api",
    scorer: Scorer | None = None,
) -> BatchResult:
    """Validate, store and score a batch in the caller's transaction (the caller commits)."""
    require_role(principal, "officer")
    agency = session.get(Agency, principal.agency_id)
    if agency is None or agency.kind == "platform":
        raise Forbidden("only customs, postal and law-enforcement agencies submit shipments")
    offices, default = _offices(session, agency.id)
    valid, results = validate_rows(rows, principal, offices, default)

    last = {r.data.reference: r.index for r in valid}
    batch = []
    for r in valid:
        if last[r.data.reference] != r.index:
            results[r.index] = RowResult(
                index=r.index, reference=r.data.reference, status="superseded"
            )
        else:
            batch.append(r)

    existing: dict[str, tuple[int, str, int]] = {}
    refs = [r.data.reference for r in batch]
    for start in range(0, len(refs), CHUNK):
        chunk = refs[start : start + CHUNK]
        for sid, ref, digest, score in session.execute(
            select(Shipment.id, Shipment.reference, Shipment.content_hash, Shipment.score).where(
                Shipment.owner_agency_id == agency.id, _among(session, Shipment.reference, chunk)
            )
        ):
            existing[ref] = (sid, digest, score)

    new, changed = [], []
    for r in batch:
        old = existing.get(r.data.reference)
        if old is None:
            new.append(r)
        elif old[1] == r.digest:
            results[r.index] = RowResult(
                index=r.index,
                reference=r.data.reference,
                status="unchanged",
                id=old[0],
                score=old[2],
            )
        else:
            changed.append(r)

    to_score = new + changed
    scorer = scorer or scorer_for(session, agency)
    with scorer.lock:
        assessments = scorer.score_many([r.data for r in to_score])
    record_config(session, scorer.config)
    now = utcnow()

    ids: dict[int, int] = {}
    if new:
        params = []
        for r, a in zip(new, assessments[: len(new)], strict=True):
            cols = _columns(r, a, now, source)
            cols.update(
                owner_agency_id=agency.id,
                reference=r.data.reference,
                received_at=now,
                status="open",
            )
            params.append(cols)
        # no RETURNING: SQLite would then insert row by row; the unique (agency, reference)
        # index gives the ids back in one query per chunk
        bulk_insert(session, Shipment.__table__, params)
        by_ref = {r.data.reference: r.index for r in new}
        refs = list(by_ref)
        for start in range(0, len(refs), CHUNK):
            for sid, ref in session.execute(
                select(Shipment.id, Shipment.reference).where(
                    Shipment.owner_agency_id == agency.id,
                    _among(session, Shipment.reference, refs[start : start + CHUNK]),
                )
            ):
                ids[by_ref[ref]] = sid
    if changed:
        changed_ids = [existing[r.data.reference][0] for r in changed]
        params = []
        for r, a, sid in zip(changed, assessments[len(new) :], changed_ids, strict=True):
            cols = _columns(r, a, now, source)
            cols["id"] = sid
            params.append(cols)
            ids[r.index] = sid
        session.execute(update(Shipment), params)
        for start in range(0, len(changed_ids), CHUNK):
            session.execute(
                delete(ShipmentItem).where(
                    ShipmentItem.shipment_id.in_(changed_ids[start : start + CHUNK])
                )
            )
    if to_score:
        bulk_insert(
            session,
            ShipmentItem.__table__,
            [item for r in to_score for item in _items(ids[r.index], r.data)],
        )
        bulk_insert(
            session,
            RiskAssessment.__table__,
            [
                {
                    "shipment_id": ids[r.index],
                    "scored_at": now,
                    "score": a.score,
                    "probability": a.probability,
                    "config_version": a.config_version,
                    "model_version": a.model_version,
                    "reasons": a.reasons_json(),
                }
                for r, a in zip(to_score, assessments, strict=True)
            ],
        )
    created = {r.index for r in new}
    for r, a in zip(to_score, assessments, strict=True):
        results[r.index] = RowResult(
            index=r.index,
            reference=r.data.reference,
            status="created" if r.index in created else "updated",
            id=ids[r.index],
            score=a.score,
        )

    alerts = _raise_alerts(
        session,
        agency,
        to_score,
        assessments,
        ids,
        now,
        default=scorer.config["alerts"]["default_threshold"],
    )
    ordered = [results[i] for i in range(len(rows))]
    accepted = sum(1 for r in ordered if r.status != "rejected")
    if to_score or alerts:
        digest = hashlib.sha256("".join(r.digest for r in to_score).encode()).hexdigest()
        audit.record(
            session,
            actor=principal.actor,
            agency=principal.agency_code,
            action="shipments.intake",
            object_type="shipment_batch",
            object_id=f"{source}:{len(rows)}",
            detail={
                "source": source,
                "created": len(new),
                "updated": len(changed),
                "unchanged": accepted - len(to_score),
                "rejected": len(rows) - accepted,
                "content_sha256": digest,
                "first_id": min(ids.values()) if ids else None,
                "last_id": max(ids.values()) if ids else None,
                "alerts": alerts,
                "config_version": scorer.config.version,
                "model_version": scorer.model.version if scorer.model else None,
            },
        )
    return BatchResult(accepted=accepted, rejected=len(rows) - accepted, results=ordered)


def _raise_alerts(
    session: Session,
    agency: Agency,
    rows: list[_Row],
    assessments: list[Assessment],
    ids: dict[int, int],
    now: dt.datetime,
    *,
    default: int,
) -> list[int]:
    """An alert for every shipment at or above its office's threshold, unless one is open."""
    due = []
    for r, a in zip(rows, assessments, strict=True):
        threshold = r.office.alert_threshold if r.office else default
        if a.score >= threshold:
            due.append((r, a))
    if not due:
        return []
    open_for = set(
        session.scalars(
            select(Alert.object_id).where(
                Alert.object_type == "shipment",
                Alert.status != "closed",
                Alert.object_id.in_([ids[r.index] for r, _ in due]),
            )
        )
    )
    params = []
    for r, a in due:
        sid = ids[r.index]
        if sid in open_for:
            continue
        top = a.reasons[0].text if a.reasons else ""
        params.append(
            {
                "owner_agency_id": agency.id,
                "tlp": "amber",
                "originator_control": False,
                "kind": "shipment_risk",
                "object_type": "shipment",
                "object_id": sid,
                "office_id": r.office.id if r.office else None,
                "title": f"{r.data.reference} scored {a.score}: {top}"[:300],
                "score": a.score,
                "status": "open",
                "created_at": now,
                "updated_at": now,
            }
        )
    if not params:
        return []
    return list(
        session.execute(
            insert(Alert).returning(Alert.id, sort_by_parameter_order=True), params
        ).scalars()
    )


def scored_event(principal: Principal, result: BatchResult) -> dict[str, Any]:
    """What subscribers (live queues, alert pushers) learn of a committed batch."""
    return {
        "agency": principal.agency_code,
        "at": utcnow().isoformat(),
        "accepted": result.accepted,
        "rejected": result.rejected,
        "shipments": [
            {"id": r.id, "reference": r.reference, "status": r.status, "score": r.score}
            for r in result.results
            if r.status in ("created", "updated")
        ],
    }

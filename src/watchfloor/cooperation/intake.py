"""Batches of seizures and incidents: per-row results, the good rows stored, the bad ones
reported with their field and reason, and a resubmission changing nothing.

One record kind is described by a :class:`Kind` (its table, its input schema and how a
validated record becomes columns); :func:`submit` does the rest for both. A record's natural
key is its owner agency and ``reference``: the same content again is ``unchanged``, other
content ``updated`` (and audited as such).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.batches import (
    BatchResult,
    FieldError,
    Results,
    RowResult,
    Upserted,
    chunks,
    error_list,
    upsert,
)
from watchfloor.cooperation import links
from watchfloor.cooperation.quantities import normalise
from watchfloor.cooperation.seizures.models import Incident, Seizure
from watchfloor.cooperation.seizures.schemas import IncidentIn, SeizureIn
from watchfloor.cooperation.watchlists import screening as watchlists
from watchfloor.cooperation.watchlists.models import WatchlistEntry
from watchfloor.cooperation.watchlists.schemas import WatchlistEntryIn
from watchfloor.db import utcnow
from watchfloor.errors import FieldProblem, Invalid
from watchfloor.identifiers import validate_country
from watchfloor.reference import SubstanceMatcher
from watchfloor.security import Agency, Principal, require_role
from watchfloor.sharing import (
    SharingIn,
    apply_sharing,
    communities,
    name_recipients,
    record_changes,
)


class RowProblem(Exception):
    """One field of one record is wrong (raised while building its columns)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


@dataclass
class Lookups:
    """What the rows of one batch refer to, looked up once for the batch."""

    shipments: dict[str, int] = field(default_factory=dict)  # own shipment reference -> id
    agencies: dict[str, int] = field(default_factory=dict)  # recipient code -> id
    matcher: SubstanceMatcher = field(default_factory=SubstanceMatcher.shipped)
    _keys: dict[str, str | None] = field(default_factory=dict)

    def substance_key(self, text: str) -> str | None:
        """The catalogue substance the text names (its best mention), if any."""
        if text not in self._keys:
            found = self.matcher.find(text)
            self._keys[text] = found[0].substance.key if found else None
        return self._keys[text]

    def shipment(self, reference: str | None, field: str) -> int | None:
        if reference is None:
            return None
        sid = self.shipments.get(reference)
        if sid is None:
            raise RowProblem(field, f"your agency has no shipment {reference!r}")
        return sid


def country(code: str | None, field: str) -> str | None:
    if code is None:
        return None
    try:
        return validate_country(code)
    except ValueError as exc:
        raise RowProblem(field, str(exc)) from None


def _common(data: SeizureIn | IncidentIn, look: Lookups) -> dict[str, Any]:
    """The columns seizures and incidents share: place, route, parties, link, source."""
    parties = [
        {**p.model_dump(), "country": country(p.country, f"parties[{i}].country")}
        for i, p in enumerate(data.parties)
    ]
    return {
        "reference": data.reference,
        "country": country(data.country, "country"),
        "place": data.place,
        "mode": data.mode,
        "origin_country": country(data.origin_country, "origin_country"),
        "route": " ".join(country(c, f"route[{i}]") or "" for i, c in enumerate(data.route)),
        "parties": json.dumps(parties, ensure_ascii=False),
        "shipment_id": look.shipment(data.shipment_reference, "shipment_reference"),
        "source": data.source,
    }


def seizure_values(data: SeizureIn, look: Lookups) -> dict[str, Any]:
    amount, unit = normalise(data.quantity, data.unit)
    return {
        **_common(data, look),
        "seized_on": data.seized_on,
        "substance_key": look.substance_key(data.substance),
        "substance_text": data.substance,
        "quantity": data.quantity,
        "unit": data.unit,
        "normalised_quantity": amount,
        "normalised_unit": unit,
        "concealment": data.concealment,
        "period": data.period,
        "events": data.events,
        "notes": data.notes,
    }


def incident_values(data: IncidentIn, look: Lookups) -> dict[str, Any]:
    chemicals = []
    for i, c in enumerate(data.chemicals):
        if (c.quantity is None) != (c.unit is None):
            raise RowProblem(f"chemicals[{i}].unit", "give a quantity and its unit, or neither")
        amount, unit = (
            normalise(c.quantity, c.unit) if c.unit and c.quantity is not None else (None, None)
        )
        chemicals.append(
            {
                **c.model_dump(),
                "substance_key": look.substance_key(c.substance),
                "normalised_quantity": amount,
                "normalised_unit": unit,
            }
        )
    keys = sorted({c["substance_key"] for c in chemicals if c["substance_key"]})
    return {
        **_common(data, look),
        "kind": data.kind,
        "occurred_on": data.occurred_on,
        "description": data.description,
        "chemicals": json.dumps(chemicals, ensure_ascii=False),
        "substance_keys": " ".join(keys)[:400],
        "destination_country": country(data.destination_country, "destination_country"),
    }


def entry_values(data: WatchlistEntryIn, look: Lookups) -> dict[str, Any]:
    normalised = watchlists.normalise(data.kind, data.value)
    if normalised is None:
        raise RowProblem("value", f"{data.value!r} is not a valid {data.kind}")
    if data.expires_at is not None and data.expires_at.tzinfo is None:
        raise RowProblem("expires_at", "timestamp without time zone")
    return {
        "reference": data.reference,
        "kind": data.kind,
        "value": data.value,
        "normalised": normalised,
        "label": data.label,
        "reason": data.reason,
        "expires_at": data.expires_at,
        "active": True,
        "updated_at": utcnow(),
    }


@dataclass(frozen=True)
class Kind:
    noun: str
    model: type[Seizure] | type[Incident] | type[WatchlistEntry]
    schema: type[SeizureIn] | type[IncidentIn] | type[WatchlistEntryIn]
    values: Callable[[Any, Lookups], dict[str, Any]]


SEIZURES = Kind("seizure", Seizure, SeizureIn, seizure_values)
INCIDENTS = Kind("incident", Incident, IncidentIn, incident_values)
WATCHLIST = Kind("watchlist_entry", WatchlistEntry, WatchlistEntryIn, entry_values)


def content_digest(data: BaseModel) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


@dataclass
class _Valid:
    index: int
    data: Any
    values: dict[str, Any]
    digest: str
    recipients: list[tuple[int | None, str | None]]


def _lookups(session: Session, principal: Principal, parsed: list[Any]) -> Lookups:
    look = Lookups()
    refs = sorted({r for d in parsed if (r := getattr(d, "shipment_reference", None))})
    codes = sorted({c.strip().upper() for d in parsed for c in d.sharing.recipients})
    look.shipments.update(links.resolve(session, "shipment", principal.agency_id, refs))
    if codes:
        look.agencies.update(
            session.execute(select(Agency.code, Agency.id).where(Agency.code.in_(codes))).all()
        )
    return look


def _recipients(
    sharing: SharingIn, look: Lookups, owner: int
) -> list[tuple[int | None, str | None]]:
    known = communities.known()
    out: list[tuple[int | None, str | None]] = []
    for code in sorted({c.strip().upper() for c in sharing.recipients}):
        if code not in look.agencies:
            raise RowProblem("sharing.recipients", f"unknown agency {code!r}")
        if look.agencies[code] != owner:
            out.append((look.agencies[code], None))
    for code in sorted({c.strip().upper() for c in sharing.communities}):
        if code not in known:
            raise RowProblem("sharing.communities", f"unknown community {code!r}")
        out.append((None, code))
    if sharing.expires_at is not None and sharing.expires_at.tzinfo is None:
        raise RowProblem("sharing.expires_at", "timestamp without time zone")
    return out


def _validate(
    kind: Kind, session: Session, principal: Principal, rows: Sequence[Any]
) -> tuple[list[_Valid], dict[int, RowResult]]:
    rejected: dict[int, RowResult] = {}
    parsed: list[tuple[int, Any]] = []
    first_of: dict[str, int] = {}
    for index, raw in enumerate(rows):
        ref = raw.get("reference") if isinstance(raw, dict) else None
        ref = ref if isinstance(ref, str) else None
        if not isinstance(raw, dict):
            errors = [FieldError(field=kind.noun, reason="must be a JSON object")]
            rejected[index] = RowResult(index=index, status="rejected", errors=errors)
            continue
        try:
            data = kind.schema.model_validate(raw)
        except ValidationError as exc:
            rejected[index] = RowResult(
                index=index, reference=ref, status="rejected", errors=error_list(exc, kind.noun)
            )
            continue
        if data.reference in first_of:
            reason = f"reference repeats row #{first_of[data.reference]} of this batch"
            rejected[index] = RowResult(
                index=index,
                reference=data.reference,
                status="rejected",
                errors=[FieldError(field="reference", reason=reason)],
            )
            continue
        first_of[data.reference] = index
        parsed.append((index, data))
    look = _lookups(session, principal, [d for _, d in parsed])
    valid = []
    for index, data in parsed:
        try:
            values = kind.values(data, look)
            recipients = _recipients(data.sharing, look, principal.agency_id)
        except (RowProblem, ValueError) as exc:
            problem = exc if isinstance(exc, RowProblem) else RowProblem(kind.noun, str(exc))
            rejected[index] = RowResult(
                index=index,
                reference=data.reference,
                status="rejected",
                errors=[FieldError(field=problem.field, reason=problem.reason)],
            )
            continue
        valid.append(_Valid(index, data, values, content_digest(data), recipients))
    return valid, rejected


def _policy(data: Any) -> dict[str, Any]:
    s: SharingIn = data.sharing
    return {
        "tlp": s.tlp,
        "originator_control": s.originator_control,
        "legal_basis": s.legal_basis,
        "share_expires_at": s.expires_at,
    }


@dataclass
class _Store:
    """How :func:`watchfloor.batches.upsert` stores one kind for one agency."""

    kind: Kind
    principal: Principal
    now: dt.datetime

    def key(self, row: _Valid) -> str:
        return str(row.data.reference)

    def same(self, row: _Valid, old: Any) -> bool:
        return bool(old.content_hash == row.digest)

    def existing(self, session: Session, keys: list[Any]) -> dict[Any, Any]:
        model: Any = self.kind.model
        found: dict[Any, Any] = {}
        for part in chunks(keys):
            found.update(
                (r.reference, r)
                for r in session.scalars(
                    select(model).where(
                        model.owner_agency_id == self.principal.agency_id,
                        model.reference.in_(part),
                    )
                )
            )
        return found

    def insert(self, session: Session, rows: list[_Valid]) -> list[int]:
        model: Any = self.kind.model
        me = self.principal
        session.execute(
            insert(model),
            [
                {
                    **v.values,
                    **_policy(v.data),
                    "owner_agency_id": me.agency_id,
                    "content_hash": v.digest,
                    "created_at": self.now,
                    "created_by": me.actor,
                }
                for v in rows
            ],
        )
        refs = [v.data.reference for v in rows]
        ids: dict[str, int] = {}
        for part in chunks(refs):
            ids.update(
                session.execute(
                    select(model.reference, model.id).where(
                        model.owner_agency_id == me.agency_id, model.reference.in_(part)
                    )
                ).all()
            )
        name_recipients(
            session,
            model.share_type,
            (
                (ids[v.data.reference], agency, group)
                for v in rows
                for agency, group in v.recipients
            ),
            granted_by=me.actor,
            at=self.now,
        )
        return [ids[ref] for ref in refs]

    def update(self, session: Session, pairs: list[tuple[_Valid, Any]]) -> list[int]:
        for v, old in pairs:
            for column, value in v.values.items():
                setattr(old, column, value)
            old.content_hash, old.updated_at = v.digest, self.now
            session.flush()
            apply_sharing(session, self.principal, old, v.data.sharing)  # audited as a share
        return [old.id for _, old in pairs]


def submit(
    session: Session,
    principal: Principal,
    rows: Sequence[Any],
    kind: Kind = SEIZURES,
    *,
    source: str = "api",
) -> BatchResult:
    """Validate and store a batch in the caller's transaction (the caller commits)."""
    require_role(principal, "officer")
    valid, rejected = _validate(kind, session, principal, rows)
    done = upsert(session, valid, _Store(kind, principal, utcnow()))
    results = Results(len(rows), rejected)
    for v, rid in done.created:
        results.accept(v.index, v.data.reference, "created", rid)
    for v, rid in done.updated:
        results.accept(v.index, v.data.reference, "updated", rid)
    for v, old in done.unchanged:
        results.accept(v.index, v.data.reference, "unchanged", old.id)
    if done.stored:
        _stored(session, principal, kind, done.stored)
        _audit(session, principal, kind, source, done, len(rows))
    return results.batch()


def _stored(
    session: Session, principal: Principal, kind: Kind, stored: list[tuple[_Valid, int]]
) -> None:
    """What follows a write: the change log for federation, the parties screened against
    the watchlists, new entries screened against stored records, and the listeners told of
    changed entries."""
    record_changes(session, kind.model.share_type, [rid for _, rid in stored])
    if "parties" in stored[0][0].values:
        watchlists.screen_fields(
            session,
            principal.agency_id,
            kind.noun,
            (
                (
                    rid,
                    {
                        f"parties[{i}].{k}": p.get(k)
                        for i, p in enumerate(json.loads(v.values["parties"]))
                        for k in ("name", "address", "phone", "email")
                    },
                )
                for v, rid in stored
            ),
        )
    if kind.model is WatchlistEntry:  # a new or changed entry meets what is stored already
        watchlists.screen_stored(session, [rid for _, rid in stored])
    # the scorers read seizures' parties and name entries: new ones count from now on
    links.changed(kind.noun, session)  # type: ignore[arg-type]


def _audit(
    session: Session,
    principal: Principal,
    kind: Kind,
    source: str,
    done: Upserted[_Valid, Any],
    rows: int,
) -> None:
    """One event for the batch; the new records' policies grouped, so that each share
    decision is in the log without one event a row."""
    policies: dict[str, list[int]] = defaultdict(list)
    for v, rid in done.created:
        s = v.data.sharing
        policy = {
            "tlp": s.tlp,
            "recipients": sorted(c.upper() for c in s.recipients),
            "communities": sorted(c.upper() for c in s.communities),
            "originator_control": s.originator_control,
            "expires_at": s.expires_at.isoformat() if s.expires_at else None,
        }
        policies[json.dumps(policy, sort_keys=True)].append(rid)
    audit.record_by(
        session,
        principal,
        action=f"{kind.noun}.intake",
        object_type=f"{kind.noun}_batch",
        object_id=f"{source}:{rows}",
        detail={
            "source": source,
            "created": len(done.created),
            "updated": [rid for _, rid in done.updated],
            "shares": [{"policy": json.loads(p), "ids": ids} for p, ids in policies.items()],
        },
    )


def submit_one(session: Session, principal: Principal, data: Any, kind: Kind = SEIZURES) -> int:
    """Store one record as :func:`submit` does, raising its reasons as one :class:`Invalid`."""
    result = submit(session, principal, [data], kind)
    row = result.results[0]
    if row.status == "rejected":
        raise Invalid(
            f"{kind.noun} {row.reference or '#0'} was rejected",
            [FieldProblem(e.field, e.reason, row.reference) for e in row.errors],
        )
    return row.id  # type: ignore[return-value]

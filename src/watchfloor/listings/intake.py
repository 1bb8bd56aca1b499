"""Listing intake: validate, classify, extract signals and store a batch; the same for the
API, files and the stream.

Every row gets a result. ``(platform, external_id)`` is the reporting agency's key: the same
content again is ``unchanged``, changed content is ``updated`` (classified again, its signals
replaced), a key repeated within one batch keeps its last row (the others ``superseded``).
A body over 1 MB is refused with the field named. One audit event per batch records what
was stored, with a digest of the content.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import String, and_, bindparam, func, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.batches import (
    BatchResult,
    FieldError,
    Results,
    RowResult,
    Upserted,
    content_digest,
    error_list,
    json_form,
    nul_errors,
    upsert,
)
from watchfloor.cooperation.watchlists import screening as watchlists
from watchfloor.db import RowWriter, allocate_ids, table_of, utcnow
from watchfloor.listings import labels
from watchfloor.listings.classifier import Decision, ListingModel, Term, shipped_model
from watchfloor.listings.models import Listing, ListingSignal
from watchfloor.listings.schemas import MAX_TEXT, ListingIn
from watchfloor.listings.signals import Signal, from_listing, from_text, text_of
from watchfloor.listings.text import document, visible_text
from watchfloor.memo import MISSING, Memo, text_key
from watchfloor.reference import SubstanceMatcher
from watchfloor.security import Principal, require_role
from watchfloor.sharing import SharingIn, apply_sharing

CHUNK = 400
DEFAULT_SHARING = SharingIn()
# what a new row holds before anyone shares it (the bulk insert sets every column itself)
_NEW = {"tlp": "amber", "originator_control": False, "legal_basis": None, "share_expires_at": None}


@dataclass
class _Row:
    index: int
    data: ListingIn
    digest: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.data.platform, self.data.external_id)


def validate_rows(
    rows: Sequence[Any], principal: Principal
) -> tuple[list[_Row], dict[int, RowResult]]:
    valid: list[_Row] = []
    rejected: dict[int, RowResult] = {}
    for index, raw in enumerate(rows):
        ref = raw.get("external_id") if isinstance(raw, dict) else None
        ref = ref if isinstance(ref, str) else None
        errors: list[FieldError] = []
        dumped = None
        if not isinstance(raw, dict):
            errors = [FieldError(field="listing", reason="must be a JSON object")]
        elif not (errors := nul_errors(raw, dumped := json_form(raw))):
            try:
                data = ListingIn.model_validate(raw)
            except ValidationError as exc:
                errors = error_list(exc, "listing")
            else:
                if data.agency and data.agency.upper() != principal.agency_code:
                    errors.append(
                        FieldError(
                            field="agency",
                            reason=f"you report for {principal.agency_code}, not {data.agency}",
                        )
                    )
                if data.too_long():
                    errors.append(
                        FieldError(
                            field="body",
                            reason=f"{len(data.body):,} characters; the limit is 1 MB "
                            f"({MAX_TEXT:,} characters)",
                        )
                    )
                if not errors:
                    valid.append(_Row(index, data, content_digest(raw, dumped)))
                    continue
        rejected[index] = RowResult(index=index, reference=ref, status="rejected", errors=errors)
    return valid, rejected


def _keyed(
    session: Session, agency_id: int, keys: list[tuple[str, str]], *what: Any
) -> dict[tuple[str, str], Any]:
    """The agency's stored listings of ``keys`` ((platform, external_id)), as rows of
    ``what`` (the ORM object, or some of its columns including platform and external_id)."""
    found: dict[tuple[str, str], Any] = {}
    wanted = set(keys)
    for stmt in _key_queries(session, agency_id, keys, what):
        for row in session.execute(stmt):
            item = row[0] if len(what) == 1 else row
            key = (item.platform, item.external_id)
            if key in wanted:
                found[key] = item
    return found


def _key_queries(
    session: Session, agency_id: int, keys: list[tuple[str, str]], what: tuple[Any, ...]
) -> Iterator[Any]:
    """The statements that find ``keys``: one join on PostgreSQL, IN-list chunks elsewhere
    (their rows may include other combinations of the chunk's values)."""
    if keys and session.get_bind().dialect.name == "postgresql":
        # one join against the keys as two arrays: IN lists of a few hundred values each
        # cost a scan per chunk (about 6 ms each on 35,000 rows), this one hash join
        probe = (
            func.unnest(
                bindparam("platforms", [p for p, _ in keys], type_=ARRAY(String)),
                bindparam("external_ids", [e for _, e in keys], type_=ARRAY(String)),
            )
            .table_valued("platform", "external_id")
            .render_derived(name="k")
        )
        stmt = (
            select(*what)
            .select_from(Listing)
            .join(
                probe,
                and_(
                    Listing.platform == probe.c.platform,
                    Listing.external_id == probe.c.external_id,
                ),
            )
            .where(Listing.owner_agency_id == agency_id)
        )
        yield stmt
        return
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        yield select(*what).where(
            Listing.owner_agency_id == agency_id,
            Listing.platform.in_({p for p, _ in chunk}),
            Listing.external_id.in_({e for _, e in chunk}),
        )


def _existing(
    session: Session, agency_id: int, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], Listing]:
    return _keyed(session, agency_id, keys, Listing)


_writers: dict[tuple[str, str, tuple[str, ...]], RowWriter] = {}


def _write(session: Session, model: type[Any], rows: list[dict[str, Any]]) -> None:
    """Bulk insert (COPY on PostgreSQL, which also keeps the planner's statistics fresh)."""
    if not rows:
        return
    dialect = session.get_bind().dialect
    columns = tuple(rows[0])
    key = (dialect.name, model.__tablename__, columns)
    writer = _writers.get(key)
    if writer is None:
        writer = _writers[key] = RowWriter(model.__table__, list(columns), dialect)
    writer.insert(session, [writer.row([r[c] for c in columns]) for r in rows])


def _columns(data: ListingIn, digest: str, source: str) -> dict[str, Any]:
    """The stored form of a listing (visible text, joined lists), before classification."""
    return {
        "platform": data.platform,
        "external_id": data.external_id,
        "url": data.url,
        "title": visible_text(data.title)[:1000] or data.title[:1000],
        "body": visible_text(data.body),
        "price": data.price,
        "currency": data.currency,
        "seller": data.seller,
        "ships_from": data.ships_from,
        "ships_to": " ".join(dict.fromkeys(data.ships_to)),
        "image_hashes": " ".join(dict.fromkeys(data.image_hashes)),
        "content_hash": digest,
        "source": source,
    }


# Classifications and written signals by content: marketplaces are crawled day after day
# and vendors repeat their boilerplate, so most listings of a crawl were seen before (the
# 35,178 Agora product pages of early 2014 hold 10,729 different titles and bodies)
_decided: Memo[Hashable, dict[str, Any]] = Memo(20_000)
_written: Memo[Hashable, tuple[Signal, ...]] = Memo(20_000)


def classify(rows: list[dict[str, Any]], model: ListingModel, matcher: SubstanceMatcher) -> None:
    """Add the decision columns to each row (``title`` and ``body`` as visible text, and
    ``price``), answering from memory where the same model decided the same content."""
    # a price of its own makes a listing an offer (see listings.offer), so it joins the key
    priced = [x["price"] is not None for x in rows]
    keys = [
        text_key(model.fingerprint, x["title"], x["body"], "priced" if p else "")
        for x, p in zip(rows, priced, strict=True)
    ]
    got: dict[Hashable, dict[str, Any]] = {}
    todo: dict[Hashable, tuple[str, bool]] = {}
    for x, p, k in zip(rows, priced, keys, strict=True):
        if k in got or k in todo:
            continue
        hit = _decided.get(k)
        if hit is MISSING:
            todo[k] = (document(x["title"], x["body"], matcher, visible=True), p)
        else:
            got[k] = hit
    decided = model.decide([d for d, _ in todo.values()], priced=[p for _, p in todo.values()])
    for key, d in zip(todo, decided, strict=True):
        got[key] = _decided.put(key, _decision_columns(d, model))
    for row, k in zip(rows, keys, strict=True):
        row.update(got[k])


def _decision_columns(d: Decision, model: ListingModel) -> dict[str, Any]:
    return {
        "probability": round(d.probability, 4),
        "is_drug_sale": d.is_drug_sale,
        "substance_class": d.substance_class,
        "class_probability": (
            round(d.class_probability, 4) if d.class_probability is not None else None
        ),
        "terms": json.dumps(explanation(d), ensure_ascii=False),
        "model_version": model.version,
    }


def explanation(d: Decision) -> dict[str, Any]:
    """A decision's explanation as stored with the listing (see ``ListingOut``)."""

    def rows(terms: tuple[Term, ...]) -> list[dict[str, Any]]:
        return [{"term": t.shown, "weight": t.weight, "why": t.describe()} for t in terms]

    return {
        "sentence": d.sentence(),
        "offer": list(d.offer),
        "drug_probability": round(d.drug_probability, 4),
        "reads_as": d.reads_as,
        "drug": rows(d.terms),
        "class": rows(d.class_terms),
    }


def _signals(row: dict[str, Any]) -> list[dict[str, Any]]:
    title, body, region = row["title"], row["body"], row["ships_from"]
    written = _written.lookup(
        text_key(title, body, region),
        lambda _: tuple(from_text(text_of(title, body), region=region)),
    )
    found = from_listing(
        platform=row["platform"],
        title=title,
        body=body,
        url=row["url"],
        seller=row["seller"],
        image_hashes=row["image_hashes"].split(),
        region=region,
        written=written,
    )
    return [
        {"kind": s.kind, "value": s.value[:300], "raw": s.raw[:300], "strong": s.strong}
        for s in found
    ]


@dataclass
class Prepared:
    """A batch validated, cleaned, classified and searched for signals, waiting to be
    stored; picklable, so that another process may prepare it (the file import does)."""

    rows: int
    source: str
    results: dict[int, RowResult]  # the rejected and superseded rows
    valid: list[_Row]
    values: dict[int, dict[str, Any]]  # row index -> the stored columns
    signals: dict[int, list[dict[str, Any]]]


def prepare(
    principal: Principal,
    rows: Sequence[Any],
    *,
    source: str = "api",
    known: dict[tuple[str, str], str] | None = None,
    model: ListingModel | None = None,
) -> Prepared:
    """Everything but the writes. Rows whose stored digest is in ``known`` are left
    unclassified (they will be reported unchanged)."""
    require_role(principal, "analyst")  # analysts and platform staff report what they see
    valid, results = validate_rows(rows, principal)
    last = {r.key: r.index for r in valid}
    batch = []
    for r in valid:
        if last[r.key] != r.index:
            results[r.index] = RowResult(
                index=r.index, reference=r.data.external_id, status="superseded"
            )
        else:
            batch.append(r)
    todo = [r for r in batch if not known or known.get(r.key) != r.digest]
    values, signals = _work(todo, source, model)
    return Prepared(len(rows), source, results, batch, values, signals)


def _work(
    rows: list[_Row], source: str, model: ListingModel | None = None
) -> tuple[dict[int, dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """The stored columns (classified) and the signals of each row, by row index."""
    values = {r.index: _columns(r.data, r.digest, source) for r in rows}
    classify(list(values.values()), model or shipped_model(), SubstanceMatcher.shipped())
    return values, {i: _signals(v) for i, v in values.items()}


@dataclass
class _Store:
    """How :func:`watchfloor.batches.upsert` stores one prepared batch of listings."""

    principal: Principal
    prepared: Prepared
    model: ListingModel | None
    now: dt.datetime

    def key(self, row: _Row) -> tuple[str, str]:
        return row.key

    def same(self, row: _Row, old: Listing) -> bool:
        return old.content_hash == row.digest

    def existing(self, session: Session, keys: list[Any]) -> dict[Any, Listing]:
        return _existing(session, self.principal.agency_id, keys)

    def _columns(
        self, session: Session, rows: list[_Row], olds: list[Listing | None]
    ) -> list[dict[str, Any]]:
        """The stored columns of each row; one that changed in the database since it was
        prepared (so that it was not classified then) is classified now, with the model
        that prepared the batch (by default the agency's)."""
        late = [r for r in rows if r.index not in self.prepared.values]
        if late:
            model = self.model or labels.model_for(session, self.principal.agency_id)
            values, signals = _work(late, self.prepared.source, model)
            self.prepared.values.update(values)
            self.prepared.signals.update(signals)
        out = []
        for r, old in zip(rows, olds, strict=True):
            cols = self.prepared.values[r.index]
            cols["observed_at"] = r.data.observed_at or (old.observed_at if old else self.now)
            cols["updated_at"] = self.now
            out.append(cols)
        return out

    def insert(self, session: Session, rows: list[_Row]) -> list[int]:
        owner = {"owner_agency_id": self.principal.agency_id, "received_at": self.now}
        columns = self._columns(session, rows, [None] * len(rows))
        inserted = [{**v, **_NEW, **owner} for v in columns]
        # ids drawn beforehand (PostgreSQL) or read back by key (SQLite): an INSERT ...
        # RETURNING of thousands of rows is slower than either
        fresh = allocate_ids(session, table_of(Listing), len(rows))
        if fresh is not None:
            for v, lid in zip(inserted, fresh, strict=True):
                v["id"] = lid
        _write(session, Listing, inserted)
        if fresh is None:
            keys = [r.key for r in rows]
            what = (Listing.id, Listing.platform, Listing.external_id)
            ids_of = _keyed(session, self.principal.agency_id, keys, *what)
            fresh = [ids_of[k].id for k in keys]
        return fresh

    def update(self, session: Session, pairs: list[tuple[_Row, Listing]]) -> list[int]:
        columns = self._columns(session, [r for r, _ in pairs], [old for _, old in pairs])
        for (_, old), cols in zip(pairs, columns, strict=True):
            for column, value in cols.items():
                setattr(old, column, value)
            old.signals = []
        return [old.id for _, old in pairs]


def store(
    session: Session,
    principal: Principal,
    prepared: Prepared,
    *,
    model: ListingModel | None = None,
) -> BatchResult:
    """Write a prepared batch in the caller's transaction (the caller commits). A row that
    changed in the database since it was prepared is prepared again here, with ``model``:
    the one that prepared the batch (by default the agency's, as :func:`submit` uses)."""
    require_role(principal, "analyst")
    done = upsert(session, prepared.valid, _Store(principal, prepared, model, utcnow()))
    session.flush()
    signal_rows = [
        {**sig, "listing_id": lid} for r, lid in done.stored for sig in prepared.signals[r.index]
    ]
    _write(session, ListingSignal, signal_rows)
    watchlists.screen(
        session,
        principal.agency_id,
        "listing",
        ((x["listing_id"], f"signal.{x['kind']}", x["kind"], x["value"]) for x in signal_rows),
    )
    results = Results(prepared.rows, prepared.results)
    for r, old in done.unchanged:
        results.accept(r.index, r.data.external_id, "unchanged", old.id)
    for status, rows in (("created", done.created), ("updated", done.updated)):
        for r, lid in rows:
            # the default (TLP amber, no recipients: the reporter alone) needs no share
            # event; anything else is a decision to share and is recorded as one
            if "sharing" in r.data.model_fields_set and r.data.sharing != DEFAULT_SHARING:
                listing = session.get(Listing, lid)
                apply_sharing(session, principal, listing, r.data.sharing)  # type: ignore[arg-type]
            results.accept(r.index, r.data.external_id, status, lid)
    batch = results.batch()
    if done.stored:
        _audit(session, principal, prepared, done, batch)
    return batch


def _audit(
    session: Session,
    principal: Principal,
    prepared: Prepared,
    done: Upserted[_Row, Listing],
    batch: BatchResult,
) -> None:
    """One event for the batch, with its counts and a digest of what was written."""
    audit.record_by(
        session,
        principal,
        action="listings.intake",
        object_type="listing_batch",
        object_id=f"{prepared.source}:{prepared.rows}",
        detail={
            "source": prepared.source,
            "created": len(done.created),
            "updated": len(done.updated),
            "unchanged": batch.accepted - len(done.stored),
            "rejected": batch.rejected,
            "drug_sales": sum(
                1 for r, _ in done.stored if prepared.values[r.index]["is_drug_sale"]
            ),
            "content_sha256": hashlib.sha256(
                "".join(r.digest for r, _ in done.stored).encode()
            ).hexdigest(),
        },
    )


def submit(
    session: Session,
    principal: Principal,
    rows: Sequence[Any],
    *,
    source: str = "api",
    model: ListingModel | None = None,
) -> BatchResult:
    """Validate, classify and store a batch in the caller's transaction (the caller commits);
    rows already stored with the same content are not classified again."""
    keys = [
        (r["platform"], r["external_id"])
        for r in rows
        if isinstance(r, dict)
        and isinstance(r.get("platform"), str)
        and isinstance(r.get("external_id"), str)
    ]
    # the digests only: store() loads the rows it updates
    columns = (Listing.platform, Listing.external_id, Listing.content_hash)
    stored = _keyed(session, principal.agency_id, keys, *columns)
    known = {k: x.content_hash for k, x in stored.items()}
    model = model or labels.model_for(session, principal.agency_id)
    prepared = prepare(principal, rows, source=source, known=known, model=model)
    return store(session, principal, prepared, model=model)

"""Listing intake: validate, classify, extract signals and store a batch; the same for the
API, files and the stream.

Every row gets a result. ``(platform, external_id)`` is the reporting agency's key: the same
content again is ``unchanged``, changed content is ``updated`` (classified again, its signals
replaced), a key repeated within one batch keeps its last row (the others ``superseded``).
A body over 1 MB is refused with the field named. One audit event per batch records what
was stored, with a digest of the content.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.batches import BatchResult, FieldError, RowResult, error_list
from watchfloor.db import utcnow
from watchfloor.listings.classifier import ListingModel, shipped_model
from watchfloor.listings.models import Listing, ListingSignal
from watchfloor.listings.schemas import MAX_TEXT, ListingIn
from watchfloor.listings.signals import from_listing
from watchfloor.listings.text import document, visible_text
from watchfloor.reference.matcher import SubstanceMatcher
from watchfloor.security.service import Principal, require_role
from watchfloor.sharing.schemas import SharingIn
from watchfloor.sharing.service import apply_sharing

CHUNK = 400
DEFAULT_SHARING = SharingIn()


@dataclass
class _Row:
    index: int
    data: ListingIn
    digest: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.data.platform, self.data.external_id)


def content_digest(raw: dict[str, Any]) -> str:
    return hashlib.sha256(orjson.dumps(raw, option=orjson.OPT_SORT_KEYS)).hexdigest()


def validate_rows(
    rows: Sequence[Any], principal: Principal
) -> tuple[list[_Row], dict[int, RowResult]]:
    valid: list[_Row] = []
    rejected: dict[int, RowResult] = {}
    for index, raw in enumerate(rows):
        ref = raw.get("external_id") if isinstance(raw, dict) else None
        ref = ref if isinstance(ref, str) else None
        errors: list[FieldError] = []
        if not isinstance(raw, dict):
            errors = [FieldError(field="listing", reason="must be a JSON object")]
        else:
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
                    valid.append(_Row(index, data, content_digest(raw)))
                    continue
        rejected[index] = RowResult(index=index, reference=ref, status="rejected", errors=errors)
    return valid, rejected


def _existing(
    session: Session, agency_id: int, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], Listing]:
    found: dict[tuple[str, str], Listing] = {}
    for start in range(0, len(keys), CHUNK):
        chunk = keys[start : start + CHUNK]
        stmt = select(Listing).where(
            Listing.owner_agency_id == agency_id,
            or_(*(and_(Listing.platform == p, Listing.external_id == e) for p, e in chunk)),
        )
        for row in session.scalars(stmt):
            found[(row.platform, row.external_id)] = row
    return found


def _fill(listing: Listing, data: ListingIn, digest: str, source: str) -> None:
    listing.platform, listing.external_id = data.platform, data.external_id
    listing.url = data.url
    listing.title = visible_text(data.title)[:1000] or data.title[:1000]
    listing.body = visible_text(data.body)
    listing.price, listing.currency = data.price, data.currency
    listing.seller = data.seller
    listing.ships_from = data.ships_from
    listing.ships_to = " ".join(dict.fromkeys(data.ships_to))
    listing.image_hashes = " ".join(dict.fromkeys(data.image_hashes))
    listing.content_hash = digest
    listing.source = source


def _classify(listings: list[Listing], model: ListingModel, matcher: SubstanceMatcher) -> None:
    decisions = model.decide([document(x.title, x.body, matcher) for x in listings])
    for listing, d in zip(listings, decisions, strict=True):
        listing.probability = round(d.probability, 4)
        listing.is_drug_sale = d.is_drug_sale
        listing.substance_class = d.substance_class
        listing.class_probability = (
            round(d.class_probability, 4) if d.class_probability is not None else None
        )
        terms = d.class_terms or d.terms
        listing.terms = json.dumps(
            [{"term": t.term, "weight": t.weight, "why": t.describe()} for t in terms],
            ensure_ascii=False,
        )
        listing.model_version = model.version


def _signals(listing: Listing) -> list[ListingSignal]:
    found = from_listing(
        platform=listing.platform,
        title=listing.title,
        body=listing.body,
        url=listing.url,
        seller=listing.seller,
        image_hashes=listing.image_hashes.split(),
        region=listing.ships_from,
    )
    return [
        ListingSignal(kind=s.kind, value=s.value[:300], raw=s.raw[:300], strong=s.strong)
        for s in found
    ]


def submit(
    session: Session,
    principal: Principal,
    rows: Sequence[Any],
    *,
    source: str = "api",
    model: ListingModel | None = None,
) -> BatchResult:
    """Validate, classify and store a batch in the caller's transaction (the caller commits)."""
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
    existing = _existing(session, principal.agency_id, [r.key for r in batch])
    now = utcnow()
    changed: list[tuple[_Row, Listing, bool]] = []
    for r in batch:
        old = existing.get(r.key)
        if old is not None and old.content_hash == r.digest:
            results[r.index] = RowResult(
                index=r.index, reference=r.data.external_id, status="unchanged", id=old.id
            )
            continue
        listing = old or Listing(owner_agency_id=principal.agency_id, received_at=now)
        _fill(listing, r.data, r.digest, source)
        listing.observed_at = r.data.observed_at or listing.observed_at or now
        listing.updated_at = now
        changed.append((r, listing, old is None))
    _classify([x for _, x, _ in changed], model or shipped_model(), SubstanceMatcher.shipped())
    for _, listing, is_new in changed:
        if is_new:
            session.add(listing)
        listing.signals = _signals(listing)
    session.flush()
    for r, listing, is_new in changed:
        # the default (TLP amber, no recipients: the reporter alone) needs no share event;
        # anything else is a decision to share and is recorded as one
        if "sharing" in r.data.model_fields_set and r.data.sharing != DEFAULT_SHARING:
            apply_sharing(session, principal, listing, r.data.sharing)
        results[r.index] = RowResult(
            index=r.index,
            reference=r.data.external_id,
            status="created" if is_new else "updated",
            id=listing.id,
        )
    ordered = [results[i] for i in range(len(rows))]
    accepted = sum(1 for x in ordered if x.status != "rejected")
    if changed:
        audit.record_by(
            session,
            principal,
            action="listings.intake",
            object_type="listing_batch",
            object_id=f"{source}:{len(rows)}",
            detail={
                "source": source,
                "created": sum(1 for *_, new in changed if new),
                "updated": sum(1 for *_, new in changed if not new),
                "unchanged": accepted - len(changed),
                "rejected": len(rows) - accepted,
                "drug_sales": sum(1 for _, x, _ in changed if x.is_drug_sale),
                "content_sha256": hashlib.sha256(
                    "".join(r.digest for r, *_ in changed).encode()
                ).hexdigest(),
            },
        )
    return BatchResult(accepted=accepted, rejected=len(rows) - accepted, results=ordered)

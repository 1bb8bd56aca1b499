"""Deciding an agency's stored listings again, with the classifier it uses now.

A listing keeps the decision made when it came in. After an upgrade that ships a new model or
changes how decisions are made, or after the agency retrains its own classifier, the older
listings still carry the old decisions; :func:`reclassify` decides them again in batches and
writes back those that changed (probability, drug sale or not, class, terms, model version).
The content is not touched. One audit event records the model and the counts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.listings import intake, labels
from watchfloor.listings.classifier import ListingModel, shipped_model
from watchfloor.listings.models import Listing
from watchfloor.reference import SubstanceMatcher
from watchfloor.security import Principal, require_role

DECISION = (
    "probability",
    "is_drug_sale",
    "substance_class",
    "class_probability",
    "terms",
    "model_version",
)
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Reclassified:
    model_version: str
    listings: int  # the agency's listings decided again
    changed: int  # whose stored decision differed (in any of DECISION)
    became_sales: int
    no_longer_sales: int


def reclassify(
    session: Session,
    principal: Principal,
    *,
    model: ListingModel | None = None,
    batch: int = 1000,
    progress: Progress | None = None,
) -> Reclassified:
    """Decide again every listing the caller's agency reported, with ``model`` or else the
    agency's active classifier (the shipped one when it has none), in the caller's
    transaction. Listings other agencies reported, shared or not, are theirs to decide."""
    require_role(principal, "analyst")
    model = model or labels.model_for(session, principal.agency_id) or shipped_model()
    matcher = SubstanceMatcher.shipped()
    mine = Listing.owner_agency_id == principal.agency_id
    total = session.scalar(select(func.count()).select_from(Listing).where(mine)) or 0
    columns = [getattr(Listing, c) for c in DECISION]
    done = changed = became = lost = 0
    last = 0
    while True:
        rows = session.execute(
            select(Listing.id, Listing.title, Listing.body, Listing.price, *columns)
            .where(mine, Listing.id > last)
            .order_by(Listing.id)
            .limit(batch)
        ).all()
        if not rows:
            break
        fresh: list[dict[str, Any]] = [
            {"title": r.title, "body": r.body, "price": r.price} for r in rows
        ]
        intake.classify(fresh, model, matcher)
        writes = []
        for r, new in zip(rows, fresh, strict=True):
            if all(getattr(r, c) == new[c] for c in DECISION):
                continue
            writes.append({"id": r.id} | {c: new[c] for c in DECISION})
            became += int(new["is_drug_sale"] and not r.is_drug_sale)
            lost += int(r.is_drug_sale and not new["is_drug_sale"])
        if writes:
            session.execute(update(Listing), writes)
        changed += len(writes)
        done += len(rows)
        last = rows[-1].id
        if progress:
            progress(done, total)
    result = Reclassified(model.version, done, changed, became, lost)
    audit.record_by(
        session,
        principal,
        action="listings.reclassify",
        object_type="classifier",
        object_id=model.version,
        detail=asdict(result) | {"model_fingerprint": model.fingerprint},
    )
    return result

"""An agency's labels on listings, and its own classifier retrained from them.

Labels come from two places: an analyst says what a listing is, or a platform answers the
agency's notice (removed as illegal content: a drug sale; left up as lawful: not a drug
sale; other answers teach nothing). An analyst's label wins over a notice's on the same
listing. :func:`retrain` adapts the shipped model to the labels (``listings.adapt``) and
makes the result the agency's active classifier: what the agency reports from then on is
classified by it.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session, defer

from watchfloor import audit
from watchfloor.errors import FieldProblem, Invalid
from watchfloor.listings import dsa
from watchfloor.listings.adapt import adapt
from watchfloor.listings.classifier import CLASSES, ListingModel, shipped_model
from watchfloor.listings.models import (
    ClassifierVersion,
    Listing,
    ListingLabel,
    Notice,
    NoticeItem,
)
from watchfloor.listings.text import document
from watchfloor.reference import SubstanceMatcher
from watchfloor.security import Principal, require_role
from watchfloor.sharing import read_record, visible

MIN_LABELS = 20


def _upsert(
    session: Session,
    *,
    agency_id: int,
    listing_id: int,
    source: str,
    is_drug_sale: bool,
    substance_class: str | None,
    by: str,
    notice_id: int | None = None,
) -> ListingLabel:
    label = session.scalar(
        select(ListingLabel).where(
            ListingLabel.agency_id == agency_id,
            ListingLabel.listing_id == listing_id,
            ListingLabel.source == source,
        )
    )
    if label is None:
        label = ListingLabel(agency_id=agency_id, listing_id=listing_id, source=source)
        session.add(label)
    label.is_drug_sale = is_drug_sale
    label.substance_class = substance_class if is_drug_sale else None
    label.labelled_by = by
    label.notice_id = notice_id
    session.flush()
    return label


def label_listing(
    session: Session,
    principal: Principal,
    listing_id: int,
    *,
    is_drug_sale: bool,
    substance_class: str | None = None,
) -> ListingLabel:
    """The caller's agency says what a listing it may read is."""
    require_role(principal, "analyst")
    if substance_class is not None and substance_class not in CLASSES:
        raise Invalid(
            f"unknown substance class {substance_class!r}",
            [FieldProblem("substance_class", f"one of {', '.join(CLASSES)}")],
        )
    if substance_class is not None and not is_drug_sale:
        raise Invalid(
            "a listing that is not a drug sale has no substance class",
            [FieldProblem("substance_class", "only for drug sales")],
        )
    listing = read_record(session, principal, Listing, listing_id)
    label = _upsert(
        session,
        agency_id=principal.agency_id,
        listing_id=listing.id,
        source="analyst",
        is_drug_sale=is_drug_sale,
        substance_class=substance_class,
        by=principal.actor,
    )
    audit.record_by(
        session,
        principal,
        action="listing.label",
        object_type="listing",
        object_id=listing.id,
        detail={"is_drug_sale": is_drug_sale, "substance_class": label.substance_class},
    )
    return label


def learn_from_answer(session: Session, notice: Notice, item: NoticeItem) -> None:
    """The label a platform's decision implies for the sender (called on each answer)."""
    if item.listing_id is None:
        return
    if dsa.is_actioned(item.action, item.account_action) and item.ground == "illegal_content":
        sale = True
    elif item.action == dsa.NO_ACTION and item.no_action_reason == "not_illegal":
        sale = False
    else:
        return
    listing = session.get(Listing, item.listing_id)
    _upsert(
        session,
        agency_id=notice.owner_agency_id,
        listing_id=item.listing_id,
        source="notice",
        is_drug_sale=sale,
        substance_class=listing.substance_class if listing is not None else None,
        by=f"notice:{notice.reference}",
        notice_id=notice.id,
    )


def training_set(session: Session, principal: Principal) -> list[tuple[Listing, bool, str | None]]:
    """The agency's labelled listings it may still read, one label each (analysts first)."""
    rows = session.execute(
        select(Listing, ListingLabel)
        .join(ListingLabel, ListingLabel.listing_id == Listing.id)
        .where(ListingLabel.agency_id == principal.agency_id, visible(principal, Listing))
        .order_by(Listing.id, ListingLabel.source)  # "analyst" sorts before "notice"
    ).all()
    chosen: OrderedDict[int, tuple[Listing, bool, str | None]] = OrderedDict()
    for listing, label in rows:
        chosen.setdefault(listing.id, (listing, label.is_drug_sale, label.substance_class))
    return list(chosen.values())


def _accuracy(model: ListingModel, docs: list[str], priced: list[bool], y: np.ndarray) -> float:
    got = np.array([d.is_drug_sale for d in model.decide(docs, explain=0, priced=priced)])
    return round(float((got == y).mean()), 4)


def _cross_validated(
    docs: list[str], priced: list[bool], y: np.ndarray, classes: list[str | None]
) -> float | None:
    """Accuracy of drug sale or not on held-out labels (5 folds), when both kinds have 10."""
    if min(int(y.sum()), int((~y).sum())) < 10:
        return None
    order = np.random.default_rng(0).permutation(len(docs))
    right = 0
    for fold in range(5):
        test = set(order[fold::5].tolist())
        train = [i for i in range(len(docs)) if i not in test]
        model = adapt(
            shipped_model(),
            [docs[i] for i in train],
            [bool(y[i]) for i in train],
            [classes[i] for i in train],
            version="cv",
        )
        held = sorted(test)
        got = model.decide([docs[i] for i in held], explain=0, priced=[priced[i] for i in held])
        right += sum(int(d.is_drug_sale == bool(y[i])) for d, i in zip(got, held, strict=True))
    return round(right / len(docs), 4)


def retrain(
    session: Session, principal: Principal, *, min_labels: int = MIN_LABELS
) -> tuple[ClassifierVersion, bool]:
    """Adapt the shipped model to the agency's labels and make it the agency's active
    classifier; returns the version and whether it is new (the same labels again give the
    same version, which is kept)."""
    require_role(principal, "analyst")
    found = training_set(session, principal)
    if len(found) < min_labels:
        raise Invalid(
            f"retraining needs at least {min_labels} labelled listings; "
            f"{principal.agency_code} has {len(found)}",
            [
                FieldProblem(
                    "labels", f"{len(found)} labelled; retraining needs at least {min_labels}"
                )
            ],
        )
    base = shipped_model()
    labels = [(x.id, x.content_hash, sale, cls) for x, sale, cls in found]
    digest = hashlib.sha256(json.dumps([base.version, labels]).encode()).hexdigest()[:10]
    version = f"{principal.agency_code.lower()}-{digest}"
    existing = session.scalar(select(ClassifierVersion).where(ClassifierVersion.version == version))
    if existing is not None:
        return existing, False
    matcher = SubstanceMatcher.shipped()
    docs = [document(x.title, x.body, matcher) for x, _, _ in found]
    priced = [x.price is not None for x, _, _ in found]
    y = np.array([sale for _, sale, _ in found])
    classes = [cls for _, _, cls in found]
    model = adapt(base, docs, list(y), classes, version=version)
    metrics = model.metrics | {
        "accuracy_before": _accuracy(base, docs, priced, y),
        "accuracy_after": _accuracy(model, docs, priced, y),
        "accuracy_held_out": _cross_validated(docs, priced, y, classes),
        "not_drug_sales": int((~y).sum()),
    }
    model.metrics = metrics
    session.execute(
        update(ClassifierVersion)
        .where(ClassifierVersion.agency_id == principal.agency_id)
        .values(active=False)
    )
    row = ClassifierVersion(
        agency_id=principal.agency_id,
        version=version,
        base_version=base.version,
        labels=len(found),
        metrics=json.dumps(metrics),
        model=model.dumps(),
        active=True,
        created_by=principal.actor,
    )
    session.add(row)
    session.flush()
    audit.record_by(
        session,
        principal,
        action="classifier.train",
        object_type="classifier",
        object_id=row.id,
        detail={"version": version, "labels": len(found)},
    )
    return row, True


_loaded: dict[int, ListingModel] = {}


def model_for(session: Session, agency_id: int) -> ListingModel | None:
    """The agency's active classifier, or None for the shipped one (cached per version)."""
    row_id = session.scalar(
        select(ClassifierVersion.id)
        .where(ClassifierVersion.agency_id == agency_id, ClassifierVersion.active.is_(True))
        .order_by(ClassifierVersion.id.desc())
        .limit(1)
    )
    if row_id is None:
        return None
    if row_id not in _loaded:
        blob = session.scalar(select(ClassifierVersion.model).where(ClassifierVersion.id == row_id))
        _loaded[row_id] = ListingModel.loads(blob)  # type: ignore[arg-type]
    return _loaded[row_id]


def versions(session: Session, principal: Principal) -> list[ClassifierVersion]:
    stmt = (
        select(ClassifierVersion)
        .options(defer(ClassifierVersion.model))  # a megabyte each, read by model_for only
        .where(ClassifierVersion.agency_id == principal.agency_id)
        .order_by(ClassifierVersion.id.desc())
    )
    return list(session.scalars(stmt))


def label_of(session: Session, principal: Principal, listing_id: int) -> ListingLabel | None:
    """The caller's agency's label on a listing (its analysts' before its notices')."""
    return session.scalar(
        select(ListingLabel)
        .where(ListingLabel.agency_id == principal.agency_id, ListingLabel.listing_id == listing_id)
        .order_by(ListingLabel.source)
        .limit(1)
    )

"""Listings API under /api/v1/listings: intake and reading."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import asdict
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from watchfloor.batches import BatchResult
from watchfloor.errors import FieldProblem, Invalid, TooLarge
from watchfloor.http import intake_body, read_rows, run_intake
from watchfloor.listings import intake, labels, service, watch
from watchfloor.listings.classifier import CLASSES
from watchfloor.listings.models import ClassifierVersion, Listing
from watchfloor.listings.reclassify import reclassify
from watchfloor.listings.schemas import (
    MAX_TEXT,
    ClassifierOut,
    ClusterOut,
    EventOut,
    LabelIn,
    LabelOut,
    ListingOut,
    ListingPage,
    ReclassifiedOut,
    RetrainOut,
    SeriesOut,
)
from watchfloor.security import Principal
from watchfloor.security.deps import CurrentPrincipal, Cursor, Db, RecordId, requires
from watchfloor.sharing import SharingIn, reshare

router = APIRouter(prefix="/api/v1/listings", tags=["listings"])
MAX_BODY = 256 * 1024 * 1024  # a batch of 10,000 listings may carry long texts
Reporter = Annotated[Principal, Depends(requires("analyst"))]
ClassQuery = Query(pattern=f"^({'|'.join(CLASSES)})$", description="A substance class.")

_INTAKE_BODY = intake_body("ListingIn", "listings")


@router.post(
    "",
    response_model=BatchResult,
    max_body_size=MAX_BODY,
    openapi_extra=_INTAKE_BODY,
    responses={
        207: {"model": BatchResult, "description": "Some rows accepted, some rejected."},
        422: {"description": "No row accepted; the body lists every row's reasons."},
        413: {"description": "A listing body over 1 MB, or more than 10,000 listings."},
    },
)
async def post_listings(request: Request, db: Db, principal: Reporter) -> JSONResponse:
    """Report one listing or a batch of up to 10,000 (`{"listings": [...]}`).

    Every valid row is classified (drug sale or not, substance class, the terms behind it),
    its signals are extracted, and it is stored; every invalid row comes back with its
    index, field and reason. `(platform, external_id)` is unique per reporting agency:
    the same listing again changes nothing, a changed one is updated. A single listing
    whose body is over 1 MB is refused with 413; in a batch, that row is rejected.
    """
    rows, single = await read_rows(request, key="listings", natural_key="external_id")
    if single and isinstance(rows[0].get("body"), str) and len(rows[0]["body"]) > MAX_TEXT:
        raise TooLarge(
            f"the listing body has {len(rows[0]['body']):,} characters; the limit is 1 MB"
        )

    return await run_intake(
        request,
        db,
        principal,
        rows,
        single=single,
        submit=intake.submit,
        noun="listing",
        subject="listings.classified",
    )


@router.get("", response_model=ListingPage)
def get_listings(
    db: Db,
    principal: CurrentPrincipal,
    cursor: Cursor = None,
    substance_class: Annotated[str | None, ClassQuery] = None,
    drug_sales: Annotated[bool, Query(description="Only drug sales.")] = False,
    platform: Annotated[str | None, Query(max_length=80)] = None,
    q: Annotated[
        str | None,
        Query(max_length=200, description="A part of the title or seller handle, any case."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ListingPage:
    """Listings you may read (your agency's and those shared with it), newest first."""
    return service.list_listings(
        db,
        principal,
        cursor=cursor,
        substance_class=substance_class,
        drug_sales_only=drug_sales,
        platform=platform,
        text=q,
        limit=limit,
    )


@router.get("/watch", response_model=SeriesOut)
def get_watch(
    db: Db,
    principal: CurrentPrincipal,
    by: Annotated[
        Literal["substance_class", "seller", "ships_from", "platform"],
        Query(description="What to count by."),
    ] = "substance_class",
    since: Annotated[dt.date | None, Query(description="First day (UTC).")] = None,
    until: Annotated[dt.date | None, Query(description="Last day (UTC).")] = None,
    drug_sales: Annotated[bool, Query(description="Only drug sales.")] = True,
    top: Annotated[int, Query(ge=1, le=50, description="Keys shown; the rest is 'other'.")] = 10,
) -> SeriesOut:
    """Market watch: listings a day among those you may read, by substance class, seller,
    ships-from country or platform."""
    if since and until and until < since:
        raise Invalid("until is before since", [FieldProblem("until", "before since")])
    found = watch.daily_counts(
        db, principal, by=by, since=since, until=until, drug_sales_only=drug_sales
    ).top(top)
    return SeriesOut(by=found.by, days=found.days, series=found.counts)


@router.get("/watch/agora", response_model=SeriesOut)
def get_watch_agora(principal: CurrentPrincipal) -> SeriesOut:
    """The demonstration series: Agora's product and vendor pages in the crawls from
    January 2014 to July 2015 (203 crawls), with the Silk Road 2.0 takedown and the
    Evolution exit."""
    found = watch.agora_crawls()
    return SeriesOut(
        by=found.by,
        days=found.days,
        series=found.counts,
        events=[EventOut(date=d, label=label) for d, label in watch.EVENTS],
    )


def _classifier_out(row: ClassifierVersion) -> ClassifierOut:
    return ClassifierOut(
        version=row.version,
        base_version=row.base_version,
        labels=row.labels,
        active=row.active,
        metrics=json.loads(row.metrics),
        created_at=row.created_at,
        created_by=row.created_by,
    )


@router.get("/classifier", response_model=list[ClassifierOut])
def get_classifiers(db: Db, principal: CurrentPrincipal) -> list[ClassifierOut]:
    """Your agency's own classifier versions, newest first (none: the shipped model
    classifies what you report)."""
    return [_classifier_out(r) for r in labels.versions(db, principal)]


@router.post(
    "/classifier",
    response_model=RetrainOut,
    status_code=201,
    responses={
        200: {"model": RetrainOut, "description": "The same labels gave this version before."},
        422: {"description": "Fewer labelled listings than retraining needs."},
    },
)
def post_classifier(db: Db, principal: CurrentPrincipal) -> JSONResponse:
    """Retrain your agency's classifier: the shipped model adapted to your labels (yours,
    and what platforms' answers to your notices imply); it then classifies what you
    report."""
    row, created = labels.retrain(db, principal)
    db.commit()
    body = RetrainOut(status="created" if created else "unchanged", classifier=_classifier_out(row))
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if created else 200)


@router.post("/reclassify", response_model=ReclassifiedOut)
def post_reclassify(db: Db, principal: Reporter) -> ReclassifiedOut:
    """Decide every listing your agency reported again, with the classifier it uses now
    (after a retraining, or an upgrade that ships a new model); the decisions that changed
    are written back, and the run is audited."""
    result = reclassify(db, principal)
    db.commit()
    return ReclassifiedOut(**asdict(result))


@router.get("/{listing_id}", response_model=ListingOut)
def get_listing(listing_id: RecordId, db: Db, principal: CurrentPrincipal) -> ListingOut:
    """One listing with its classification, the terms behind it and its signals."""
    return service.get_listing(db, principal, listing_id)


@router.put("/{listing_id}/sharing", response_model=ListingOut)
def put_listing_sharing(
    listing_id: RecordId, body: SharingIn, db: Db, principal: Reporter
) -> ListingOut:
    """Widen, narrow or revoke who else sees a listing (its reporter, or a recipient where
    the policy lets it share onward; originator control refuses with 403)."""
    listing = reshare(db, principal, Listing, listing_id, body)
    db.commit()
    return service.listing_out(listing)


@router.put("/{listing_id}/label", response_model=LabelOut)
def put_label(listing_id: RecordId, data: LabelIn, db: Db, principal: CurrentPrincipal) -> LabelOut:
    """Say what a listing you may read is (drug sale or not, and of what); your agency's
    classifier learns from it when retrained."""
    label = labels.label_listing(
        db,
        principal,
        listing_id,
        is_drug_sale=data.is_drug_sale,
        substance_class=data.substance_class,
    )
    db.commit()
    return LabelOut(
        listing_id=label.listing_id,
        agency=principal.agency_code,
        is_drug_sale=label.is_drug_sale,
        substance_class=label.substance_class,
        source=label.source,
        labelled_at=label.labelled_at,
    )


@router.get("/{listing_id}/cluster", response_model=ClusterOut)
def get_cluster(listing_id: RecordId, db: Db, principal: CurrentPrincipal) -> ClusterOut:
    """The seller behind a listing: every listing you may read that shares a strong signal
    with it, or two weak ones, directly or through others, with the evidence of each link."""
    return service.seller_cluster(db, principal, listing_id)

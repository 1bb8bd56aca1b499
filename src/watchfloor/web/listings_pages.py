"""Online-sales pages: the listing queue, a listing with the terms behind its class and its
signals, the seller cluster, and the market watch. They call services only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from watchfloor.errors import WatchfloorError
from watchfloor.listings import labels, platforms, service, watch
from watchfloor.listings.classifier import CLASSES
from watchfloor.listings.reclassify import Reclassified, reclassify
from watchfloor.security.deps import Cursor, Db, RecordId
from watchfloor.web.charts import series_chart
from watchfloor.web.pages import Me, check_csrf, refused, render

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 100
NO_FILTERS: dict[str, Any] = {"drug_sales": False, "substance_class": "", "platform": "", "q": ""}


@router.get("/listings", response_class=HTMLResponse)
def queue(
    request: Request,
    db: Db,
    me: Me,
    cursor: Cursor = None,
    drug_sales: Annotated[bool, Query()] = False,
    substance_class: Annotated[str | None, Query(pattern=f"^({'|'.join(CLASSES)})?$")] = None,
    platform: Annotated[str, Query(max_length=80)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    return _queue(
        request,
        db,
        me,
        cursor=cursor,
        filters={
            "drug_sales": drug_sales,
            "substance_class": substance_class or "",
            "platform": platform.strip(),
            "q": q.strip(),
        },
    )


def _queue(
    request: Request,
    db: Db,
    me: Me,
    *,
    cursor: int | None = None,
    filters: dict[str, Any] | None = None,
    errors=(),
    status: int = 200,
    reclassified: Reclassified | None = None,
) -> Response:
    """The queue, 100 listings a page, newest first; ``filters`` are the form's values."""
    filters = filters or NO_FILTERS
    page = service.list_listings(
        db,
        me,
        cursor=cursor,
        substance_class=filters["substance_class"] or None,
        drug_sales_only=filters["drug_sales"],
        platform=filters["platform"] or None,
        text=filters["q"] or None,
        limit=QUEUE_PAGE,
    )
    return render(
        request,
        "listings/queue.html",
        me,
        active="listings",
        page=page,
        classes=CLASSES,
        filters=filters,
        query={k: "true" if v is True else v for k, v in filters.items() if v},
        paged=cursor is not None,
        platforms=platforms.services(),
        classifier=next(iter(labels.versions(db, me)), None),
        errors=list(errors),
        status=status,
        reclassified=reclassified,
    )


@router.get("/listings/watch", response_class=HTMLResponse)
def market_watch(request: Request, db: Db, me: Me) -> Response:
    mine = watch.daily_counts(db, me, by="substance_class").top(8)
    agora = watch.agora_crawls()
    return render(
        request,
        "listings/watch.html",
        me,
        active="listings",
        chart=series_chart(mine, "watch-chart", kind="bar") if mine.days else "",
        agora_chart=series_chart(agora, "agora-chart", events=watch.EVENTS),
    )


@router.post("/listings/classifier", response_class=HTMLResponse)
def retrain(request: Request, db: Db, me: Me, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf_token)
    try:
        labels.retrain(db, me)
    except WatchfloorError as exc:
        db.rollback()
        errors, status = refused(exc, "classifier")
        return _queue(request, db, me, errors=errors, status=status)
    db.commit()
    return RedirectResponse("/listings", status_code=303)


@router.post("/listings/reclassify", response_class=HTMLResponse)
def reclassify_page(
    request: Request, db: Db, me: Me, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    check_csrf(request, csrf_token)
    try:
        done = reclassify(db, me)
    except WatchfloorError as exc:
        db.rollback()
        errors, status = refused(exc, "listings")
        return _queue(request, db, me, errors=errors, status=status)
    db.commit()
    return _queue(request, db, me, reclassified=done)


@router.get("/listings/{listing_id}", response_class=HTMLResponse)
def listing_page(request: Request, db: Db, me: Me, listing_id: RecordId) -> Response:
    x = service.get_listing(db, me, listing_id)
    label = labels.label_of(db, me, listing_id)
    return render(
        request, "listings/listing.html", me, active="listings", x=x, label=label, classes=CLASSES
    )


@router.post("/listings/{listing_id}/label")
def label_page(
    request: Request,
    db: Db,
    me: Me,
    listing_id: RecordId,
    is_drug_sale: Annotated[bool, Form()] = False,
    substance_class: Annotated[str, Form(max_length=20)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    check_csrf(request, csrf_token)
    labels.label_listing(
        db,
        me,
        listing_id,
        is_drug_sale=is_drug_sale,
        substance_class=(substance_class or None) if is_drug_sale else None,
    )
    db.commit()
    return RedirectResponse(f"/listings/{listing_id}#label", status_code=303)


@router.get("/listings/{listing_id}/cluster", response_class=HTMLResponse)
def cluster_page(request: Request, db: Db, me: Me, listing_id: RecordId) -> Response:
    found = service.seller_cluster(db, me, listing_id)
    per_day = watch.tally("platform", ((x.observed_at.date(), x.platform) for x in found.listings))
    return render(
        request,
        "listings/cluster.html",
        me,
        active="listings",
        c=found,
        classes=CLASSES,
        # a bar a day reads best over a few weeks; a line over longer
        chart=series_chart(
            per_day, "cluster-chart", kind="bar" if len(per_day.days) <= 62 else "line"
        )
        if len(found.listings) > 1
        else "",
    )


__all__ = ["router"]

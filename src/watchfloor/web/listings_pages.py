"""Online-sales pages: the listing queue, a listing with the terms behind its class and its
signals, the seller cluster, and the market watch. They call services only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from watchfloor.listings import service, watch
from watchfloor.listings.classifier import CLASSES
from watchfloor.security.deps import Db, RecordId
from watchfloor.web.charts import series_chart
from watchfloor.web.pages import Me, render

router = APIRouter(include_in_schema=False)


@router.get("/listings", response_class=HTMLResponse)
def queue(
    request: Request,
    db: Db,
    me: Me,
    drug_sales: Annotated[bool, Query()] = False,
    substance_class: Annotated[str | None, Query(pattern=f"^({'|'.join(CLASSES)})?$")] = None,
) -> Response:
    page = service.list_listings(
        db,
        me,
        substance_class=substance_class or None,
        drug_sales_only=drug_sales,
        limit=100,
    )
    return render(
        request,
        "listings/queue.html",
        me,
        active="listings",
        page=page,
        classes=CLASSES,
        drug_sales=drug_sales,
        substance_class=substance_class,
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


@router.get("/listings/{listing_id}", response_class=HTMLResponse)
def listing_page(request: Request, db: Db, me: Me, listing_id: RecordId) -> Response:
    x = service.get_listing(db, me, listing_id)
    return render(request, "listings/listing.html", me, active="listings", x=x)


@router.get("/listings/{listing_id}/cluster", response_class=HTMLResponse)
def cluster_page(request: Request, db: Db, me: Me, listing_id: RecordId) -> Response:
    found = service.seller_cluster(db, me, listing_id)
    return render(request, "listings/cluster.html", me, active="listings", c=found)


__all__ = ["router"]

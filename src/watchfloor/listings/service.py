"""Reading listings: what a caller may see, as the API and the pages show it."""

from __future__ import annotations

import json

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from watchfloor.db import containing, fetch_page
from watchfloor.listings import linking
from watchfloor.listings.classifier import CLASSES
from watchfloor.listings.models import Listing
from watchfloor.listings.offer import NO_OFFER_TERM
from watchfloor.listings.schemas import (
    ClusterListing,
    ClusterOut,
    LinkOut,
    ListingOut,
    ListingPage,
    SignalOut,
    TermOut,
)
from watchfloor.security import Principal
from watchfloor.sharing import audit_list_reads, read_record, visible


def listing_out(x: Listing) -> ListingOut:
    stored = json.loads(x.terms or "[]")
    if isinstance(stored, list):  # decided before explanations were split (listings-1)
        stored = {"drug" if not x.is_drug_sale else "class": stored}
    terms = [TermOut(**t) for t in stored.get("drug", [])]
    return ListingOut(
        id=x.id,
        agency=x.owner.code,
        platform=x.platform,
        external_id=x.external_id,
        url=x.url,
        title=x.title,
        body=x.body,
        price=x.price,
        currency=x.currency,
        seller=x.seller,
        ships_from=x.ships_from,
        ships_to=x.ships_to.split(),
        observed_at=x.observed_at,
        probability=x.probability,
        is_drug_sale=x.is_drug_sale,
        substance_class=x.substance_class,
        substance_label=CLASSES.get(x.substance_class) if x.substance_class else None,
        class_probability=x.class_probability,
        why=stored.get("sentence", ""),
        offer=stored.get("offer", []),
        drug_probability=stored.get("drug_probability"),
        reads_as=stored.get("reads_as"),
        terms=terms,
        class_terms=[TermOut(**t) for t in stored.get("class", [])],
        talk=bool(terms) and terms[0].term == NO_OFFER_TERM,
        model_version=x.model_version,
        signals=[SignalOut.model_validate(s) for s in x.signals],
        tlp=x.tlp,
        received_at=x.received_at,
    )


def get_listing(session: Session, principal: Principal, listing_id: int) -> ListingOut:
    """One listing the caller may read (404 otherwise); reading another agency's is audited."""
    return listing_out(read_record(session, principal, Listing, listing_id))


def list_listings(
    session: Session,
    principal: Principal,
    *,
    cursor: int | None = None,
    substance_class: str | None = None,
    drug_sales_only: bool = False,
    platform: str | None = None,
    text: str | None = None,
    limit: int = 50,
) -> ListingPage:
    """Listings the caller may read, newest first; ``text`` finds them by a part of their
    title or seller handle, in any case."""
    stmt = select(Listing).where(visible(principal, Listing)).order_by(Listing.id.desc())
    if cursor:
        stmt = stmt.where(Listing.id < cursor)
    if substance_class:
        stmt = stmt.where(Listing.substance_class == substance_class)
    if drug_sales_only:
        stmt = stmt.where(Listing.is_drug_sale.is_(True))
    if platform:
        stmt = stmt.where(Listing.platform == platform)
    if text and text.strip():
        pattern = containing(text.strip())
        stmt = stmt.where(
            or_(
                Listing.title.ilike(pattern, escape="\\"),
                Listing.seller.ilike(pattern, escape="\\"),
            )
        )
    rows, next_cursor = fetch_page(session, stmt, limit)
    audit_list_reads(session, principal, "listing", rows)
    return ListingPage(items=[listing_out(x) for x in rows], next_cursor=next_cursor)


def seller_cluster(session: Session, principal: Principal, listing_id: int) -> ClusterOut:
    """The listing's seller cluster; other agencies' listings shown are audited reads."""
    found = linking.cluster(session, principal, listing_id)
    audit_list_reads(session, principal, "listing", found.listings)
    return ClusterOut(
        listing_id=listing_id,
        listings=[
            ClusterListing(
                id=x.id,
                platform=x.platform,
                seller=x.seller,
                title=x.title,
                observed_at=x.observed_at,
                substance_class=x.substance_class,
                ships_from=x.ships_from,
            )
            for x in found.listings
        ],
        links=[
            LinkOut(a=k.a, b=k.b, strong=k.strong, signals=[f"{t}:{v}" for t, v in k.signals])
            for k in found.links
        ],
        platforms=dict(found.platforms),
        sellers=dict(found.sellers),
        substance_classes=dict(found.classes),
        ships_from=dict(found.countries),
        first_seen=found.first_seen,
        last_seen=found.last_seen,
        truncated=found.truncated,
        common_signals=[f"{t}:{v}" for t, v in found.common],
    )

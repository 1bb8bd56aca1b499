"""The dashboard: what waits for the signed-in agency in each part of the watch floor.

Every figure is a count over the records the agency may read, with the same condition
(:func:`watchfloor.sharing.policy.visible`) as the list it links to, so that a figure never
tells of a record the list would not show. Counts read no record's contents, so they are not
audited as reads. ``GET /api/v1/dashboard`` gives the same figures as JSON, for a wall screen
or another system.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from watchfloor.alerts import for_role
from watchfloor.alerts.models import Alert
from watchfloor.cooperation.pen import service as pen
from watchfloor.cooperation.pen.models import PreExportNotification
from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.db import utcnow
from watchfloor.listings import notice_reading
from watchfloor.listings.models import Listing, Notice
from watchfloor.security.deps import CurrentPrincipal, Db
from watchfloor.security.service import Principal
from watchfloor.sharing.policy import visible
from watchfloor.shipments.models import Shipment
from watchfloor.warning.models import EarlyWarning

RECENT_SHIPMENTS = dt.timedelta(hours=24)
RECENT_WARNINGS = dt.timedelta(days=91)  # warnings about the periods of the last 3 months


class Figure(BaseModel):
    key: str  # stable: the API's key and the page element's id
    count: int
    label: str
    href: str  # the page that lists what is counted
    urgent: bool = False  # past a deadline: shown in the warning colour when not zero


class Card(BaseModel):
    key: str
    title: str
    href: str
    about: str
    figures: list[Figure]


class Dashboard(BaseModel):
    agency: str
    at: dt.datetime
    cards: list[Card]


def _count(session: Session, model: type[Any], *where: Any) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where)) or 0


def _shipments(session: Session, me: Principal, now: dt.datetime) -> Card:
    own = Shipment.owner_agency_id == me.agency_id
    return Card(
        key="shipments",
        title="Shipments",
        href="/shipments",
        about="Advance data intake, risk scoring and targeting.",
        figures=[
            Figure(
                key="alerts-open",
                count=_count(
                    session, Alert, visible(me, Alert), for_role(me), Alert.status == "open"
                ),
                label="open alerts",
                href="/alerts",
            ),
            Figure(
                key="shipments-recent",
                count=_count(
                    session, Shipment, own, Shipment.received_at >= now - RECENT_SHIPMENTS
                ),
                label="shipments received in the last 24 hours",
                href="/shipments",
            ),
            Figure(
                key="shipments-held",
                count=_count(session, Shipment, own, Shipment.status == "held"),
                label="held for inspection, no outcome yet",
                href="/shipments",
            ),
        ],
    )


def _online_sales(session: Session, me: Principal, now: dt.datetime) -> Card:
    seen = visible(me, Notice)
    if me.agency_kind == "platform":
        mine, noun = Notice.platform_agency_id == me.agency_id, "in your inbox awaiting action"
    else:
        mine, noun = Notice.owner_agency_id == me.agency_id, "you sent awaiting an answer"
    open_ = Notice.status.in_(notice_reading.OPEN)
    return Card(
        key="listings",
        title="Online sales",
        href="/listings",
        about="Listings, classifier, seller linking, notices.",
        figures=[
            Figure(
                key="listings-drug-sales",
                count=_count(session, Listing, visible(me, Listing), Listing.is_drug_sale),
                label="listings read as drug sales",
                href="/listings?drug_sales=true",
            ),
            Figure(
                key="notices-open",
                count=_count(session, Notice, seen, mine, open_),
                label=f"notices {noun}",
                href="/listings/notices",
            ),
            Figure(
                key="notices-overdue",
                count=_count(session, Notice, seen, mine, open_, Notice.due_at <= now),
                label="of them past their due time",
                href="/listings/notices?overdue=true",
                urgent=True,
            ),
        ],
    )


def _cooperation(session: Session, me: Principal, now: dt.datetime) -> Card:
    n = PreExportNotification
    to_answer = (visible(me, n), n.importing_agency_id == me.agency_id, n.status.in_(pen.OPEN))
    return Card(
        key="cooperation",
        title="Cooperation",
        href="/cooperation",
        about="Seizures, watchlists and pre-export notifications shared between agencies.",
        figures=[
            Figure(
                key="seizures-visible",
                count=_count(session, Seizure, visible(me, Seizure)),
                label="seizures visible to your agency",
                href="/cooperation",
            ),
            Figure(
                key="notifications-to-answer",
                count=_count(session, n, *to_answer),
                label="pre-export notifications awaiting your answer",
                href="/cooperation/notifications?box=received",
            ),
            Figure(
                key="notifications-overdue",
                count=_count(session, n, *to_answer, n.due_at <= now),
                label="of them past their deadline",
                href="/cooperation/notifications?box=received",
                urgent=True,
            ),
        ],
    )


def _warning(session: Session, me: Principal, now: dt.datetime) -> Card:
    """Warnings about recent periods, whenever a scan raised them: a scan over years of a
    public series raises warnings about long ago, which are history, not news."""
    w = EarlyWarning
    since = (now - RECENT_WARNINGS).date()
    return Card(
        key="warning",
        title="Early warning",
        href="/warning",
        about="First sightings, spikes, did-it-work analysis.",
        figures=[
            Figure(
                key="warnings-recent",
                count=_count(session, w, visible(me, w), w.period_start >= since),
                label="early warnings about the last 3 months",
                href=f"/warning?since={since.isoformat()}",
            )
        ],
    )


def dashboard(session: Session, me: Principal, now: dt.datetime | None = None) -> Dashboard:
    """The cards of the caller's dashboard; platforms submit no shipments, so they have no
    shipments card."""
    now = now or utcnow()
    cards = [] if me.agency_kind == "platform" else [_shipments(session, me, now)]
    cards += [
        _online_sales(session, me, now),
        _cooperation(session, me, now),
        _warning(session, me, now),
    ]
    return Dashboard(agency=me.agency_code, at=now, cards=cards)


router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])


@router.get("", response_model=Dashboard)
def get_dashboard(db: Db, principal: CurrentPrincipal) -> Dashboard:
    """What waits for your agency: open alerts, recent shipments, drug-sale listings, open
    and overdue notices, notifications to answer, recent early warnings; each a count of
    the records you may read, with the page that lists them."""
    return dashboard(db, principal)

"""Alerts API under /api/v1/alerts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from watchfloor.alerts import service
from watchfloor.alerts.models import Alert
from watchfloor.alerts.schemas import AlertOut, AlertPage, AlertUpdate
from watchfloor.alerts.service import AlertKind
from watchfloor.security import Principal
from watchfloor.security.deps import MAX_ID, CurrentPrincipal, Cursor, Db, RecordId, requires
from watchfloor.sharing import SharingIn, reshare

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])


@router.get("", response_model=AlertPage)
def get_alerts(
    db: Db,
    principal: CurrentPrincipal,
    status: Annotated[str | None, Query(pattern="^(open|assigned|closed)$")] = None,
    kind: Annotated[AlertKind | None, Query(description="Only alerts of this kind.")] = None,
    after: Annotated[int | None, Query(ge=0, le=MAX_ID, description="Only newer alerts.")] = None,
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> AlertPage:
    """Alerts you may read: your agency's and those shared with it, newest first."""
    return service.list_alerts(
        db, principal, status=status, kind=kind, after=after, cursor=cursor, limit=limit
    )


@router.get("/{alert_id}", response_model=AlertOut)
def get_alert(db: Db, principal: CurrentPrincipal, alert_id: RecordId) -> AlertOut:
    alert = service.get_alert(db, principal, alert_id)
    db.commit()  # the audit event of a foreign read
    return service.alert_out(db, alert)


@router.patch("/{alert_id}", response_model=AlertOut)
def patch_alert(
    db: Db,
    alert_id: RecordId,
    body: AlertUpdate,
    principal: Annotated[Principal, Depends(requires("officer"))],
) -> AlertOut:
    """Assign, close (with a reason) or reopen an alert of your agency."""
    alert = service.update_alert(db, principal, alert_id, body)
    db.commit()
    return service.alert_out(db, alert)


@router.put("/{alert_id}/sharing", response_model=AlertOut)
def put_alert_sharing(
    db: Db,
    alert_id: RecordId,
    body: SharingIn,
    principal: Annotated[Principal, Depends(requires("officer"))],
) -> AlertOut:
    """Widen, narrow or revoke who else sees an alert (the owner, or a recipient where the
    policy lets it share onward)."""
    alert = reshare(db, principal, Alert, alert_id, body)
    db.commit()
    return service.alert_out(db, alert)

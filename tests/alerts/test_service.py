"""The alerts service: the one way alerts are raised and closed, each audited, each raise
announced on the bus only once its transaction commits."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from watchfloor import audit, events
from watchfloor.alerts import service as alerts
from watchfloor.alerts.models import Alert
from watchfloor.audit import AuditEvent
from watchfloor.security.service import get_agency


def _new(agency_id: int, object_id: int, kind: str = "shipment_risk") -> alerts.NewAlert:
    return alerts.NewAlert(
        owner_agency_id=agency_id,
        kind=kind,  # type: ignore[arg-type]
        object_type="shipment",
        object_id=object_id,
        title="x" * 400,
        score=80,
    )


def test_raising_stores_audits_each_and_announces_after_commit(session) -> None:  # type: ignore[no-untyped-def]
    cbp = get_agency(session, "US-CBP")
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    ids = alerts.raise_alerts(
        session, [_new(cbp.id, 900_001), _new(cbp.id, 900_002)], actor="test", agency="US-CBP"
    )
    assert len(ids) == 2 and ids[0] < ids[1]
    stored = [session.get(Alert, i) for i in ids]
    assert [a.object_id for a in stored] == [900_001, 900_002]
    assert all(len(a.title) == 300 and a.status == "open" and a.tlp == "amber" for a in stored)
    raised = session.scalars(
        select(AuditEvent).where(AuditEvent.action == "alert.raise").order_by(AuditEvent.seq)
    ).all()
    assert [e.object_id for e in raised[-2:]] == [str(i) for i in ids]
    assert session.scalar(select(func.count()).select_from(AuditEvent)) == before + 2
    assert events.committed(session) == []  # nothing is ready before the commit
    session.commit()
    ready = events.committed(session)
    assert ready == [
        (
            "alerts.raised",
            {
                "alerts": [
                    {"id": ids[0], "kind": "shipment_risk", "owner_agency_id": cbp.id},
                    {"id": ids[1], "kind": "shipment_risk", "owner_agency_id": cbp.id},
                ]
            },
        )
    ]
    assert events.committed(session) == []  # taken once
    assert audit.verify(session).ok


def test_a_rolled_back_raise_announces_nothing(session) -> None:  # type: ignore[no-untyped-def]
    cbp = get_agency(session, "US-CBP")
    alerts.raise_alerts(session, [_new(cbp.id, 900_003)], actor="test")
    session.rollback()
    assert events.committed(session) == []
    assert session.scalar(select(Alert).where(Alert.object_id == 900_003)) is None


def test_unknown_kinds_are_refused(session) -> None:  # type: ignore[no-untyped-def]
    cbp = get_agency(session, "US-CBP")
    with pytest.raises(ValueError, match="unknown alert kinds: bogus"):
        alerts.raise_alerts(session, [_new(cbp.id, 1, kind="bogus")], actor="test")


def test_closing_closes_only_open_alerts_of_those_records_and_audits_each(session) -> None:  # type: ignore[no-untyped-def]
    cbp = get_agency(session, "US-CBP")
    a, b, other = alerts.raise_alerts(
        session,
        [_new(cbp.id, 900_010), _new(cbp.id, 900_010), _new(cbp.id, 900_011)],
        actor="test",
    )
    assert alerts.open_about(session, "shipment", [900_010, 900_011, 5]) == {900_010, 900_011}
    closed = alerts.close_alerts(
        session, object_type="shipment", object_ids=[900_010], reason="inspected", actor="t"
    )
    assert sorted(closed) == [a, b]
    assert session.get(Alert, other).status == "open"
    assert {session.get(Alert, i).closed_reason for i in (a, b)} == {"inspected"}
    events_closed = session.scalars(
        select(AuditEvent.object_id).where(AuditEvent.action == "alert.closed")
    ).all()
    assert {str(a), str(b)} <= set(events_closed)
    again = alerts.close_alerts(
        session, object_type="shipment", object_ids=[900_010], reason="again", actor="t"
    )
    assert again == [] and session.get(Alert, a).closed_reason == "inspected"
    assert audit.verify(session).ok

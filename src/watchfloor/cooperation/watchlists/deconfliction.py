"""Watchlist entries as the API shows them, their hits, joint cases, and publishing entries
as hashed identifiers. No FastAPI here; matching itself is
:mod:`watchfloor.cooperation.watchlists.screening`.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.alerts import service as alerts
from watchfloor.cooperation import links
from watchfloor.cooperation.watchlists.models import JointCase, WatchlistEntry, WatchlistHit
from watchfloor.cooperation.watchlists.schemas import CaseIn, CaseOut, HitOut, WatchlistEntryOut
from watchfloor.cooperation.watchlists.screening import owner_may_know
from watchfloor.db import fetch_page, utcnow
from watchfloor.errors import FieldProblem, Forbidden, Invalid, NotFound
from watchfloor.security import Agency, Principal, require_role
from watchfloor.sharing import (
    SharingIn,
    apply_sharing,
    audit_list_reads,
    can_read,
    read_record,
    record_changes,
    sharing_out,
    visible,
)


def entry_out(e: WatchlistEntry) -> WatchlistEntryOut:
    return WatchlistEntryOut(
        id=e.id,
        reference=e.reference,
        kind=e.kind,
        value=e.value,
        normalised=e.normalised,
        label=e.label,
        reason=e.reason,
        expires_at=e.expires_at,
        active=e.active,
        source=e.source,
        created_at=e.created_at,
        sharing=sharing_out(e),
    )


def list_entries(
    session: Session,
    principal: Principal,
    *,
    kind: str | None = None,
    mine: bool = False,
    cursor: int | None = None,
    limit: int = 50,
) -> tuple[list[WatchlistEntry], int | None]:
    """Entries the principal may read (``mine``: its agency's only), newest first."""
    stmt = select(WatchlistEntry).where(visible(principal, WatchlistEntry))
    if mine:
        stmt = stmt.where(WatchlistEntry.owner_agency_id == principal.agency_id)
    if kind:
        stmt = stmt.where(WatchlistEntry.kind == kind)
    if cursor:
        stmt = stmt.where(WatchlistEntry.id < cursor)
    rows, nxt = fetch_page(session, stmt.order_by(WatchlistEntry.id.desc()), limit)
    audit_list_reads(session, principal, WatchlistEntry.share_type, rows)
    return rows, nxt


def deactivate(session: Session, principal: Principal, entry_id: int) -> WatchlistEntry:
    """Stop an entry matching (the owner's officers); its hits stay on record."""
    require_role(principal, "officer")
    entry = read_record(session, principal, WatchlistEntry, entry_id)
    if entry.owner_agency_id != principal.agency_id:
        raise Forbidden(f"only {entry.owner.code} may withdraw its watchlist entry")
    entry.active, entry.updated_at = False, utcnow()
    record_changes(session, WatchlistEntry.share_type, [entry.id])  # peers learn of it too
    links.changed("watchlist_entry", session)  # scorers read the name entries
    audit.record_by(
        session,
        principal,
        action="watchlist_entry.withdraw",
        object_type="watchlist_entry",
        object_id=entry.id,
    )
    return entry


# --- hits ---------------------------------------------------------------------------------


def _hit_view(session: Session, principal: Principal, hit: WatchlistHit) -> HitOut | None:
    """The hit as the principal may see it, or None: the entry's owner sees every hit on
    its entries (and who had it only where it may read the record), the hitting agency
    those on entries it may read."""
    owner = hit.entry_owner_id == principal.agency_id
    hitter = hit.hit_agency_id == principal.agency_id
    readable = owner or can_read(principal, hit.entry)
    if not owner and not (hitter and readable):
        return None
    named = hitter or owner_may_know(session, hit, hit.entry.owner)
    return HitOut(
        id=hit.id,
        entry_owner=hit.entry.owner.code,
        entry_id=hit.entry_id if readable else None,
        entry_reference=hit.entry.reference if readable else None,
        hit_agency=hit.hit_agency.code if named else None,
        record_type=hit.record_type,
        record_id=hit.record_id if hitter else None,
        field=hit.field,
        at=hit.at,
    )


def list_hits(
    session: Session, principal: Principal, *, cursor: int | None = None, limit: int = 50
) -> tuple[list[HitOut], int | None]:
    """Hits on the principal's entries, and its records' hits on entries it may read."""
    stmt = select(WatchlistHit).where(
        or_(
            WatchlistHit.entry_owner_id == principal.agency_id,
            WatchlistHit.hit_agency_id == principal.agency_id,
        )
    )
    if cursor:
        stmt = stmt.where(WatchlistHit.id < cursor)
    window = limit * 4 + 50
    # the entries' policies decide part of it in Python: a page reads at most ``window``
    # hits, and when those ran out before the page was full the cursor carries on after them
    rows = list(session.scalars(stmt.order_by(WatchlistHit.id.desc()).limit(window)))
    shown: list[tuple[WatchlistHit, HitOut]] = []
    after = rows[-1].id if len(rows) == window else None
    for hit in rows:
        view = _hit_view(session, principal, hit)
        if view is not None:
            shown.append((hit, view))
            if len(shown) == limit:
                after = hit.id
                break
    _audit_hit_reads(session, principal, shown)
    return [v for _, v in shown], after


def _audit_hit_reads(
    session: Session, principal: Principal, shown: list[tuple[WatchlistHit, HitOut]]
) -> None:
    """What hits told of other agencies' data is audited like a read by id: another
    agency's entry that a hit named, and the record of another agency that hit one's own
    entry, where the hit said whose (the caller commits)."""
    mine = principal.agency_id
    entries = sorted(
        {h.entry_id for h, v in shown if v.entry_id is not None and h.entry_owner_id != mine}
    )
    records: dict[str, set[int]] = {}
    for h, v in shown:
        if v.hit_agency is not None and h.hit_agency_id != principal.agency_id:
            records.setdefault(h.record_type, set()).add(h.record_id)
    if entries:
        audit.record_read(session, principal, action="watchlist_entry.read",
                          object_type="watchlist_entry",
                          detail={"foreign_ids": entries, "via": "watchlist hit"})  # fmt: skip
    for kind, ids in sorted(records.items()):
        audit.record_read(session, principal, action=f"{kind}.read", object_type=kind,
                          detail={"foreign_ids": sorted(ids), "via": "watchlist hit"})  # fmt: skip


def get_hit(session: Session, principal: Principal, hit_id: int) -> tuple[WatchlistHit, HitOut]:
    hit = session.get(WatchlistHit, hit_id)
    view = _hit_view(session, principal, hit) if hit is not None else None
    if hit is None or view is None:
        raise NotFound(f"watchlist hit {hit_id} not found")
    _audit_hit_reads(session, principal, [(hit, view)])
    return hit, view


# --- joint cases ----------------------------------------------------------------------------


def case_out(c: JointCase) -> CaseOut:
    sharing = sharing_out(c)
    return CaseOut(
        id=c.id,
        title=c.title,
        status=c.status,
        hit_id=c.hit_id,
        members=sorted({sharing.owner, *sharing.recipients}),
        notes=json.loads(c.notes or "[]"),
        created_at=c.created_at,
        sharing=sharing,
    )


def _note(principal: Principal, text: str) -> dict[str, str]:
    return {
        "by": principal.actor,
        "agency": principal.agency_code,
        "at": utcnow().isoformat(),
        "note": text,
    }


def open_case(session: Session, principal: Principal, hit_id: int, data: CaseIn) -> JointCase:
    """A joint case on a hit, opened by the entry's owner or by the hitting agency, with
    the other as member; the other is told by an alert."""
    require_role(principal, "analyst")
    hit, _ = get_hit(session, principal, hit_id)
    other_id = (
        hit.hit_agency_id if hit.entry_owner_id == principal.agency_id else hit.entry_owner_id
    )
    if other_id == principal.agency_id:
        raise Invalid(
            "this hit is between your own records: there is nobody to deconflict with",
            [FieldProblem("hit_id", "own entry, own record")],
        )
    other = session.get(Agency, other_id)
    assert other is not None
    case = JointCase(
        owner_agency_id=principal.agency_id,
        title=data.title,
        hit_id=hit.id,
        notes=json.dumps([_note(principal, data.note)] if data.note else []),
        created_by=principal.actor,
        tlp="amber",
    )
    session.add(case)
    session.flush()
    audit.record_by(
        session,
        principal,
        action="joint_case.open",
        object_type="joint_case",
        object_id=case.id,
        detail={"hit": hit.id, "with": other.code},
    )
    apply_sharing(session, principal, case, SharingIn(tlp="amber", recipients=[other.code]))
    alerts.raise_alerts(
        session,
        [
            alerts.NewAlert(
                owner_agency_id=other.id,
                kind="joint_case",
                object_type="joint_case",
                object_id=case.id,
                title=f"{principal.agency_code} opened a joint case with you: {data.title}",
            )
        ],
        actor=principal.actor,
        agency=principal.agency_code,
    )
    return case


def list_cases(
    session: Session, principal: Principal, *, cursor: int | None = None, limit: int = 50
) -> tuple[list[JointCase], int | None]:
    stmt = select(JointCase).where(visible(principal, JointCase))
    if cursor:
        stmt = stmt.where(JointCase.id < cursor)
    rows, nxt = fetch_page(session, stmt.order_by(JointCase.id.desc()), limit)
    audit_list_reads(session, principal, JointCase.share_type, rows)
    return rows, nxt


def add_note(session: Session, principal: Principal, case_id: int, text: str) -> JointCase:
    """A member's note on the case (any member agency's analysts)."""
    require_role(principal, "analyst")
    case = read_record(session, principal, JointCase, case_id)
    notes: list[dict[str, Any]] = json.loads(case.notes or "[]")
    notes.append(_note(principal, text))
    case.notes = json.dumps(notes)
    audit.record_by(
        session,
        principal,
        action="joint_case.note",
        object_type="joint_case",
        object_id=case.id,
    )
    return case

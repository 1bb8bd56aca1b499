"""Notices to platforms: an agency sends, the platform acknowledges and answers each listing
in the DSA vocabulary, the overdue are escalated. Every step is audited.

Who may do what:

- an analyst or higher of an agency that is not a platform sends a notice about listings
  it may read; a listing the platform may not already read is passed to it only where the
  sharing policy lets the sender share it onward (``sharing.policy.can_share``);
- the platform agency addressed (analyst or higher) acknowledges and answers; a decision
  on a listing is final;
- the sender withdraws a notice that is not answered yet;
- anyone who may read the notice (the sender, the platform, named recipients) reads it;
  everyone else gets 404.

Times: the due time is the sending time plus the platform's SLA hours for the notice's
priority (``listings/platforms.toml``). A notice still unanswered at its due time is
overdue; late by one more SLA period, escalated (``listings.escalation``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.alerts import close_alerts
from watchfloor.audit import canonical
from watchfloor.db import utcnow
from watchfloor.errors import Conflict, FieldProblem, Forbidden, Invalid
from watchfloor.listings import labels
from watchfloor.listings.models import Listing, Notice, NoticeItem
from watchfloor.listings.notice_reading import (  # noqa: F401 - the notices API, in one place
    OPEN,
    Box,
    get_notice,
    hours_between,
    is_overdue,
    list_notices,
    notice_out,
    platform_agencies,
)
from watchfloor.listings.notice_schemas import (
    AnswerIn,
    DecisionIn,
    NoticeIn,
)
from watchfloor.listings.platforms import platform_sla
from watchfloor.security import Agency, Principal, require_role, system_principal
from watchfloor.sharing import SharingIn, apply_sharing, can_read, can_share

# --- sending --------------------------------------------------------------------------------


def _content_hash(data: NoticeIn, platform: str) -> str:
    body = data.model_dump(exclude={"reference"}) | {"platform": platform}
    return hashlib.sha256(canonical(body).encode()).hexdigest()


def _platform(session: Session, code: str) -> Agency:
    agency = session.scalar(select(Agency).where(Agency.code == code.strip().upper()))
    if agency is None:
        raise Invalid(
            f"no agency {code!r} on this instance", [FieldProblem("platform", "unknown agency")]
        )
    if agency.kind != "platform":
        raise Invalid(
            f"{agency.code} is a {agency.kind} agency, not a platform",
            [FieldProblem("platform", f"{agency.code} is not a platform agency")],
        )
    return agency


def _check_listings(
    session: Session, principal: Principal, platform: Agency, ids: list[int]
) -> list[Listing]:
    """The listings in the order given, each readable by the sender, on a service the
    platform runs, and either readable by the platform or shareable onward by the sender."""
    sla = platform_sla(platform.code)
    found = {x.id: x for x in session.scalars(select(Listing).where(Listing.id.in_(ids)))}
    as_platform = system_principal(platform)
    invalid: list[FieldProblem] = []
    refused: list[FieldProblem] = []
    for i, lid in enumerate(ids):
        field, x = f"listing_ids[{i}]", found.get(lid)
        if x is None or not can_read(principal, x):
            invalid.append(FieldProblem(field, f"listing {lid} not found", str(lid)))
            continue
        if not sla.runs(x.platform):
            invalid.append(
                FieldProblem(
                    field,
                    f"listing {lid} is on {x.platform!r}; {platform.code} answers for "
                    f"{', '.join(sla.services)}",
                    str(lid),
                )
            )
        if not can_read(as_platform, x):
            allowed, why = can_share(principal, x)
            if not allowed:
                refused.append(
                    FieldProblem(field, f"listing {lid} may not go to {platform.code}: {why}")
                )
    if invalid:
        raise Invalid(f"{len(invalid)} of the listings cannot be notified", invalid)
    if refused:
        raise Forbidden("the sharing policy keeps listings from the platform", refused)
    return [found[lid] for lid in ids]


def _open_duplicates(
    session: Session, principal: Principal, platform: Agency, ids: list[int]
) -> None:
    rows = session.execute(
        select(NoticeItem.listing_id, Notice.reference)
        .join(Notice, Notice.id == NoticeItem.notice_id)
        .where(
            Notice.owner_agency_id == principal.agency_id,
            Notice.platform_agency_id == platform.id,
            Notice.status.in_(OPEN),
            NoticeItem.listing_id.in_(ids),
        )
    ).all()
    if rows:
        where = {lid: ref for lid, ref in rows}
        raise Conflict(
            "listings are already in open notices to this platform",
            [
                FieldProblem(f"listing_ids[{i}]", f"listing {lid} is in open notice {where[lid]}")
                for i, lid in enumerate(ids)
                if lid in where
            ],
        )


def _new_reference(principal: Principal, now: dt.datetime) -> str:
    return f"{principal.agency_code}-N-{now:%Y%m%d}-{secrets.token_hex(3)}"


def send_notice(
    session: Session, principal: Principal, data: NoticeIn, *, now: dt.datetime | None = None
) -> tuple[Notice, bool]:
    """Send ``data``; returns the notice and whether it is new. The same reference with the
    same content again is a no-op; with other content it is a 409."""
    require_role(principal, "analyst")
    if principal.agency_kind == "platform":
        raise Forbidden("platform agencies answer notices; they do not send them")
    now = now or utcnow()
    platform = _platform(session, data.platform)
    digest = _content_hash(data, platform.code)
    if data.reference:
        existing = session.scalar(
            select(Notice).where(
                Notice.owner_agency_id == principal.agency_id, Notice.reference == data.reference
            )
        )
        if existing is not None:
            if existing.content_hash == digest:
                return existing, False
            raise Conflict(
                f"notice {data.reference} was sent already, with other content",
                [FieldProblem("reference", "already used for another notice")],
            )
    listings = _check_listings(session, principal, platform, data.listing_ids)
    _open_duplicates(session, principal, platform, data.listing_ids)
    scope = data.territorial_scope or [c for c in [principal.agency_country] if c]
    if not scope:
        raise Invalid(
            "say where the action is asked for",
            [FieldProblem("territorial_scope", "required: your agency has no country")],
        )
    hours = platform_sla(platform.code).hours(data.priority)
    notice = Notice(
        owner_agency_id=principal.agency_id,
        reference=data.reference or _new_reference(principal, now),
        platform_agency_id=platform.id,
        legal_ground=data.legal_ground,
        explanation=data.explanation,
        requested_action=data.requested_action,
        territorial_scope=" ".join(dict.fromkeys(scope)),
        priority=data.priority,
        sla_hours=hours,
        sent_at=now,
        due_at=now + dt.timedelta(hours=hours),
        status="sent",
        escalation=0,
        created_by=principal.actor,
        content_hash=digest,
        tlp=data.sharing.tlp,
        items=[
            NoticeItem(
                listing_id=x.id,
                service=x.platform,
                external_id=x.external_id,
                url=x.url,
                title=x.title,
                seller=x.seller,
                territorial_scope="",
            )
            for x in listings
        ],
    )
    session.add(notice)
    session.flush()
    audit.record_by(
        session,
        principal,
        action="notice.send",
        object_type="notice",
        object_id=notice.id,
        detail={
            "reference": notice.reference,
            "platform": platform.code,
            "listings": data.listing_ids,
            "requested_action": data.requested_action,
            "priority": data.priority,
            "due_at": notice.due_at,
        },
    )
    extra = [c for c in data.sharing.recipients if c.strip().upper() != platform.code]
    apply_sharing(
        session,
        principal,
        notice,
        SharingIn(
            tlp=data.sharing.tlp,
            recipients=[platform.code, *extra],
            originator_control=data.sharing.originator_control,
            legal_basis=data.legal_ground,
        ),
    )
    return notice, True


# --- the platform's side --------------------------------------------------------------------


def _as_platform(principal: Principal, notice: Notice, verb: str) -> None:
    require_role(principal, "analyst")
    if principal.agency_id != notice.platform_agency_id:
        raise Forbidden(f"only {notice.platform_agency.code}, the platform addressed, may {verb}")
    if notice.status == "withdrawn":
        raise Conflict(f"notice {notice.reference} was withdrawn by {notice.owner.code}")


def acknowledge(
    session: Session, principal: Principal, notice_id: int, *, now: dt.datetime | None = None
) -> Notice:
    """The platform confirms receipt; a second acknowledgement changes nothing."""
    notice = get_notice(session, principal, notice_id)
    _as_platform(principal, notice, "acknowledge it")
    if notice.acknowledged_at is not None:
        return notice
    notice.acknowledged_at = now or utcnow()
    notice.acknowledged_by = principal.actor
    if notice.status == "sent":
        notice.status = "acknowledged"
    audit.record_by(
        session, principal, action="notice.acknowledge", object_type="notice", object_id=notice.id
    )
    return notice


def _same(item: NoticeItem, d: DecisionIn, scope: str) -> bool:
    return (
        item.action == d.action
        and item.account_action == d.account_action
        and item.ground == d.ground
        and (item.ground_reference or "") == d.ground_reference
        and (item.explanation or "") == d.explanation
        and item.no_action_reason == d.no_action_reason
        and bool(item.automated_detection) == d.automated_detection
        and item.automated_decision == d.automated_decision
        and item.territorial_scope == scope
    )


def answer(
    session: Session,
    principal: Principal,
    notice_id: int,
    data: AnswerIn,
    *,
    now: dt.datetime | None = None,
) -> Notice:
    """Record the platform's decisions on listings of the notice. A listing decided already
    is a no-op when the decision is the same and a 409 when it differs (decisions are
    final); the notice is answered when every listing is decided."""
    notice = get_notice(session, principal, notice_id)
    _as_platform(principal, notice, "answer it")
    now = now or utcnow()
    items = {i.id: i for i in notice.items}
    problems, conflicts, seen = [], [], set()
    scopes: dict[int, str] = {}  # each decision's territorial scope as stored
    for k, d in enumerate(data.decisions):
        item = items.get(d.item_id)
        if item is None:
            problems.append(
                FieldProblem(
                    f"decisions[{k}].item_id", f"item {d.item_id} is not in notice {notice.id}"
                )
            )
        elif d.item_id in seen:
            problems.append(FieldProblem(f"decisions[{k}].item_id", "answered twice here"))
        else:
            scope = " ".join(dict.fromkeys(d.territorial_scope)) or notice.territorial_scope
            scopes[d.item_id] = scope
            if item.decided_at is not None and not _same(item, d, scope):
                conflicts.append(
                    FieldProblem(
                        f"decisions[{k}]",
                        f"item {item.id} was decided on {item.decided_at:%Y-%m-%dT%H:%M:%SZ} "
                        f"({item.action}); a decision is final",
                    )
                )
        seen.add(d.item_id)
    if problems:
        raise Invalid("some decisions do not fit the notice", problems)
    if conflicts:
        raise Conflict("some listings were decided already, differently", conflicts)
    recorded = []
    for d in data.decisions:
        item = items[d.item_id]
        if item.decided_at is not None:
            continue
        item.action = d.action
        item.account_action = d.account_action
        item.ground = d.ground
        item.ground_reference = d.ground_reference or None
        item.explanation = d.explanation or None
        item.no_action_reason = d.no_action_reason
        item.automated_detection = d.automated_detection
        item.automated_decision = d.automated_decision
        item.territorial_scope = scopes[d.item_id]
        item.decided_at = now
        item.decided_by = principal.actor
        labels.learn_from_answer(session, notice, item)
        recorded.append(
            {"item": item.id, "listing": item.listing_id, "action": d.action}
            | ({"account_action": d.account_action} if d.account_action else {})
            | ({"no_action_reason": d.no_action_reason} if d.no_action_reason else {})
        )
    if not recorded:
        return notice
    if notice.acknowledged_at is None:  # an answer is a receipt too
        notice.acknowledged_at, notice.acknowledged_by = now, principal.actor
    complete = all(i.decided_at is not None for i in notice.items)
    notice.status = "answered" if complete else "acknowledged"
    if complete:
        notice.answered_at = now
        _close_alerts(
            session, principal, notice, f"answered by {principal.agency_code} on {now:%Y-%m-%d}"
        )
    audit.record_by(
        session,
        principal,
        action="notice.answer",
        object_type="notice",
        object_id=notice.id,
        detail={"decisions": recorded, "complete": complete},
    )
    return notice


def withdraw(
    session: Session,
    principal: Principal,
    notice_id: int,
    reason: str,
    *,
    now: dt.datetime | None = None,
) -> Notice:
    """The sender takes back a notice not answered yet (again: no-op)."""
    notice = get_notice(session, principal, notice_id)
    require_role(principal, "analyst")
    if principal.agency_id != notice.owner_agency_id:
        raise Forbidden(f"only {notice.owner.code}, the sender, may withdraw the notice")
    if notice.status == "withdrawn":
        return notice
    if notice.status == "answered":
        raise Conflict(f"notice {notice.reference} is answered already")
    now = now or utcnow()
    notice.status, notice.withdrawn_at, notice.withdrawn_reason = "withdrawn", now, reason
    _close_alerts(session, principal, notice, f"withdrawn on {now:%Y-%m-%d}")
    audit.record_by(
        session,
        principal,
        action="notice.withdraw",
        object_type="notice",
        object_id=notice.id,
        detail={"reason": reason},
    )
    return notice


def _close_alerts(session: Session, principal: Principal, notice: Notice, reason: str) -> None:
    close_alerts(
        session,
        object_type="notice",
        object_ids=[notice.id],
        reason=reason,
        actor=principal.actor,
        agency=principal.agency_code,
    )

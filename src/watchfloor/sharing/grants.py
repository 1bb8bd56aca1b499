"""Sharing decisions on any shareable record: setting its policy (share, widen, narrow,
revoke), its policy as shown, and reading records of other agencies (audited). No FastAPI."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TypeVar

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.batches import chunks
from watchfloor.errors import FieldProblem, Forbidden, Invalid, NotFound
from watchfloor.security import Agency, Principal
from watchfloor.sharing import communities
from watchfloor.sharing.changes import policy_changed, record_changes
from watchfloor.sharing.models import Shareable, ShareRecipient
from watchfloor.sharing.policy import COMMUNITY_EXCLUDES, can_read, can_share
from watchfloor.sharing.schemas import SharingIn, SharingOut

S = TypeVar("S", bound=Shareable)


def _agencies_by_code(session: Session, codes: list[str], field: str) -> list[Agency]:
    wanted = sorted({c.strip().upper() for c in codes})
    found = {a.code: a for a in session.scalars(select(Agency).where(Agency.code.in_(wanted)))}
    missing = [c for c in wanted if c not in found]
    if missing:
        raise Invalid(
            f"unknown recipient agencies: {', '.join(missing)}",
            [FieldProblem(field, f"unknown agency {c!r}") for c in missing],
        )
    return [found[c] for c in wanted]


def _communities(codes: list[str], field: str) -> list[str]:
    wanted = sorted({c.strip().upper() for c in codes})
    known = communities.known()
    missing = [c for c in wanted if c not in known]
    if missing:
        raise Invalid(
            f"unknown communities: {', '.join(missing)}",
            [FieldProblem(field, f"unknown community {c!r}") for c in missing],
        )
    return wanted


def apply_sharing(
    session: Session,
    principal: Principal,
    record: Shareable,
    sharing: SharingIn,
    *,
    field: str = "sharing",
) -> None:
    """Set the policy of ``record``; the caller must be allowed to share it.

    Only the owner agency sets TLP, originator control, legal basis and expiry, and names
    or removes recipients. A recipient allowed to share onward (:func:`can_share`) may only
    add recipients, never a platform (platforms are outside the community, and only the
    owner decides what reaches one); the owner's terms stay as they are."""
    allowed, reason = can_share(principal, record)
    if not allowed:
        raise Forbidden(f"you may not share this record: {reason}")
    owner = record.owner_agency_id == principal.agency_id
    if sharing.expires_at is not None and sharing.expires_at.tzinfo is None:
        raise Invalid(
            "expires_at needs a time zone",
            [FieldProblem(f"{field}.expires_at", "timestamp without time zone")],
        )
    if not owner:
        _recipient_keeps_terms(record, sharing, field)
    agencies = _agencies_by_code(session, sharing.recipients, f"{field}.recipients")
    groups = _communities(sharing.communities, f"{field}.communities")
    if owner:
        record.tlp = sharing.tlp
        record.originator_control = sharing.originator_control
        record.legal_basis = sharing.legal_basis
        record.share_expires_at = sharing.expires_at
    rtype, rid = type(record).share_type, record.id  # type: ignore[attr-defined]
    rows = {
        (r.agency_id, r.community): r
        for r in session.scalars(
            select(ShareRecipient).where(
                ShareRecipient.record_type == rtype, ShareRecipient.record_id == rid
            )
        )
    }
    wanted: set[tuple[int | None, str | None]] = {
        (a.id, None) for a in agencies if a.id != record.owner_agency_id
    }
    wanted |= {(None, c) for c in groups}
    if owner:  # recipients may only widen
        for key in set(rows) - wanted:
            session.delete(rows[key])
    else:
        _no_platform_onward(session, agencies, groups, set(wanted) - set(rows), field)
    for agency_id, community in sorted(set(wanted) - set(rows), key=str):
        session.add(
            ShareRecipient(
                record_type=rtype,
                record_id=rid,
                agency_id=agency_id,
                community=community,
                granted_by=principal.actor,
            )
        )
    session.flush()
    record_changes(session, rtype, [rid])
    policy_changed(session, rtype)
    session.expire(record, ["recipients"])
    audit.record_by(
        session,
        principal,
        action=f"{rtype}.share",
        object_type=rtype,
        object_id=rid,
        detail={
            "tlp": record.tlp,
            "recipients": sorted(a.code for a in agencies),
            "communities": groups,
            "originator_control": record.originator_control,
            "expires_at": record.share_expires_at,
            **({} if owner else {"onward_by": principal.agency_code}),
        },
    )


def _recipient_keeps_terms(record: Shareable, sharing: SharingIn, field: str) -> None:
    """A recipient sharing onward leaves the owner's terms as they are: the same TLP and
    originator control, and no other legal basis or expiry (leaving those out keeps the
    owner's)."""
    changed = []
    if sharing.tlp != record.tlp:
        changed.append(FieldProblem(f"{field}.tlp", f"the owner set TLP:{record.tlp.upper()}"))
    if sharing.originator_control != record.originator_control:
        changed.append(FieldProblem(f"{field}.originator_control", "set by the owner"))
    if sharing.legal_basis is not None and sharing.legal_basis != record.legal_basis:
        changed.append(FieldProblem(f"{field}.legal_basis", "set by the owner"))
    if sharing.expires_at is not None and sharing.expires_at != record.share_expires_at:
        changed.append(FieldProblem(f"{field}.expires_at", "set by the owner"))
    if changed:
        raise Forbidden(
            "only the owner agency may change TLP, originator control, legal basis or expiry",
            changed,
        )


def _no_platform_onward(
    session: Session,
    agencies: list[Agency],
    groups: list[str],
    added: set[tuple[int | None, str | None]],
    field: str,
) -> None:
    """Refuse a recipient's onward share that would reach a platform, named or as a member
    of a community."""
    new_agencies = {a for a, _ in added if a is not None}
    new_groups = {c for _, c in added if c is not None}
    problems = [
        FieldProblem(f"{field}.recipients", f"{a.code} is a platform")
        for a in agencies
        if a.id in new_agencies and a.kind in COMMUNITY_EXCLUDES
    ]
    for code in sorted(new_groups & set(groups)):
        members = communities.members(code)
        platforms = session.scalars(
            select(Agency.code).where(
                Agency.code.in_(sorted(members)), Agency.kind.in_(COMMUNITY_EXCLUDES)
            )
        ).all()
        problems += [
            FieldProblem(f"{field}.communities", f"{code} includes the platform {p}")
            for p in sorted(platforms)
        ]
    if problems:
        raise Forbidden("only the owner agency may share its record with a platform", problems)


def name_recipients(
    session: Session,
    share_type: str,
    grants: Iterable[tuple[int, int | None, str | None]],
    *,
    granted_by: str,
    at: dt.datetime,
) -> int:
    """Name recipients of many records in one statement: (record id, agency id or None,
    community or None) each. For intakes that validated the recipients row by row and
    audit the batch's policies themselves; returns how many were named."""
    rows = [
        {
            "record_type": share_type,
            "record_id": record_id,
            "agency_id": agency_id,
            "community": community,
            "granted_by": granted_by,
            "granted_at": at,
        }
        for record_id, agency_id, community in grants
    ]
    if rows:
        session.execute(insert(ShareRecipient), rows)
    return len(rows)


def forget_recipients(session: Session, share_type: str, record_ids: Sequence[int]) -> None:
    """Remove every named recipient of these records (before naming them anew)."""
    for part in chunks(record_ids):
        session.execute(
            delete(ShareRecipient).where(
                ShareRecipient.record_type == share_type, ShareRecipient.record_id.in_(part)
            )
        )


def sharing_out(record: Shareable) -> SharingOut:
    return SharingOut(
        owner=record.owner.code,
        tlp=record.tlp,
        recipients=sorted(r.agency.code for r in record.recipients if r.agency is not None),
        communities=sorted(r.community for r in record.recipients if r.community),
        originator_control=record.originator_control,
        legal_basis=record.legal_basis,
        expires_at=record.share_expires_at,
    )


def read_record(
    session: Session, principal: Principal, model: type[S], record_id: int, *, via: str = ""
) -> S:
    """Fetch a record the principal may read; 404 (not 403) otherwise, so existence never leaks.

    A read of another agency's record is written to the audit log, in the caller's
    transaction (:func:`watchfloor.audit.record_read`), with ``via`` what showed it where
    that was not the record itself (a score reason).
    """
    record = session.get(model, record_id)
    if record is None or not can_read(principal, record):
        raise NotFound(f"{model.share_type} {record_id} not found")
    if record.owner_agency_id != principal.agency_id:
        audit.record_read(
            session,
            principal,
            action=f"{model.share_type}.read",
            object_type=model.share_type,
            object_id=record_id,
            detail={"owner": record.owner.code, **({"via": via} if via else {})},
        )
    return record


def audit_list_reads(
    session: Session, principal: Principal, share_type: str, records: list[S]
) -> None:
    """Audit the other agencies' records a list showed the principal (the caller commits)."""
    foreign_ids = [r.id for r in records if r.owner_agency_id != principal.agency_id]  # type: ignore[attr-defined]
    if foreign_ids:
        audit.record_read(
            session,
            principal,
            action=f"{share_type}.list",
            object_type=share_type,
            detail={"foreign_ids": foreign_ids},
        )


def reshare(
    session: Session, principal: Principal, model: type[S], record_id: int, sharing: SharingIn
) -> S:
    """Widen, narrow or revoke from the API: the record read as the caller may (404
    otherwise), then its policy set (the caller commits)."""
    record = read_record(session, principal, model, record_id)
    apply_sharing(session, principal, record, sharing)
    return record

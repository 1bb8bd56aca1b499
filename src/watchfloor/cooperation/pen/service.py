"""Pre-export notifications, after INCB PEN Online: filing, answering, deadlines and their
escalation, and the per-country figures. No FastAPI here.

The exporting country's authority files a notification for a precursor; the importing
country's authority (``cooperation/pen/pen.toml``) and the international body are recipients at
once. The importing authority confirms the import as legitimate, objects (stop the
shipment), or asks for information, before the deadline of its country. An objection puts
the importer (and a different consignee) on the importing authority's watchlist, shared with
the importing country's agencies, the exporter and the international body, so that their
shipments score high and any record naming them is a hit. Unanswered at the deadline a
notification is overdue (both authorities are told); ``escalate_after_days`` later it is
escalated (the international body is told too).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import statistics
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.alerts import AlertKind, NewAlert, raise_alerts
from watchfloor.cooperation import intake
from watchfloor.cooperation.pen import config as pen_config
from watchfloor.cooperation.pen.models import PreExportNotification as Pen
from watchfloor.cooperation.pen.schemas import (
    AnswerIn,
    CountryFigures,
    NotificationIn,
    NotificationOut,
    PenPartyIn,
)
from watchfloor.cooperation.quantities import normalise
from watchfloor.cooperation.watchlists.models import WatchlistEntry
from watchfloor.db import claim_escalation, fetch_page, session_scope, utcnow
from watchfloor.errors import Conflict, FieldProblem, Forbidden, Invalid
from watchfloor.identifiers import validate_country
from watchfloor.reference import SubstanceMatcher
from watchfloor.security import Agency, Principal, require_role
from watchfloor.sharing import (
    SharingIn,
    apply_sharing,
    audit_list_reads,
    read_record,
    sharing_out,
    visible,
)

OPEN = ("pending", "info_requested")
SYSTEM_ACTOR = "system:pen-deadlines"
PEN_DECISIONS: dict[str, AlertKind] = {
    "confirm": "pen_confirm",
    "object": "pen_object",
    "request_info": "pen_request_info",
}


def _agency(session: Session, code: str | None) -> Agency | None:
    return session.scalar(select(Agency).where(Agency.code == code)) if code else None


def _country(code: str, field: str) -> str:
    try:
        return validate_country(code)
    except ValueError as exc:
        raise Invalid(str(exc), [FieldProblem(field, str(exc))]) from None


def _table(data: NotificationIn) -> tuple[str | None, str]:
    """The catalogue key and the 1988 Convention table of the substance, or 'watched'."""
    found = SubstanceMatcher.shipped().find(data.substance)
    facts = found[0].substance if found else None
    if facts is not None and facts.un_1988_table in ("I", "II"):
        return facts.key, facts.un_1988_table
    if data.non_scheduled:
        return (facts.key if facts else None), "watched"
    raise Invalid(
        f"{data.substance!r} is not a substance of Table I or II of the 1988 Convention",
        [
            FieldProblem(
                "substance",
                "not in Table I or II; set non_scheduled for a chemical under special surveillance",
            )
        ],
    )


def _digest(data: NotificationIn) -> str:
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def file(session: Session, principal: Principal, data: NotificationIn) -> tuple[Pen, bool]:
    """File a notification as the principal's agency (an exporting authority); returns it
    and whether it was new. The same reference with the same content changes nothing; with
    other content it is a 409."""
    require_role(principal, "officer")
    digest = _digest(data)
    old = session.scalar(
        select(Pen).where(
            Pen.owner_agency_id == principal.agency_id, Pen.reference == data.reference
        )
    )
    if old is not None:
        if old.content_hash == digest:
            return old, False
        raise Conflict(f"notification {data.reference!r} exists with other content")
    exporter_agency = session.get(Agency, principal.agency_id)
    assert exporter_agency is not None
    if not exporter_agency.country:
        raise Forbidden(f"{principal.agency_code} has no country: it cannot export")
    importing = _country(data.importing_country, "importing_country")
    if importing == exporter_agency.country:
        raise Invalid(
            "an export goes to another country",
            [FieldProblem("importing_country", f"is the exporter's own, {importing}")],
        )
    rule = pen_config.rule(importing)
    authority = _agency(session, rule.authority)
    if authority is None:
        raise Invalid(
            f"no authority answers for {importing} on this instance",
            [FieldProblem("importing_country", f"{importing} has no authority in the PEN file")],
        )
    key, table = _table(data)
    amount, unit = normalise(data.quantity, data.unit)
    parties = {
        role: {
            **p.model_dump(),
            "country": _country(p.country, f"{role}.country") if p.country else None,
        }
        for role, p in (
            ("exporter", data.exporter),
            ("importer", data.importer),
            ("consignee", data.consignee),
        )
        if p is not None
    }
    now = utcnow()
    pen = Pen(
        owner_agency_id=principal.agency_id,
        reference=data.reference,
        exporting_country=exporter_agency.country,
        importing_country=importing,
        importing_agency_id=authority.id,
        substance_text=data.substance,
        substance_key=key,
        table=table,
        quantity=data.quantity,
        unit=data.unit,
        normalised_quantity=amount,
        normalised_unit=unit,
        parties=json.dumps(parties, ensure_ascii=False),
        content_hash=digest,
        route=" ".join(_country(c, f"route[{i}]") for i, c in enumerate(data.route)),
        mode=data.mode,
        carrier=data.carrier,
        ship_on=data.ship_on,
        status="pending",
        filed_at=now,
        due_at=now + dt.timedelta(days=rule.response_days),
        created_by=principal.actor,
        tlp=data.sharing.tlp,
    )
    session.add(pen)
    session.flush()
    audit.record_by(
        session,
        principal,
        action="notification.file",
        object_type="notification",
        object_id=pen.id,
        detail={"reference": pen.reference, "to": authority.code, "due_at": pen.due_at},
    )
    named = {
        *data.sharing.recipients,
        authority.code,
        *([rule.international] if rule.international else []),
    }
    apply_sharing(
        session,
        principal,
        pen,
        data.sharing.model_copy(update={"recipients": sorted(named - {principal.agency_code})}),
    )
    _alert(
        session,
        authority.id,
        pen,
        "pen_received",
        f"pre-export notification {pen.reference} from {principal.agency_code}: "
        f"{pen.quantity:g} {pen.unit} of {pen.substance_text}; "
        f"answer by {pen.due_at:%Y-%m-%d %H:%M} UTC",
        by=principal,
    )
    return pen, True


def _alert(
    session: Session,
    agency_id: int,
    pen: Pen,
    kind: AlertKind,
    title: str,
    by: Principal | None = None,
) -> None:
    """Tell ``agency_id`` about the notification (``by``: who acted; None for deadlines)."""
    raise_alerts(
        session,
        [NewAlert(agency_id, kind, "notification", pen.id, title)],
        actor=by.actor if by else SYSTEM_ACTOR,
        agency=by.agency_code if by else pen.owner.code,
    )


def _message(principal: Principal | None, kind: str, text: str) -> dict[str, str]:
    return {
        "by": principal.actor if principal else SYSTEM_ACTOR,
        "agency": principal.agency_code if principal else "",
        "kind": kind,
        "at": utcnow().isoformat(),
        "text": text,
    }


def answer(session: Session, principal: Principal, pen_id: int, data: AnswerIn) -> Pen:
    """The importing authority's answer (its officers)."""
    require_role(principal, "officer")
    pen = read_record(session, principal, Pen, pen_id)
    if pen.importing_agency_id != principal.agency_id:
        raise Forbidden(f"only {pen.importing_agency.code} answers notification {pen.reference}")
    if pen.status not in OPEN:
        raise Conflict(f"notification {pen.reference} was already answered: {pen.status}")
    if data.decision != "confirm" and not data.reason:
        raise Invalid(
            f"say why you {'object' if data.decision == 'object' else 'ask'}",
            [FieldProblem("reason", f"required to {data.decision.replace('_', ' ')}")],
        )
    now = utcnow()
    messages = json.loads(pen.messages or "[]")
    if data.decision == "request_info":
        pen.status = "info_requested"
        messages.append(_message(principal, "question", data.reason or ""))
    else:
        pen.status = "confirmed" if data.decision == "confirm" else "objected"
        pen.answered_at, pen.answered_by, pen.answer_reason = now, principal.actor, data.reason
    pen.messages = json.dumps(messages)
    if data.decision == "object":
        pen.watchlist_entry_id = _watch(session, principal, pen, data.reason or "")
    audit.record_by(
        session,
        principal,
        action=f"notification.{data.decision}",
        object_type="notification",
        object_id=pen.id,
        detail={"reason": data.reason, "late": now > pen.due_at},
    )
    _alert(
        session,
        pen.owner_agency_id,
        pen,
        PEN_DECISIONS[data.decision],
        f"{principal.agency_code} {_verb(data.decision)} notification {pen.reference}"
        + (f": {data.reason}" if data.reason else ""),
        by=principal,
    )
    session.flush()
    return pen


def _verb(decision: str) -> str:
    return {"confirm": "confirmed", "object": "objected to", "request_info": "asks about"}[decision]


def _watch(session: Session, principal: Principal, pen: Pen, reason: str) -> int | None:
    """Watchlist entries for the importer and a different consignee, shared with the
    importing country's agencies, the exporter and the international body."""
    parties = json.loads(pen.parties)
    names = [parties["importer"]["name"]]
    consignee = (parties.get("consignee") or {}).get("name")
    if consignee and consignee.lower() != names[0].lower():
        names.append(consignee)
    rule = pen_config.rule(pen.importing_country)
    same_country = session.scalars(
        select(Agency.code).where(
            Agency.country == pen.importing_country, Agency.id != principal.agency_id
        )
    ).all()
    recipients = sorted(
        {*same_country, pen.owner.code, *([rule.international] if rule.international else [])}
    )
    rows = [
        {
            "reference": f"PEN-{pen.id}-{i + 1}",
            "kind": "name",
            "value": name,
            "label": f"{'importer' if i == 0 else 'consignee'} of notification {pen.reference}",
            "reason": f"import of {pen.substance_text} objected to: {reason}"[:2000],
            "sharing": {"tlp": "amber", "recipients": recipients},
        }
        for i, name in enumerate(names)
    ]
    result = intake.submit(session, principal, rows, intake.WATCHLIST, source=f"pen:{pen.id}")
    made = [r for r in result.results if r.id is not None]
    if not made:  # a name too short to watch: the objection stands without an entry
        return None
    for r in made:
        entry = session.get(WatchlistEntry, r.id)
        if entry is not None:
            entry.source = f"pen-objection:{pen.reference}"
    return made[0].id


def reply(session: Session, principal: Principal, pen_id: int, message: str) -> Pen:
    """The exporter's reply to a question: the notification is pending again, with a new
    deadline of the importing country's response time from now."""
    require_role(principal, "officer")
    pen = read_record(session, principal, Pen, pen_id)
    if pen.owner_agency_id != principal.agency_id:
        raise Forbidden(f"only {pen.owner.code} replies on notification {pen.reference}")
    if pen.status != "info_requested":
        raise Conflict(f"notification {pen.reference} asks nothing ({pen.status})")
    if not message.strip():
        raise Invalid("the reply is empty", [FieldProblem("message", "write the answer")])
    messages = json.loads(pen.messages or "[]")
    messages.append(_message(principal, "reply", message))
    pen.messages = json.dumps(messages)
    pen.status = "pending"
    pen.due_at = utcnow() + dt.timedelta(days=pen_config.rule(pen.importing_country).response_days)
    pen.escalation = 0
    audit.record_by(
        session,
        principal,
        action="notification.reply",
        object_type="notification",
        object_id=pen.id,
    )
    _alert(
        session,
        pen.importing_agency_id,
        pen,
        "pen_reply",
        f"{principal.agency_code} replied on notification {pen.reference}",
        by=principal,
    )
    session.flush()
    return pen


def reshare(session: Session, principal: Principal, pen_id: int, sharing: SharingIn) -> Pen:
    """Widen or narrow who else sees a notification: its importing authority and the
    international body stay recipients whatever the new policy names."""
    pen = read_record(session, principal, Pen, pen_id)
    international = pen_config.rule(pen.importing_country).international
    keep = {pen.importing_agency.code, *([international] if international else [])}
    recipients = sorted({*sharing.recipients, *keep} - {pen.owner.code})
    apply_sharing(session, principal, pen, sharing.model_copy(update={"recipients": recipients}))
    return pen


def pen_out(pen: Pen, now: dt.datetime | None = None) -> NotificationOut:
    now = now or utcnow()
    parties = json.loads(pen.parties)
    consignee = parties.get("consignee")
    return NotificationOut(
        id=pen.id,
        reference=pen.reference,
        exporting_authority=pen.owner.code,
        exporting_country=pen.exporting_country,
        importing_authority=pen.importing_agency.code,
        importing_country=pen.importing_country,
        substance=pen.substance_text,
        substance_key=pen.substance_key,
        table=pen.table,
        quantity=pen.quantity,
        unit=pen.unit,
        normalised_quantity=pen.normalised_quantity,
        normalised_unit=pen.normalised_unit,
        exporter=PenPartyIn(**parties["exporter"]),
        importer=PenPartyIn(**parties["importer"]),
        consignee=PenPartyIn(**consignee) if consignee else None,
        route=pen.route.split(),
        mode=pen.mode,
        carrier=pen.carrier,
        ship_on=pen.ship_on,
        status=pen.status,
        filed_at=pen.filed_at,
        due_at=pen.due_at,
        overdue=pen.status in OPEN and pen.due_at <= now,
        escalation=("none", "overdue", "escalated")[pen.escalation],
        answered_at=pen.answered_at,
        answer_reason=pen.answer_reason,
        messages=json.loads(pen.messages or "[]"),
        watchlist_entry_id=pen.watchlist_entry_id,
        sharing=sharing_out(pen),
    )


def list_notifications(
    session: Session,
    principal: Principal,
    *,
    box: str | None = None,
    status: str | None = None,
    country: str | None = None,
    cursor: int | None = None,
    limit: int = 50,
) -> tuple[list[Pen], int | None]:
    """Notifications the principal may read; ``box`` sent (its own) or received (to it)."""
    stmt = select(Pen).where(visible(principal, Pen))
    if box == "sent":
        stmt = stmt.where(Pen.owner_agency_id == principal.agency_id)
    elif box == "received":
        stmt = stmt.where(Pen.importing_agency_id == principal.agency_id)
    if status:
        stmt = stmt.where(Pen.status == status)
    if country:
        stmt = stmt.where(
            (Pen.importing_country == country.upper()) | (Pen.exporting_country == country.upper())
        )
    if cursor:
        stmt = stmt.where(Pen.id < cursor)
    rows, nxt = fetch_page(session, stmt.order_by(Pen.id.desc()), limit)
    audit_list_reads(session, principal, Pen.share_type, rows)
    return rows, nxt


# --- deadlines ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Escalation:
    notification_id: int
    reference: str
    level: str
    exporter: str
    importer: str
    due_at: dt.datetime


def check_deadlines(session: Session, *, now: dt.datetime | None = None) -> list[Escalation]:
    """Flag every open notification past its deadline (once per level, however many
    processes run this: each step is claimed with a conditional update)."""
    now = now or utcnow()
    found = []
    for pen in session.scalars(
        select(Pen)
        .where(Pen.status.in_(OPEN), Pen.due_at <= now, Pen.escalation < 2)
        .order_by(Pen.id)
    ).all():
        rule = pen_config.rule(pen.importing_country)
        level = 2 if now >= pen.due_at + dt.timedelta(days=rule.escalate_after_days) else 1
        if level <= pen.escalation:
            continue
        if not claim_escalation(session, pen, level, now):
            continue
        label = "overdue" if level == 1 else "escalated"
        what = (
            f"notification {pen.reference} ({pen.owner.code} to {pen.importing_agency.code}) "
            f"unanswered since {pen.due_at:%Y-%m-%d %H:%M} UTC: {label}"
        )
        told = {pen.owner_agency_id, pen.importing_agency_id}
        international = _agency(session, rule.international) if level == 2 else None
        if international is not None:
            told.add(international.id)
        for agency_id in sorted(told):
            _alert(session, agency_id, pen, "pen_overdue" if level == 1 else "pen_escalated", what)
        audit.record(
            session,
            actor=SYSTEM_ACTOR,
            agency=pen.owner.code,
            action=f"notification.{label}",
            object_type="notification",
            object_id=pen.id,
            detail={"due_at": pen.due_at, "level": level},
        )
        found.append(
            Escalation(
                pen.id, pen.reference, label, pen.owner.code, pen.importing_agency.code, pen.due_at
            )
        )
    return found


def run_once(engine: Engine, *, now: dt.datetime | None = None) -> list[Escalation]:
    with session_scope(engine) as session:
        return check_deadlines(session, now=now)


# --- figures --------------------------------------------------------------------------------


def figures(session: Session, principal: Principal) -> list[CountryFigures]:
    """Per country, over the notifications the principal may read: sent and received,
    the response rate, the median time to answer, objections and those overdue now."""
    now = utcnow()
    sent: dict[str, int] = defaultdict(int)
    received: dict[str, list[Pen]] = defaultdict(list)
    rows = session.scalars(select(Pen).where(visible(principal, Pen))).all()
    for pen in rows:
        sent[pen.exporting_country] += 1
        received[pen.importing_country].append(pen)
    out = []
    for country in sorted(set(sent) | set(received)):
        got = received.get(country, [])
        answered = [p for p in got if p.answered_at is not None]
        due = [p for p in got if p.answered_at is not None or p.due_at <= now]
        hours = [(p.answered_at - p.filed_at).total_seconds() / 3600 for p in answered]  # type: ignore[operator]
        out.append(
            CountryFigures(
                country=country,
                sent=sent.get(country, 0),
                received=len(got),
                answered=len(answered),
                response_rate=round(len(answered) / len(due), 3) if due else None,
                median_response_hours=round(statistics.median(hours), 1) if hours else None,
                objections=sum(1 for p in got if p.status == "objected"),
                overdue=sum(1 for p in got if p.status in OPEN and p.due_at <= now),
            )
        )
    foreign = [p.id for p in rows if p.owner_agency_id != principal.agency_id]
    if foreign:
        audit.record_by(
            session,
            principal,
            action="notification.figures",
            object_type="notification",
            detail={"foreign_records": len(foreign)},
        )
        session.commit()
    return out

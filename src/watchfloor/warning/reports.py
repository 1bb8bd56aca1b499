"""Reports: one country at a glance, and an agency's annual seizure summary in the shape of
the UNODC Annual Report Questionnaire.

The ARQ's drug-supply part asks a member state, per drug, for the quantity seized with its
unit, the number of seizure cases, and where the drugs came from and went to. The summary
here answers it from the agency's *own* seizures of the year (records it owns, not those
shared with it: a state reports its own data), per substance and normalised unit (kg,
doses, litres), with the countries of origin and the modes of transport named in them.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from watchfloor import exports
from watchfloor.cooperation.pen import PreExportNotification
from watchfloor.cooperation.seizures import Seizure
from watchfloor.errors import FieldProblem, Invalid
from watchfloor.identifiers import validate_country
from watchfloor.listings import Listing
from watchfloor.security import Principal
from watchfloor.sharing import visible
from watchfloor.warning.models import EarlyWarning
from watchfloor.warning.series import SeriesQuery, collect
from watchfloor.warning.substances import display, identify


@dataclass
class ArqRow:
    drug: str
    substance_key: str | None
    unit: str
    quantity: float
    cases: int
    origins: list[str]
    modes: list[str]
    months: list[int]  # cases per month, January first


@dataclass
class ArqSummary:
    agency: str
    country: str | None
    year: int
    rows: list[ArqRow] = field(default_factory=list)
    records: int = 0


def arq_summary(session: Session, principal: Principal, year: int) -> ArqSummary:
    """The caller's agency's seizures of ``year``, per drug and unit (ARQ-shaped)."""
    if not 1900 <= year <= dt.date.today().year:
        raise Invalid("bad year", [FieldProblem("year", f"{year} is not a past or current year")])
    s = Seizure
    rows = session.execute(
        select(s.substance_key, s.substance_text, s.normalised_quantity, s.normalised_unit,
               s.quantity, s.unit, s.events, s.origin_country, s.mode, s.seized_on)
        .where(
            s.owner_agency_id == principal.agency_id,
            s.seized_on >= dt.date(year, 1, 1),
            s.seized_on <= dt.date(year, 12, 31),
        )
    ).all()  # fmt: skip
    groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(
        lambda: {
            "qty": 0.0,
            "cases": 0,
            "origins": Counter(),
            "modes": Counter(),
            "months": [0] * 12,
            "key": None,
        }  # fmt: skip
    )
    for key, text, nq, nu, q, u, events, origin, mode, day in rows:
        substance = key or identify(text)[1]
        unit = nu or u
        g = groups[(substance, unit)]
        g["key"] = key
        g["qty"] += float(nq if nq is not None else q)
        g["cases"] += int(events or 1)
        g["months"][day.month - 1] += int(events or 1)
        if origin:
            g["origins"][origin] += 1
        if mode:
            g["modes"][mode] += 1
    out = ArqSummary(principal.agency_code, principal.agency_country, year, records=len(rows))
    for (substance, unit), g in sorted(groups.items(), key=lambda kv: (-kv[1]["cases"], kv[0])):
        out.rows.append(
            ArqRow(
                display(substance),
                g["key"],
                unit,
                round(g["qty"], 3),
                g["cases"],
                [c for c, _ in g["origins"].most_common(5)],
                [m for m, _ in g["modes"].most_common(3)],
                g["months"],
            )  # fmt: skip
        )
    return out


def arq_csv(summary: ArqSummary) -> str:
    buf = io.StringIO()
    w = exports.Writer(buf)
    w.writerow(["reporting_agency", "country", "year", "drug", "catalogue_key", "quantity",
                "unit", "seizure_cases", "countries_of_origin", "modes",
                *[f"cases_{m:02d}" for m in range(1, 13)]])  # fmt: skip
    for r in summary.rows:
        w.writerow([summary.agency, summary.country or "", summary.year, r.drug,
                    r.substance_key or "", r.quantity, r.unit, r.cases, " ".join(r.origins),
                    " ".join(r.modes), *r.months])  # fmt: skip
    return buf.getvalue()


@dataclass
class CountryProfile:
    code: str
    seizures: int
    seizure_kg: float
    top_substances: list[tuple[str, int, float]]  # label, cases, kg
    recent_seizures: list[Seizure]
    notifications_out: int
    notifications_in: int
    recent_notifications: list[PreExportNotification]
    listings: int
    listing_classes: list[tuple[str, int]]
    warnings: list[EarlyWarning]
    monthly: dict[str, Any]  # source -> periods, values of seizure events per month


def country_profile(session: Session, principal: Principal, code: str) -> CountryProfile:
    """What the caller may read about one country: its seizures, notifications to and from
    it, listings shipping from it, and the warnings about it."""
    try:
        code = validate_country(code)
    except ValueError as exc:
        raise Invalid("bad country", [FieldProblem("code", str(exc))]) from None
    s = Seizure
    seen = visible(principal, s)
    cases = func.sum(func.coalesce(s.events, 1))
    kg = func.sum(func.coalesce(s.normalised_quantity, 0.0)).filter(s.normalised_unit == "kg")
    total, total_kg = session.execute(select(cases, kg).where(seen, s.country == code)).one()
    top = session.execute(
        select(func.coalesce(s.substance_key, s.substance_text), cases, kg)
        .where(seen, s.country == code)
        .group_by(func.coalesce(s.substance_key, s.substance_text))
        .order_by(cases.desc())
        .limit(10)
    ).all()
    recent = list(session.scalars(
        select(s).where(seen, s.country == code).order_by(s.seized_on.desc(), s.id.desc()).limit(10)
    ))  # fmt: skip
    n = PreExportNotification
    nseen = visible(principal, n)
    n_out = session.scalar(select(func.count()).where(nseen, n.exporting_country == code)) or 0
    n_in = session.scalar(select(func.count()).where(nseen, n.importing_country == code)) or 0
    recent_n = list(session.scalars(
        select(n).where(nseen, or_(n.exporting_country == code, n.importing_country == code))
        .order_by(n.id.desc()).limit(10)
    ))  # fmt: skip
    li = Listing
    lseen = visible(principal, li)
    classes = [
        (k or "unclassified", n)
        for k, n in session.execute(
            select(li.substance_class, func.count())
            .where(lseen, li.ships_from == code, li.is_drug_sale.is_(True))
            .group_by(li.substance_class)
            .order_by(func.count().desc())
        )
    ]
    w = EarlyWarning
    warnings = list(session.scalars(
        select(w).where(visible(principal, w), or_(w.country == code, w.place == code))
        .order_by(w.period_start.desc(), w.id.desc()).limit(20)
    ))  # fmt: skip
    monthly: dict[str, Any] = {}  # source -> {periods, values}
    q = SeriesQuery(
        sources=("seizures", "seizure-statistics"), measures=("events",), places=(code,)
    )
    for st in collect(session, principal, q):
        monthly[st.source] = {
            "periods": st.starts,
            "values": [float(v) for v in st.values.sum(axis=0)],
        }
    return CountryProfile(
        code, int(total or 0), float(total_kg or 0.0),
        [(display(k) if k else "?", int(c or 0), float(q or 0.0)) for k, c, q in top],
        recent, n_out, n_in, recent_n, sum(c for _, c in classes),
        [(k, int(c)) for k, c in classes], warnings, monthly,
    )  # fmt: skip


def country_json(p: CountryProfile) -> dict[str, Any]:
    """The country page's figures (what the caller may read) as JSON."""
    return {
        "country": p.code,
        "seizure_events": p.seizures,
        "seizure_kg": round(p.seizure_kg, 3),
        "substances": [
            {"substance": n, "events": e, "kg": round(k, 3)} for n, e, k in p.top_substances
        ],
        "notifications_from": p.notifications_out,
        "notifications_to": p.notifications_in,
        "drug_listings_shipping_from": p.listings,
        "listing_classes": dict(p.listing_classes),
        "seizure_events_by_month": {
            source: [
                {"month": m.isoformat(), "events": v}
                for m, v in zip(series["periods"], series["values"], strict=True)
            ]
            for source, series in p.monthly.items()
        },
        "warnings": [
            {
                "id": w.id,
                "kind": w.kind,
                "period_start": w.period_start.isoformat(),
                "summary": w.summary,
            }
            for w in p.warnings
        ],
    }


def country_csv(p: CountryProfile) -> str:
    """The country page's monthly seizure events and its substances as one CSV table."""
    buf = io.StringIO()
    w = exports.Writer(buf)
    w.writerow(["country", "table", "key", "events", "kg"])
    for source, series in p.monthly.items():
        for m, v in zip(series["periods"], series["values"], strict=True):
            w.writerow([p.code, f"{source} events by month", m.isoformat(), v, ""])
    for name, events, kg in p.top_substances:
        w.writerow([p.code, "seizures by substance", name, events, round(kg, 3)])
    for cls, n in p.listing_classes:
        w.writerow([p.code, "drug listings shipping from it, by class", cls, n, ""])
    return buf.getvalue()

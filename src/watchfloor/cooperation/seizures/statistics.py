"""Seizure figures by country over what the viewer may read: for the seizures page, its
charts and the API. Every figure goes through :func:`watchfloor.sharing.policy.visible`."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from pydantic import BaseModel, Field
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from watchfloor import audit
from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.security import Agency, Principal
from watchfloor.sharing import visible

TOP = 5


class SubstanceAmount(BaseModel):
    substance: str = Field(description="Catalogue key, or the text as reported.")
    kg: float = Field(examples=[1250.0])


class CountrySummary(BaseModel):
    country: str = Field(description="ISO 3166-1 alpha-2.", examples=["MX"])
    records: int = Field(description="Seizure records (events and statistics).", examples=[40])
    events: int = Field(description="Seizure events they count.", examples=[310])
    kg: float = Field(description="Total of the masses, in kg.", examples=[9120.5])
    doses: float = Field(description="Total of the counts (doses, tablets...).", examples=[0])
    litres: float = Field(description="Total of the volumes, in litres.", examples=[0])
    owners: list[str] = Field(description="Agencies whose records these are.")
    top: list[SubstanceAmount] = Field(description=f"The {TOP} largest substances by kg.")


def by_country(
    session: Session,
    principal: Principal,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[CountrySummary]:
    """Per country, the seizures the principal may read; largest total kg first. A summary
    that includes other agencies' records is audited as a read of them (how many, whose)."""
    label = func.coalesce(Seizure.substance_key, Seizure.substance_text)
    foreign = case((Seizure.owner_agency_id != principal.agency_id, 1), else_=0)
    stmt = (
        select(
            Seizure.country,
            Seizure.owner_agency_id,
            label,
            Seizure.normalised_unit,
            func.count(),
            func.sum(Seizure.events),
            func.sum(Seizure.normalised_quantity),
            func.sum(foreign),
        )
        .where(visible(principal, Seizure))
        .group_by(Seizure.country, Seizure.owner_agency_id, label, Seizure.normalised_unit)
    )
    if since:
        stmt = stmt.where(Seizure.seized_on >= since)
    if until:
        stmt = stmt.where(Seizure.seized_on < until)
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    by_substance: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    owners: dict[str, set[int]] = defaultdict(set)
    foreign_records = 0
    foreign_owners: set[int] = set()
    for country, owner, substance, unit, n, events, amount, n_foreign in session.execute(stmt):
        t = totals[country]
        t["records"] += n
        t["events"] += events or 0
        t[{"kg": "kg", "doses": "doses", "l": "litres"}.get(unit or "", "other")] += amount or 0
        if unit == "kg":
            by_substance[country][substance] += amount or 0
        owners[country].add(owner)
        if n_foreign:
            foreign_records += n_foreign
            foreign_owners.add(owner)
    codes = _agency_codes(session, {o for s in owners.values() for o in s})
    out = [
        CountrySummary(
            country=country,
            records=int(t["records"]),
            events=int(t["events"]),
            kg=round(t["kg"], 3),
            doses=round(t["doses"], 3),
            litres=round(t["litres"], 3),
            owners=sorted(codes[o] for o in owners[country]),
            top=[
                SubstanceAmount(substance=s, kg=round(kg, 3))
                for s, kg in sorted(by_substance[country].items(), key=lambda x: -x[1])[:TOP]
            ],
        )
        for country, t in totals.items()
    ]
    if foreign_records:
        audit.record_read(
            session,
            principal,
            action="seizure.summary",
            object_type="seizure",
            detail={
                "foreign_records": foreign_records,
                "owners": sorted(codes[o] for o in foreign_owners),
            },
        )
    return sorted(out, key=lambda c: (-c.kg, c.country))


def _agency_codes(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Agency.id, Agency.code).where(Agency.id.in_(ids))).all())


class YearAmount(BaseModel):
    year: int = Field(examples=[2021])
    country: str = Field(examples=["MX"])
    kg: float = Field(examples=[3400.5])
    events: int = Field(examples=[12])


def by_year(
    session: Session,
    principal: Principal,
    *,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[YearAmount]:
    """Kilograms and events per year and country over the seizures the principal may read
    (for the chart; :func:`by_country`, shown beside it, audits the read)."""
    year = func.extract("year", Seizure.seized_on)
    kg = func.sum(case((Seizure.normalised_unit == "kg", Seizure.normalised_quantity), else_=0))
    stmt = (
        select(year, Seizure.country, kg, func.sum(Seizure.events))
        .where(visible(principal, Seizure))
        .group_by(year, Seizure.country)
    )
    if since:
        stmt = stmt.where(Seizure.seized_on >= since)
    if until:
        stmt = stmt.where(Seizure.seized_on < until)
    return sorted(
        (
            YearAmount(year=int(y), country=c, kg=round(k or 0, 3), events=int(e or 0))
            for y, c, k, e in session.execute(stmt)
        ),
        key=lambda r: (r.year, r.country),
    )

"""Early warning and evaluation under /api/v1/warning."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from watchfloor.errors import FieldProblem, Invalid
from watchfloor.security import Principal
from watchfloor.security.deps import MAX_ID, CurrentPrincipal, Cursor, Db, RecordId, requires
from watchfloor.sharing import read_record
from watchfloor.warning import findings, interventions, service
from watchfloor.warning.detectors import finite_list
from watchfloor.warning.importers import datasets
from watchfloor.warning.models import EarlyWarning, Intervention, Subscription
from watchfloor.warning.schemas import (
    Algorithm,
    EvaluationOut,
    InterventionIn,
    InterventionOut,
    Kind,
    ScanIn,
    ScanOut,
    SeriesOut,
    SeriesPage,
    SubscriptionIn,
    SubscriptionOut,
    WarningOut,
    WarningPage,
)
from watchfloor.warning.series import SeriesQuery, collect

router = APIRouter(prefix="/api/v1/warning", tags=["early warning"])
Analyst = Annotated[Principal, Depends(requires("analyst"))]


def warning_out(w: EarlyWarning) -> WarningOut:
    return WarningOut(
        id=w.id, kind=w.kind, algorithm=w.algorithm, series=w.series, source=w.source,
        measure=w.measure, substance=w.substance, substance_label=w.substance_label,
        place_kind=w.place_kind, place=w.place, country=w.country, period=w.period,
        period_start=w.period_start, observed=w.observed, expected=w.expected,
        statistic=w.statistic, threshold=w.threshold, parameters=w.params(),
        record_type=w.record_type, record_id=w.record_id, summary=w.summary,
        owner=w.owner.code, tlp=w.tlp, created_at=w.created_at,
    )  # fmt: skip


@router.get("/datasets")
def get_datasets(principal: CurrentPrincipal) -> dict[str, dict[str, object]]:
    """The public statistics this instance imports (`watchfloor warning import`), with
    their source and the measures and period each holds."""
    return {
        k: {"title": d.title, "source": d.source, "period": d.period.kind,
            "measures": list(d.measures)}
        for k, d in datasets().items()
    }  # fmt: skip


@router.get("/warnings", response_model=WarningPage)
def get_warnings(
    db: Db,
    principal: CurrentPrincipal,
    kind: Kind | None = None,
    substance: Annotated[str | None, Query(max_length=200)] = None,
    place: Annotated[str | None, Query(max_length=120, description="Place or country.")] = None,
    source: Annotated[str | None, Query(max_length=40)] = None,
    since: Annotated[dt.date | None, Query(description="Periods from this date.")] = None,
    cursor: Cursor = None,
    after: Annotated[
        int | None, Query(ge=0, le=MAX_ID, description="Only warnings stored after this id.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> WarningPage:
    """Warnings you may read, newest first: your agency's scans, and others' shared with you."""
    rows = service.list_warnings(
        db, principal, kind=kind, substance=substance, place=place, source=source,
        since=since, before_id=cursor, after_id=after, limit=limit,
    )  # fmt: skip
    nxt = rows[-1].id if len(rows) == limit else None
    return WarningPage(items=[warning_out(w) for w in rows], next_cursor=nxt)


@router.get("/warnings/{warning_id}", response_model=WarningOut)
def get_warning(db: Db, principal: CurrentPrincipal, warning_id: RecordId) -> WarningOut:
    """One warning (404 unless you may read it; another agency's read is audited)."""
    return warning_out(read_record(db, principal, EarlyWarning, warning_id))


@router.post("/scan", response_model=ScanOut)
async def post_scan(request: Request, db: Db, principal: Analyst, body: ScanIn) -> ScanOut:
    """Run the detectors and the first-sighting rules over every series you may read; new
    warnings are stored (a rescan adds none), your subscriptions raise alerts, and each new
    warning is published on the bus as `<root>.warning.raised`."""

    def work() -> service.ScanReport:
        report = service.scan(
            db, principal, query=SeriesQuery(sources=tuple(body.sources)),
            algorithms=tuple(body.algorithms), since=body.since, recent=body.recent,
            params={str(k): v for k, v in body.parameters.items()},
        )  # fmt: skip
        db.commit()
        return report

    try:
        report = await run_in_threadpool(work)
    except (TypeError, ValueError) as exc:  # a parameter the detector does not take
        db.rollback()
        raise Invalid(
            "bad detector parameters", [FieldProblem("parameters", str(exc), "scan")]
        ) from None
    bus = getattr(request.app.state, "bus", None)
    if bus is not None:
        root = request.app.state.subject_root
        for event in report.events:
            await bus.publish(f"{root}.warning.raised", event)
    return ScanOut(**{k: v for k, v in report.__dict__.items() if k != "events"})


@router.get("/series", response_model=SeriesPage)
def get_series(
    db: Db,
    principal: CurrentPrincipal,
    source: Annotated[str, Query(max_length=40, examples=["nflis-drug"])],
    measure: Annotated[str | None, Query(max_length=16)] = None,
    substance: Annotated[list[str] | None, Query(description="Keys or labels.")] = None,
    place: Annotated[list[str] | None, Query(description="Places or countries.")] = None,
    period: Annotated[
        str, Query(pattern="^(day|week|month|half|year)$", description="Of record series.")
    ] = "month",
    algorithm: Algorithm | None = None,
    substance_level: Annotated[
        Literal["substance", "class"], Query(description="Add up substances by drug class.")
    ] = "substance",
    place_level: Annotated[
        Literal["place", "country", "region"],
        Query(description="Add up places by country, or by region where the source gives one."),
    ] = "place",
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> SeriesPage:
    """Series you may read, with one detector's upper bound and alarms when asked: the data
    of the charts on the early-warning page."""
    q = SeriesQuery(
        sources=(source,), measures=(measure,) if measure else (),
        substances=tuple(substance or ()), places=tuple(place or ()), period=period,  # type: ignore[arg-type]
        substance_level=substance_level, place_level=place_level,
    )  # fmt: skip
    items: list[SeriesOut] = []
    truncated = False
    for s in collect(db, principal, q):
        detection = None
        counts = findings.counts_only(s)
        if algorithm and counts.keys:
            detection = findings.run(counts, algorithm)
        rows = {k: i for i, k in enumerate(counts.keys)}
        for i, key in enumerate(s.keys):
            if len(items) == limit:
                truncated = True
                break
            r = rows.get(key)
            upper = detection.upper[r] if detection is not None and r is not None else None
            alarm = detection.alarm[r] if detection is not None and r is not None else None
            items.append(
                SeriesOut(
                    key=key.text,
                    label=s.labels.get(key.substance, key.substance),
                    tlp=s.tlp[i],
                    periods=s.starts,
                    values=finite_list(s.values[i]),
                    algorithm=algorithm if detection is not None else None,
                    upper=finite_list(upper) if upper is not None else [None] * len(s.starts),
                    alarms=[bool(a) for a in alarm]
                    if alarm is not None
                    else [False] * len(s.starts),
                )  # fmt: skip
            )
    return SeriesPage(items=items, truncated=truncated)


# -- subscriptions ---------------------------------------------------------------------------


def subscription_out(s: Subscription) -> SubscriptionOut:
    return SubscriptionOut(
        id=s.id, name=s.name, substances=s.listed("substances"), places=s.listed("places"),
        kinds=s.listed("kinds"), tlp=s.tlp, audience=s.audience, active=s.active,
        created_at=s.created_at,
    )  # fmt: skip


@router.get("/subscriptions", response_model=list[SubscriptionOut])
def get_subscriptions(db: Db, principal: CurrentPrincipal) -> list[SubscriptionOut]:
    """Your agency's subscriptions to warnings."""
    return [subscription_out(s) for s in service.subscriptions(db, principal)]


@router.post(
    "/subscriptions",
    response_model=SubscriptionOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": SubscriptionOut, "description": "The same subscription already held."},
        409: {"description": "An active subscription of that name has other filters."},
    },
)
def post_subscription(db: Db, principal: Analyst, body: SubscriptionIn) -> JSONResponse:
    """Subscribe your agency to warnings on these substances in these places (empty lists
    mean any): each new matching warning of your scans becomes one of your alerts. The
    name is the subscription's: sent again the same, it is answered 200 and not made twice."""
    sub, made = service.subscribe(
        db, principal, name=body.name, substances=body.substances, places=body.places,
        kinds=list(body.kinds), tlp=body.tlp, audience=body.audience,
    )  # fmt: skip
    db.commit()
    out = subscription_out(sub).model_dump(mode="json")
    return JSONResponse(out, status_code=201 if made else 200)


@router.delete("/subscriptions/{subscription_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_subscription(db: Db, principal: Analyst, subscription_id: RecordId) -> None:
    """End one of your agency's subscriptions."""
    service.unsubscribe(db, principal, subscription_id)
    db.commit()


# -- interventions ---------------------------------------------------------------------------


def intervention_out(i: Intervention) -> InterventionOut:
    return InterventionOut(
        id=i.id, reference=i.reference, title=i.title, kind=i.kind, description=i.description,
        country=i.country, started_on=i.started_on,
        target=interventions.SeriesSpec.model_validate_json(i.target),
        controls=[interventions.SeriesSpec.model_validate(c) for c in json.loads(i.controls)],
        options=interventions.EvaluationOptions.model_validate_json(i.options or "{}"),
        expected=i.expected, owner=i.owner.code, tlp=i.tlp,
    )  # fmt: skip


@router.get("/interventions", response_model=list[InterventionOut])
def get_interventions(db: Db, principal: CurrentPrincipal) -> list[InterventionOut]:
    """Interventions you may read, oldest first."""
    return [intervention_out(i) for i in interventions.list_interventions(db, principal)]


@router.post("/interventions", response_model=InterventionOut, status_code=status.HTTP_201_CREATED)
def post_intervention(db: Db, principal: Analyst, body: InterventionIn) -> InterventionOut:
    """Record an intervention with the series it should move and, where they exist, control
    series (the same reference again updates your record)."""
    row = interventions.record(
        db, principal, reference=body.reference, title=body.title, kind=body.kind,
        started_on=body.started_on, target=body.target, controls=body.controls,
        options=body.options, description=body.description, country=body.country,
        expected=body.expected, tlp=body.tlp,
    )  # fmt: skip
    db.commit()
    return intervention_out(row)


@router.get("/interventions/{intervention_id}", response_model=InterventionOut)
def get_intervention(
    db: Db, principal: CurrentPrincipal, intervention_id: RecordId
) -> InterventionOut:
    """One intervention (404 unless you may read it)."""
    return intervention_out(interventions.get(db, principal, intervention_id))


@router.get("/interventions/{intervention_id}/evaluation", response_model=EvaluationOut)
def get_evaluation(db: Db, principal: CurrentPrincipal, intervention_id: RecordId) -> EvaluationOut:
    """Did it work? An interrupted time series of the target (segmented regression with
    seasonality and HAC errors) and, with controls, a difference-in-differences (one) or a
    synthetic control (two or more), each with its effect, interval, counterfactual curve
    and the notes on what weakens it. Built from the series you may read."""
    row = interventions.get(db, principal, intervention_id)
    return EvaluationOut.model_validate(interventions.evaluate(db, principal, row))

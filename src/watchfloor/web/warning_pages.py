"""Early-warning pages: the warnings (live), a chart per watched series with its alarms, a
warning, interventions and their evaluation with exports, a country page and the annual
ARQ-shaped summary. Services only."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from watchfloor import exports
from watchfloor.security.deps import Db, RecordId
from watchfloor.security.service import require_role
from watchfloor.sharing.grants import read_record
from watchfloor.warning import findings, interventions, reports, service
from watchfloor.warning.importers import datasets
from watchfloor.warning.models import EarlyWarning
from watchfloor.warning.series import SeriesKey
from watchfloor.web.charts import alarm_chart, evaluation_chart, lines_chart
from watchfloor.web.pages import Me, check_csrf, render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=200)]
Since = Annotated[dt.date | None, Query(description="Warnings about periods from this date.")]
KINDS = ("", "first_sighting", "first_in_place", "possible_nps", "spike")
WATCHED = 6
PAGE = 50  # warnings a page lists
DESIGNS = {
    "its": "Interrupted time series",
    "did": "Difference-in-differences",
    "synthetic_control": "Synthetic control",
}


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


def _evaluation_html(
    request: Request, me: Me, row: Any, report: dict[str, Any], printable: bool
) -> Response:
    start = report["first_period_after"]
    charts = [
        evaluation_chart(d, start, f"eval-{d['design']}", DESIGNS[d["design"]])
        for d in report["designs"]
    ]
    return render(request, "warning/evaluation.html", me, active="warning", i=row, report=report,
                  charts=charts, names=DESIGNS, printable=printable)  # fmt: skip


def _chart(db: Db, me: Me, key: SeriesKey, algorithm: str | None, div_id: str) -> str:
    view = service.series_view(db, me, key, algorithm)
    if view is None:
        return ""
    name = findings.ALGORITHM_NAMES.get(algorithm or "", "")
    return alarm_chart(view.periods, view.values, div_id, upper=view.upper, bound_label=name,
                       alarms=view.alarms, measure=key.measure)  # fmt: skip


@router.get("/warning", response_class=HTMLResponse)
def warning_page(
    request: Request, db: Db, me: Me, kind: Text = "", substance: Text = "", place: Text = "",
    source: Text = "", since: Since = None, page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:  # fmt: skip
    filters: dict[str, Any] = {
        "kind": kind if kind in KINDS else "", "substance": substance.strip(),
        "place": place.strip(), "source": source.strip(), "since": since,
    }  # fmt: skip
    rows = service.list_warnings(
        db, me, kind=filters["kind"] or None, substance=filters["substance"] or None,
        place=filters["place"] or None, source=filters["source"] or None, since=since,
        limit=PAGE + 1, offset=(page - 1) * PAGE, by_period=True,
    )  # fmt: skip
    more, rows = len(rows) > PAGE, rows[:PAGE]
    spikes = service.list_warnings(
        db, me, kind="spike", substance=filters["substance"] or None,
        place=filters["place"] or None, source=filters["source"] or None, since=since,
        limit=100,
    )  # fmt: skip
    watched: list[tuple[EarlyWarning, str]] = []
    seen: set[str] = set()
    for w in spikes:
        if w.series in seen or len(watched) == WATCHED:
            continue
        seen.add(w.series)
        watched.append(
            (w, _chart(db, me, SeriesKey.parse(w.series), w.algorithm, f"watch-{len(watched)}"))
        )
    return render(
        request, "warning/index.html", me, active="warning", rows=rows, filters=filters,
        kinds=KINDS, watched=watched, sources=sorted(datasets()),
        subs=service.subscriptions(db, me), after=max((w.id for w in rows), default=0),
        algorithms=findings.ALGORITHM_NAMES, page=page, more=more,
    )  # fmt: skip


@router.get("/warning/export")
def warnings_export(
    db: Db, me: Me, kind: Text = "", substance: Text = "", place: Text = "", source: Text = "",
    since: Since = None,
    fmt: Annotated[str, Query(alias="format", pattern="^(csv|json)$")] = "csv",
) -> Response:  # fmt: skip
    """The warnings a filter shows (up to 500, newest first), as CSV or JSON."""
    from watchfloor.warning.api import warning_out

    rows = service.list_warnings(
        db, me, kind=kind if kind in KINDS and kind else None, substance=substance or None,
        place=place or None, source=source or None, since=since, limit=500,
    )  # fmt: skip
    items = [warning_out(w).model_dump(mode="json") for w in rows]
    if fmt == "json":
        return JSONResponse(items, headers=_attachment("warnings.json"))
    buf = io.StringIO()
    cols = ["id", "kind", "algorithm", "source", "measure", "substance", "substance_label",
            "place_kind", "place", "country", "period", "period_start", "observed", "expected",
            "statistic", "threshold", "owner", "tlp", "summary"]  # fmt: skip
    out = exports.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    out.writeheader()
    out.writerows(items)
    return Response(buf.getvalue(), media_type="text/csv", headers=_attachment("warnings.csv"))


@router.post("/warning/scan")
def scan_form(
    request: Request, db: Db, me: Me, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    """Scan what the caller may read (the last three periods of each source)."""
    check_csrf(request, csrf_token)
    require_role(me, "analyst")
    report = service.scan(db, me)
    db.commit()
    return RedirectResponse(f"/warning?scanned={report.created}", status_code=303)


@router.get("/warning/warnings/{warning_id}", response_class=HTMLResponse)
def warning_detail(request: Request, db: Db, me: Me, warning_id: RecordId) -> Response:
    w = read_record(db, me, EarlyWarning, warning_id)
    algo = w.algorithm if w.algorithm in findings.ALGORITHM_NAMES else None
    chart = _chart(db, me, SeriesKey.parse(w.series), algo, "warning-chart")
    return render(request, "warning/warning.html", me, active="warning", w=w, chart=chart,
                  algorithms=findings.ALGORITHM_NAMES)  # fmt: skip


@router.get("/warning/interventions", response_class=HTMLResponse)
def interventions_page(request: Request, db: Db, me: Me) -> Response:
    rows = interventions.list_interventions(db, me)
    return render(request, "warning/interventions.html", me, active="warning", rows=rows)


def _evaluated(db: Db, me: Me, intervention_id: int) -> tuple[Any, dict[str, Any]]:
    row = interventions.get(db, me, intervention_id)
    return row, interventions.evaluate(db, me, row)


@router.get("/warning/interventions/{intervention_id}", response_class=HTMLResponse)
def evaluation_page(request: Request, db: Db, me: Me, intervention_id: RecordId) -> Response:
    row, report = _evaluated(db, me, intervention_id)
    return _evaluation_html(request, me, row, report, printable=False)


@router.get("/warning/interventions/{intervention_id}/export")
def evaluation_export(
    request: Request,
    db: Db,
    me: Me,
    intervention_id: RecordId,
    fmt: Annotated[str, Query(alias="format", pattern="^(csv|json|html)$")] = "html",
) -> Response:
    """The evaluation as JSON, as CSV (one row per period and design) or as a printable page."""
    row, report = _evaluated(db, me, intervention_id)
    name = f"evaluation-{row.reference}"
    if fmt == "json":
        return JSONResponse(
            report, headers={"Content-Disposition": f'attachment; filename="{name}.json"'}
        )
    if fmt == "csv":
        buf = io.StringIO()
        out = exports.Writer(buf)
        out.writerow(
            ["intervention", "design", "scale", "period", "observed", "fitted", "counterfactual",
             "effect", "effect_low", "effect_high", "p_value"]
        )  # fmt: skip
        for d in report["designs"]:
            e = d["effect"]
            for i, p in enumerate(d["periods"]):
                out.writerow([row.reference, d["design"], d["scale"], p, d["observed"][i],
                              d["fitted"][i], d["counterfactual"][i], e["value"], e["low"],
                              e["high"], e["p_value"]])  # fmt: skip
        return Response(buf.getvalue(), media_type="text/csv", headers=_attachment(f"{name}.csv"))
    if fmt == "html":
        names = {"its": "Interrupted time series", "did": "Difference-in-differences",
                 "synthetic_control": "Synthetic control"}  # fmt: skip
        charts = [
            evaluation_chart(
                d, report["first_period_after"], f"eval-{d['design']}", names[d["design"]]
            )
            for d in report["designs"]
        ]
        return render(request, "warning/evaluation.html", me, active="warning", i=row,
                      report=report, charts=charts, names=names, printable=True)  # fmt: skip
    raise AssertionError(fmt)  # the query pattern admits no other


@router.get("/countries/{code}", response_class=HTMLResponse)
def country_page(
    request: Request,
    db: Db,
    me: Me,
    code: str,
    fmt: Annotated[str, Query(alias="format", pattern="^(html|csv|json)$")] = "html",
) -> Response:
    profile = reports.country_profile(db, me, code[:2])
    name = f"country-{profile.code}"
    if fmt == "json":
        return JSONResponse(reports.country_json(profile), headers=_attachment(f"{name}.json"))
    if fmt == "csv":
        text = reports.country_csv(profile)
        return Response(text, media_type="text/csv", headers=_attachment(f"{name}.csv"))
    names = {"seizures": "seizure records", "seizure-statistics": "reported monthly figures"}
    traces = {names.get(k, k): (v["periods"], v["values"]) for k, v in profile.monthly.items()}
    chart = lines_chart(traces, "country-chart", measure="seizure events") if traces else ""
    return render(request, "warning/country.html", me, active="warning", p=profile, chart=chart)


@router.get("/warning/arq", response_class=HTMLResponse)
def arq_page(
    request: Request, db: Db, me: Me, year: Annotated[int | None, Query(ge=1900, le=2100)] = None,
    format: Annotated[str, Query(pattern="^(html|csv|json)$")] = "html",
) -> Response:  # fmt: skip
    year = year or dt.date.today().year - 1
    summary = reports.arq_summary(db, me, year)
    name = f"arq-seizures-{summary.agency}-{year}"
    if format == "csv":
        csv_text = reports.arq_csv(summary)
        return Response(csv_text, media_type="text/csv", headers=_attachment(f"{name}.csv"))
    if format == "json":
        body = json.loads(json.dumps(summary, default=lambda o: o.__dict__))
        return JSONResponse(
            body, headers={"Content-Disposition": f'attachment; filename="{name}.json"'}
        )
    return render(request, "warning/arq.html", me, active="warning", s=summary, year=year)

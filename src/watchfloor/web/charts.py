"""Plotly figures as HTML fragments; the page loads plotly.min.js from this server.

A figure is kept as the plain data plotly.js reads (traces, layout, config): plotly.py's
validating figure objects cost more than the rest of a page (on a warning's page, 44% of the
request went to building and writing its one chart)."""

from __future__ import annotations

import decimal
import functools
import html
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

_JSON = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS


def _plain(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    raise TypeError(f"a chart cannot show {type(value).__name__}")


def script_json(value: Any) -> str:
    """JSON to write inside a <script>: dates as ISO 8601, NaN as null, and no "<", ">" or
    "&" that could end the script early (a name such as "</script>" stays text)."""
    text = orjson.dumps(value, default=_plain, option=_JSON).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _titled(layout: dict[str, Any]) -> dict[str, Any]:
    """plotly.js takes a title as ``{"text": ...}``: a plain string is wrapped."""
    out = {}
    for key, value in layout.items():
        if isinstance(value, dict) and isinstance(value.get("title"), str):
            value = {**value, "title": {"text": value["title"]}}
        elif key == "title" and isinstance(value, str):
            value = {"text": value}
        out[key] = value
    return out


class Figure:
    """The parts of a Plotly figure these charts draw: traces, layout, shapes, notes."""

    def __init__(self) -> None:
        self.data: list[dict[str, Any]] = []
        self.layout: dict[str, Any] = {}

    def add_bar(self, **trace: Any) -> None:
        self.data.append({"type": "bar", **trace})

    def add_scatter(self, **trace: Any) -> None:
        self.data.append({"type": "scatter", **trace})

    def add_vline(self, x: Any, *, line_dash: str, line_color: str) -> None:
        """A vertical line across the plot at ``x``."""
        self.layout.setdefault("shapes", []).append(
            {"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
             "line": {"dash": line_dash, "color": line_color}}
        )  # fmt: skip

    def add_annotation(self, **note: Any) -> None:
        self.layout.setdefault("annotations", []).append(note)

    def update_layout(self, **layout: Any) -> None:
        self.layout.update(_titled(layout))

    def to_html(
        self, div_id: str, *, config: dict[str, Any] | None = None, click_href: str = ""
    ) -> str:
        """The chart's <div> and its data as a JSON block that nothing runs: static/watchfloor.js
        draws it (pages allow no inline script). ``click_href`` is where a click on a point
        goes, ``{}`` standing for the point's customdata."""
        spec = script_json([self.data, self.layout, {"responsive": True, **(config or {})}])
        click = f' data-click-href="{html.escape(click_href)}"' if click_href else ""
        return (
            f'<div id="{div_id}" class="plotly-graph-div chart" data-chart="{div_id}-data"{click}>'
            f'</div><script type="application/json" id="{div_id}-data">{spec}</script>'
        )


def precision_chart(series: list[dict[str, Any]]) -> str:
    """Daily precision of the inspections made within capacity, and the finds."""
    if not series:
        return ""
    days = [p["day"] for p in series]
    fig = Figure()
    fig.add_bar(x=days, y=[p["finds"] for p in series], name="finds", yaxis="y2", opacity=0.35)
    fig.add_scatter(
        x=days,
        y=[p["precision"] for p in series],
        mode="lines+markers",
        name="precision at capacity",
    )
    fig.update_layout(
        height=320,
        margin={"l": 50, "r": 50, "t": 20, "b": 40},
        yaxis={"title": "precision", "range": [0, 1], "tickformat": ".0%"},
        yaxis2={"title": "finds", "overlaying": "y", "side": "right", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.to_html("precision-chart")


def reliability_chart(points: list[list[float]]) -> str:
    """Predicted probability against the share of finds, on held-out outcomes."""
    if not points:
        return ""
    fig = Figure()
    fig.add_scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                    line={"dash": "dot", "color": "#999"})  # fmt: skip
    fig.add_scatter(
        x=[p[0] for p in points],
        y=[p[1] for p in points],
        mode="lines+markers",
        name="this version",
        text=[f"{int(p[2])} outcomes" for p in points],
    )
    fig.update_layout(
        height=320,
        margin={"l": 50, "r": 20, "t": 20, "b": 40},
        xaxis={"title": "predicted probability of a find", "range": [0, 1], "tickformat": ".0%"},
        yaxis={"title": "share found", "range": [0, 1], "tickformat": ".0%"},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig.to_html("reliability-chart")


def series_chart(
    series: Any,
    div_id: str,
    *,
    kind: str = "line",
    events: tuple[tuple[Any, str], ...] = (),
) -> str:
    """Counts per day, one trace per key (a :class:`watchfloor.listings.watch.Series`), with
    dated events drawn as vertical lines."""
    fig = Figure()
    for key, counts in series.counts.items():
        if kind == "bar":
            fig.add_bar(x=[d.isoformat() for d in series.days], y=counts, name=key)
        else:
            fig.add_scatter(x=series.days, y=counts, mode="lines+markers", name=key)
    for i, (day, label) in enumerate(events):
        fig.add_vline(x=day.isoformat(), line_dash="dot", line_color="#b00")
        fig.add_annotation(
            x=day.isoformat(),
            y=1 - 0.08 * i,  # stacked, so that close events do not overprint
            yref="paper",
            text=label,
            showarrow=False,
            xanchor="left",
            font={"size": 11, "color": "#b00"},
        )
    # bars of a few days read best one per day; a date axis would show hours between them
    xaxis = {"type": "category"} if kind == "bar" else {"type": "date"}
    fig.update_layout(
        height=340,
        barmode="stack",
        margin={"l": 50, "r": 20, "t": 20, "b": 40},
        xaxis=xaxis,
        yaxis={"title": "listings", "rangemode": "tozero"},
        legend={"orientation": "h", "y": -0.2},
    )
    return fig.to_html(div_id)


def _fragment(fig: Figure, div_id: str, height: int = 300) -> str:
    fig.update_layout(
        height=height,
        margin={"l": 50, "r": 50, "t": 30, "b": 40},
        legend={"orientation": "h", "y": -0.25},
    )
    return fig.to_html(div_id)


def transparency_charts(report: Any) -> dict[str, str]:
    """The transparency report (a :class:`watchfloor.listings.notice_schemas.ReportOut`) as
    three charts: notices and share actioned per period, hours to action, decisions."""
    periods = [p.period for p in report.periods]
    fig = Figure()
    fig.add_bar(x=periods, y=[p.received for p in report.periods], name="received")
    fig.add_bar(x=periods, y=[p.actioned for p in report.periods], name="actioned")
    fig.add_scatter(
        x=periods,
        y=[p.share_actioned for p in report.periods],
        name="share actioned",
        yaxis="y2",
        mode="lines+markers",
    )
    fig.update_layout(
        xaxis={"type": "category"},
        yaxis={"title": "notices", "rangemode": "tozero"},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1], "tickformat": ".0%"},
    )
    hours = Figure()
    hours.add_bar(x=list(report.hours_to_action), y=list(report.hours_to_action.values()))
    hours.update_layout(
        xaxis={"type": "category", "title": "hours from notice to action"},
        yaxis={"title": "listings", "rangemode": "tozero"},
    )
    actions = Figure()
    actions.add_bar(x=list(report.actions), y=list(report.actions.values()))
    actions.update_layout(
        xaxis={"type": "category"}, yaxis={"title": "listings", "rangemode": "tozero"}
    )
    return {
        "periods": _fragment(fig, "periods-chart"),
        "hours": _fragment(hours, "hours-chart", 260),
        "actions": _fragment(actions, "actions-chart", 260),
    }


def seizure_charts(summary: list[Any], years: list[Any], *, countries: int = 20) -> dict[str, str]:
    """Seizures by country (:class:`watchfloor.cooperation.seizures.statistics.CountrySummary`): the
    largest countries' kilograms stacked by substance, and kilograms per year for the eight
    largest. Empty when nothing is visible."""
    if not summary:
        return {}
    top = summary[:countries][::-1]  # largest at the top of a horizontal chart
    substances: dict[str, dict[str, float]] = {}
    for c in top:
        for s in c.top:
            substances.setdefault(s.substance, {})[c.country] = s.kg
    fig = Figure()
    for name, by_country in sorted(substances.items(), key=lambda x: -sum(x[1].values()))[:12]:
        fig.add_bar(
            y=[c.country for c in top],
            x=[by_country.get(c.country, 0) for c in top],
            name=name,
            orientation="h",
        )
    rest = [
        c.kg - sum(substances.get(s.substance, {}).get(c.country, 0) for s in c.top) for c in top
    ]
    fig.add_bar(
        y=[c.country for c in top], x=[max(r, 0) for r in rest], name="other", orientation="h"
    )
    fig.update_layout(barmode="stack", xaxis={"title": "kg seized"}, yaxis={"type": "category"})
    out = {"countries": _fragment(fig, "country-chart", 40 + 22 * len(top))}
    largest = {c.country for c in summary[:8]}
    trend = Figure()
    for country in sorted(largest):
        points = [y for y in years if y.country == country]
        trend.add_scatter(
            x=[p.year for p in points], y=[p.kg for p in points], name=country, mode="lines+markers"
        )
    trend.update_layout(
        xaxis={"title": "year", "dtick": 1},
        yaxis={"title": "kg seized (log)", "type": "log"},
    )
    out["years"] = _fragment(trend, "year-chart")
    return out


def pen_chart(figures: list[Any]) -> str:
    """Pre-export notifications per country (:class:`CountryFigures`): sent, received and
    objections as bars, the response rate as a line on its own axis."""
    if not figures:
        return ""
    countries = [f.country for f in figures]
    fig = Figure()
    fig.add_bar(x=countries, y=[f.sent for f in figures], name="sent")
    fig.add_bar(x=countries, y=[f.received for f in figures], name="received")
    fig.add_bar(x=countries, y=[f.objections for f in figures], name="objections")
    fig.add_scatter(
        x=countries,
        y=[f.response_rate for f in figures],
        name="response rate",
        yaxis="y2",
        mode="markers",
        marker={"size": 12, "symbol": "diamond"},
    )
    fig.update_layout(
        xaxis={"type": "category"},
        yaxis={"title": "notifications", "rangemode": "tozero"},
        yaxis2={"overlaying": "y", "side": "right", "range": [0, 1.05], "tickformat": ".0%"},
    )
    return _fragment(fig, "pen-chart", 280)


def network_chart(net: Any, div_id: str = "network-chart") -> str:
    """A network as a Plotly graph (pan and zoom; a click on an entity opens its page):
    spring layout, colour by proposed community, size by betweenness centrality."""
    import networkx as nx

    if not net.nodes:
        return ""
    graph = nx.Graph()
    graph.add_nodes_from(n.id for n in net.nodes)
    graph.add_edges_from((e.source, e.target) for e in net.edges)
    pos = nx.spring_layout(graph, seed=7)
    fig = Figure()
    xs: list[float | None] = []
    ys: list[float | None] = []
    for e in net.edges:
        xs += [pos[e.source][0], pos[e.target][0], None]
        ys += [pos[e.source][1], pos[e.target][1], None]
    fig.add_scatter(x=xs, y=ys, mode="lines", line={"width": 1, "color": "#999"},
                    hoverinfo="skip", showlegend=False)  # fmt: skip
    fig.add_scatter(
        x=[pos[n.id][0] for n in net.nodes],
        y=[pos[n.id][1] for n in net.nodes],
        mode="markers+text",
        text=[n.label if n.kind == "entity" else "restricted" for n in net.nodes],
        textposition="top center",
        customdata=[n.parties[0] if n.parties else 0 for n in net.nodes],
        hovertext=[
            f"{n.label}<br>{', '.join(f'{k} {v}' for k, v in n.sources.items())}"
            f"{'<br>' + str(n.restricted) + ' restricted' if n.restricted else ''}"
            for n in net.nodes
        ],
        hoverinfo="text",
        marker={
            "size": [14 + 40 * n.centrality for n in net.nodes],
            "color": [n.community if n.kind == "entity" else -1 for n in net.nodes],
            "colorscale": "Viridis",
            "symbol": ["circle" if n.kind == "entity" else "x" for n in net.nodes],
            "line": {"width": [3 if n.id == net.start else 0 for n in net.nodes], "color": "#b00"},
        },
        showlegend=False,
    )
    xs_, ys_ = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    pad = 0.35  # room for the names at the edges
    fig.update_layout(
        height=520, margin={"l": 10, "r": 10, "t": 10, "b": 10}, dragmode="pan",
        xaxis={"visible": False, "range": [min(xs_) - pad, max(xs_) + pad]},
        yaxis={"visible": False, "range": [min(ys_) - pad / 2, max(ys_) + pad / 2]},
    )  # fmt: skip
    return fig.to_html(div_id, config={"scrollZoom": True}, click_href="/entities/parties/{}")


ALARM_SYMBOLS = {
    "ears_c1": "triangle-up", "ears_c2": "triangle-up-open", "ears_c3": "diamond",
    "cusum_poisson": "square", "cusum_negbin": "square-open", "farrington": "star",
    "first_sighting": "circle-open",
}  # fmt: skip


def alarm_chart(
    periods: list[Any],
    values: list[float | None],
    div_id: str,
    *,
    upper: list[float | None] | None = None,
    bound_label: str = "",
    alarms: dict[str, list[int]] | None = None,
    measure: str = "count",
) -> str:
    """A watched series with one detector's upper bound and every detector's alarms as
    markers (``alarms``: algorithm -> indices of the alarmed periods)."""
    fig = Figure()
    fig.add_scatter(x=periods, y=values, mode="lines+markers", name="observed",
                    line={"color": "#1f4e79"})  # fmt: skip
    if upper is not None and any(v is not None for v in upper):
        fig.add_scatter(x=periods, y=upper, mode="lines", name=f"upper bound ({bound_label})",
                        line={"dash": "dot", "color": "#888"})  # fmt: skip
    for algo, idx in (alarms or {}).items():
        if idx:
            fig.add_scatter(
                x=[periods[i] for i in idx], y=[values[i] for i in idx], mode="markers",
                name=algo, marker={"symbol": ALARM_SYMBOLS.get(algo, "x"), "size": 11},
            )  # fmt: skip
    fig.update_layout(yaxis={"title": measure, "rangemode": "tozero"}, xaxis={"type": "date"})
    return _fragment(fig, div_id, height=280)


def evaluation_chart(design: dict[str, Any], start: Any, div_id: str, title: str) -> str:
    """Observed against the fitted model and the counterfactual, the start marked."""
    fig = Figure()
    x = design["periods"]
    fig.add_scatter(x=x, y=design["observed"], mode="markers", name="observed",
                    marker={"color": "#1f4e79"})  # fmt: skip
    if design["design"] != "synthetic_control":
        fig.add_scatter(x=x, y=design["fitted"], mode="lines", name="model",
                        line={"color": "#1f4e79"})  # fmt: skip
    fig.add_scatter(x=x, y=design["counterfactual"], mode="lines", name="counterfactual",
                    line={"dash": "dash", "color": "#b00"})  # fmt: skip
    fig.add_vline(x=str(start), line_dash="dot", line_color="#555")
    ytitle = "log(1 + value)" if design["scale"] == "log" else "value"
    fig.update_layout(title={"text": title, "font": {"size": 13}}, yaxis={"title": ytitle},
                      xaxis={"type": "date"})  # fmt: skip
    return _fragment(fig, div_id, height=320)


def lines_chart(
    traces: dict[str, tuple[list[Any], list[float]]], div_id: str, *, measure: str = "count"
) -> str:
    """A line per named series, each on its own dates."""
    fig = Figure()
    for name, (x, y) in traces.items():
        fig.add_scatter(x=x, y=y, mode="lines+markers", name=name)
    fig.update_layout(yaxis={"title": measure, "rangemode": "tozero"}, xaxis={"type": "date"})
    return _fragment(fig, div_id, height=300)


@dataclass(frozen=True)
class PlotlyBundle:
    plain: bytes
    gzipped: bytes
    fingerprint: str

    @property
    def src(self) -> str:
        return f"/assets/plotly-{self.fingerprint}.min.js"


@functools.cache
def plotly_bundle() -> PlotlyBundle:
    """The installed plotly.min.js, its gzip and its fingerprint, read once a process."""
    import gzip
    import hashlib

    import plotly

    plain = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
    return PlotlyBundle(
        plain, gzip.compress(plain, 6, mtime=0), hashlib.sha256(plain).hexdigest()[:12]
    )

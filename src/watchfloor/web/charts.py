"""Plotly figures as HTML fragments; the page loads plotly.min.js from this server."""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go


def precision_chart(series: list[dict[str, Any]]) -> str:
    """Daily precision of the inspections made within capacity, and the finds."""
    if not series:
        return ""
    days = [p["day"] for p in series]
    fig = go.Figure()
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
    return fig.to_html(full_html=False, include_plotlyjs=False, div_id="precision-chart")

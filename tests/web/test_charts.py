"""Charts are written as plotly.js data inside a JSON <script> that nothing runs: what a user
typed stays text, and dates, gaps and numpy values arrive as plotly.js reads them."""

from __future__ import annotations

import datetime as dt
import json
import re

import numpy as np

from watchfloor.web.charts import alarm_chart, lines_chart, series_chart


def spec_of(html: str) -> list:  # type: ignore[type-arg]
    m = re.search(r'<script type="application/json" id="[\w-]+">(.*)</script>$', html, re.S)
    assert m, html[:300]
    return json.loads(m.group(1))


def test_a_name_that_closes_the_script_stays_text() -> None:
    name = "</script><script>alert('x')</script> & <!--"
    html = lines_chart({name: ([dt.date(2026, 1, 1)], [1.0])}, "c1")
    assert html.count("</script>") == 1 and "<!--" not in html and "alert('x')</" not in html
    data, layout, config = spec_of(html)
    assert data[0]["name"] == name  # the browser reads it back unchanged
    assert layout["yaxis"]["title"] == {"text": "count"} and config["responsive"] is True


def test_dates_gaps_and_numpy_values_as_plotly_reads_them() -> None:
    periods = [dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    values = list(np.array([3.0, np.nan, 5.0]))
    html = alarm_chart(periods, values, "c2", upper=[4.0, None, 4.5], bound_label="EARS C1",
                       alarms={"ears_c1": [2]}, measure="reports")  # fmt: skip
    data, layout, _ = spec_of(html)
    assert data[0]["x"] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert data[0]["y"] == [3.0, None, 5.0]  # a gap, not a zero
    alarm = {"x": ["2026-03-01"], "y": [5.0], "mode": "markers", "name": "ears_c1"}
    assert data[2] == {"type": "scatter", **alarm, "marker": {"symbol": "triangle-up", "size": 11}}
    assert layout["height"] == 280 and layout["yaxis"]["title"]["text"] == "reports"


def test_dated_events_are_lines_with_their_labels() -> None:
    class Series:
        days = [dt.date(2014, 11, 5), dt.date(2014, 11, 6)]
        counts = {"cannabis": np.array([10, 4])}

    html = series_chart(Series(), "c3", events=((dt.date(2014, 11, 6), "Silk Road 2 seized"),))
    data, layout, _ = spec_of(html)
    assert data[0]["y"] == [10, 4]
    line, note = layout["shapes"][0], layout["annotations"][0]
    assert line["x0"] == line["x1"] == "2014-11-06" and line["yref"] == "paper"
    assert note["text"] == "Silk Road 2 seized" and note["x"] == "2014-11-06"

"""CSV exports: no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io

import pytest

from watchfloor import exports


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tcmd", "\r=1"]
)
def test_text_that_a_spreadsheet_would_run_is_quoted(text: str) -> None:
    buf = io.StringIO()
    exports.Writer(buf).writerow(["name", text, 12, -3.5])
    (row,) = csv.reader(io.StringIO(buf.getvalue()))
    assert row == ["name", "'" + text, "12", "-3.5"]  # numbers are left as they are


def test_the_dict_writer_quotes_the_same_cells() -> None:
    buf = io.StringIO()
    w = exports.DictWriter(buf, fieldnames=["a", "b"])
    w.writeheader()
    w.writerows([{"a": "=1+1", "b": "plain"}, {"a": "ok", "b": "@x"}])
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert rows == [{"a": "'=1+1", "b": "plain"}, {"a": "ok", "b": "'@x"}]

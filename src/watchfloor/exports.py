"""CSV files people open in spreadsheets: a cell that starts with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return is a formula to Excel, LibreOffice and Google Sheets, so a name
or a listing's text could run one on an analyst's machine (OWASP, "CSV Injection"). Every
CSV the product writes goes through these writers, which put a ``'`` before such text;
numbers are left as they are.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    """``value`` as a spreadsheet shows it and never runs it."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class Writer:
    """``csv.writer`` whose text cells cannot be formulas."""

    def __init__(self, sink: Any, **options: Any) -> None:
        self._w = csv.writer(sink, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._w.writerow([cell(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class DictWriter:
    """``csv.DictWriter`` whose text cells cannot be formulas."""

    def __init__(self, sink: Any, fieldnames: list[str], **options: Any) -> None:
        self._w = csv.DictWriter(sink, fieldnames=fieldnames, **options)

    def writeheader(self) -> Any:
        return self._w.writeheader()

    def writerow(self, row: Mapping[str, Any]) -> Any:
        return self._w.writerow({k: cell(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)

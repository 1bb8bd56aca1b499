"""Read a public statistic into observations, driven by ``sources.toml``.

Each data set's table in ``sources.toml`` says which columns hold the substance, the place,
the period and the measures; :func:`parse` turns a file into observation cells (cells that
the file splits, such as CBP's land and other seizures of one field office and month, are
summed), reporting every row it cannot read with its line, field and reason; :func:`store`
writes the cells under the importing agency's sharing policy. Importing a file again updates
the cells it holds and adds none: the natural key is (owner, data set, measure, substance as
written, place, period).
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pycountry
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from watchfloor import audit, datafiles
from watchfloor.db import table_of
from watchfloor.errors import FieldProblem, Invalid, NotFound
from watchfloor.security import Principal
from watchfloor.warning.models import MEASURES, PERIODS, Observation
from watchfloor.warning.substances import identify

MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
)}  # fmt: skip
MISSING = frozenset({"", "na", "n/a", "null", "none", "-"})
TLPS = ("clear", "green", "amber", "amber+strict", "red")


class PlaceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str | None = None
    fixed: str | None = None
    kind: str = Field(max_length=12)
    country: str | None = Field(None, description="Alpha-2, when the whole file is one country")
    region: str | None = Field(None, description="Column holding a region, kept beside")
    lookup: Literal["as_is", "title", "us_state", "iso3"] = "as_is"
    map: dict[str, str] = Field(default_factory=dict, description="value -> 'kind:place'")


class PeriodSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["day", "week", "month", "half", "year"]
    format: Literal["fiscal_month", "year_month", "year_half", "year", "date"]
    year: str | None = None
    month: str | None = None
    half: str | None = None
    date: str | None = None


class MeasureSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str
    factor: float = 1.0


class Dataset(BaseModel):
    """One statistic's table in ``sources.toml``."""

    model_config = ConfigDict(extra="forbid")
    key: str = ""
    title: str
    source: str
    format: Literal["csv", "json"]
    skip_rows: int = 0
    substance: str
    substance_fixed: str | None = None
    substance_map: dict[str, str] = Field(default_factory=dict)
    categories: list[str] = Field(default_factory=list)
    nps_review: bool = False
    # each value sums this many periods (CDC's counts are 12 months ending): spike detectors,
    # which take periods as independent counts, are not run on such a source
    rolling: int = Field(1, ge=1, le=60)
    gaps: Literal["zero", "missing"] = "zero"
    include: dict[str, list[str]] = Field(default_factory=dict)
    exclude: dict[str, list[str]] = Field(default_factory=dict)
    place: PlaceSpec
    period: PeriodSpec
    measures: dict[str, MeasureSpec]

    @field_validator("measures")
    @classmethod
    def _known_measures(cls, v: dict[str, MeasureSpec]) -> dict[str, MeasureSpec]:
        unknown = sorted(set(v) - set(MEASURES))
        if unknown:
            raise ValueError(f"unknown measures {unknown}; known: {list(MEASURES)}")
        return v


class Sources(BaseModel):
    datasets: dict[str, Dataset]


def datasets() -> dict[str, Dataset]:
    """The data sets this instance knows how to import, by key."""
    found = datafiles.load(datafiles.shipped("watchfloor.warning", "sources.toml"), Sources)
    return {k: d.model_copy(update={"key": k}) for k, d in found.datasets.items()}


def dataset(key: str) -> Dataset:
    known = datasets()
    if key not in known:
        raise NotFound(f"no data set {key!r}; known: {', '.join(sorted(known))}")
    return known[key]


@dataclass(frozen=True)
class Cell:
    """The address of one observation within a data set."""

    measure: str
    substance_text: str
    place_kind: str
    place: str
    period_start: dt.date


@dataclass
class Parsed:
    """What a file holds, summed per cell, and what could not be read."""

    dataset: Dataset
    rows_read: int = 0
    cells: dict[Cell, float] = field(default_factory=dict)
    extra: dict[Cell, tuple[str | None, str | None]] = field(
        default_factory=dict
    )  # country, region
    problems: list[FieldProblem] = field(default_factory=list)


class RowProblem(Exception):
    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field_name, reason


def _records(ds: Dataset, path: Path) -> Iterator[dict[str, Any]]:
    opener = gzip.open if path.suffix == ".gz" else open
    if ds.format == "json":
        with opener(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        if not isinstance(data, list):
            raise Invalid(f"{path.name}: a JSON list of records was expected")
        yield from data
        return
    import csv

    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        for _ in range(ds.skip_rows):
            fh.readline()
        reader = csv.reader(fh, skipinitialspace=True)
        header = [h.strip() for h in next(reader, [])]
        for row in reader:
            yield dict(zip(header, row, strict=False))


def _cell_text(record: dict[str, Any], column: str) -> str:
    if column not in record:
        raise RowProblem(column, "column missing")
    value = record[column]
    return "" if value is None else str(value).strip()


def _number(record: dict[str, Any], column: str, factor: float) -> float | None:
    raw = _cell_text(record, column)
    if raw.lower() in MISSING:
        return None
    try:
        value = float(raw.replace(",", ""))
    except ValueError:
        raise RowProblem(column, f"{raw!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise RowProblem(column, f"{raw!r} is not a non-negative number")
    return value * factor


def _year(record: dict[str, Any], column: str | None) -> int:
    raw = _cell_text(record, column or "")
    m = re.match(r"\s*(\d{4})", raw)
    if not m:
        raise RowProblem(column or "year", f"{raw!r} is not a year")
    return int(m.group(1))


def _month(record: dict[str, Any], column: str | None) -> int:
    raw = _cell_text(record, column or "")
    if raw.isdigit() and 1 <= int(raw) <= 12:
        return int(raw)
    month = MONTHS.get(raw[:3].lower())
    if month is None:
        raise RowProblem(column or "month", f"{raw!r} is not a month")
    return month


def period_start(spec: PeriodSpec, record: dict[str, Any]) -> dt.date:
    """The first day of the period a row is about."""
    match spec.format:
        case "fiscal_month":  # US federal fiscal year N runs from October N-1 to September N
            fy, month = _year(record, spec.year), _month(record, spec.month)
            return dt.date(fy - 1 if month >= 10 else fy, month, 1)
        case "year_month":
            return dt.date(_year(record, spec.year), _month(record, spec.month), 1)
        case "year_half":
            raw = _cell_text(record, spec.half or "")
            m = re.match(r"\s*(?:SA|S|H)?\s*([12])\b", raw, re.IGNORECASE)
            if not m:
                raise RowProblem(spec.half or "half", f"{raw!r} is not a half-year (SA1, SA2)")
            return dt.date(_year(record, spec.year), 1 if m.group(1) == "1" else 7, 1)
        case "year":
            return dt.date(_year(record, spec.year), 1, 1)
        case "date":
            raw = _cell_text(record, spec.date or "")
            try:
                return dt.date.fromisoformat(raw[:10])
            except ValueError:
                raise RowProblem(spec.date or "date", f"{raw!r} is not an ISO date") from None
    raise AssertionError(spec.format)


_STATES = {s.code: s for s in pycountry.subdivisions.get(country_code="US")}


def place_of(spec: PlaceSpec, record: dict[str, Any]) -> tuple[str, str, str | None]:
    """``(kind, place, country)`` of a row."""
    if spec.fixed is not None:
        return spec.kind, spec.fixed, spec.country
    raw = _cell_text(record, spec.column or "")
    if not raw:
        raise RowProblem(spec.column or "place", "no place given")
    if raw in spec.map:
        kind, _, place = spec.map[raw].partition(":")
        return kind, place, spec.country
    match spec.lookup:
        case "title":
            return spec.kind, " ".join(w.capitalize() for w in raw.split()), spec.country
        case "us_state":
            code = f"US-{raw.upper()}"
            if raw.upper() == "US":
                return "country", "US", "US"
            if code not in _STATES:
                raise RowProblem(spec.column or "place", f"{raw!r} is not a US state code")
            return spec.kind, code, "US"
        case "iso3":
            found = pycountry.countries.get(alpha_3=raw.upper())
            if found is None:
                raise RowProblem(spec.column or "place", f"{raw!r} is not an ISO 3166 alpha-3 code")
            return spec.kind, found.alpha_2, found.alpha_2
    return spec.kind, raw, spec.country


def parse(ds: Dataset, path: Path) -> Parsed:
    """Every cell of ``path`` read as ``ds`` says; rows that cannot be read are reported."""
    out = Parsed(dataset=ds)
    for line, record in enumerate(_records(ds, path), start=ds.skip_rows + 2):
        out.rows_read += 1
        if any(_cell_text(record, c) not in v for c, v in ds.include.items() if c in record):
            continue
        if any(_cell_text(record, c) in v for c, v in ds.exclude.items() if c in record):
            continue
        try:
            if ds.substance_fixed is not None:
                substance = ds.substance_fixed
            else:
                substance = _cell_text(record, ds.substance)
                if not substance:
                    raise RowProblem(ds.substance, "no substance given")
                substance = ds.substance_map.get(substance, substance)
            start = period_start(ds.period, record)
            kind, place, country = place_of(ds.place, record)
            region = _cell_text(record, ds.place.region) if ds.place.region else None
            values = {m: _number(record, s.column, s.factor) for m, s in ds.measures.items()}
        except RowProblem as exc:
            out.problems.append(FieldProblem(exc.field, exc.reason, f"line {line}"))
            continue
        for measure, value in values.items():
            if value is None:
                continue
            cell = Cell(measure, substance[:200], kind, place[:120], start)
            out.cells[cell] = out.cells.get(cell, 0.0) + value
            out.extra.setdefault(cell, (country, region or None))
    return out


@dataclass
class StoreReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def store(
    session: Session,
    principal: Principal,
    parsed: Parsed,
    *,
    tlp: str = "clear",
    source_name: str = "",
) -> StoreReport:
    """Write the cells of ``parsed`` as observations owned by the caller's agency."""
    if tlp not in TLPS:
        raise Invalid("bad sharing level", [FieldProblem("tlp", f"one of {TLPS}", "import")])
    ds = parsed.dataset
    if ds.period.kind not in PERIODS:
        raise Invalid(f"data set {ds.key}: period {ds.period.kind!r} unknown")
    existing = {
        (r.measure, r.substance_text, r.place, r.period_start): (r.id, r.value)
        for r in session.execute(
            select(
                Observation.id,
                Observation.measure,
                Observation.substance_text,
                Observation.place,
                Observation.period_start,
                Observation.value,
            ).where(
                Observation.owner_agency_id == principal.agency_id,
                Observation.dataset == ds.key,
                Observation.period == ds.period.kind,
            )
        )
    }
    report = StoreReport()
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    actor = principal.actor
    for cell, value in parsed.cells.items():
        key = (cell.measure, cell.substance_text, cell.place, cell.period_start)
        found = existing.get(key)
        if found is not None:
            if math.isclose(found[1], value, rel_tol=1e-12, abs_tol=1e-12):
                report.unchanged += 1
            else:
                changed.append({"id": found[0], "value": value})
            continue
        substance_key, label = identify(cell.substance_text)
        country, region = parsed.extra[cell]
        new.append(
            {
                "owner_agency_id": principal.agency_id,
                "tlp": tlp,
                "dataset": ds.key,
                "measure": cell.measure,
                "substance_text": cell.substance_text,
                "substance_key": substance_key,
                "substance": label,
                "place_kind": cell.place_kind,
                "place": cell.place,
                "country": country,
                "region": region,
                "period": ds.period.kind,
                "period_start": cell.period_start,
                "value": value,
                "imported_by": actor,
            }
        )
    if new:
        session.execute(table_of(Observation).insert(), new)
    if changed:
        session.execute(update(Observation), changed)
    report.created, report.updated = len(new), len(changed)
    audit.record_by(
        session,
        principal,
        action="observations.import",
        object_type="dataset",
        object_id=ds.key,
        detail={
            "file": source_name,
            "rows": parsed.rows_read,
            "rejected": len(parsed.problems),
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "tlp": tlp,
        },
    )
    return report


__all__ = ["Dataset", "Parsed", "StoreReport", "dataset", "datasets", "parse", "store"]

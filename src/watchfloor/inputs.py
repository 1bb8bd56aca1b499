"""The base of every request body: unknown fields refused, text trimmed, NUL refused.

PostgreSQL cannot store U+0000 in text; SQLite can, but no person types it. Refusing it at
the edge, with the field named, keeps both backends alike and never lets it reach a 500.

Two bases: :class:`Input` checks every model it validates; :class:`Record` leaves the
check to the batch intakes, which serialise each record anyway (for its digest) and so see
in one pass whether any text holds the character (:func:`nul_field`).

Numbers and dates that no real record holds are refused where they enter too, with the
field named: no float of any input is infinite or NaN (``1e999`` parses as infinity), and
the types below bound quantities, dates and times and refuse ``true`` or ``false``
where a number is due, so that no sum overflows and no year 1 or 9999 reaches a query.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import orjson
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

MAX_AMOUNT = 1e12  # a quantity, value or weight: more than any real shipment or seizure
FIRST_YEAR, LAST_YEAR = 1900, 2100


def json_loads(raw: bytes | str) -> Any:
    """JSON text parsed (orjson). A number beyond a float's range (``1e999``), which orjson
    refuses, is read as infinity by the standard parser instead, so that the model refuses
    it with its field named rather than the whole body being "not JSON"; raises
    ``orjson.JSONDecodeError`` for what neither reads (nor nests too deep to read)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        import json

        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise exc from None


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError("must be a number, not true or false")
    return value


def _sane_day(value: dt.date) -> dt.date:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"year {value.year} is outside {FIRST_YEAR}-{LAST_YEAR}")
    return value


def sane_moment(value: dt.datetime) -> dt.datetime:
    _sane_day(value.date())
    return value


def _in_future(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is not None and value <= dt.datetime.now(dt.UTC):
        raise ValueError("must be in the future")
    return value


# a non-negative quantity, value or weight, finite and below MAX_AMOUNT
Amount = Annotated[float, BeforeValidator(_no_bool), Field(ge=0, le=MAX_AMOUNT)]
# a calendar day within FIRST_YEAR-LAST_YEAR (a moment: sane_moment)
Day = Annotated[dt.date, AfterValidator(_sane_day)]
# an expiry: a moment still to come
Expiry = Annotated[dt.datetime, AfterValidator(sane_moment), AfterValidator(_in_future)]


def _is_nul_text(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(isinstance(v, str) and "\x00" in v for v in value)
    return False


def _may_hold_nul(data: dict[Any, Any]) -> bool:
    """False only when no text anywhere in ``data`` holds U+0000: one pass in C over the
    JSON form, where the character can only appear escaped (a false alarm costs a walk)."""
    try:
        return b"\\u0000" in orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # something JSON cannot hold: look at every field instead
        return True


def _nul_path(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, inner in value.items():
            name = f"{path}.{key}" if path else str(key)
            if "\x00" in str(key):
                return name
            found = _nul_path(inner, name)
            if found is not None:
                return found
    elif isinstance(value, list | tuple):
        for i, inner in enumerate(value):
            found = _nul_path(inner, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def nul_field(record: Any, dumped: bytes | None = None) -> str | None:
    """The field path (``items[1].description``) of the first text in a submitted record
    that holds U+0000, or None. ``dumped``, the record's JSON form if already made, spares
    the walk of every record without one."""
    if dumped is not None and b"\\u0000" not in dumped:
        return None
    return _nul_path(record, "")


class Record(BaseModel):
    """A record of a batch intake, which refuses U+0000 itself (:func:`nul_field`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, allow_inf_nan=False)


class Input(Record):
    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any) -> Any:
        # each nested model checks its own fields when pydantic reaches it, so the error
        # names the innermost field (items[1].description)
        if isinstance(data, dict) and _may_hold_nul(data):
            for name, value in data.items():
                if _is_nul_text(name) or _is_nul_text(value):
                    raise ValueError(f"{name!s} contains a NUL character (U+0000)")
        return data

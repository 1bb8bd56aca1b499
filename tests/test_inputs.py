"""The NUL check of the batch intakes: the path of the first text holding U+0000."""

from __future__ import annotations

import orjson
import pytest

from watchfloor.inputs import nul_field


@pytest.mark.parametrize(
    ("record", "path"),
    [
        ({"reference": "R1", "items": [{"description": "toy"}]}, None),
        ({"reference": "R\x001"}, "reference"),
        ({"items": [{"description": "toy"}, {"description": "a\x00b"}]}, "items[1].description"),
        ({"sender": {"name": "A", "address": "x\x00"}}, "sender.address"),
        ({"transit_countries": ["DE", "N\x00L"]}, "transit_countries[1]"),
        ({"bad\x00key": 1}, "bad\x00key"),
        ({"quantity": 3, "value": None, "flag": True}, None),
    ],
)
def test_nul_field_names_the_innermost_field(record: dict, path: str | None) -> None:
    assert nul_field(record) == path
    # with the record's JSON form at hand, a clean record is told without a walk
    assert nul_field(record, orjson.dumps(record)) == path

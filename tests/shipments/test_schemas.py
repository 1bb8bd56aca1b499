"""One validation for every intake path: errors name the field and the reason."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from pydantic import ValidationError

from watchfloor.batches import error_list
from watchfloor.shipments.schemas import ShipmentIn

GOOD: dict[str, Any] = {
    "reference": "LX123456789CN",
    "mode": "post",
    "declared_at": "2026-11-20T08:00:00Z",
    "origin_country": "CN",
    "transit_countries": "HK",
    "destination_country": "US",
    "sender": {"name": "Shenzhen Trading Co", "country": "CN", "phone": "+86 755 1234 5678"},
    "consignee": {"name": "John Smith", "email": "John@Example.com"},
    "declared_value": 12.5,
    "currency": "usd",
    "items": [
        {"description": "phone case", "hs_code": "3926.90", "quantity": 2, "value": 12.5},
        {"description": "cable", "hs_code": "8544429000"},
    ],
}


def errors(changes: dict[str, Any]) -> dict[str, str]:
    record = copy.deepcopy(GOOD)
    for path, value in changes.items():
        target = record
        parts = path.split(".")
        for p in parts[:-1]:
            target = target[int(p)] if p.isdigit() else target[p]
        target[parts[-1]] = value
    with pytest.raises(ValidationError) as exc:
        ShipmentIn.model_validate(record)
    return {e.field: e.reason for e in error_list(exc.value)}


def test_a_good_record_is_normalised() -> None:
    s = ShipmentIn.model_validate(GOOD)
    assert s.currency == "USD"
    assert s.transit_countries == ["HK"]
    assert s.items[0].hs_code == "392690"
    assert s.items[1].hs_code == "8544429000"  # a national line on an HS 2022 subheading
    assert s.consignee.email == "john@example.com"


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"origin_country": "XX"}, "origin_country", "not an ISO 3166-1 alpha-2"),
        ({"currency": "USX"}, "currency", "not an ISO 4217"),
        ({"items.1.hs_code": "999999"}, "items[1].hs_code", "not an HS 2022 subheading"),
        ({"items.1.hs_code": "8544"}, "items[1].hs_code", "6 to 10 digits"),
        ({"items.0.value": -1}, "items[0].value", "greater than or equal to 0"),
        ({"declared_at": "2026-11-20T08:00:00"}, "declared_at", "timezone"),
        ({"mode": "pigeon"}, "mode", "'post', 'express' or 'cargo'"),
        ({"sender.email": "nobody"}, "sender.email", "not an e-mail address"),
        ({"items": []}, "items", "at least 1 item"),
        ({"colour": "red"}, "colour", "Extra inputs are not permitted"),
    ],
)
def test_errors_name_the_field_and_the_reason(changes, field, reason) -> None:  # type: ignore[no-untyped-def]
    got = errors(changes)
    assert field in got, got
    assert reason in got[field]


def test_declared_value_needs_a_currency() -> None:
    got = errors({"currency": None})
    assert "currency is required" in got["shipment"]

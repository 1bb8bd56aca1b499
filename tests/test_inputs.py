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


# Issue 28 item 8: numbers and dates no real record holds, through the real API of each
# intake, as raw JSON text (1e999 is no Python float). Each is a 422 naming the field.
ABSURD = [
    ('"inf"', "must be finite"),
    ("1e999", "must be finite"),
    ("1.7e308", "too large"),
    ("true", "a number, not true or false"),
]


def _body(template: dict, field: str, raw: str) -> bytes:
    text = orjson.dumps({**template, field: "__X__"}).decode()
    return text.replace('"__X__"', raw).encode()


def test_absurd_numbers_and_dates_are_refused_naming_the_field(client, engine) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    from tests.helpers import api_headers, listing, record

    today = dt.datetime.now(dt.UTC).date().isoformat()
    seizure = {"reference": "ABS-1", "seized_on": today, "country": "MX", "substance": "NPP",
               "quantity": 4, "unit": "kg"}  # fmt: skip
    shipment = record("ABS-S1")
    intakes = [
        ("/api/v1/sharing/seizures", "MX-ANAM", seizure, "quantity"),
        ("/api/v1/shipments", "US-CBP", shipment, "declared_value"),
        ("/api/v1/listings", "NL-FIOD", listing("ABS-L1"), "price"),
    ]
    for url, agency, template, field in intakes:
        headers = {**api_headers(engine, agency, "officer"), "content-type": "application/json"}
        for raw, _ in ABSURD:
            r = client.post(url, content=_body(template, field, raw), headers=headers)
            assert r.status_code in (207, 422), (url, raw, r.status_code, r.text)
            assert r.status_code != 500
            text = r.text
            assert field in text, (url, raw, text)
            stored = "stored" in text and '"status":"created"' in text.replace(" ", "")
            assert not stored, (url, raw, text)
    # dates in the year 1 or 9999, and an expiry already past
    headers = {**api_headers(engine, "MX-ANAM", "officer"), "content-type": "application/json"}
    for day in ("0001-01-01", "9999-12-31"):
        r = client.post("/api/v1/sharing/seizures", json={**seizure, "seized_on": day},
                        headers=headers)  # fmt: skip
        assert r.status_code == 422 and "seized_on" in r.text and "outside" in r.text, r.text
    past = {**seizure, "sharing": {"tlp": "amber", "recipients": ["US-CBP"],
                                   "expires_at": "2020-01-01T00:00:00Z"}}  # fmt: skip
    r = client.post("/api/v1/sharing/seizures", json=past, headers=headers)
    assert r.status_code == 422 and "expires_at" in r.text and "future" in r.text, r.text
    many = {**seizure, "sharing": {"tlp": "amber", "recipients": ["US-CBP"] * 5000}}
    r = client.post("/api/v1/sharing/seizures", json=many, headers=headers)
    assert r.status_code == 422 and "recipients" in r.text, r.text

"""Warnings that hold: names that are substances, first sightings checked against every
source, one warning per series and period, and warnings routed to analysts."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import delete

from tests.helpers import api_headers
from watchfloor.db import session_scope
from watchfloor.warning import findings as fnd
from watchfloor.warning.models import EarlyWarning
from watchfloor.warning.series import SeriesKey, SeriesSet

YEARS = [dt.date(y, 1, 1) for y in range(2016, 2024)]


def one(source: str, substance: str, place: str, values: list[float]) -> SeriesSet:
    key = SeriesKey(source, "events", substance, "country", place, "year")
    return SeriesSet(source, "year", YEARS, [key], np.array([values], dtype=float), ["clear"],
                     {substance: substance}, [place])  # fmt: skip


def test_a_first_sighting_that_another_readable_source_contradicts_is_not_raised() -> None:
    late = one("seizures", "fentanyl", "MX", [0, 0, 0, 0, 0, 0, 0, 3])
    early = one("unodc-seizures", "fentanyl", "MX", [0, 0, 4, 8, 9, 0, 0, 0])
    found = fnd.sightings([late, early])
    in_place = [f for f in found if f.kind == "first_in_place"]
    assert [(f.key.source, f.start.year) for f in in_place] == [("unodc-seizures", 2018)]
    assert "according to unodc-seizures; no earlier report there in seizures" in (
        in_place[0].summary
    )
    # alone, the late source's first report is a first sighting, and says what it rests on
    (f,) = [f for f in fnd.sightings([late]) if f.kind == "first_in_place"]
    assert "according to seizures; no other source you may read covers it there" in f.summary


@pytest.mark.parametrize("label", ["n", "tert-butyl 4", "2-(4-", "N-ethyl", "unknown", "other"])
def test_a_fragment_of_a_name_is_never_a_possible_new_substance(label: str) -> None:
    s = one("seizures", label, "US", [0, 0, 0, 0, 0, 0, 2, 5])
    assert not [f for f in fnd.sightings([s]) if f.kind == "possible_nps"]


def test_an_unlisted_chemical_name_is_a_possible_new_substance() -> None:
    s = one("seizures", "4-fluoro-alpha-pyrrolidinohexiophenone", "US", [0, 0, 0, 0, 0, 0, 2, 5])
    (f,) = [f for f in fnd.sightings([s]) if f.kind == "possible_nps"]
    assert "not in the reference catalogue" in f.summary


def test_several_detectors_on_one_count_are_one_warning_and_small_counts_none() -> None:
    big = one("nflis-drug", "acetylfentanyl", "US", [0, 0, 0, 0, 0, 0, 0, 900])
    small = one("nflis-drug", "cocaine", "US", [0, 0, 0, 0, 0, 0, 0, 2])
    found: list[fnd.Finding] = []
    for s in (big, small):
        for algorithm in fnd.DEFAULT_ALGORITHMS:
            d = fnd.run(s, algorithm)
            if d is not None:
                found += fnd.spikes(s, d)
    assert len({f.algorithm for f in found}) >= 3  # several fired on the surge
    merged = fnd.merge_spikes(found)
    assert [(f.key.substance, f.start.year) for f in merged] == [("acetylfentanyl", 2023)]
    assert "also flagged by" in merged[0].summary


@pytest.mark.usefixtures("backend")
def test_early_warnings_reach_officers_only_through_a_subscription_routed_to_all(
    client, engine
) -> None:  # type: ignore[no-untyped-def]
    analyst = api_headers(engine, "US-CBP", "analyst")
    officer = api_headers(engine, "US-CBP", "officer")

    def kinds(headers: dict[str, str]) -> set[str]:
        items = client.get("/api/v1/alerts?limit=200", headers=headers).json()["items"]
        return {a["kind"] for a in items}

    assert "early_warning" in kinds(analyst)  # the demo's subscription: for analysts
    assert "early_warning" not in kinds(officer)
    r = client.post(
        "/api/v1/warning/subscriptions",
        json={"name": "Everything, for the floor", "audience": "all"},
        headers=analyst,
    )
    assert r.status_code == 201 and r.json()["audience"] == "all", r.text
    with session_scope(engine) as s:  # as if the demo's warnings had not been found yet
        s.execute(delete(EarlyWarning))
    scan = client.post("/api/v1/warning/scan", json={"recent": 24}, headers=analyst)
    assert scan.status_code in (200, 201), scan.text
    assert "early_warning" in kinds(officer)

"""Importing statistics and scanning them, on SQLite and PostgreSQL: first sightings, possible
new substances, spikes, subscriptions, idempotence and the sharing policy."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.helpers import import_dataset
from watchfloor.alerts.models import Alert
from watchfloor.db import session_scope
from watchfloor.errors import Invalid
from watchfloor.security.service import get_agency, system_principal
from watchfloor.warning import importers, service
from watchfloor.warning.models import EarlyWarning, Observation
from watchfloor.warning.series import SeriesKey, SeriesQuery, collect
from watchfloor.warning.substances import identify

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "warning"
NFLIS = SeriesQuery(sources=("nflis-drug",))


def test_identity_of_laboratory_names() -> None:
    assert identify("ACETYL FENTANYL (N-(1-PHENETHYLPIPERIDIN-4-YL)-N-PHENYLACETAMIDE)")[0] == (
        "acetylfentanyl"
    )
    assert identify("Alprazolam (Xanax, Pranax, Ksalol)")[0] == "alprazolam"
    assert identify("ZYLOFENTANYL, SALT UNDETERMINED") == (None, "zylofentanyl")
    assert identify("Marijuana")[0] == "cannabis"


def test_cbp_rows_fiscal_months_sums_and_rejects(bare) -> None:  # type: ignore[no-untyped-def]
    parsed, report = import_dataset(bare, "US-CBP", "cbp-nationwide", "cbp.csv")
    cells = {(c.measure, c.substance_text, c.period_start): v for c, v in parsed.cells.items()}
    # FY2024 October is October 2023; the land and other rows of one month are one figure
    assert cells[("events", "Fentanyl", dt.date(2023, 10, 1))] == 12
    assert cells[("quantity_kg", "Fentanyl", dt.date(2023, 10, 1))] == pytest.approx(
        110 * 0.45359237
    )
    assert cells[("events", "Fentanyl", dt.date(2024, 9, 1))] == 3  # FY2024 September
    assert ("quantity_kg", "Fentanyl", dt.date(2023, 11, 1)) not in cells  # an empty cell
    problems = {(p.record, p.field): p.reason for p in parsed.problems}
    assert problems == {
        ("line 6", "Month (abbv)"): "'XYZ' is not a month",
        ("line 7", "Count of Event"): "'four' is not a number",
        ("line 8", "Count of Event"): "'-1' is not a non-negative number",
    }
    assert report.created == len(parsed.cells) == 5
    with session_scope(bare) as s:
        row = s.scalars(select(Observation).where(Observation.measure == "events").limit(1)).one()
        assert row.place == "San Diego Field Office" and row.country == "US"
        assert row.place_kind == "aor" and row.region == "Southwest Border"
        assert row.substance_key == "fentanyl"


def test_a_second_import_changes_nothing_and_a_correction_updates(bare, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import_dataset(bare, "US-CBP", "cbp-nationwide", "cbp.csv")
    _, again = import_dataset(bare, "US-CBP", "cbp-nationwide", "cbp.csv")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)
    fixed = tmp_path / "cbp.csv"
    fixed.write_text((FIXTURES / "cbp.csv").read_text().replace(",Fentanyl,7,", ",Fentanyl,9,"))
    parsed = importers.parse(importers.dataset("cbp-nationwide"), fixed)
    with session_scope(bare) as s:
        report = importers.store(s, system_principal(get_agency(s, "US-CBP")), parsed)
        assert (report.created, report.updated) == (0, 1)
        assert s.scalar(select(func.count()).select_from(Observation)) == 5
        nov = s.scalar(
            select(Observation.value).where(Observation.period_start == dt.date(2023, 11, 1))
        )
        assert nov == 9


def test_an_unknown_sharing_level_is_refused(bare) -> None:  # type: ignore[no-untyped-def]
    parsed = importers.parse(importers.dataset("cbp-nationwide"), FIXTURES / "cbp.csv")
    with session_scope(bare) as s, pytest.raises(Invalid):
        importers.store(s, system_principal(get_agency(s, "US-CBP")), parsed, tlp="purple")


def test_scan_finds_first_sightings_new_substances_and_the_surge(bare) -> None:  # type: ignore[no-untyped-def]
    import_dataset(bare, "US-CBP", "nflis-drug", "nflis.csv")
    with session_scope(bare) as s:
        report = service.scan(
            s, system_principal(get_agency(s, "US-CBP")), query=NFLIS, recent=None
        )
    assert report.created > 0
    with session_scope(bare) as s:
        rows = s.scalars(select(EarlyWarning).order_by(EarlyWarning.id)).all()
        by = {(w.kind, w.algorithm, w.substance, w.place, w.period_start): w for w in rows}
        # fentanyl was there when the source begins: not new, in no state
        assert not [w for w in rows if w.kind != "spike" and w.substance == "fentanyl"]
        # the analogue appears in Ohio in 2019 H2 (instance-wide first) and in Kentucky a year on
        first = by[
            ("first_sighting", "first_sighting", "fluorofentanyl", "US-OH", dt.date(2019, 7, 1))
        ]
        assert first.record_type == "observation" and first.record_id
        assert "first time on this instance" in first.summary and "2019 H2" in first.summary
        assert (
            "first_in_place",
            "first_sighting",
            "fluorofentanyl",
            "US-KY",
            dt.date(2020, 7, 1),
        ) in by
        assert (
            "first_in_place",
            "first_sighting",
            "fluorofentanyl",
            "US-OH",
            dt.date(2019, 7, 1),
        ) in by
        # fluorofentanyl and the invented compound are not in the catalogue; acetylfentanyl is
        nps = {w.substance for w in rows if w.kind == "possible_nps"}
        assert nps == {"fluorofentanyl", "zylofentanyl"}
        assert (
            "first_sighting",
            "first_sighting",
            "acetylfentanyl",
            "US-OH",
            dt.date(2023, 7, 1),
        ) in by
        # 900 reports of acetyl fentanyl after nothing: every spike detector fires, and the
        # period is one warning that names the detectors
        (spike,) = [w for w in rows if w.kind == "spike" and w.substance == "acetylfentanyl"]
        fired = {spike.algorithm, *json.loads(spike.parameters)["also"]}
        assert len(fired) >= 5 and "also flagged by" in spike.summary
        assert all(w.tlp == "clear" for w in rows)
        spike = next(w for w in rows if w.kind == "spike" and w.algorithm == "ears_c1")
        assert spike.statistic is None or spike.statistic > spike.threshold
        assert spike.params()["baseline"] == 7


def test_a_rescan_adds_nothing_and_recent_limits_the_span(bare) -> None:  # type: ignore[no-untyped-def]
    import_dataset(bare, "US-CBP", "nflis-drug", "nflis.csv")
    with session_scope(bare) as s:
        cbp = system_principal(get_agency(s, "US-CBP"))
        recent = service.scan(s, cbp, query=NFLIS)  # the last three half-years only
        kinds = {w.kind for w in s.scalars(select(EarlyWarning))}
        starts = {
            w.period_start for w in s.scalars(select(EarlyWarning)) if w.kind != "possible_nps"
        }
        assert starts and min(starts) >= dt.date(2022, 7, 1)
        assert "possible_nps" in kinds  # a substance to review stays one, however old
        again = service.scan(s, cbp, query=NFLIS)
        assert recent.created > 0 and again.created == 0


def test_subscription_turns_matching_warnings_into_alerts(bare) -> None:  # type: ignore[no-untyped-def]
    import_dataset(bare, "US-CBP", "nflis-drug", "nflis.csv")
    with session_scope(bare) as s:
        cbp = system_principal(get_agency(s, "US-CBP"))
        service.subscribe(s, cbp, name="Ohio analogues", substances=["acetylfentanyl"],
                          places=["US-OH"], kinds=["first_sighting", "spike"])  # fmt: skip
        with pytest.raises(Invalid):
            service.subscribe(s, cbp, name="bad", substances=[], places=[], kinds=["rumour"])
        before = s.scalar(select(func.count()).select_from(Alert))
        report = service.scan(s, cbp, query=NFLIS)
        assert report.alerts > 0
        alerts = s.scalars(select(Alert).where(Alert.kind == "early_warning")).all()
        assert (
            len(alerts)
            == report.alerts
            == s.scalar(select(func.count()).select_from(Alert)) - before
        )
        warned = {s.get(EarlyWarning, a.object_id).substance for a in alerts}
        assert warned == {"acetylfentanyl"}
        assert all(
            a.owner_agency_id == cbp.agency_id and "[Ohio analogues]" in a.title for a in alerts
        )
        assert report.events and report.events[0]["summary"]


def test_another_agency_sees_neither_amber_figures_nor_what_was_found_in_them(bare) -> None:  # type: ignore[no-untyped-def]
    import_dataset(bare, "US-CBP", "nflis-drug", "nflis.csv", tlp="amber")
    with session_scope(bare) as s:
        cbp = system_principal(get_agency(s, "US-CBP"))
        anam = system_principal(get_agency(s, "MX-ANAM"))
        assert collect(s, anam, NFLIS) == []
        mine = collect(s, cbp, NFLIS)
        assert mine and mine[0].tlp[0] == "amber"
        key = SeriesKey("nflis-drug", "reports", "fentanyl", "state", "US-OH", "half")
        assert mine[0].row(key)[0] == 100
        service.scan(s, cbp, query=NFLIS, recent=None)
        assert service.list_warnings(s, cbp)
        assert all(w.tlp == "amber" for w in service.list_warnings(s, cbp))
        assert service.list_warnings(s, anam, source="nflis-drug") == []
        # MX-ANAM scanning finds nothing in figures it cannot read
        assert service.scan(s, anam, query=NFLIS).created == 0


def test_series_add_up_by_class_country_and_region(bare) -> None:  # type: ignore[no-untyped-def]
    import_dataset(bare, "US-CBP", "nflis-drug", "nflis.csv")
    import_dataset(bare, "US-CBP", "cbp-nationwide", "cbp.csv")
    with session_scope(bare) as s:
        cbp = system_principal(get_agency(s, "US-CBP"))
        by_state = collect(s, cbp, NFLIS)[0]
        (nation,) = collect(
            s,
            cbp,
            SeriesQuery(sources=("nflis-drug",), substance_level="class", place_level="country"),
        )
        # every fentanyl-related substance (known or not) of every state, in one US series
        assert [k.substance for k in nation.keys] == ["class:fentanyl"]
        assert nation.keys[0].place == "US" and nation.starts == by_state.starts
        assert nation.values.sum() == by_state.values.sum()
        assert nation.labels["class:fentanyl"] == "fentanyl (class)"
        (region,) = collect(
            s,
            cbp,
            SeriesQuery(sources=("cbp-nationwide",), measures=("events",), place_level="region"),
        )
        assert {(k.place_kind, k.place) for k in region.keys} == {("region", "Southwest Border")}
        q = SeriesQuery(sources=("nflis-drug",), substance_level="class",
                        substances=("class:fentanyl",), places=("US-KY",))  # fmt: skip
        only = collect(s, cbp, q)
        assert [k.place for k in only[0].keys] == ["US-KY"]


def test_a_countrys_seizure_series_are_those_of_the_full_scan(engine) -> None:  # type: ignore[no-untyped-def]
    """A country page filters seizures in the database; its series, and each source's axis,
    are what the full scan filtered afterwards gives (``place_level="country"`` takes that
    path: for seizures it names the same series)."""
    sources = ("seizures", "seizure-statistics")
    with session_scope(engine) as s:
        for code in ("US-CBP", "MX-ANAM"):
            me = system_principal(get_agency(s, code))
            for places in (("US",), ("MX", "NL")):
                quick = collect(s, me, SeriesQuery(sources=sources, places=places))
                full = collect(
                    s, me, SeriesQuery(sources=sources, places=places, place_level="country")
                )
                assert quick and [x.source for x in quick] == [x.source for x in full]
                for a, b in zip(quick, full, strict=True):
                    assert a.starts == b.starts and a.keys == b.keys and a.tlp == b.tlp
                    # summed in the database in either's order: equal but for rounding
                    assert a.values.sum() > 0
                    assert a.values == pytest.approx(b.values, rel=1e-9, abs=1e-9)


def test_seizure_series_add_up_the_records_the_caller_may_read(engine) -> None:  # type: ignore[no-untyped-def]
    """The database sums the seizures of a cell; held here against the records read one by
    one: each counts its events (one when it gives none), and only kilograms add to kg."""
    from collections import defaultdict

    from watchfloor.cooperation.seizures.models import Seizure
    from watchfloor.sharing.policy import can_read
    from watchfloor.warning.series import floor_period

    with session_scope(engine) as s:
        me = system_principal(get_agency(s, "MX-ANAM"))
        want: dict[tuple[str, str, str, str, dt.date], float] = defaultdict(float)
        for r in s.scalars(select(Seizure)):
            if not can_read(me, r) or r.period == "year":
                continue
            source = "seizures" if r.period == "event" else "seizure-statistics"
            subst = r.substance_key or identify(r.substance_text)[1]
            cell = (source, subst, r.country, floor_period(r.seized_on, "month"))
            want[("events", *cell)] += r.events or 1
            if r.normalised_unit == "kg" and r.normalised_quantity is not None:
                want[("quantity_kg", *cell)] += r.normalised_quantity
        got: dict[tuple[str, str, str, str, dt.date], float] = {}
        for st in collect(s, me, SeriesQuery(sources=("seizures", "seizure-statistics"))):
            for key, row in zip(st.keys, st.values, strict=True):
                for start, v in zip(st.starts, row, strict=True):
                    if v == v and v != 0:  # NaN: a gap; 0: nothing in the cell
                        got[(key.measure, st.source, key.substance, key.place, start)] = v
    assert len(got) > 100
    assert got.keys() == {k for k, v in want.items() if v}
    assert all(got[k] == pytest.approx(want[k]) for k in got)

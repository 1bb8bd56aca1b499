"""The shipped reference catalogue: true, sourced, searchable, loaded once."""

from __future__ import annotations

import csv
from importlib import resources

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from tests.helpers import api_headers, browser_login, shared_data
from watchfloor.audit import AuditEvent
from watchfloor.db import session_scope
from watchfloor.reference.loader import load_catalogue
from watchfloor.reference.models import HsCode, Substance, SubstanceName
from watchfloor.reference.service import cas_is_valid, search_substances


def shipped(name: str) -> list[dict[str, str]]:
    text = resources.files("watchfloor.reference").joinpath("data", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_every_cas_passes_its_check_digit_and_every_hs_code_exists() -> None:
    hs = {r["hscode"] for r in shipped("hs2022.csv")}
    sources = {r["id"] for r in shipped("sources.csv")}
    rows = shipped("substances.csv")
    assert len(rows) > 350
    for r in rows:
        if r["cas"]:
            assert cas_is_valid(r["cas"]), r
        if r["hs2022"]:
            assert r["hs2022"] in hs, r
        cited = {part.split(":", 1)[0].strip() for part in r["sources"].split(" | ")}
        assert cited <= sources, r
    assert {r["source"] for r in shipped("names.csv")} <= sources


@pytest.mark.parametrize(
    ("cas", "ok"),
    [
        ("437-38-7", True),
        ("437-38-8", False),
        ("39742-60-4", True),
        ("21409-26-7", True),
        ("21409-26-6", False),
        ("50-00-0", True),
        ("nope", False),
    ],
)
def test_cas_check_digit(cas: str, ok: bool) -> None:
    assert cas_is_valid(cas) is ok


def test_unverified_values_keep_their_question_mark() -> None:
    by_key = {r["key"]: r for r in shipped("substances.csv")}
    assert by_key["potassium-permanganate"]["unverified"] == "cas=7722-64-7?"
    assert by_key["potassium-permanganate"]["cas"] == "7722-64-7"
    assert "year_added=1992?" in by_key["safrole"]["unverified"]


def test_fentanyl_precursors_and_drugs_carry_their_control_facts(session: Session) -> None:
    expect = {
        "NPP": ("39742-60-4", "293337", "I", "2017"),
        "4-ANPP": ("21409-26-7", "293336", "I", "2017"),
        "4-AP": ("23056-29-3", "293339", "I", "2022"),
        "1-boc-4-AP": ("125541-22-2", "293339", "I", "2022"),
        "norfentanyl": ("1609-66-1", "293339", "I", "2022"),
        "BMK glycidate": ("80532-66-7", "291899", "I", "2024"),
    }
    for query, (cas, hs, table, year) in expect.items():
        hit = search_substances(session, query, limit=1)[0]
        s = hit.substance
        assert (s.cas, s.hs2022, s.un_1988_table, s.un_1988_year) == (cas, hs, table, year), query
        assert hit.how == "exact"
    fentanyl = search_substances(session, "fentanyl", limit=1)[0].substance
    assert (fentanyl.un_1961, fentanyl.dea_schedule, fentanyl.cas) == ("I", "II", "437-38-7")


@pytest.mark.parametrize(
    ("query", "key", "how"),
    [
        ("Murder 8", "fentanyl", "exact"),
        ("Tango & Cash", "fentanyl", "exact"),
        ("437-38-7", "fentanyl", "cas"),
        ("n phenethyl 4 piperidone", "n-phenethyl-4-piperidone", "exact"),
        ("P2P", "1-phenyl-2-propanone", "exact"),
        ("PMK", "3-4-methylenedioxyphenyl-2-propanone", "exact"),
        ("metamfetamine", "methamphetamine", "exact"),
        ("fentanly", "fentanyl", "fuzzy"),
    ],
)
def test_search_by_name_synonym_slang_and_cas(
    session: Session, query: str, key: str, how: str
) -> None:
    hits = search_substances(session, query, limit=5)
    assert hits, query
    assert (hits[0].substance.key, hits[0].how) == (key, how)


def test_ambiguous_slang_names_every_substance_it_may_mean(session: Session) -> None:
    keys = {h.substance.key for h in search_substances(session, "China White", limit=20)}
    assert {"fentanyl", "heroin", "3-methylfentanyl"} <= keys


def test_search_api_and_pages(client, engine: Engine) -> None:  # type: ignore[no-untyped-def]
    r = client.get(
        "/api/v1/reference/substances",
        params={"q": "4-ANPP"},
        headers=api_headers(engine, "US-CBP", "viewer"),
    )
    assert r.status_code == 200, r.text
    top = r.json()["results"][0]
    assert top["substance"]["key"] == "4-anilino-n-phenethylpiperidine"
    assert top["matched"] == "4-ANPP"
    r = client.get(
        "/api/v1/reference/substances",
        params={"q": ""},
        headers=api_headers(engine, "US-CBP", "viewer"),
    )
    assert r.status_code == 422
    r = client.get("/api/v1/reference/hs/293337", headers=api_headers(engine, "US-CBP", "viewer"))
    assert r.status_code == 200 and r.json()["level"] == 6
    assert browser_login(client, "mx.anam.analyst").status_code == 303
    page = client.get("/reference", params={"q": "NPP"})
    assert page.status_code == 200 and "N-Phenethyl-4-piperidone" in page.text
    kmno4 = client.get("/reference/substances/potassium-permanganate")
    assert kmno4.status_code == 200
    assert 'class="unverified"' in kmno4.text and "cas=7722-64-7?" in kmno4.text
    assert client.get("/reference/substances/no-such-thing").status_code == 404


def test_loading_twice_changes_nothing(engine: Engine) -> None:
    def snapshot() -> tuple[int, int, int, int]:
        with session_scope(engine) as s:
            return (
                s.scalar(select(func.count()).select_from(Substance)) or 0,
                s.scalar(select(func.count()).select_from(SubstanceName)) or 0,
                s.scalar(select(func.count()).select_from(HsCode)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
            )

    before = snapshot()
    with session_scope(engine) as s:
        report = load_catalogue(s)
    assert report.loaded is False
    assert snapshot() == before
    assert before[2] == 6940


def test_catalogue_matches_the_public_sources() -> None:
    """Cross-check against ../shared/data: every 1988 precursor is shipped with its CAS and HS."""
    path = shared_data("un-precursors", "precursors.csv")
    by_name = {r["name"]: r for r in shipped("substances.csv")}
    with open(path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 51
    for r in rows:
        mine = by_name[r["name"]]
        assert mine["cas"] == r["cas"].rstrip("?")
        assert mine["hs2022"] == r["hs2022"]
        assert mine["un_1988_table"] == r["un_1988_table"]
        assert mine["un_1988_year"] == r["year_added"]


def test_the_recogniser_knows_the_substances_of_the_1961_and_1971_conventions() -> None:
    from pathlib import Path

    from watchfloor.reference.matcher import SubstanceMatcher

    listed = Path(__file__).parents[1] / "fixtures" / "conventions" / "un_1961_1971.txt"
    names = [n for n in listed.read_text("utf-8").splitlines() if n and not n.startswith("#")]
    assert len(names) >= 250
    matcher = SubstanceMatcher.shipped()
    unknown = [n for n in names if not matcher.find(n)]
    assert unknown == []
    found = {n: matcher.find(n)[0].substance for n in names}
    assert {f.kind for f in found.values()} == {"drug"}
    # the names the conventions use for a substance the DEA lists under another name lead
    # to that one substance, with its schedule under the convention
    assert found["amfepramone"].key == "diethylpropion"
    assert found["amfepramone"].un_1971 == "IV"
    assert found["etryptamine"].key == "alpha-ethyltryptamine"
    # "PMMA" is acrylic glass: the convention's PMMA is known by its chemical name only
    assert not matcher.find("PMMA sheet 3mm, acrylic glass")

"""The signals an officer acts on: families recognised by how names are built, street names
and imprints in context, equipment, single-substance subheadings, and the one scale."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.shipments.test_rules import C, item, score, scorer, shipment
from watchfloor.reference.families import family_of
from watchfloor.reference.matcher import SubstanceMatcher
from watchfloor.shipments.demo import OFFICES
from watchfloor.shipments.schemas import ShipmentIn

M = SubstanceMatcher.shipped()
BANDS = C["bands"]


@pytest.mark.parametrize(
    ("word", "family"),
    [
        ("butyrylfentanyl", "fentanyl-analogues"),
        ("3-fluorofentanil", "fentanyl-analogues"),
        ("N-(1-phenethylpiperidin-4-yl)-N-phenylcyclopropanecarboxamide", "fentanyl-analogues"),
        ("isotonitazepyne", "nitazenes"),
        ("ethyleneoxynitazene", "nitazenes"),
        ("5F-MDMB-P7AICA", "synthetic-cannabinoids"),
        ("CUMYL-4CN-BINACA", "synthetic-cannabinoids"),
        ("JWH-250", "synthetic-cannabinoids"),
        ("alpha-PCYP", "synthetic-cathinones"),
        ("4-BMC", "synthetic-cathinones"),
        ("N-ethylheptedrone", None),  # not a stem the families know
        ("clobromazolam", "designer-benzodiazepines"),
        ("fluclotizolam", "designer-benzodiazepines"),
        ("dexmedetomidine", "adulterants"),
        ("25B-NBOMe", "phenethylamines"),
        ("2C-T-7", "phenethylamines"),
    ],
)
def test_a_name_is_recognised_by_how_it_is_built(word: str, family: str | None) -> None:
    got = family_of(word)
    assert (got.key if got else None) == family


@pytest.mark.parametrize(
    "word",
    ["n", "tert-butyl", "4", "pica", "ab-roller", "azole", "piperidine", "fentanyl-free", "Dazzle"],
)
def test_fragments_and_ordinary_words_fit_no_family(word: str) -> None:
    assert family_of(word) is None


def test_an_exact_name_beats_a_near_miss_and_an_unknown_member_names_its_family() -> None:
    (m,) = M.find("isotonitazene 1 g")
    assert (m.substance.key, m.how) == ("isotonitazene", "exact")
    (m,) = M.find("butonitazene 1 g")
    assert m.how == "family" and m.substance.family and m.substance.family.key == "nitazenes"
    assert "not list it" in m.substance.describe()
    # a catalogue name inside a code is not a mention of its own ("MDMB" is an isomer of MDEA)
    (m,) = M.find("MDMB-5Br-INACA")
    assert m.substance.family and m.substance.family.key == "synthetic-cannabinoids"


def test_spellings_of_other_languages_are_the_drug_but_an_english_word_needs_context() -> None:
    for text, key in [
        ("Kokain 5 g", "cocaine"),
        ("heroína", "heroin"),
        ("anfetamina", "amphetamine"),
    ]:
        assert [m.substance.key for m in M.find(text)] == [key], text
    assert M.find("The Heroine paperback") == ()
    assert [m.substance.key for m in M.find("heroine 20g", ordinary=True)] == ["heroin"]


def points(description: str, hs: str | None = None) -> dict[str, int]:
    got = score(shipment(items=[item(description, hs) if hs else {"description": description}]))
    return {r.rule: r.points for r in got.reasons}


def test_naming_a_schedule_i_drug_or_a_nitazene_reaches_the_inspect_band_alone() -> None:
    for text in ["cocaine 250 g", "lysergide blotters", "flunitazene powder", "remifentanil"]:
        assert sum(points(text).values()) >= BANDS["inspect"], text


def test_a_street_name_on_goods_weighs_nothing_and_on_pills_weighs_high() -> None:
    assert points("Tango & Cash poster", "491191") == {}
    assert points("Murder 8 DVD", "852349") == {}
    assert 0 < points("Murder 8")["substance"] < BANDS["review"]
    assert points("pressed tablets imprint K 9, 100 pcs")["substance"] >= BANDS["inspect"]
    assert points("M30 hex nuts", "731816") == {}


def test_presses_and_dies_are_a_rule_of_their_own_and_an_imprint_holds() -> None:
    assert points("tablet press TDP 1.5", "847930")["equipment"] >= BANDS["inspect"]
    assert points("encapsulator 200 holes", "847989")["equipment"] >= BANDS["inspect"]
    assert (
        points("punch die set engraved GG 249", "820730")["equipment"] >= C["equipment"]["imprint"]
    )
    assert "equipment" not in points("heat press for mugs", "847989")
    assert "equipment" not in points("hole punch for paper", "820730")


def test_a_vague_item_under_a_single_substance_subheading_reaches_inspect() -> None:
    got = points("intermediate for synthesis", "293336")
    assert got["hs_code"] >= BANDS["inspect"]
    # naming the subheading's substance is a precursor named, not a vague description
    got = points("4-anilino-N-phenethylpiperidine 99%", "293336")
    assert got["hs_code"] == C["hs"]["watch_heading"]


DECLARATIONS = (
    Path(__file__).resolve().parents[1] / "fixtures" / "declarations" / "declarations.csv"
)


def test_the_declaration_set_scored_on_rules_alone() -> None:
    """The committed evaluation set (bench/declarations.py measures it on the whole demo):
    on the rules alone, with no seizures, traffic or model, nearly every risky row reaches its
    office's threshold and at most 2 % of benign look-alikes do."""
    threshold = {code: t for _, code, _, _, _, t in OFFICES}
    country = {code: c for _, code, _, c, _, _ in OFFICES}
    sc = scorer()
    hits = {"risky": [0, 0], "benign": [0, 0]}
    with open(DECLARATIONS, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            record = {
                "reference": row["id"],
                "mode": row["mode"],
                "declared_at": "2026-12-01T08:00:00Z",
                "origin_country": row["origin"],
                "destination_country": country[row["office"]],
                "sender": {"name": "A Sender"},
                "consignee": {"name": "A Consignee"},
                "items": [{"description": row["description"], "hs_code": row["hs_code"] or None}],
            }
            (a,) = sc.score_many([ShipmentIn.model_validate(record)])
            hits[row["label"]][0] += a.score >= threshold[row["office"]]
            hits[row["label"]][1] += 1
    assert hits["risky"][0] / hits["risky"][1] >= 0.97, hits
    assert hits["benign"][0] / hits["benign"][1] <= 0.02, hits

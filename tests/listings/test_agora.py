"""Agora's category paths as labels, and the training reader (a tiny fixture copy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from watchfloor.listings import agora
from watchfloor.reference.matcher import SubstanceMatcher

FIXTURE = Path(__file__).parents[1] / "fixtures" / "agora"


def listing(category: str, title: str = "something") -> agora.AgoraListing:
    return agora.AgoraListing("2014-01-01", "v", title, "", category, "", "")


@pytest.mark.parametrize(
    ("category", "title", "sale", "cls"),
    [
        ("Drugs/Cannabis/Weed", "1oz OG Kush", True, "cannabis"),
        ("Drugs/Stimulants/Cocaine", "1g coke", True, "cocaine"),
        ("Drugs/Stimulants/Meth", "crystal", True, "amphetamine"),
        ("Drugs/Stimulants/Prescription", "Adderall 30mg", True, "prescription"),
        ("Drugs/Stimulants", "which one?", True, None),  # Agora does not say which drug
        ("Drugs/Opioids", "heroin no 4", True, "opioid"),
        ("Drugs/Opioids", "acetylfentanyl 1g", True, "fentanyl"),
        ("Drugs/Other", "safrole 1 litre", True, "precursor"),
        ("Drugs/RCs", "5F-PB22", True, "other"),
        ("Information/Guides", "Secret of Methamphetamine Manufacture", False, None),
        ("Drug paraphernalia", "glass pipe", False, None),
    ],
)
def test_category_paths_become_labels(category, title, sale, cls) -> None:  # type: ignore[no-untyped-def]
    item = listing(category, title)
    assert item.is_drug is sale
    assert item.substance_class(SubstanceMatcher.shipped()) == cls


def test_training_reads_each_listing_once_with_its_vendor_description() -> None:
    rows = agora.read_training(FIXTURE)
    by_title = {r.title: r for r in rows}
    assert len(rows) == 5  # the cocaine listing is in both crawls
    coke = by_title["1g Peruvian cocaine 90%"]
    assert coke.category == "Drugs/Stimulants/Cocaine" and coke.ships_from == "Netherlands"
    assert coke.body.startswith("Fishscale straight from Peru")
    assert by_title["Carding guide 2014"].category == "Information/Guides"
    assert not by_title["Carding guide 2014"].is_drug


def test_the_evaluation_files_are_not_read_for_training(tmp_path: Path) -> None:
    (tmp_path / "product").mkdir()
    (tmp_path / "arules").mkdir()
    src = FIXTURE / "product" / "products-2014-01-01.csv"
    (tmp_path / "arules" / "Ag2014-sscX.csv").write_bytes(src.read_bytes())
    assert agora.read_training(tmp_path) == []

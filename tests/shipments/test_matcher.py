"""Finding catalogue substances in item descriptions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchfloor.reference.matcher import SubstanceMatcher, shipped_facts

M = SubstanceMatcher.shipped()


def keys(text: str) -> list[str]:
    return [m.substance.key for m in M.find(text)]


@pytest.mark.parametrize(
    ("text", "key", "how"),
    [
        ("N-Phenethyl-4-piperidone 500 g", "n-phenethyl-4-piperidone", "exact"),
        ("n phenethyl 4 piperidone", "n-phenethyl-4-piperidone", "exact"),
        ("NPHENETHYL4PIPERIDONE", "n-phenethyl-4-piperidone", "exact"),
        ("NPP powder", "n-phenethyl-4-piperidone", "exact"),
        ("4-ANPP", "4-anilino-n-phenethylpiperidine", "exact"),
        ("4-AP 1 kg", "n-phenylpiperidin-4-amine", "exact"),
        ("BMK oil", "1-phenyl-2-propanone", "exact"),
        ("P2P", "1-phenyl-2-propanone", "exact"),
        ("PMK", "3-4-methylenedioxyphenyl-2-propanone", "exact"),
        ("1-(1,3-benzodioxol-5-yl)propan-2-one", "3-4-methylenedioxyphenyl-2-propanone", "exact"),
        ("benzyl methyl ketone", "1-phenyl-2-propanone", "exact"),
        ("fentanil citrate", "fentanyl", "variant"),
        ("Pseudoefedrine HCl", "pseudoephedrine", "variant"),
        ("N-phenethyl-4-piperidon", "n-phenethyl-4-piperidone", "fuzzy"),
        ("organic intermediate CAS 39742-60-4", "n-phenethyl-4-piperidone", "cas"),
    ],
)
def test_finds_names_abbreviations_misspellings_and_cas(text: str, key: str, how: str) -> None:
    found = {m.substance.key: m for m in M.find(text)}
    assert key in found, f"{text!r} should mention {key}, found {list(found)}"
    assert found[key].how == how


@pytest.mark.parametrize(
    "text",
    [
        "organic intermediate CAS 39742-60-5",  # check digit wrong: not a CAS number
        "piperidine-free shampoo",
        "shampoo free of piperidine",
        "piperine 95% black pepper extract",
        "heroine action figure",
        "China white tea",
        "ice scraper",
        "apache helicopter model",
        "plastic toy",
        "cotton t-shirt",
        "vitamin C tablets",
        "crystal glass vase",
    ],
)
def test_look_alikes_and_ordinary_words_are_not_mentions(text: str) -> None:
    assert keys(text) == []


def test_each_substance_is_reported_once_with_its_best_evidence() -> None:
    found = M.find("NPP (N-phenethyl-4-piperidone), CAS 39742-60-4")
    assert [m.substance.key for m in found] == ["n-phenethyl-4-piperidone"]


def test_describe_names_the_convention_table() -> None:
    npp = next(s for s in shipped_facts() if s.key == "n-phenethyl-4-piperidone")
    assert npp.describe() == "a fentanyl precursor (1988 Convention Table I)"
    fentanyl = next(s for s in shipped_facts() if s.key == "fentanyl")
    assert "1961 Convention Schedule I" in fentanyl.describe()


TABLE_I = [s for s in shipped_facts() if s.kind == "precursor" and s.un_1988_table == "I"]


@settings(max_examples=150, deadline=None)
@given(
    sub=st.sampled_from(TABLE_I),
    case=st.sampled_from(["lower", "upper", "title"]),
    sep=st.sampled_from([" ", "-", "", "  "]),
    suffix=st.sampled_from(["", " 99%", " 25kg drum", " (purity 98%)"]),
)
def test_every_table_i_precursor_is_found_whatever_its_spacing_and_case(
    sub, case, sep, suffix
) -> None:  # type: ignore[no-untyped-def]
    import re

    words = re.findall(r"[A-Za-z0-9]+", sub.name)
    text = sep.join(words) if sep else "".join(words)
    text = getattr(text, case)() + suffix
    assert sub.key in keys(text), text

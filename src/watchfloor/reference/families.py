"""Families of substances recognised by how their names are built (``data/families.toml``):
fentanyl analogues, nitazenes, synthetic cannabinoids and cathinones, designer
benzodiazepines, psychedelic phenethylamines and the adulterants of concern.

A family pattern is matched against one word of a text at a time (a run between spaces, with
the punctuation around it taken off), so "N-(1-phenethylpiperidin-4-yl)-N-phenylpropionamide"
is one word and "tert-butyl 4" is two that fit nothing.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "Δ": "delta", "μ": "u", "µ": "u"}
_GREEK = re.compile("|".join(GREEK))
_DASHES = re.compile("[\u2010-\u2015\u2212]")
_WORD = re.compile(r"\S+")
_EDGES = ".,;:!?\"'«»“”‘’()[]{}*"


@dataclass(frozen=True)
class Family:
    key: str
    name: str  # "nitazene"
    what: str  # "a nitazene (2-benzylbenzimidazole opioid)"
    category: str  # how shipment scoring weighs it
    drug_class: str
    sources: str
    patterns: tuple[re.Pattern[str], ...]

    def fits(self, word: str) -> bool:
        return any(p.search(word) for p in self.patterns)


def spell_out(text: str) -> str:
    """Greek letters spelt out and dashes made hyphens: "α‑PVP" -> "alpha-PVP"."""
    return _DASHES.sub("-", _GREEK.sub(lambda m: GREEK[m.group(0)], text))


def chemical_fold(text: str) -> str:
    """Lower-case ASCII with Greek letters spelt out, keeping the punctuation of chemical
    names (hyphens, commas, brackets)."""
    text = unicodedata.normalize("NFKD", spell_out(text))
    return text.encode("ascii", "ignore").decode("ascii").lower()


@dataclass(frozen=True)
class FamilyWord:
    start: int  # character offsets in the text given to :func:`family_words`
    end: int
    word: str
    family: Family


@lru_cache(maxsize=1)
def shipped_families() -> tuple[Family, ...]:
    text = resources.files("watchfloor.reference").joinpath("data", "families.toml").read_text()
    return tuple(
        Family(
            key=f["key"],
            name=f["name"],
            what=f["what"],
            category=f["category"],
            drug_class=f["drug_class"],
            sources=f["sources"],
            patterns=tuple(re.compile(p) for p in f["patterns"]),
        )
        for f in tomllib.loads(text)["family"]
    )


def family_of(word: str) -> Family | None:
    """The family whose naming rule ``word`` (one word, any case) fits, if any."""
    return _family_of(chemical_fold(word).strip(_EDGES))


@lru_cache(maxsize=65536)
def _family_of(word: str) -> Family | None:
    if len(word) < 4:
        return None
    for family in shipped_families():
        if family.fits(word):
            return family
    return None


def family_words(text: str) -> list[FamilyWord]:
    """Every word of ``text`` that fits a family, with its offsets in ``text``."""
    found = []
    for m in _WORD.finditer(text):
        raw = m.group(0)
        family = family_of(raw)
        if family is None:
            continue
        lead = len(raw) - len(raw.lstrip(_EDGES))
        word = raw.strip(_EDGES)
        found.append(FamilyWord(m.start() + lead, m.start() + lead + len(word), word, family))
    return found

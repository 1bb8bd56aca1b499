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


# what the words of chemical names are made of: stems of groups, rings and classes
_CHEMICAL_PARTS = re.compile(
    r"(?:meth|eth|prop|but|pent|hex|hept|oct|phen|benz|naphth|pyrrol|pyrid|piperid|piperaz|"
    r"morphol|indol|indaz|imidaz|thiophen|fur|cyclo|fluoro|chloro|bromo|iodo|nitro|amino|"
    r"hydroxy|oxy|amine|amide|amphetamine|cathinone|tryptamine|azepam|azolam|fentan|nitazen|"
    r"carbox|acet|keton|one$|ol$|ine$|ane$|ene$|yl$|ide$|ate$)"
)
_FRAGMENT_END = re.compile(r"(?:[-,(\[]|\b\d+|\b[a-z]|yl)$")  # "4-", "tert-butyl 4", "N-ethyl"
_CODE = re.compile(r"^(?:\d+[a-z]{0,2}-)+[a-z][a-z0-9-]*[a-z0-9]$")  # 4-Cl-PVP, 5-MeO-DALT
_MODIFIERS = frozenset(
    [
        "tert", "sec", "iso", "neo", "alpha", "beta", "gamma", "delta", "para", "ortho", "meta",
        "cis", "trans", "des", "nor", "homo", "bis", "tris", "hcl", "hbr", "salt", "base",
    ]
)  # fmt: skip


def chemical_name(text: str) -> bool:
    """Whether ``text`` reads as the name of a substance by this module's standard, not a
    fragment of one: a family's name, or a name of at least five letters whose words are
    built of chemical parts, with balanced brackets, that does not end on a locant, a
    hyphen or an open bracket ("n", "tert-butyl 4", "2-(4-" are fragments)."""
    name = chemical_fold(text).strip()
    if any(family_of(w) for w in name.split()) or _CODE.match(name):
        return True
    letters = sum(ch.isalpha() for ch in name)
    if letters < 5 or _FRAGMENT_END.search(name):
        return False
    if name.count("(") != name.count(")") or name.count("[") != name.count("]"):
        return False
    words = [w for w in re.split(r"[\s,()\[\]-]+", name) if sum(c.isalpha() for c in w) >= 3]
    return bool(words) and all(w in _MODIFIERS or _CHEMICAL_PARTS.search(w) for w in words)

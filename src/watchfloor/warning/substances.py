"""Which substance a statistic or a record names, strictly.

Scoring a customs description looks for any mention (``reference.matcher``); a series needs
the identity of the whole name, or a laboratory's "ACETYL FENTANYL (N-(1-PHENETHYLPIPERIDIN-
4-YL)-N-PHENYLACETAMIDE)" would be counted under a phenylacetamide precursor. A name is
looked up whole, then by its head (before a parenthesis or comma, without a salt form), then
by each parenthesised alternative; a name that none of these finds is unknown to the
catalogue, and its series is filed under the folded head name, so that the salt forms of one
unknown substance still make one series.

>>> identify("3-METHYLFENTANYL, SALT UNDETERMINED")
('3-methylfentanyl', '3-methylfentanyl')
>>> identify("Alprazolam (Xanax, Pranax, Ksalol)")[0]
'alprazolam'
>>> identify("FLUOROFENTANYL")
(None, 'fluorofentanyl')
"""

from __future__ import annotations

import re
from functools import lru_cache

from watchfloor.reference import SubstanceMatcher, fold, tokens

_SALTS = re.compile(
    r"\b(hydrochloride|hcl|citrate|salt undetermined|base|sulfate|sulphate|phosphate|"
    r"hydrobromide|tartrate|oxalate|fumarate)\b\s*$"
)
_SPACE = re.compile(r"\s+")


def _head(text: str) -> str:
    """The name before an alternative: " (", ", " or "; " separate names, while brackets and
    commas inside a chemical name ("N,N-dimethyl…", "tert-butyl 4-(phenylamino)…") do not."""
    head = re.split(r"\s\(|,\s|;", text, maxsplit=1)[0]
    head = _SALTS.sub("", fold(head).strip())
    return _SPACE.sub(" ", head).strip(" -*")


@lru_cache(maxsize=65536)
def identify(text: str) -> tuple[str | None, str]:
    """``(catalogue key or None, label)``: the label is the key when known, else the folded
    head name."""
    exact = SubstanceMatcher.shipped().exact
    head = _head(text)
    candidates = [text, head, *re.findall(r"\(([^()]*)\)", text)]
    for candidate in candidates:
        for part in re.split(r"[,;]", candidate) if candidate is not text else [candidate]:
            hit = exact.get("".join(tokens(part)))
            if hit is not None:
                return hit[0], hit[0]
    return None, head or _SPACE.sub(" ", fold(text)).strip()


def display(substance: str) -> str:
    """How to name a series' substance: the catalogue's name for a key, else as filed."""
    if substance.startswith("class:"):
        return f"{substance[6:]} (class)"
    facts = SubstanceMatcher.shipped().facts.get(substance)
    return facts.name if facts is not None else substance

"""Names made comparable: transliteration, folding, tokens, phonetic keys and skeletons.

A name in any script is transliterated to Latin letters with ``unidecode`` (Cyrillic
"Владимир Путин" becomes "Vladimir Putin", Chinese "习近平" becomes "Xi Jin Ping"), folded to
lower case, split into words, and stripped of legal forms and honorifics ("S.A. de C.V.",
"Mr", "Dr") that say nothing about who it is. Two views help where spelling varies:

- a phonetic key per word (Metaphone, through ``jellyfish``): "Mohammed", "Muhammad" and
  "Mohamad" share ``MHMT``;
- a consonant skeleton of the whole name: Arabic script is written without short vowels, so
  "محمد بن سلمان" transliterates to "mHmd bn slmn", which is the skeleton of "Mohammed bin
  Salman" (vowels dropped, doubled letters collapsed).

>>> name_tokens("AMEZCUA CONTRERAS, José de Jesús")
('amezcua', 'contreras', 'jose', 'jesus')
>>> skeleton("Mohammed bin Salman") == skeleton("محمد بن سلمان")
True
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import jellyfish
from unidecode import unidecode

_WORD = re.compile(r"[a-z0-9]+")
_VOWELS = re.compile(r"[aeiouy]")
_DOUBLES = re.compile(r"(.)\1+")

# Legal forms, honorifics and particles: they tell nothing about who a party is.
NOISE = frozenset(
    """
    sa de cv s a c v srl sas ltd ltda limited co company corp corporation inc llc gmbh bv nv ag
    spa sl plc the y e mr mrs ms dr sr sra don dona cia prof univ ing dipl bsc msc ba ma phd mag
    lic ph d
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
# Trade words: they make a name a company's, and say little about which company it is
# ("Hubei Chemical" and "Shanghai Chemical" share only "chemical").
TRADE = frozenset(
    """
    trading chemical chemicals pharma pharmaceutical pharmaceuticals industries industrial
    import export imports exports logistics group holdings holding enterprises enterprise
    international laboratories laboratory lab labs technology technologies tech biotech
    shipping express sociedad comercializadora distribuidora comercial services service
    products product global development science sciences materials new
    """.split()  # noqa: SIM905
)
LEGAL_FORMS = frozenset(
    """
    ltd ltda limited llc inc corp corporation co company gmbh sa sas srl spa bv nv ag plc cia
    """.split()  # noqa: SIM905
)


def fold(text: str) -> str:
    """Latin letters, lower case, no accents: the form every comparison starts from."""
    return unidecode(unicodedata.normalize("NFKC", text)).lower()


@lru_cache(maxsize=200_000)
def name_tokens(name: str) -> tuple[str, ...]:
    """The words of a name that identify it, in their written order."""
    return tuple(w for w in _WORD.findall(fold(name)) if w not in NOISE)


def screenable(toks: tuple[str, ...]) -> bool:
    """Short-name guard: one short word ("CHAPO") or two tiny ones match far too much."""
    letters = len("".join(toks))
    return (len(toks) >= 2 and letters >= 6) or letters >= 8


@lru_cache(maxsize=200_000)
def phonetic(token: str) -> str:
    """Metaphone key of one word; digits and one-letter words stand for themselves."""
    if len(token) < 2 or not token.isalpha():
        return token
    return jellyfish.metaphone(token) or token


@lru_cache(maxsize=50_000)
def skeleton(name: str) -> str:
    """Consonants of the name's words, doubled letters collapsed, words kept apart."""
    return " ".join(_DOUBLES.sub(r"\1", _VOWELS.sub("", w)) or w for w in _WORD.findall(fold(name)))


@lru_cache(maxsize=200_000)
def unvowelled(name: str) -> bool:
    """Written in a script that leaves out short vowels (Arabic, Hebrew, Syriac, Thaana)."""
    return any(
        "\u0590" <= ch <= "\u08ff" or "\ufb1d" <= ch <= "\ufdff" or "\ufe70" <= ch <= "\ufeff"
        for ch in name
    )


def non_latin(name: str) -> bool:
    """Does the name carry letters beyond the Latin script (so that it was transliterated)?"""
    return any(ch.isalpha() and ord(ch) >= 0x250 for ch in name)


def name_key(raw: str | None) -> str | None:
    """The form a watched name is compared in: folded words in sorted order, so that
    "RAMIREZ OCHOA, José" meets "Jose Ramirez Ochoa" and "Straße" meets "Strasse"; None
    for text without words.

    >>> name_key("RAMIREZ OCHOA, José") == name_key("Jose Ramirez Ochoa")
    True
    """
    if not raw:
        return None
    words = sorted(_WORD.findall(fold(raw)))
    return " ".join(words) if words else None


def address_key(raw: str | None) -> str | None:
    """An address as its folded words in written order; None for text without words."""
    if not raw:
        return None
    words = _WORD.findall(fold(raw))
    return " ".join(words) if words else None

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

import csv
import gzip
import io
import re
import unicodedata
from functools import lru_cache
from importlib import resources

import jellyfish
from unidecode import unidecode

_WORD = re.compile(r"[a-z0-9]+")
_VOWELS = re.compile(r"[aeiouy]")
_VOWELS_W = re.compile(r"[aeiouyw]")
_APOSTROPHES = re.compile(r"(?<=[a-z])['`](?=[a-z])|(?<![a-z])['`]")
_DOUBLES = re.compile(r"(.)\1+")

# The articles of Arabic names as written in Latin letters (and Spanish "el"); with the
# honorifics and particles below, they tell nothing about who a party is. Legal forms come
# from maintained lists (see legal_forms).
ARTICLES = frozenset(("al", "el"))
NOISE = ARTICLES | frozenset(
    """
    the de del y e and und et mr mrs ms dr sr sra don dona prof univ ing dipl bsc msc ba ma
    phd mag lic ph d
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
# Generic trade words: they make a name a company's, and say little about which company it
# is ("Hubei Chemical" and "Shanghai Chemical" share only "chemical"). English, and the same
# words in the languages company names here are most often written in.
TRADE = frozenset(
    """
    trading trade traders chemical chemicals chemistry pharma pharmaceutical pharmaceuticals
    industries industrial industry import export imports exports logistics group holdings
    holding enterprises enterprise international laboratories laboratory lab labs technology
    technologies tech biotech biotechnology shipping express services service products product
    global development science sciences materials new media marketing solutions systems supply
    supplies commerce company
    sociedad comercializadora distribuidora comercial comercio quimica quimicos quimico
    farmaceutica farmaceutico farmaceuticos farmacia laboratorios laboratorio industrias
    industria internacional tecnologia grupo servicios productos importadora exportadora
    transportes logistica
    chimie laboratoire laboratoires industrie internationale technologie groupe produits
    handel handels chemie pharmazie logistik technik gruppe
    chimica farmaceutici farmaci industriale
    sanayi ticaret kimya
    torgovyi torgovaya torgovoe torgovyy dom khimiia khimiya farm
    """.split()  # noqa: SIM905
)
# Chinese and Arabic words written before transliteration as the generic English word they
# mean, so that they weigh as such (a Chinese name's syllables are its characters: 传媒,
# "media", would otherwise be two words of the name, chuan and mei).
GENERIC_WORDS = {
    "贸易": "trading", "商贸": "trading", "化工": "chemical", "化学": "chemical",
    "制药": "pharmaceutical", "医药": "pharmaceutical", "药业": "pharmaceutical",
    "生物": "biotech", "科技": "technology", "技术": "technology", "实业": "industrial",
    "工业": "industrial", "集团": "group", "国际": "international", "进出口": "export",
    "物流": "logistics", "发展": "development", "传媒": "media", "控股": "holding",
    "新材料": "materials",
    "شركة": "company", "مؤسسة": "enterprise", "مصنع": "industrial", "للتجارة": "trading",
    "التجارية": "trading", "للأدوية": "pharmaceutical", "الأدوية": "pharmaceutical",
    "للكيماويات": "chemicals", "الكيماويات": "chemicals", "الدولية": "international",
}  # fmt: skip
# Legal forms of scripts that cleanco does not cover, as the laws that define them write
# them: the Company Law of the People's Republic of China (有限责任公司, limited liability
# company; 股份有限公司, company limited by shares; 有限公司, their short form) and the
# commercial companies laws of the UAE and Saudi Arabia (ذ.م.م, limited liability;
# ش.م.م / ش.م.ع / ش.م.خ, joint-stock companies, closed or public; المحدودة, "limited").
OTHER_LEGAL_FORMS = (
    "股份有限公司", "有限责任公司", "有限公司", "ذات مسؤولية محدودة", "ذ.م.م", "ش.م.م", "ش.م.ع",
    "ش.م.خ", "المحدودة",
)  # fmt: skip
_GENERIC = re.compile("|".join(sorted(map(re.escape, GENERIC_WORDS), key=len, reverse=True)))
_OTHER_LEGAL = re.compile("|".join(map(re.escape, OTHER_LEGAL_FORMS)))
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Arabic writes its article joined to the word (الحسيني, al-Husseini): set apart, it is a
# particle like the Latin "al" it is written as
# (but not in الله, God's name, which ends so many names: Abdullah, Nasrallah)
_ARABIC_ARTICLE = re.compile(
    r"(?<![\u0600-\u06ff])ال(?=[\u0600-\u06ff]{2})(?!له(?![\u0600-\u06ff]))"
)
_DOTTED = re.compile(r"\b(?:[^\W\d_]\.){2,}")  # G.m.b.H., S.A., L.L.C.


# Chinese place names whose English names are not their pinyin (Hong Kong, not Xianggang)
PLACES = {"香港": "Hong Kong", "澳门": "Macau", "澳門": "Macau", "九龙": "Kowloon",
          "九龍": "Kowloon", "台北": "Taipei"}  # fmt: skip
_PLACES = re.compile("|".join(PLACES))
# a division of the country before a company's name (深圳市, 广东省): English drops the word
_DIVISION = re.compile(r"^((?:[\u3400-\u9fff]{2,3}[省市])+)")
_CJK_RUN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+")


def romanise_cjk(text: str) -> str:
    """Chinese characters as Mandarin pinyin syllables (pypinyin, which reads characters in
    their words: 重庆 is Chongqing, 银行 yinhang), other text unchanged.

    >>> romanise_cjk("武汉 Co")
    ' wu han  Co'
    """
    from pypinyin import lazy_pinyin

    return _CJK_RUN.sub(lambda m: " " + " ".join(lazy_pinyin(m.group(0))) + " ", text)


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every syllable of Mandarin pinyin, without tones (from pypinyin's readings of every
    character), less the interjections without a vowel (m, ng, hm)."""
    from pypinyin.pinyin_dict import pinyin_dict

    read = {unidecode(r).lower() for v in pinyin_dict.values() for r in v.split(",")}
    return frozenset(r for r in read if _VOWELS.search(r))


@lru_cache(maxsize=50_000)
def pinyin_syllables(word: str) -> tuple[str, ...] | None:
    """A folded word read as pinyin syllables, fewest first ("xiaoping": xiao, ping), or
    None when it is not pinyin ("martin").

    >>> pinyin_syllables("zhuoyue"), pinyin_syllables("martin")
    (('zhuo', 'yue'), None)
    """
    known = _syllables()
    best: list[tuple[str, ...] | None] = [()] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            before, here = best[start], best[end]
            if before is None or word[start:end] not in known:
                continue
            if here is None or len(before) + 1 < len(here):
                best[end] = (*before, word[start:end])
    return best[-1]


def _pinyin(cjk: str) -> re.Pattern[str]:
    """The Chinese words as written in pinyin, with or without spaces between syllables."""
    syllables = [unidecode(ch).strip().lower() for ch in cjk]  # right for these words
    return re.compile(r"\b" + r"\s?".join(map(re.escape, syllables)) + r"\b")


# the same generic words and legal forms written in pinyin ("Keji Youxian Gongsi")
_PINYIN_GENERIC = [(_pinyin(k), v) for k, v in GENERIC_WORDS.items() if _CJK.match(k)]
_PINYIN_LEGAL = [_pinyin(f) for f in OTHER_LEGAL_FORMS if _CJK.match(f)]


def fold(text: str) -> str:
    """Latin letters, lower case, no accents: the form every comparison starts from."""
    return unidecode(unicodedata.normalize("NFKC", text)).lower()


def _data(name: str) -> resources.abc.Traversable:
    return resources.files("watchfloor.identifiers").joinpath("data", name)


@lru_cache(maxsize=1)
def legal_forms() -> tuple[tuple[str, ...], ...]:
    """Every legal form of two maintained lists, as folded words, longest first: cleanco's
    (GmbH & Co. KG, S. de R.L. de C.V., OOO, Pvt Ltd...) and OpenSanctions' organisation
    types, which write them out too (Aktiebolag, Public Joint Stock Company; data/, built
    by scripts/build_names_data.py from the ISO 20275 code list, OCCRP and Wikipedia)."""
    from cleanco import prepare_default_terms

    forms = {tuple(_WORD.findall(fold(" ".join(words)))) for _, words in prepare_default_terms()}
    rows = csv.DictReader(io.StringIO(_data("legal_forms.csv").read_text(encoding="utf-8")))
    forms.update(tuple(_WORD.findall(fold(row["alias"]))) for row in rows)
    return tuple(sorted((f for f in forms if f), key=len, reverse=True))


@lru_cache(maxsize=1)
def _name_items() -> dict[str, int | tuple[int, ...]]:
    """Each folded spelling of a given name or surname and the Wikidata name items it writes
    (data/name_parts.txt.gz, built from OpenSanctions' rigour; see its SOURCE.md)."""
    items: dict[str, int | tuple[int, ...]] = {}
    with gzip.open(str(_data("name_parts.txt.gz")), "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            for form in line.split()[1:]:
                had = items.get(form)
                items[form] = (
                    n if had is None else (*(had if isinstance(had, tuple) else (had,)), n)
                )
    return items


def one_name(a: str, b: str) -> bool:
    """Whether two folded words are spellings of one name, by Wikidata's names in many
    scripts and transliterations: "yevgeny" and "evgenii" (Евгений), "hussein" and
    "husain", "mohamed" and "muhammad".

    >>> one_name("yevgeny", "evgenii"), one_name("hassan", "hussein")
    (True, False)
    """
    items = _name_items()
    x, y = items.get(a), items.get(b)
    if x is None or y is None:
        return False
    xs = x if isinstance(x, tuple) else (x,)
    return any(i in xs for i in (y if isinstance(y, tuple) else (y,)))


@lru_cache(maxsize=1)
def _forms_by_edge() -> tuple[dict[str, list[tuple[str, ...]]], dict[str, list[tuple[str, ...]]]]:
    """The legal forms by their last word and by their first, longest first."""
    last: dict[str, list[tuple[str, ...]]] = {}
    first: dict[str, list[tuple[str, ...]]] = {}
    for form in legal_forms():
        last.setdefault(form[-1], []).append(form)
        first.setdefault(form[0], []).append(form)
    return last, first


def strip_legal_forms(words: list[str]) -> list[str]:
    """``words`` without the legal forms at their start and end ("OOO Romashka", "Acme
    GmbH & Co KG"); a name that is nothing but legal forms keeps its words."""
    by_last, by_first = _forms_by_edge()
    start, end, moved = 0, len(words), True
    while moved and end - start > 1:
        moved = False
        for form in by_last.get(words[end - 1], ()):
            n = len(form)
            if end - start > n and tuple(words[end - n : end]) == form:
                end, moved = end - n, True
                break
        if moved:
            continue
        for form in by_first.get(words[start], ()):
            n = len(form)
            if end - start > n and tuple(words[start : start + n]) == form:
                start, moved = start + n, True
                break
    return words[start:end]


@lru_cache(maxsize=200_000)
def name_tokens(name: str) -> tuple[str, ...]:
    """The words of a name that identify it, in their written order: legal forms (cleanco's,
    and those of Chinese and Arabic company law) and honorifics left out, generic Chinese
    and Arabic trade words written as the English word they mean."""
    text = unicodedata.normalize("NFKC", name)
    text = _OTHER_LEGAL.sub(" ", text)
    text = _ARABIC_ARTICLE.sub(" al ", text)
    text = _DOTTED.sub(lambda m: m.group(0).replace(".", "") + " ", text)
    text = _GENERIC.sub(lambda m: f" {GENERIC_WORDS[m.group(0)]} ", text)
    chinese = bool(_CJK.search(text))
    if chinese:
        text = _DIVISION.sub(lambda m: re.sub("[省市]", " ", m.group(0)), text.strip())
        text = romanise_cjk(_PLACES.sub(lambda m: f" {PLACES[m.group(0)]} ", text))
    latin = not non_latin(text)
    # an apostrophe is no word break: O'Brien, Koval'chuk (Ковальчук's soft sign), 'Umar
    folded = _APOSTROPHES.sub("", fold(text))
    for legal in _PINYIN_LEGAL:
        folded = legal.sub(" ", folded)
    for generic, word in _PINYIN_GENERIC:
        folded = generic.sub(f" {word} ", folded)
    words = _WORD.findall(folded)
    if not unvowelled(name):  # Arabic script writes its own legal forms (stripped above)
        words = strip_legal_forms(words)
    # a Chinese name's syllables are its characters: "de" (德) is not a particle there; a
    # name in another script holds no Latin honorific ("mr" is Arabic عمر, Omar, folded)
    if chinese:
        return tuple(words)
    return tuple(w for w in words if w not in (NOISE if latin else ARTICLES))


@lru_cache(maxsize=200_000)
def legal_form_of(name: str) -> bool:
    """Whether the name carries a legal form (then it is a company's)."""
    if _OTHER_LEGAL.search(unicodedata.normalize("NFKC", name)):
        return True
    words = _WORD.findall(fold(name))
    return len(strip_legal_forms(words)) < len(words)


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


@lru_cache(maxsize=50_000)
def token_skeleton(name: str) -> str:
    """The consonants of the name's identifying words (``name_tokens``: articles and legal
    forms left out) run together: "عبد الرحمن" and "Abdul Rahman" are bdrhmn and bdlrhmn.
    W goes with the vowels: Arabic writes a long u or o with the letter it folds to."""
    return _DOUBLES.sub(r"\1", _VOWELS_W.sub("", "".join(name_tokens(name))))


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

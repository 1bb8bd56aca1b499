"""Listing text as the classifier and the pages see it: markup removed, Unicode normalised,
and the catalogue's knowledge written into it as marker words.

HTML is reduced to its visible text with the standard library's parser (no markup is ever
rendered back: the pages escape what they show), script and style contents are dropped.
NFKC folds full-width and compatibility characters ("ｃｏｃａｉｎｅ" becomes "cocaine").

Markers: each substance the catalogue finds adds ``wfname_<class>`` (a name, synonym,
abbreviation, brand or CAS number) or ``wfslang_<class>`` (a DEA street name), and amounts
add ``wfqty_mass`` / ``wfqty_count``. They are ordinary words to the vectoriser, so the model
weighs them like any other term and an explanation can name them; a street name alone is a
weak hint, as many are ordinary words.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

from watchfloor.memo import SHORT, Memo
from watchfloor.reference import SubstanceMatcher

MARKER = "wf"
_SKIP = {"script", "style", "noscript", "template"}
_SPACE = re.compile(r"\s+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# invisible format characters, used to split a word so that filters miss it ("co\u200bke")
_FORMAT = re.compile(r"[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
_MASS = re.compile(
    r"\b\d+(?:[.,]\d+)?\s?(?:mg|mcg|ug|µg|g|gr|gram|grams|kg|kilo|kilos|oz|ounce|ounces|lb|ml)\b",
    re.IGNORECASE,
)
_COUNT = re.compile(
    r"\b(?:x\s?\d+|\d+\s?x|\d+\s?(?:pills?|tabs?|tablets?|caps?|capsules?|blotters?|hits?))\b",
    re.IGNORECASE,
)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skipping += 1
        elif tag in ("br", "p", "div", "li", "tr", "td", "h1", "h2", "h3", "h4"):
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


_seen: Memo[str, str] = Memo(20_000)  # visible text of short texts (titles, boilerplate)


def visible_text(text: str) -> str:
    """The text a reader would see: tags removed when there are any, entities decoded,
    Unicode in NFKC, control characters and runs of white space reduced to one space."""
    if len(text) > SHORT:
        return _visible(text)
    return _seen.lookup(text, _visible)


def _visible(text: str) -> str:
    if "<" in text and ">" in text:
        parser = _Visible()
        parser.feed(text)
        parser.close()
        text = "".join(parser.parts)
    elif "&" in text:
        import html

        text = html.unescape(text)
    text = _FORMAT.sub("", _CONTROL.sub(" ", unicodedata.normalize("NFKC", text)))
    return _SPACE.sub(" ", text).strip()


def markers(text: str, matcher: SubstanceMatcher) -> list[str]:
    """The marker words for ``text`` (already visible text)."""
    out = []
    for m in matcher.find_exact(text):
        kind = "slang" if m.name_kind == "slang" else "name"
        out.append(f"{MARKER}{kind}_{m.substance.drug_class}")
    if _MASS.search(text):
        out.append(f"{MARKER}qty_mass")
    if _COUNT.search(text):
        out.append(f"{MARKER}qty_count")
    return out


def document(title: str, body: str, matcher: SubstanceMatcher, *, visible: bool = False) -> str:
    """What the classifier reads: title, body and the markers, lower-cased. ``visible``
    says that title and body are visible text already (as stored), not markup."""
    if not visible:
        title, body = visible_text(title), visible_text(body)
    text = f"{title} . {body}".strip(" .")
    return f"{text} {' '.join(markers(text, matcher))}".lower()

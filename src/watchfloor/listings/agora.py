"""The Agora 2014 listings (../shared/data/agora-listings) as labelled training text.

Agora filed every listing under a category path such as ``Drugs/Stimulants/Cocaine``; that
path is the label: any ``Drugs`` path is a drug sale and its sub-category gives the substance
class (:data:`AGORA_CLASSES`); every other category (guides, counterfeits, weapons, tobacco,
paraphernalia, ...) is not. The product crawls give titles and categories, the vendor crawl
gives descriptions, joined on (vendor, title).

Only ``product/`` (January to March 2014) and ``vendor/`` are read for training. The
``arules/`` files (April to December 2014) are an evaluation set: :func:`read_arules` exists
for the evaluation benchmark and nothing in training calls it.
"""

from __future__ import annotations

import contextlib
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from watchfloor.reference import SubstanceMatcher

# Agora sub-category (and sub-sub-category) -> Watchfloor substance class. A sub-category
# that does not say which drug (Stimulants with no sub-sub-category) gives no class label.
AGORA_CLASSES: dict[str, str] = {
    "cannabis": "cannabis",
    "stimulants/cocaine": "cocaine",
    "stimulants/meth": "amphetamine",
    "stimulants/speed": "amphetamine",
    # Adderall, Dexedrine, Ritalin: prescription medicines, as the same names are filed
    # under Drugs/Prescription too
    "stimulants/prescription": "prescription",
    "opioids": "opioid",
    "ecstasy": "mdma",
    "psychedelics": "psychedelic",
    "benzos": "benzodiazepine",
    "prescription": "prescription",
    "dissociatives": "other",
    "disassociatives": "other",
    "rcs": "other",
    "steroids": "other",
    "weight loss": "other",
    "other": "other",
}
_NA = {"", "na", "none"}


@dataclass(frozen=True)
class AgoraListing:
    date: str
    vendor: str
    title: str
    body: str
    category: str  # e.g. "Drugs/Stimulants/Cocaine"
    ships_from: str
    ships_to: str
    price: str = ""  # as written: a number in the product crawls, a range in arules/

    @property
    def is_drug(self) -> bool:
        return self.category.split("/")[0].lower() == "drugs"

    def substance_class(self, matcher: SubstanceMatcher | None = None) -> str | None:
        """The class Agora's category gives; fentanyl and precursors, which Agora filed
        under opioids and "other", are told apart by the catalogue names in the title."""
        if not self.is_drug:
            return None
        parts = [p.lower() for p in self.category.split("/")[1:] if p.lower() not in _NA]
        label = None
        if len(parts) >= 2 and f"{parts[0]}/{parts[1]}" in AGORA_CLASSES:
            label = AGORA_CLASSES[f"{parts[0]}/{parts[1]}"]
        elif parts and parts[0] in AGORA_CLASSES and parts[0] != "stimulants":
            label = AGORA_CLASSES[parts[0]]
        if matcher is not None and label in ("opioid", "other"):
            found = {m.substance.drug_class for m in matcher.find_exact(self.title)}
            if "fentanyl" in found:
                return "fentanyl"
            if label == "other" and found == {"precursor"}:
                return "precursor"
        return label


def _clean(value: str | None) -> str:
    value = (value or "").strip()
    return "" if value.lower() in _NA else re.sub(r"\s+", " ", value)


def _category(row: dict[str, str]) -> str:
    parts = [_clean(row.get(k)) for k in ("cat", "subcat", "subsubcat")]
    return "/".join(p for p in parts if p)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, newline="", encoding="utf-8", errors="replace") as fh:
        yield from csv.DictReader(fh)


def vendor_descriptions(folder: Path) -> dict[tuple[str, str], str]:
    """(vendor, title) -> description, from ``vendor/*.csv``."""
    out: dict[tuple[str, str], str] = {}
    for path in sorted((folder / "vendor").glob("*.csv")):
        for row in _rows(path):
            key = (_clean(row["vendor"]), _clean(row["product"]))
            text = _clean(row.get("description"))
            if text and key[1] and len(text) > len(out.get(key, "")):
                out[key] = text
    return out


def _listing(row: dict[str, str], body: str) -> AgoraListing:
    return AgoraListing(
        date=_clean(row.get("date")),
        vendor=_clean(row.get("vendor")),
        title=_clean(row.get("product")),
        body=body,
        category=_category(row),
        ships_from=_clean(row.get("from")),
        ships_to=_clean(row.get("to")),
        price=_clean(row.get("price")),
    )


def read_training(folder: Path) -> list[AgoraListing]:
    """The January-March 2014 product crawls with the vendor descriptions, one listing per
    (vendor, title): a listing seen in several crawls counts once."""
    bodies = vendor_descriptions(folder)
    seen: dict[tuple[str, str], AgoraListing] = {}
    for path in sorted((folder / "product").glob("*.csv")):
        for row in _rows(path):
            key = (_clean(row.get("vendor")), _clean(row.get("product")))
            if not key[1] or not _category(row):
                continue
            seen.setdefault(key, _listing(row, bodies.get(key, "")))
    return list(seen.values())


def read_arules(folder: Path, *, since: str = "2014-04-01") -> list[AgoraListing]:
    """The evaluation listings: ``arules/*.csv`` rows dated from ``since`` (April 2014 on)."""
    out = []
    for path in sorted((folder / "arules").glob("*.csv")):
        for row in _rows(path):
            if _clean(row.get("date")) >= since and _clean(row.get("product")):
                out.append(_listing(row, ""))
    return out


def read_all_products(folder: Path) -> Iterator[dict[str, str]]:
    """Every row of the product crawls as written (the throughput benchmark's input)."""
    for path in sorted((folder / "product").glob("*.csv")):
        yield from _rows(path)


@lru_cache(maxsize=512)
def country_code(text: str) -> str | None:
    """Agora's free-text place ("Australia", "USA", "Worldwide") as ISO 3166-1 alpha-2, WW
    for worldwide, or None (regions such as "EU", "undeclared")."""
    import pycountry

    text = text.strip()
    if text.lower() in ("worldwide", "world wide", "anywhere", "everywhere"):
        return "WW"
    if text.lower() in ("uk", "england", "great britain"):
        return "GB"
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return None


def as_listing(row: dict[str, str], bodies: dict[tuple[str, str], str]) -> dict[str, object]:
    """A product-crawl row as the listings intake takes it."""
    vendor, title = _clean(row.get("vendor")), _clean(row.get("product"))
    out: dict[str, object] = {
        "platform": "Agora",
        "external_id": _clean(row.get("list")) or f"{vendor}/{title}",
        "title": title or "(untitled)",
        "body": bodies.get((vendor, title), ""),
        "seller": vendor or None,
        "observed_at": f"{_clean(row.get('date'))}T00:00:00Z",
        "currency": "BTC",
    }
    with contextlib.suppress(ValueError):  # "NA" and the like: no price
        out["price"] = float(row.get("price") or "")
    origin = country_code(_clean(row.get("from")))
    if origin and origin != "WW":
        out["ships_from"] = origin
    to = country_code(_clean(row.get("to")))
    if to:
        out["ships_to"] = [to]
    return out

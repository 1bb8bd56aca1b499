"""Training the listing classifier from the Agora 2014 crawls (see :mod:`.agora`), with
descriptions of ordinary goods as further examples of what is not a drug: the foods of USDA
FoodData Central, the categories of Google's product taxonomy and WordNet's non-drug senses
of street names (``data/goods.csv.gz``, see ``data/SOURCE.md`` and
``scripts/build_goods_data.py``), and the HS 2022 nomenclature.

``watchfloor listings train`` runs :func:`train_from_agora` and writes the model the package
ships (``listings/data/classifier.npz``); the same data and seed give the same model.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from watchfloor.listings import agora
from watchfloor.listings.classifier import ListingModel, train
from watchfloor.listings.text import document
from watchfloor.reference import SubstanceMatcher, catalogue_rows

Progress = Callable[[int, int], None]


def default_agora_folder() -> Path | None:
    """../shared/data/agora-listings seen from the working directory, where it exists."""
    for base in (Path.cwd(), *Path.cwd().parents):
        folder = base / "shared" / "data" / "agora-listings"
        if (folder / "product").is_dir():
            return folder
    return None


# HS chapters that hold the plants drugs come from (12: coca leaf, poppy straw, plants used in
# pharmacy; 13: plant extracts and saps, opium) are left out whole. Chemicals and medicines
# (28, 29, 30, 38) are ordinary goods too - vitamins, antibiotics, diagnostic reagents,
# first-aid kits - except under a heading where the catalogue files a controlled substance or
# precursor, or where a description names one ("Medicaments ... containing ephedrine").
NOT_ORDINARY = frozenset({"12", "13"})
CHEMICAL = frozenset({"28", "29", "30", "38"})


def ordinary_goods() -> list[str]:
    """The descriptions of HS 2022 headings and subheadings (from the catalogue the package
    ships) that are ordinary goods (see :data:`NOT_ORDINARY` and :data:`CHEMICAL`), each
    description once: "T-shirts, singlets and other vests; knitted or crocheted", "Provitamins
    and vitamins, natural or reproduced by synthesis"..."""
    matcher = SubstanceMatcher.shipped()
    controlled = {r["hs2022"][:4] for r in catalogue_rows("substances.csv") if r["hs2022"]}

    def ordinary(r: dict[str, str]) -> bool:
        if r["level"] not in ("4", "6") or not r["description"]:
            return False
        if r["hscode"][:2] in NOT_ORDINARY:
            return False
        if r["hscode"][:2] in CHEMICAL:
            return r["hscode"][:4] not in controlled and not matcher.find_exact(r["description"])
        return True

    rows = catalogue_rows("hs2022.csv")
    return list(dict.fromkeys(r["description"] for r in rows if ordinary(r)))


def shipped_goods() -> list[tuple[str, str]]:
    """(description, kind) of the ordinary goods the package ships: "Spices, poppy seed"
    is "a food, drink or tobacco product", "Drug Tests; Medical Tests" "a health or beauty
    product"."""
    raw = resources.files("watchfloor.listings").joinpath("data", "goods.csv.gz").read_bytes()
    rows = csv.DictReader(io.StringIO(gzip.decompress(raw).decode("utf-8")))
    return [(r["text"], r["kind"]) for r in rows]


def train_from_agora(
    folder: Path, *, seed: int = 0, progress: Progress | None = None
) -> ListingModel:
    if not (folder / "product").is_dir():
        raise FileNotFoundError(f"{folder} has no product/ crawls (Agora 2014 listings)")
    matcher = SubstanceMatcher.shipped()
    rows = agora.read_training(folder)
    docs = []
    for i, r in enumerate(rows):
        docs.append(document(r.title, r.body, matcher))
        if progress and i % 500 == 0:
            progress(i, len(rows))
    if progress:
        progress(len(rows), len(rows))
    goods = shipped_goods() + [(text, "") for text in ordinary_goods()]
    model = train(
        docs,
        [r.is_drug for r in rows],
        [r.substance_class(matcher) for r in rows],
        seed=seed,
        ordinary=[document("", text, matcher) for text, _ in goods],
        ordinary_kinds=[kind for _, kind in goods],
    )
    model.version = model.version.replace("listings-", "agora2014-")
    model.metrics["source"] = (
        "Agora 2014 product crawls (January-March) and vendor descriptions; ordinary goods:"
        " USDA FoodData Central foods, Google product taxonomy categories, WordNet senses"
        " of street names that name no drug, HS 2022"
        " descriptions"
    )
    return model

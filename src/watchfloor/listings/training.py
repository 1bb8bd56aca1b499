"""Training the listing classifier from the Agora 2014 crawls (see :mod:`.agora`), with the
descriptions of ordinary goods in the HS 2022 nomenclature as further examples of what is not
a drug sale.

``watchfloor listings train`` runs :func:`train_from_agora` and writes the model the package
ships (``listings/data/classifier.npz``); the same data and seed give the same model.
"""

from __future__ import annotations

from collections.abc import Callable
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


# HS chapters that hold drugs, their plants and precursors, or chemicals of any kind: 12
# (plants used in pharmacy, coca leaf, poppy straw), 13 (lacs, gums, plant extracts), 28 and
# 29 (inorganic and organic chemicals), 30 (pharmaceutical products), 38 (other chemical
# products). Goods of every other chapter are ordinary.
NOT_ORDINARY = frozenset({"12", "13", "28", "29", "30", "38"})


def ordinary_goods() -> list[str]:
    """The descriptions of HS 2022 headings and subheadings (from the catalogue the package
    ships) outside :data:`NOT_ORDINARY`, each description once: "T-shirts, singlets and other
    vests; knitted or crocheted", "Bicycles and other cycles; including delivery tricycles, not
    motorised"..."""
    rows = catalogue_rows("hs2022.csv")
    return list(
        dict.fromkeys(
            r["description"]
            for r in rows
            if r["level"] in ("4", "6") and r["hscode"][:2] not in NOT_ORDINARY and r["description"]
        )
    )


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
    model = train(
        docs,
        [r.is_drug for r in rows],
        [r.substance_class(matcher) for r in rows],
        seed=seed,
        ordinary=[document("", text, matcher) for text in ordinary_goods()],
    )
    model.version = model.version.replace("listings-", "agora2014-")
    model.metrics["source"] = (
        "Agora 2014 product crawls (January-March) and vendor descriptions; HS 2022"
        " descriptions of ordinary goods"
    )
    return model

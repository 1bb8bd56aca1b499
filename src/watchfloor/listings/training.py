"""Training the listing classifier from the Agora 2014 crawls (see :mod:`.agora`).

``watchfloor listings train`` runs :func:`train_from_agora` and writes the model the package
ships (``listings/data/classifier.npz``); the same data and seed give the same model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from watchfloor.listings import agora
from watchfloor.listings.classifier import ListingModel, train
from watchfloor.listings.text import document
from watchfloor.reference.matcher import SubstanceMatcher

Progress = Callable[[int, int], None]


def default_agora_folder() -> Path | None:
    """../shared/data/agora-listings seen from the working directory, where it exists."""
    for base in (Path.cwd(), *Path.cwd().parents):
        folder = base / "shared" / "data" / "agora-listings"
        if (folder / "product").is_dir():
            return folder
    return None


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
        docs, [r.is_drug for r in rows], [r.substance_class(matcher) for r in rows], seed=seed
    )
    model.version = model.version.replace("listings-", "agora2014-")
    model.metrics["source"] = "Agora 2014 product crawls (January-March) and vendor descriptions"
    return model

"""The checks the listing classifier's design rests on, on data that is not an evaluation set.

Usage: python bench/listings_validation.py

bench/listings_eval.py measures the shipped model on the two evaluation sets. The choices
behind that model were made here instead, where looking is allowed:

- Held out: one Agora January-March vendor in five (all their listings) and one HS 2022
  heading in five (all its descriptions). Models are trained on the rest, with and without
  the ordinary goods (training.ordinary_goods), and both held-out parts are decided as
  listings with a price.
- Talk: the 3,216 street-name definitions of the noslang lexicon (drug-lexicon), decided by
  the shipped model as bare text (the offer check applies) and as if each had a price (it
  does not).

Nothing here reads agora-listings/arules/ or darknet-legal-illegal-text/.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.metrics import f1_score

from watchfloor.listings import agora
from watchfloor.listings.classifier import ListingModel, shipped_model, train
from watchfloor.listings.text import document
from watchfloor.listings.training import NOT_ORDINARY
from watchfloor.reference.loader import catalogue_rows
from watchfloor.reference.matcher import SubstanceMatcher

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
console = Console()


def _split(keys: list[str], seed: int = 7) -> set[str]:
    keys = sorted(set(keys))
    random.Random(seed).shuffle(keys)
    return set(keys[: len(keys) // 5])


def held_out(matcher: SubstanceMatcher) -> Table:
    rows = agora.read_training(DATA / "agora-listings")
    vendors = _split([r.vendor for r in rows])
    seen = [r for r in rows if r.vendor not in vendors]
    unseen = [r for r in rows if r.vendor in vendors]
    goods = [
        r
        for r in catalogue_rows("hs2022.csv")
        if r["level"] in ("4", "6") and r["hscode"][:2] not in NOT_ORDINARY
    ]
    headings = _split([r["hscode"][:4] for r in goods])
    taught = list(dict.fromkeys(r["description"] for r in goods if r["hscode"][:4] not in headings))
    kept = list(dict.fromkeys(r["description"] for r in goods if r["hscode"][:4] in headings))
    docs = [document(r.title, r.body, matcher) for r in seen]
    tests = [document(r.title, r.body, matcher) for r in unseen]
    truth = np.array([r.is_drug for r in unseen])
    classes = [r.substance_class(matcher) for r in unseen]
    t = Table(
        title=f"Held out: {len(unseen):,} listings of {len(vendors)} Agora vendors, "
        f"{len(kept):,} ordinary goods of {len(headings)} HS headings"
    )
    for col in ("training", "F1 sale", "recall", "other listings", "macro-F1 class", "goods"):
        t.add_column(col, justify="left" if col == "training" else "right")
    for name, ordinary in (("Agora", []), ("Agora + ordinary goods", taught)):
        model = train(
            docs,
            [r.is_drug for r in seen],
            [r.substance_class(matcher) for r in seen],
            ordinary=[document("", g, matcher) for g in ordinary],
        )
        decided = _decide(model, tests)
        said = np.array([d.is_drug_sale for d in decided])
        pairs = [
            (c, d.substance_class or "none") for c, d in zip(classes, decided, strict=True) if c
        ]
        macro = f1_score(
            [c for c, _ in pairs],
            [p for _, p in pairs],
            labels=sorted({c for c, _ in pairs}),
            average="macro",
        )
        goods_said = [
            d.is_drug_sale for d in _decide(model, [document("", g, matcher) for g in kept])
        ]
        t.add_row(
            name,
            f"{f1_score(truth, said):.3f}",
            f"{said[truth].mean():.3f}",
            f"{said[~truth].mean():.1%}",
            f"{macro:.3f}",
            f"{np.mean(goods_said):.1%}",
        )
    t.caption = "other listings, goods: share called drug sales (all decided as priced listings)"
    return t


def _decide(model: ListingModel, docs: list[str]) -> list:  # type: ignore[type-arg]
    return model.decide(docs, explain=0, priced=[True] * len(docs))


def talk(matcher: SubstanceMatcher) -> Table:
    with open(DATA / "drug-lexicon" / "csv" / "noslang_street_names.csv", newline="") as fh:
        texts = [f"{r['street_name']}: {r['description']}" for r in csv.DictReader(fh)]
    docs = [document("", t, matcher) for t in texts]
    model = shipped_model()
    t = Table(title=f"Talk: {len(texts):,} street-name definitions (noslang), shipped model")
    for col in ("decided as", "called drug sales"):
        t.add_column(col, justify="left" if col == "decided as" else "right")
    bare = model.decide(docs, explain=0)
    t.add_row("bare text (offer check)", f"{np.mean([d.is_drug_sale for d in bare]):.1%}")
    t.add_row(
        "listings with a price", f"{np.mean([d.is_drug_sale for d in _decide(model, docs)]):.1%}"
    )
    return t


def main() -> None:
    if not (DATA / "agora-listings" / "product").is_dir():
        console.print(f"skipped: ../shared/data is not at {DATA}")
        return
    matcher = SubstanceMatcher.shipped()
    console.print(held_out(matcher))
    console.print(talk(matcher))


if __name__ == "__main__":
    main()

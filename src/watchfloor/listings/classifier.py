"""The drug-sale classifier: is a listing an offer, is what it offers a controlled drug, and
of which class.

A drug sale needs both answers, and they are found apart:

- **An offer** (:mod:`watchfloor.listings.offer`): a price, an amount, a word of trade, a way
  to reach a seller. Rules, not learnt: an amount or a price is what every shop shows.
- **A controlled drug**: a logistic regression over the text's *content* words and word
  pairs, with the catalogue's knowledge written in as marker words (names, street names,
  NPS families, see :mod:`watchfloor.listings.text`). What only says that a text trades or
  how much it holds (numbers and amounts, prices and currencies, words of trade, "online")
  is not content: it never reaches this model, so "1kg" weighs nothing towards a drug. It
  learns from the Agora 2014 listings (drug sales against the market's other goods) and
  from real descriptions of ordinary goods (foods, and every category of Google's product
  taxonomy, and the customs nomenclature), so that "hash browns", "poppy seed" or "test
  strips" read as what they are.

A multinomial model over the same words gives the substance class of a drug, and another,
trained on the ordinary goods only, says what else a text reads as ("a food, drink or
tobacco product"). Linear models keep every decision explainable: a term's share is its
TF-IDF weight times its coefficient, and the largest shares are shown, in words.

A model is stored as plain arrays (``.npz``) and a JSON header, not as a pickle, so that it
loads in any scikit-learn version and ships inside the package (a few MB).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from watchfloor.listings import offer
from watchfloor.listings.text import MARKER

CLASSES: dict[str, str] = {
    "cannabis": "cannabis",
    "cocaine": "cocaine",
    "opioid": "heroin and other opioids",
    "fentanyl": "fentanyl and analogues",
    "amphetamine": "methamphetamine and amphetamine",
    "mdma": "MDMA / ecstasy",
    "psychedelic": "psychedelics",
    "benzodiazepine": "benzodiazepines",
    "prescription": "prescription medicines",
    "precursor": "precursors and chemicals",
    "other": "other drugs",
}
# the classes of the catalogue's marker words that are not substance classes of listings
MARKER_CLASSES = {**CLASSES, "stimulant": "stimulants", "dissociative": "dissociatives"}
TOKEN = re.compile(r"(?u)\b\w[\w'-]*\w\b|\b\w\b")
# a number, alone or with a unit or a count ("1kg", "500ml", "10x", "x10", "100ct"): how much,
# not what. Names with digits stay content ("m30", "2c-b", "4-mmc", "u-47700")
_AMOUNT_WORD = re.compile(
    r"\d+(?:[.,]\d+)*(?:mg|mcg|ug|µg|g|gr|grams?|kg|kilos?|oz|lbs?|ml|cl|l|ltr|x|pcs?|ct|pk|"
    r"pack|pills?|tabs?|caps?|k|st|nd|rd|th|s|m|cm|mm|in|ft|w|v|mah|gb|tb|%)?|x\d+",
)


# How a thing is dosed or packed says how it is sold, not what it is: tablets of vitamin C
# and of oxycodone, a bag of rice and of weed. Like amounts, these words are left out of
# what the drug model reads (distinctive forms - "pressed", "blotter", "bars" - stay).
_FORMS = """
    tablet tablets tab tabs pill pills capsule capsules cap caps caplet caplets softgel
    softgels gelcap gelcaps lozenge lozenges sachet sachets dose doses dosage strength
    pack packs packet packets bag bags bottle bottles jar jars box boxes tin tins tube tubes
    vial vials ampoule ampoules piece pieces pcs pc unit units count ct pk
"""
FORM_WORDS = frozenset(_FORMS.split())


def analyse(document: str) -> list[str]:
    """The terms the drug and class models read in a document: its content words and pairs
    of neighbouring content words. Words that only say that the text is an offer, how much
    it holds or how it is packed are left out (see the module's docstring)."""
    skip, amount = _SKIP, _AMOUNT_WORD.fullmatch
    words = [
        w for w in TOKEN.findall(document)
        if w not in skip and not (w[0] in _AMOUNT_START and amount(w))
    ]  # fmt: skip
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


_SKIP = offer.OFFER_WORDS | FORM_WORDS | frozenset(offer.AMOUNT_MARKERS)
_AMOUNT_START = frozenset("0123456789x")
VECTORISER = {
    "analyzer": analyse,
    "min_df": 2,
    "max_df": 0.5,
    "max_features": 150_000,
    "sublinear_tf": True,
    "dtype": np.float32,
}
SHIPPED = "classifier.npz"
# the drug model's intercept as a term of an explanation: the score every listing starts
# from, so that its terms and this add up to the score (less the terms too small to show)
BASE_TERM = "(base)"
BASE_WHY = "where every listing starts, before its words are weighed"
# a kind of ordinary goods is named when the goods model gives it at least this probability
READS_AS = 0.5


@dataclass(frozen=True)
class Term:
    """One term's share of a decision (the drug logit, or the class's logit)."""

    term: str  # as the model reads it: words, or the catalogue's marker words
    weight: float

    @property
    def shown(self) -> str:
        """The term as a reader sees it: marker words as what they stand for."""
        return _shown(self.term)

    def describe(self) -> str:
        """The term in words: "names fentanyl and analogues", "a street name for cannabis",
        "the words “hash browns”"."""
        return _describe(self.term)


@lru_cache(maxsize=50_000)
def _shown(term: str) -> str:
    if term in (offer.NO_OFFER_TERM, BASE_TERM) or MARKER not in term:
        return term
    return " ".join(f"[{_marker(w)}]" if w.startswith(MARKER) else w for w in term.split())


@lru_cache(maxsize=50_000)
def _describe(term: str) -> str:
    if term == offer.NO_OFFER_TERM:
        return offer.NO_OFFER_WHY
    if term == BASE_TERM:
        return BASE_WHY
    words = term.split(" ")
    if not any(w.startswith(MARKER) for w in words):
        return f"the word{'s' if len(words) > 1 else ''} “{term}”"
    return " next to ".join(
        _marker(w) if w.startswith(MARKER) else f"the word “{w}”" for w in words
    )


def _marker(word: str) -> str:
    kind, _, cls = word[len(MARKER) :].partition("_")
    label = MARKER_CLASSES.get(cls, cls)
    return {
        "name": f"names {label}",
        "slang": f"a street name for {label}",
        "qty": "an amount by weight" if cls == "mass" else "a count of units",
    }.get(kind, word)


@dataclass(frozen=True)
class Decision:
    probability: float  # that the listing offers a controlled drug for sale
    substance_class: str | None  # None when what it names is not a controlled drug
    class_probability: float | None
    # the terms with the largest shares of the drug score, either way (a share above 0
    # speaks for a controlled drug, below 0 against it), largest first
    terms: tuple[Term, ...]
    class_terms: tuple[Term, ...] = ()
    offer: tuple[str, ...] = ()  # what makes the text an offer (see listings.offer)
    drug_probability: float = 0.0  # that what the text offers or names is a controlled drug
    reads_as: str | None = None  # the kind of ordinary goods it reads as, when not a drug

    @property
    def is_drug_sale(self) -> bool:
        return self.probability >= 0.5

    @property
    def is_drug(self) -> bool:
        return self.drug_probability >= 0.5

    def sentence(self) -> str:
        """The decision in one sentence an analyst reads."""
        why = [t.describe() for t in self.terms if t.weight > 0 and t.term != BASE_TERM][:3]
        against = [t.describe() for t in self.terms if t.weight < 0 and t.term not in (
            BASE_TERM, offer.NO_OFFER_TERM)][:3]  # fmt: skip
        label = MARKER_CLASSES.get(self.substance_class or "", "a controlled drug")
        if self.is_drug_sale:
            return (
                f"A drug sale: an offer ({'; '.join(self.offer)}) of {label} "
                f"({'; '.join(why) or 'its words as a whole'})."
            )
        if self.is_drug:
            return (
                f"It names {label} ({'; '.join(why) or 'its words as a whole'}) but offers "
                "nothing: no price, amount, word of trade or way to reach a seller. Talk, "
                "not a sale."
            )
        what = f"it reads as {self.reads_as}" if self.reads_as else "nothing in it reads as a drug"
        if against:
            what += f" ({'; '.join(against)})"
        if self.offer:
            return f"An offer ({'; '.join(self.offer)}), but not of a controlled drug: {what}."
        return f"Not an offer, and not of a controlled drug: {what}."


@dataclass
class ListingModel:
    """Three linear models over one vocabulary: ``sale_*``, the drug model (is what the text
    offers a controlled drug; named so since the first models, which answered that and the
    offer in one), ``class_*`` the substance class of a drug, ``kind_*`` the kind of
    ordinary goods a text reads as (empty in a model trained without ordinary goods)."""

    version: str
    vocabulary: list[str]
    idf: np.ndarray
    sale_coef: np.ndarray
    sale_intercept: float
    classes: list[str]
    class_coef: np.ndarray  # classes x terms
    class_intercept: np.ndarray
    metrics: dict[str, Any] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)
    kind_coef: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=np.float32))
    kind_intercept: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float32))
    _index: dict[str, int] | None = None
    _fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        """A digest of what the model decides by (version, vocabulary and weights): two
        models with the same fingerprint decide every document alike."""
        if self._fingerprint is None:
            h = hashlib.sha256(self.version.encode())
            h.update("\n".join(self.vocabulary).encode())
            h.update(json.dumps([self.classes, self.sale_intercept, self.kinds]).encode())
            for array in (
                self.idf, self.sale_coef, self.class_coef, self.class_intercept,
                self.kind_coef, self.kind_intercept,
            ):  # fmt: skip
                h.update(np.ascontiguousarray(array).tobytes())
            self._fingerprint = h.hexdigest()
        return self._fingerprint

    # -- use -------------------------------------------------------------------------------

    def vectorise(self, document: str) -> tuple[np.ndarray, np.ndarray]:
        """One document's TF-IDF vector as (term indices, weights): the transform the
        training vectoriser (scikit-learn's TfidfVectorizer with :data:`VECTORISER`) does,
        written out so that classifying needs neither scikit-learn nor SciPy, whose import
        alone takes longer than classifying thousands of listings. A test holds the two
        equal."""
        if self._index is None:
            self._index = {t: i for i, t in enumerate(self.vocabulary)}
        grams = Counter(analyse(document.lower()))
        found = [(self._index[g], n) for g, n in grams.items() if g in self._index]
        if not found:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        idx = np.fromiter((i for i, _ in found), dtype=np.int64, count=len(found))
        tf = np.fromiter((n for _, n in found), dtype=np.float64, count=len(found))
        weights = (1.0 + np.log(tf)) * self.idf[idx]
        norm = float(np.sqrt(np.dot(weights, weights)))
        return idx, (weights / norm if norm else weights).astype(np.float32)

    def decide(
        self,
        documents: Sequence[str],
        *,
        explain: int = 6,
        priced: Sequence[bool] | None = None,
    ) -> list[Decision]:
        """A decision per document (see :func:`watchfloor.listings.text.document`);
        ``priced`` says which listings came with a price of their own.

        Whether it offers something (:mod:`watchfloor.listings.offer`) and whether what it
        names is a controlled drug are answered apart; the class depends on the text alone,
        so the same text gets the same class with or without a price. A text that offers
        nothing is talk, not a sale: its probability is lowered by
        :data:`~watchfloor.listings.offer.NO_OFFER` and the explanation says so first."""
        out = []
        for i, document in enumerate(documents):
            found = offer.evidence(document, priced=bool(priced and priced[i]))
            idx, vals = self.vectorise(document)
            if not len(idx):
                # none of its words is one the model learnt: nothing in it names a drug
                out.append(Decision(0.0, None, None, (), offer=found))
                continue
            logit = float(vals @ self.sale_coef[idx] + self.sale_intercept)
            terms = self._top(idx, vals * self.sale_coef[idx], explain, either_way=True)
            if explain:
                terms = (*terms, Term(BASE_TERM, round(self.sale_intercept, 3)))
            p_drug = float(1.0 / (1.0 + np.exp(-logit)))
            cls = cls_p = None
            class_terms: tuple[Term, ...] = ()
            reads_as = None
            if p_drug >= 0.5:
                k, cls_p = _likeliest(self.class_coef, self.class_intercept, idx, vals)
                cls = self.classes[k]
                class_terms = self._top(idx, vals * self.class_coef[k, idx], explain)
            elif self.kinds:
                k, kind_p = _likeliest(self.kind_coef, self.kind_intercept, idx, vals)
                reads_as = self.kinds[k] if kind_p >= READS_AS else None
            p = p_drug
            if not found:
                p = offer.NO_OFFER * p_drug
                if explain:
                    lowered = float(np.log(p / (1.0 - p)) - logit) if 0 < p < 1 else 0.0
                    terms = (Term(offer.NO_OFFER_TERM, round(lowered, 3)), *terms)
            out.append(
                Decision(
                    p,
                    cls,
                    cls_p,
                    terms,
                    class_terms,
                    offer=found,
                    drug_probability=p_drug,
                    reads_as=reads_as,
                )  # fmt: skip
            )
        return out

    def _top(
        self, idx: np.ndarray, shares: np.ndarray, n: int, *, either_way: bool = False
    ) -> tuple[Term, ...]:
        """The ``n`` largest shares above 0, or, ``either_way``, the ``n`` largest in size."""
        order = np.argsort(-np.abs(shares) if either_way else -shares)[:n]
        return tuple(
            Term(self.vocabulary[idx[j]], round(float(shares[j]), 3))
            for j in order
            if shares[j] > 0 or (either_way and shares[j] < 0)
        )

    # -- storage ---------------------------------------------------------------------------

    def dumps(self) -> bytes:
        header = {
            "version": self.version,
            "classes": self.classes,
            "kinds": self.kinds,
            "sale_intercept": self.sale_intercept,
            "metrics": self.metrics,
            "vocabulary": self.vocabulary,
        }
        buf = io.BytesIO()
        np.savez_compressed(
            buf,
            header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            idf=self.idf.astype(np.float32),
            sale_coef=self.sale_coef.astype(np.float32),
            class_coef=self.class_coef.astype(np.float32),
            class_intercept=self.class_intercept.astype(np.float32),
            kind_coef=self.kind_coef.astype(np.float32),
            kind_intercept=self.kind_intercept.astype(np.float32),
        )
        return buf.getvalue()

    @classmethod
    def loads(cls, data: bytes) -> ListingModel:
        try:
            arrays = np.load(io.BytesIO(data), allow_pickle=False)
            header = json.loads(arrays["header"].tobytes().decode())
            kinds = header.get("kinds", [])
            kind_coef = arrays["kind_coef"] if kinds else np.zeros((0, 0), dtype=np.float32)
            kind_intercept = arrays["kind_intercept"] if kinds else np.zeros(0, np.float32)
        except (ValueError, KeyError, OSError, zipfile.BadZipFile) as exc:
            raise ValueError(f"not a Watchfloor listing model: {exc}") from exc
        return cls(
            version=header["version"],
            vocabulary=header["vocabulary"],
            idf=arrays["idf"],
            sale_coef=arrays["sale_coef"],
            sale_intercept=float(header["sale_intercept"]),
            classes=header["classes"],
            class_coef=arrays["class_coef"],
            class_intercept=arrays["class_intercept"],
            metrics=header.get("metrics", {}),
            kinds=kinds,
            kind_coef=kind_coef,
            kind_intercept=kind_intercept,
        )

    def save(self, path: Path) -> None:
        path.write_bytes(self.dumps())

    @classmethod
    def load(cls, path: Path) -> ListingModel:
        return cls.loads(path.read_bytes())


def _likeliest(
    coef: np.ndarray, intercept: np.ndarray, idx: np.ndarray, vals: np.ndarray
) -> tuple[int, float]:
    """The likeliest class of a multinomial model for one document, and its probability."""
    logits = coef[:, idx] @ vals + intercept
    odds = np.exp(logits - logits.max())
    k = int(odds.argmax())
    return k, float(odds[k] / odds.sum())


@lru_cache(maxsize=1)
def shipped_model() -> ListingModel:
    """The model trained on the Agora 2014 crawls and ordinary goods that ships in the
    package."""
    data = resources.files("watchfloor.listings").joinpath("data", SHIPPED).read_bytes()
    return ListingModel.loads(data)


def _fit(x: Any, y: Any, *, c: float, seed: int, weights: Any = None) -> Any:
    """An L2 logistic regression fitted to its optimum (see :func:`train`), with the classes
    balanced, or with ``weights`` per row where given."""
    import warnings

    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(
        C=c,
        solver="newton-cg",
        tol=1e-8,
        max_iter=1000,
        class_weight="balanced" if weights is None else None,
        random_state=seed,
    )
    with warnings.catch_warnings():
        # Near the optimum the line search can no longer tell loss values apart in float64,
        # says so and stops there; the rows in another order stop within 1e-4 of it.
        warnings.filterwarnings("ignore", message=".*[Ll]ine [Ss]earch.*")
        warnings.filterwarnings("ignore", message="Rounding errors prevent the line search")
        model.fit(x, y, sample_weight=weights)
    return model


def _both_rows(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn keeps one row for two classes: spell out both."""
    coef, intercept = model.coef_, model.intercept_
    if len(model.classes_) == 2:
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]])
    return coef, intercept


def train(
    documents: Sequence[str],
    is_sale: Sequence[bool],
    classes: Sequence[str | None],
    *,
    seed: int = 0,
    c_sale: float = 8.0,
    c_class: float = 8.0,
    ordinary: Sequence[str] = (),
    ordinary_kinds: Sequence[str] = (),
    ordinary_share: float = 1.0,
) -> ListingModel:
    """Fit the models; ``classes`` is None where a drug sale's class is unknown (it then
    teaches "drug" only).

    Drugs weigh as much as everything else together (each listing in inverse proportion to
    its class's count). ``ordinary`` are descriptions of ordinary goods, not listings (see
    :mod:`watchfloor.listings.training`): further examples of "not a drug" that together
    weigh ``ordinary_share`` of the other listings. As the drug model never reads a shop's
    words or amounts, what only listings have cannot become the mark of a drug, and the
    ordinary goods may weigh as much as the market's own other goods. ``ordinary_kinds``
    (one per ordinary document, or none; "" for a document of no kind) teach the goods
    model what each reads as."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(set(is_sale)) < 2:
        raise ValueError("training needs drug sales and other listings")
    if ordinary_kinds and len(ordinary_kinds) != len(ordinary):
        raise ValueError("one kind per ordinary document, or none")
    vectoriser = TfidfVectorizer(**VECTORISER)
    x = vectoriser.fit_transform([*documents, *ordinary])
    y = np.array([*is_sale, *([False] * len(ordinary))], dtype=bool)
    listed = y[: len(documents)]
    per_sale = len(listed) / (2 * listed.sum())
    per_other = len(listed) / (2 * (~listed).sum())
    # drugs weigh as much as everything else together: the market's other listings and the
    # ordinary goods (measured on a held-out fifth of the training data, F1 0.957 -> 0.965)
    weights = np.where(y, per_sale * (1.0 + (ordinary_share if ordinary else 0.0)), per_other)
    if ordinary:
        weights[len(documents) :] = ordinary_share * per_other * (~listed).sum() / len(ordinary)
    labelled = [i for i, c in enumerate(classes) if c is not None and y[i]]
    names = sorted({classes[i] for i in labelled})  # type: ignore[type-var]
    # Newton-CG run to a gradient of 1e-8 lands on the one optimum of each (strictly convex)
    # objective whatever the order of floating-point sums. L-BFGS at scikit-learn's default
    # tolerance stops early along the flat directions of rare terms: the same rows in another
    # order, or another CPU's BLAS kernels, moved its coefficients by up to 0.3, so the shipped
    # model could not be reproduced on another machine.
    sale = _fit(x, y, c=c_sale, seed=seed, weights=weights)
    coef, intercept = _both_rows(_fit(x[labelled], [classes[i] for i in labelled], c=c_class,
                                      seed=seed))  # fmt: skip
    kinds: list[str] = []
    kind_coef = np.zeros((0, 0), dtype=np.float32)
    kind_intercept = np.zeros(0, dtype=np.float32)
    kinded = [(len(documents) + i, k) for i, k in enumerate(ordinary_kinds) if k]
    if len({k for _, k in kinded}) > 1:
        goods = _fit(x[[i for i, _ in kinded]], [k for _, k in kinded], c=c_class, seed=seed)
        kinds = [str(k) for k in goods.classes_]
        kind_coef, kind_intercept = _both_rows(goods)
    vocabulary = [""] * len(vectoriser.vocabulary_)
    for term, i in vectoriser.vocabulary_.items():
        vocabulary[i] = term
    digest = hashlib.sha256("\n".join(documents).encode())
    # what the models read depends on which words are left out of the content as well
    digest.update(" ".join(sorted(offer.OFFER_WORDS | FORM_WORDS)).encode())
    digest.update(_AMOUNT_WORD.pattern.encode())
    digest.update(b"drugs weigh as much as the rest")  # how the rows are weighed
    if ordinary:
        digest.update(f"\n{ordinary_share}\n".encode())
        digest.update("\n".join(ordinary).encode())
        digest.update("\n".join(ordinary_kinds).encode())
    return ListingModel(
        version=f"listings-{digest.hexdigest()[:8]}",
        vocabulary=vocabulary,
        idf=vectoriser.idf_.astype(np.float32),
        sale_coef=sale.coef_[0].astype(np.float32),
        sale_intercept=float(sale.intercept_[0]),
        classes=[str(c) for c in names],
        class_coef=coef.astype(np.float32),
        class_intercept=intercept.astype(np.float32),
        metrics={
            "documents": len(documents),
            "drug_sales": int(y.sum()),
            "classes": names,
            "ordinary_goods": len(ordinary),
            "ordinary_share": ordinary_share if ordinary else 0.0,
        },
        kinds=kinds,
        kind_coef=kind_coef.astype(np.float32),
        kind_intercept=kind_intercept.astype(np.float32),
    )

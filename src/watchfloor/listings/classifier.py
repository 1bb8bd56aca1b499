"""The drug-sale classifier: is a listing an offer of an illicit drug, and of which class.

Two linear models over one TF-IDF vocabulary of words and word pairs (plus the catalogue's
marker words, see :mod:`watchfloor.listings.text`): a logistic regression for "drug sale or
not", trained on every labelled listing, and a multinomial one for the substance class,
trained on the drug sales. Linear models keep every decision explainable: a term's share of
the decision is its TF-IDF weight times its coefficient, and the largest shares are shown.

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
VECTORISER = {
    "ngram_range": (1, 2),
    "min_df": 2,
    "max_df": 0.5,
    "max_features": 150_000,
    "sublinear_tf": True,
    "token_pattern": r"(?u)\b\w[\w'-]*\w\b|\b\w\b",
    "dtype": np.float32,
}
SHIPPED = "classifier.npz"
# the drug-sale model's intercept as a term of an explanation: the score every listing starts
# from, so that its terms and this add up to the score (less the terms too small to show)
BASE_TERM = "(base)"
BASE_WHY = "where every listing starts, before its words are weighed"


@dataclass(frozen=True)
class Term:
    """One term's share of a decision (the class's logit, or the drug-sale logit)."""

    term: str
    weight: float

    def describe(self) -> str:
        """The term in words: the catalogue's markers spelt out ("a DEA street name for
        cocaine"), a pair of words as they are."""
        if self.term == offer.NO_OFFER_TERM:
            return offer.NO_OFFER_WHY
        if self.term == BASE_TERM:
            return BASE_WHY
        return " + ".join(_word(w) for w in self.term.split(" "))


def _word(word: str) -> str:
    if not word.startswith(MARKER):
        return word
    kind, _, cls = word[len(MARKER) :].partition("_")
    label = CLASSES.get(cls, cls)
    return {
        "name": f"a catalogue name of {label}",
        "slang": f"a DEA street name for {label}",
        "qty": "an amount by weight" if cls == "mass" else "a count of units",
    }.get(kind, word)


@dataclass(frozen=True)
class Decision:
    probability: float  # that the listing offers an illicit drug for sale
    substance_class: str | None  # None when it is not a drug sale
    class_probability: float | None
    # the terms with the largest shares of the drug-sale score, either way (a share above 0
    # speaks for a sale, below 0 against it), largest first
    terms: tuple[Term, ...]
    class_terms: tuple[Term, ...] = ()
    offer: tuple[str, ...] = ()  # what makes the text an offer (see listings.offer)

    @property
    def is_drug_sale(self) -> bool:
        return self.probability >= 0.5


@dataclass
class ListingModel:
    version: str
    vocabulary: list[str]
    idf: np.ndarray
    sale_coef: np.ndarray
    sale_intercept: float
    classes: list[str]
    class_coef: np.ndarray  # classes x terms
    class_intercept: np.ndarray
    metrics: dict[str, Any] = field(default_factory=dict)
    _index: dict[str, int] | None = None
    _pattern: Any = None
    _fingerprint: str | None = None

    @property
    def fingerprint(self) -> str:
        """A digest of what the model decides by (version, vocabulary and weights): two
        models with the same fingerprint decide every document alike."""
        if self._fingerprint is None:
            h = hashlib.sha256(self.version.encode())
            h.update("\n".join(self.vocabulary).encode())
            h.update(json.dumps([self.classes, self.sale_intercept]).encode())
            for array in (self.idf, self.sale_coef, self.class_coef, self.class_intercept):
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
            self._pattern = re.compile(str(VECTORISER["token_pattern"]))
        words = self._pattern.findall(document.lower())
        grams = Counter(words)
        grams.update(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))
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
        ``priced`` says which listings came with a price of their own. A text with no sign
        of an offer (:mod:`watchfloor.listings.offer`) is talk about drugs, not a sale: its
        probability is lowered by :data:`~watchfloor.listings.offer.NO_OFFER` and the
        explanation says so first."""
        out = []
        for i, document in enumerate(documents):
            idx, vals = self.vectorise(document)
            if not len(idx):
                # none of its words is one the model learnt: nothing in it says "drug sale",
                # and the intercept alone (about one half, as training balances the classes)
                # is no evidence either way
                out.append(Decision(0.0, None, None, ()))
                continue
            logit = float(vals @ self.sale_coef[idx] + self.sale_intercept)
            terms = self._top(idx, vals * self.sale_coef[idx], explain, either_way=True)
            if explain:
                terms = (*terms, Term(BASE_TERM, round(self.sale_intercept, 3)))
            found = offer.evidence(document, priced=bool(priced and priced[i]))
            if not found:
                p = offer.NO_OFFER / (1.0 + np.exp(-logit))
                lowered = np.log(p / (1.0 - p)) - logit
                terms = (Term(offer.NO_OFFER_TERM, round(float(lowered), 3)), *terms)
                out.append(Decision(float(p), None, None, terms))
                continue
            p = float(1.0 / (1.0 + np.exp(-logit)))
            if p < 0.5:
                out.append(Decision(p, None, None, terms, offer=found))
                continue
            logits = self.class_coef[:, idx] @ vals + self.class_intercept
            odds = np.exp(logits - logits.max())
            probs = odds / odds.sum()
            k = int(probs.argmax())
            out.append(
                Decision(
                    p,
                    self.classes[k],
                    float(probs[k]),
                    terms,
                    self._top(idx, vals * self.class_coef[k, idx], explain),
                    offer=found,
                )
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
        )
        return buf.getvalue()

    @classmethod
    def loads(cls, data: bytes) -> ListingModel:
        try:
            arrays = np.load(io.BytesIO(data), allow_pickle=False)
            header = json.loads(arrays["header"].tobytes().decode())
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
        )

    def save(self, path: Path) -> None:
        path.write_bytes(self.dumps())

    @classmethod
    def load(cls, path: Path) -> ListingModel:
        return cls.loads(path.read_bytes())


@lru_cache(maxsize=1)
def shipped_model() -> ListingModel:
    """The model trained on the Agora 2014 crawls that ships in the package."""
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


def train(
    documents: Sequence[str],
    is_sale: Sequence[bool],
    classes: Sequence[str | None],
    *,
    seed: int = 0,
    c_sale: float = 8.0,
    c_class: float = 8.0,
    ordinary: Sequence[str] = (),
    ordinary_share: float = 0.02,
) -> ListingModel:
    """Fit both models; ``classes`` is None where a drug sale's class is unknown (it then
    teaches "drug sale" only).

    Drug sales and other listings weigh the same in all (each class in inverse proportion to
    its count). ``ordinary`` are descriptions of ordinary goods, not listings (see
    :func:`watchfloor.listings.training.ordinary_goods`): further examples of "not a drug
    sale" that together weigh ``ordinary_share`` of the other listings. Listings of a dark
    market know nothing of t-shirts and garden hoses, so without them a fifth of such
    goods read as drug sales; weighing them little keeps what only listings have (shop words,
    shipping, escrow) from becoming the mark of a drug sale."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(set(is_sale)) < 2:
        raise ValueError("training needs drug sales and other listings")
    vectoriser = TfidfVectorizer(**VECTORISER)
    x = vectoriser.fit_transform([*documents, *ordinary])
    y = np.array([*is_sale, *([False] * len(ordinary))], dtype=bool)
    listed = y[: len(documents)]
    per_sale = len(listed) / (2 * listed.sum())
    per_other = len(listed) / (2 * (~listed).sum())
    weights = np.where(y, per_sale, per_other)
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
    multi = _fit(x[labelled], [classes[i] for i in labelled], c=c_class, seed=seed)
    coef, intercept = multi.coef_, multi.intercept_
    if len(names) == 2:  # scikit-learn keeps one row for two classes: spell out both
        coef = np.vstack([-coef[0], coef[0]])
        intercept = np.array([-intercept[0], intercept[0]])
    vocabulary = [""] * len(vectoriser.vocabulary_)
    for term, i in vectoriser.vocabulary_.items():
        vocabulary[i] = term
    digest = hashlib.sha256("\n".join(documents).encode())
    if ordinary:
        digest.update(f"\n{ordinary_share}\n".encode())
        digest.update("\n".join(ordinary).encode())
    return ListingModel(
        version=f"listings-{digest.hexdigest()[:8]}",
        vocabulary=vocabulary,
        idf=vectoriser.idf_.astype(np.float32),
        sale_coef=sale.coef_[0].astype(np.float32),
        sale_intercept=float(sale.intercept_[0]),
        classes=list(multi.classes_),
        class_coef=coef.astype(np.float32),
        class_intercept=intercept.astype(np.float32),
        metrics={
            "documents": len(documents),
            "drug_sales": int(y.sum()),
            "classes": names,
            "ordinary_goods": len(ordinary),
            "ordinary_share": ordinary_share if ordinary else 0.0,
        },
    )

"""The drug-sale classifier: training, explanations, storage, and the shipped model."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from watchfloor.listings.classifier import (
    BASE_TERM,
    Decision,
    ListingModel,
    analyse,
    shipped_model,
    train,
)
from watchfloor.listings.text import MARKER, document
from watchfloor.reference.matcher import SubstanceMatcher

M = SubstanceMatcher.shipped()
SALES = [
    ("1g cocaine 90% pure stealth shipping", "cocaine"),
    ("cocaine fishscale 5g escrow", "cocaine"),
    ("peruvian coke 2g tracked", "cocaine"),
    ("OG kush weed 1oz", "cannabis"),
    ("hash 10g moroccan", "cannabis"),
    ("weed buds 28g indoor", "cannabis"),
]
OTHERS = [
    "carding guide 2014 pdf",
    "fake rolex watch",
    "netflix account lifetime",
    "hacking tutorial ebook",
    "counterfeit euro notes guide",
    "vpn account one year",
]


def small_model() -> ListingModel:
    docs = [document(t, "", M) for t, _ in SALES] + [document(t, "", M) for t in OTHERS]
    docs = docs * 2  # min_df 2
    sale = ([True] * len(SALES) + [False] * len(OTHERS)) * 2
    classes = ([c for _, c in SALES] + [None] * len(OTHERS)) * 2
    return train(docs, sale, classes)


def test_decisions_come_with_the_terms_that_drove_them() -> None:
    model = small_model()
    sale, other = model.decide([document("cocaine 3g", "", M), document("rolex guide", "", M)])
    assert sale.is_drug_sale and sale.substance_class == "cocaine"
    assert any(t.term in ("cocaine", "wfname_cocaine") for t in sale.terms), sale.terms
    assert sale.terms[0].weight > 0 and all(t.weight > 0 for t in sale.class_terms)
    assert not other.is_drug_sale and other.substance_class is None
    # a listing that is no sale is explained by what spoke against it, largest first, and
    # the score every listing starts from comes last
    assert other.terms[0].weight < 0, other.terms
    *words, base = other.terms
    sizes = [abs(t.weight) for t in words]
    assert sizes == sorted(sizes, reverse=True)
    assert base.term == BASE_TERM and base.weight == round(model.sale_intercept, 3)
    assert "starts" in base.describe()


def test_an_explanation_with_every_term_adds_up_to_the_score() -> None:
    model = shipped_model()
    doc = document("Weed eater trimmer line 2mm", "garden tools, ships in 24h", M)
    decision = model.decide([doc], explain=10_000, priced=[True])[0]
    logit = sum(t.weight for t in decision.terms)
    assert abs(1 / (1 + np.exp(-logit)) - decision.probability) < 0.01, decision
    assert {t.weight > 0 for t in decision.terms} == {True, False}  # both ways
    assert model.decide([]) == []


def test_training_needs_both_kinds() -> None:
    with pytest.raises(ValueError, match="drug sales and other listings"):
        train(["a b", "a c"], [True, True], ["cocaine", "cocaine"])


def test_a_model_survives_storage_unchanged(tmp_path: Path) -> None:
    model = small_model()
    model.save(tmp_path / "m.npz")
    again = ListingModel.load(tmp_path / "m.npz")
    docs = [document(t, "", M) for t, _ in SALES] + [document(t, "", M) for t in OTHERS]
    assert again.version == model.version and again.vocabulary == model.vocabulary
    assert [d.probability for d in again.decide(docs)] == [
        d.probability for d in model.decide(docs)
    ]
    with pytest.raises(ValueError, match="not a Watchfloor listing model"):
        ListingModel.loads(b"PK\x03\x04 not a model")


DRUG_OFFERS = [
    ("100g Cocaine 92% pure", "Straight from Colombia, stealth shipping worldwide", "cocaine"),
    ("Xanax 2mg bars x 100", "Real pharma alprazolam, tracked shipping", "benzodiazepine"),
    ("MDMA crystals 5g", "84% champagne rocks", "mdma"),
    ("LSD blotters 250ug x 10", "Lucy tabs, tested", "psychedelic"),
]


@pytest.mark.parametrize(("title", "body", "cls"), DRUG_OFFERS)
def test_the_shipped_model_knows_a_drug_sale_and_its_class(title, body, cls) -> None:  # type: ignore[no-untyped-def]
    (d,) = shipped_model().decide([document(title, body, M)])
    assert d.is_drug_sale and d.substance_class == cls, d
    assert d.class_terms


@pytest.mark.parametrize(
    "title",
    [
        "Carding tutorial with live CC dumps",
        "Replica Rolex Submariner watch",
        "Netflix premium account",
    ],
)
def test_the_shipped_model_lets_other_goods_pass(title: str) -> None:
    (d,) = shipped_model().decide([document(title, "", M)])
    assert not d.is_drug_sale, d


@pytest.mark.parametrize("text", ["", "zzzz qqqq", "\u0416\u0416\u0416\u0416 \u3042\u3042"])
def test_text_without_a_known_word_is_not_called_a_drug_sale(text: str) -> None:
    model = shipped_model()
    assert not len(model.vectorise(document(text, "", M))[0])
    (d,) = model.decide([document(text, "", M)])
    assert d == Decision(0.0, None, None, ())


AGORA = Path(__file__).resolve().parents[3] / "shared" / "data" / "agora-listings"


@pytest.mark.skipif(not (AGORA / "product").is_dir(), reason="needs ../shared/data/agora-listings")
def test_training_from_agora_is_reproducible_and_matches_the_shipped_model() -> None:
    from watchfloor.listings.training import train_from_agora

    model, shipped = train_from_agora(AGORA), shipped_model()
    assert model.version == shipped.version, "retrain with `watchfloor listings train`"
    # Training lands on each objective's optimum; another order of floating-point sums (the
    # rows shuffled, another CPU's BLAS) moved coefficients by about 1e-4 when measured.
    assert np.allclose(model.sale_coef, shipped.sale_coef, atol=1e-3)
    assert np.allclose(model.class_coef, shipped.class_coef, atol=1e-3)
    docs = [document(t, b, M) for t, b, _ in DRUG_OFFERS]
    for ours, theirs in zip(model.decide(docs), shipped.decide(docs), strict=True):
        assert ours.substance_class == theirs.substance_class
        assert abs(ours.probability - theirs.probability) < 1e-4, (ours, theirs)
    assert model.metrics["documents"] > 10_000 and model.metrics["drug_sales"] > 8_000
    shipped_file = resources.files("watchfloor.listings").joinpath("data", "classifier.npz")
    assert len(shipped_file.read_bytes()) < 20_000_000


def test_the_written_out_vectoriser_equals_scikit_learns() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from watchfloor.listings.classifier import VECTORISER

    model = shipped_model()
    reference = TfidfVectorizer(
        **{k: v for k, v in VECTORISER.items() if k not in ("min_df", "max_df")},
        vocabulary={t: i for i, t in enumerate(model.vocabulary)},
    )
    reference.idf_ = model.idf
    docs = [
        document(t, b, M)
        for t, b in [
            ("100g Cocaine 92% pure", "Straight from Colombia, stealth shipping worldwide"),
            ("Xanax 2mg bars x 100", "Real pharma alprazolam, tracked shipping, x 100 x 100"),
            ("Replica Rolex", ""),
            ("", ""),
            ("Ünïcödé weed 🌿 kush kush kush", "l'herbe d'été"),
        ]
    ]
    expected = reference.transform(docs).toarray()
    for row, doc in zip(expected, docs, strict=True):
        idx, vals = model.vectorise(doc)
        ours = np.zeros_like(row)
        ours[idx] = vals
        assert np.allclose(ours, row, atol=1e-6), doc


def test_remembered_decisions_belong_to_the_model_that_made_them() -> None:
    """The intake remembers decisions by content and by model: another model of the same
    name (an agency's, retrained) decides afresh."""
    import dataclasses

    from watchfloor.listings.intake import classify

    base = shipped_model()
    never = dataclasses.replace(base, sale_intercept=-50.0, _fingerprint=None)
    assert never.version == base.version and never.fingerprint != base.fingerprint
    text = {"title": "5g MDMA crystals 84% pure", "body": "stealth shipping, escrow only"}
    text["price"] = None
    first, second, again = dict(text), dict(text), dict(text)
    matcher = SubstanceMatcher.shipped()
    classify([first], base, matcher)
    classify([second], never, matcher)
    classify([again], base, matcher)
    assert first["is_drug_sale"] and not second["is_drug_sale"]
    assert again == first


@pytest.mark.skipif(not (AGORA / "product").is_dir(), reason="needs ../shared/data/agora-listings")
def test_ordinary_goods_teach_the_model_what_is_not_a_drug() -> None:
    """With a fifth of the ordinary goods held out of training, those goods offered as
    listings with a price: without the other ordinary goods many read as drug sales; with
    them, almost none."""
    from watchfloor.listings import agora
    from watchfloor.listings.training import ordinary_goods, shipped_goods

    rows = agora.read_training(AGORA)
    docs = [document(r.title, r.body, M) for r in rows]
    labels = [r.is_drug for r in rows], [r.substance_class(M) for r in rows]
    goods = [*shipped_goods(), *((text, "") for text in ordinary_goods())]
    held = [document("", t, M) for i, (t, _) in enumerate(goods) if i % 5 == 0]
    taught = [(document("", t, M), k) for i, (t, k) in enumerate(goods) if i % 5]

    def sales(model: ListingModel) -> float:
        decided = model.decide(held, priced=[True] * len(held), explain=0)
        return sum(d.is_drug_sale for d in decided) / len(held)

    assert len(held) > 4_000
    assert sales(train(docs, *labels)) > 0.05
    with_goods = train(docs, *labels, ordinary=[d for d, _ in taught],
                       ordinary_kinds=[k for _, k in taught])  # fmt: skip
    assert sales(with_goods) < 0.01


# words that only say that a text trades, how much it holds or how it is packed
DRESSING = "1kg x10 500ml 25 eur 2.5 usd buy online shipping stock order pack tablets"


@pytest.mark.parametrize(
    "title", ["Sourdough bread loaf", "Peruvian cocaine, very pure", "Garden hose reel", ""]
)
def test_amounts_prices_and_shop_words_weigh_nothing_towards_a_drug(title: str) -> None:
    model = shipped_model()
    assert analyse(document("", DRESSING, M)) == []
    bare, dressed = model.decide(
        [document(title, "", M), document(f"{title} {DRESSING}", "", M)], priced=[True, True]
    )
    assert dressed.drug_probability == bare.drug_probability
    assert dressed.substance_class == bare.substance_class
    assert "an amount" in dressed.offer and not dressed.is_drug_sale or bare.is_drug


def test_a_drug_sale_needs_an_offer_and_a_drug_and_says_so_in_words() -> None:
    model = shipped_model()
    talk, sale, bread = model.decide(
        [
            document("Peruvian cocaine, very pure", "", M),
            document("Peruvian cocaine, very pure", "", M),
            document("Sourdough bread loaf 800g", "", M),
        ],
        priced=[False, True, True],
    )
    # the same text: the same drug and class whether or not it came with a price
    assert talk.is_drug and sale.is_drug and talk.substance_class == sale.substance_class
    assert talk.drug_probability == sale.drug_probability == pytest.approx(sale.probability)
    assert sale.is_drug_sale and not talk.is_drug_sale
    assert sale.sentence().startswith("A drug sale: an offer (a price given with the listing)")
    assert "cocaine" in sale.sentence() and "offers nothing" in talk.sentence()
    # an offer of something else: not a sale, and what it reads as
    assert bread.offer and not bread.is_drug and not bread.is_drug_sale
    assert bread.reads_as == "a food, drink or tobacco product"
    assert bread.sentence().startswith("An offer (") and "reads as a food" in bread.sentence()
    # no internal names: the catalogue's findings in words, in brackets where shown
    for d in (talk, sale, bread):
        for t in (*d.terms, *d.class_terms):
            assert MARKER + "name" not in t.shown and MARKER + "qty" not in t.describe(), t
    found = [t for t in (*sale.terms, *sale.class_terms) if t.term.startswith(MARKER)]
    assert found and all(t.shown.startswith("[") for t in found), sale.terms
    assert {t.describe() for t in found} <= {"names cocaine", "a street name for cocaine"}


def test_the_model_card_describes_the_shipped_model() -> None:
    card = resources.files("watchfloor.listings").joinpath("data", "MODEL_CARD.md").read_text()
    model = shipped_model()
    assert f"`{model.version}`" in card, "update MODEL_CARD.md after `make model`"
    for heading in ("## Data", "## What it reads", "## Measured", "## Known limits"):
        assert heading in card

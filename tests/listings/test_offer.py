"""Talk about drugs is not a drug sale: what makes a text an offer, and how the decision
uses it."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from watchfloor.listings import offer
from watchfloor.listings.classifier import shipped_model
from watchfloor.listings.text import document
from watchfloor.reference.matcher import SubstanceMatcher

M = SubstanceMatcher.shipped()


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("white powder $40 a bag", "a price"),
        ("white powder 40$", "a price"),
        ("white powder 0.05 btc", "a price"),
        ("white powder EUR 35", "a price"),
        ("white powder 3.5g", "an amount"),
        ("white powder x 10 pills", "an amount"),
        ("white powder, stealth shipping", "words of trade: stealth, shipping"),
        ("white powder, hit me up on wickr", "words of trade: hit me up, wickr"),
        ("polvo blanco, envíos a toda España", "words of trade: envíos"),
        ("белый порошок, доставка по Москве", "words of trade: доставка"),
        ("白色粉末 包邮", "words of trade: 包邮"),
        ("white powder \U0001f50c\U0001f4e6", "words of trade: \U0001f50c, \U0001f4e6"),
        ("white powder, call +1 212 555 0100", "a way to reach or pay someone"),
        ("white powder, write to snow@example.org", "a way to reach or pay someone"),
        ("white powder @snowman_nyc", "a way to reach or pay someone"),
        ("powder 0x52908400098527886e0f7030069857d2e4169ee7", "a way to reach or pay someone"),
    ],
)
def test_prices_amounts_and_words_of_trade_make_an_offer(text: str, kind: str) -> None:
    assert kind in offer.evidence(document(text, "", M))


@pytest.mark.parametrize(
    "text",
    [
        "white powder",
        "users crush it in order to snort it",  # "order" of "in order to" is no trade
        "the 1990s saw more use than 2020",  # years are not prices
        "use fell from 1990 2000 2010 to 2020",  # nor are lists of them phone numbers
    ],
)
def test_talk_shows_no_offer(text: str) -> None:
    assert offer.evidence(document(text, "", M)) == ()
    assert offer.evidence(document(text, "", M), priced=True) == ("a price given with the listing",)


TALK = "What are the effects of heroin? Heroin is an opioid made from morphine."


def test_talk_about_a_drug_is_not_a_sale_and_the_explanation_says_why() -> None:
    model = shipped_model()
    talk, priced, offered = model.decide(
        [document("", TALK, M), document("", TALK, M), document("", f"{TALK} Order now.", M)],
        priced=[False, True, False],
    )
    # the same words with a price, or with a word of trade, are read as a sale...
    assert priced.is_drug_sale and priced.substance_class == "opioid", priced
    assert offered.is_drug_sale and offered.offer == ("words of trade: order",)
    # ...and without either the probability is lowered by NO_OFFER, not set to a constant;
    # what it names is the same drug, of the same class, sale or not
    assert not talk.is_drug_sale and talk.offer == ()
    assert talk.is_drug and talk.substance_class == "opioid"
    assert "offers nothing" in talk.sentence() and "heroin" in talk.sentence()
    assert talk.probability == pytest.approx(priced.probability * offer.NO_OFFER, rel=1e-5)
    first = talk.terms[0]
    assert first.term == offer.NO_OFFER_TERM and first.weight < 0
    assert first.describe() == offer.NO_OFFER_WHY
    assert any("heroin" in t.term for t in talk.terms[1:]), talk.terms


LEXICON = Path(__file__).resolve().parents[3] / "shared" / "data" / "drug-lexicon" / "csv"


@pytest.mark.skipif(not LEXICON.is_dir(), reason="needs ../shared/data/drug-lexicon")
def test_a_street_name_glossary_is_not_read_as_drug_sales() -> None:
    """The 3,216 definitions of the noslang lexicon ("coconut: cocaine") are about drugs
    and offer nothing; read as offers, 90 % of them are called sales."""
    with open(LEXICON / "noslang_street_names.csv", newline="") as fh:
        texts = [f"{r['street_name']}: {r['description']}" for r in csv.DictReader(fh)]
    docs = [document("", t, M) for t in texts]
    decided = shipped_model().decide(docs, explain=0)
    said = [d.is_drug_sale for d in decided]
    assert len(texts) > 3000 and sum(said) / len(said) < 0.05
    priced = shipped_model().decide(docs, explain=0, priced=[True] * len(docs))
    assert sum(d.is_drug_sale for d in priced) / len(priced) > 0.8
    # the few still called sales name a price or a trade ("$20 worth of crack")
    assert all(d.offer for d in decided if d.is_drug_sale)

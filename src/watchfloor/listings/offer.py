"""Is a text an offer at all? Talk about drugs is not a drug sale.

The classifier learnt from marketplace listings, every one of them an offer, so it reads a
drug's name as a sale: a street-name glossary ("coconut: cocaine") or a question about a
drug's effects scored 0.9 and more. What makes a text an offer is not its subject but its
trade: a price, an amount, a word of trade (buy, shipping, in stock, envío, доставка, 包邮, and
the names of messengers and coins: Wickr, Telegram, "DM me", Bitcoin; a dealer's emoji such as
the plug), a way to reach or pay someone (an e-mail address, a phone number, a handle, a
wallet address). A listing submitted with a price is an offer whatever its text says.

Measured on data that is not an evaluation set: 91.7 % of the 8,808 Agora January-March drug
listings show one of these in their title alone (and all of them have a price), against 2.5 %
of the 3,216 street-name definitions of the noslang lexicon and 3.6 % of the 732 entries of the
DEA controlled-substance list (doses such as "90 mg/du"). The shipped model calls 90.3 % of
those definitions drug sales; with offers looked for, 2.0 %.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from watchfloor.listings.text import MARKER

# a number next to a currency sign, code or word, either way round; looked for only where a
# sign or a code is (the cheap test finds them in one pass)
_MONEY_WORDS = "usd eur gbp aud cad chf btc xmr eth ltc dollars dollar euros euro bucks pounds"
_CURRENCY = "|".join(_MONEY_WORDS.split())
_PRICE_HINT = re.compile(rf"[$€£¥₽₹฿]|{_CURRENCY}")
_PRICE = re.compile(
    r"[$€£¥₽₹฿]\s?\d|\d\s?[$€£¥₽₹]"
    rf"|\b\d+(?:[.,]\d+)?\s?(?:{_CURRENCY})\b|\b(?:usd|eur|gbp|btc|xmr)\s?\d"
)
# words of trade, of reaching a seller and of paying one, in the languages of the largest
# markets
_TRADE_WORDS = """
    buy buying buyer buyers sell sells selling seller sold sale order orders ordering checkout
    cart price prices priced pricing ship ships shipped shipping shipment postage delivery
    deliver delivered tracking tracked stealth reship refund refunds escrow stock restock
    restocked wholesale bulk discount discounts promo coupon moq qty quantity purchase
    purchasing shop store vendor listing payment payments paypal dm dms hmu plug menu wickr
    telegram whatsapp snapchat threema kik bitcoin btc monero xmr
    comprar compra vendo venta ventas precio precios envío envio envíos envios pedido pedidos
    preço preços entrega frete achat acheter vente vends prix livraison commande
    kaufen verkauf verkaufe preis preise versand bestellen bestellung lieferung
    vendita prezzo spedizione ordine kopen verkoop prijs verzending
    kup sprzedam cena wysyłka satılık fiyat kargo
    купить продам продажа продаю цена цены доставка заказ закладка закладки
"""
_TRADE = frozenset(_TRADE_WORDS.split())
# Words that say only that a text trades or in what money: evidence of an offer, never of
# what is offered. The drug model does not read them (see listings.classifier.analyse), so a
# shop's words ("order online", "in stock") weigh neither for nor against a drug.
OFFER_WORDS = _TRADE | frozenset(f"{_MONEY_WORDS} pound online shop shops store stores".split())
# phrases by their first word
_TRADE_PHRASES = {
    phrase[0]: phrase
    for phrase in (
        ("pm", "me"),
        ("text", "me"),
        ("message", "me"),
        ("contact", "me"),
        ("hit", "me", "up"),
    )
}
_WORD = re.compile(r"\w+")
# scripts written without spaces between words, and emoji: no word boundaries to look for.
# The plug and the package are dealers' signs in the DEA's "Emoji Drug Code: Decoded" (2021);
# money and the delivery van mean what they show
_TRADE_UNSPACED = re.compile(
    r"出售|购买|价格|发货|包邮|微信|代购|販売|購入|価格|送料|\U0001f50c|\U0001f4e6|\U0001f4b0|\U0001f4b5|"
    r"\U0001f4b8|\U0001f4b2|\U0001f69a"
)
# a way to reach or pay someone: an e-mail address or a handle (where there is an @), a phone
# number written as one, a wallet address (looked for, not checked: a look-alike still shows
# the intent to trade)
_AT = re.compile(r"[\w.+-]+@[\w-]+\.[a-z]{2,}|(?<![\w@])@[a-z][a-z0-9_]{3,31}\b")
_PHONE = re.compile(
    r"\+\d{1,3}[\s.-]?\d[\d\s.-]{6,14}\d|\(\d{3}\)\s?\d{3}-\d{4}|\b\d{3}[-.]\d{3}[-.]\d{4}\b"
)
_WALLET = re.compile(r"bc1[a-z0-9]{25,60}|[13][a-z0-9]{25,34}|0x[0-9a-f]{40}|4[0-9ab][0-9a-z]{93}")
AMOUNT_MARKERS = (f"{MARKER}qty_mass", f"{MARKER}qty_count")  # see listings.text

# How far the drug-sale probability of a text with no sign of an offer is lowered: it stays
# in the queue's order below every offer of the same score, and never reaches one half
NO_OFFER = 0.25
NO_OFFER_TERM = "(no offer)"
NO_OFFER_WHY = "no price, amount, word of trade or way to reach a seller: talk, not an offer"


def evidence(document: str, *, priced: bool = False) -> tuple[str, ...]:
    """What makes ``document`` (see :func:`watchfloor.listings.text.document`: lower-cased,
    with the catalogue's markers) an offer, as short phrases; empty when nothing does.
    ``priced`` says that the listing came with a price of its own."""
    found = []
    if priced:
        found.append("a price given with the listing")
    elif _PRICE_HINT.search(document) and _PRICE.search(document):
        found.append("a price")
    if any(marker in document for marker in AMOUNT_MARKERS):
        found.append("an amount")
    words = _WORD.findall(document)
    trade = dict.fromkeys(_trade(words))
    if not document.isascii():
        trade.update(dict.fromkeys(_TRADE_UNSPACED.findall(document)))
    if trade:
        found.append("words of trade: " + ", ".join(list(trade)[:4]))
    if (
        ("@" in document and _AT.search(document))
        or _PHONE.search(document)
        or any(len(w) >= 26 and _WALLET.fullmatch(w) for w in words)
    ):
        found.append("a way to reach or pay someone")
    return tuple(found)


def _trade(words: list[str]) -> Iterator[str]:
    for i, w in enumerate(words):
        if w in _TRADE:
            if not (w == "order" and i > 0 and words[i - 1] == "in"):  # "in order to"
                yield w
        elif w in _TRADE_PHRASES:
            phrase = _TRADE_PHRASES[w]
            if tuple(words[i : i + len(phrase)]) == phrase:
                yield " ".join(phrase)

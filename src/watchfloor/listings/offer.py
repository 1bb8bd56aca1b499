"""Is a text an offer at all? Talk about drugs is not a drug sale.

The classifier learnt from marketplace listings, every one of them an offer, so it reads a
drug's name as a sale: a street-name glossary ("coconut: cocaine") or a question about a
drug's effects scored 0.9 and more. What makes a text an offer is not its subject but its
trade: a price, an amount, a word of trade (buy, shipping, in stock, envío, доставка, 包邮, and
the names of messengers and coins: Wickr, Telegram, "DM me", Bitcoin), a way to reach or pay
someone (an e-mail address, a phone number, a handle, a wallet address). A listing submitted
with a price is an offer whatever its text says.

Measured on data that is not an evaluation set: 91.7 % of the 8,808 Agora January-March drug
listings show one of these in their title alone (and all of them have a price), against 2.5 %
of the 3,216 street-name definitions of the noslang lexicon and 3.6 % of the 732 entries of the
DEA controlled-substance list (doses such as "90 mg/du"). The shipped model called 95.8 % of
those definitions drug sales; with offers looked for, 2.3 %.
"""

from __future__ import annotations

import re

from watchfloor.listings.text import MARKER

# a number next to a currency sign, code or word, either way round
_PRICE = re.compile(
    r"[$€£¥₽₹฿]\s?\d|\d\s?[$€£¥₽₹]"
    r"|\b\d+(?:[.,]\d+)?\s?(?:usd|eur|gbp|aud|cad|chf|btc|xmr|eth|ltc|dollars?|euros?|bucks|"
    r"pounds)\b|\b(?:usd|eur|gbp|btc|xmr)\s?\d"
)
# words of trade, of reaching a seller and of paying one, in the languages of the largest
# markets; "order" not in "in order to"
_TRADE = re.compile(
    r"""\b(?:
    buy|buying|buyers?|sell|sells|selling|seller|sold|for\ sale|sale|(?<!in\ )orders?|ordering|
    checkout|cart|prices?|priced|pricing|ship|ships|shipped|shipping|shipment|postage|delivery|
    deliver|delivered|tracking|tracked|stealth|reship|refunds?|escrow|in\ stock|restock(?:ed)?|
    stock|wholesale|bulk|discounts?|promo|coupon|moq|qty|quantity|purchase|purchasing|shop|store|
    vendor|listing|payments?|paypal|pm\ me|dm|dms|hmu|hit\ me\ up|text\ me|message\ me|
    contact\ me|plug|menu|wickr|telegram|whatsapp|snapchat|threema|kik|bitcoin|btc|monero|xmr|
    comprar|compra|vendo|venta|ventas|precio|precios|envío|envio|envíos|envios|pedido|pedidos|
    preço|preços|entrega|frete|achat|acheter|vente|vends|prix|livraison|commande|
    kaufen|verkauf|verkaufe|preis|preise|versand|bestellen|bestellung|lieferung|
    vendita|prezzo|spedizione|ordine|kopen|verkoop|prijs|verzending|
    kup|sprzedam|cena|wysyłka|satılık|fiyat|kargo|
    купить|продам|продажа|продаю|цена|цены|доставка|заказ|закладка|закладки
    )\b""",
    re.VERBOSE,
)
# scripts written without spaces between words: no word boundaries to look for
_TRADE_UNSPACED = re.compile(r"出售|购买|价格|发货|包邮|微信|代购|販売|購入|価格|送料")
# a way to reach or pay someone: an e-mail address, a phone number written as one, a handle,
# a wallet address (looked for, not checked: a look-alike still shows the intent to trade)
_CONTACT = re.compile(
    r"[\w.+-]+@[\w-]+\.[a-z]{2,}"
    r"|\+\d{1,3}[\s.-]?\d[\d\s.-]{6,14}\d|\(\d{3}\)\s?\d{3}-\d{4}|\b\d{3}[-.]\d{3}[-.]\d{4}\b"
    r"|(?<![\w@])@[a-z][a-z0-9_]{3,31}\b"
    r"|\b(?:bc1[a-z0-9]{25,60}|[13][a-z0-9]{25,34}|0x[0-9a-f]{40}|4[0-9ab][0-9a-z]{93})\b"
)
_AMOUNT = (f"{MARKER}qty_mass", f"{MARKER}qty_count")

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
    elif _PRICE.search(document):
        found.append("a price")
    if any(marker in document for marker in _AMOUNT):
        found.append("an amount")
    words = dict.fromkeys(m.group(0) for m in _TRADE.finditer(document))
    words.update(dict.fromkeys(_TRADE_UNSPACED.findall(document)))
    if words:
        found.append("words of trade: " + ", ".join(list(words)[:4]))
    if _CONTACT.search(document):
        found.append("a way to reach or pay someone")
    return tuple(found)

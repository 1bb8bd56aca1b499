"""Realistic synthetic advance data, because no public real manifests exist.

Goods are real HS 2022 subheadings with values and weights that fit them; senders and
consignees are Faker identities of the origin's and destination's locale; origins, transits
and modes follow the broad shape of cross-border e-commerce into the destination. About
0.5 % of shipments are planted risky cases (a precursor named, named by synonym or
abbreviation, given by CAS number only, misspelt, hidden under a benign description with a
chemical HS code, sent by a sanctioned or seizure-linked party with a varied name, or
concealed with a value/weight anomaly), and as many benign look-alikes (legal chemicals with
similar names, "piperidine-free" cosmetics, toys, vitamins) are planted so that precision
means something.

The ground truth of each shipment is returned beside it, never inside it: scoring never
sees it. Seizures consistent with the planted routes and parties are generated too, to be
loaded as the destination agency's earlier seizures.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from faker import Faker

from watchfloor.reference import catalogue_rows, shipped_facts

LOCALES = {
    "CN": "zh_CN", "HK": "zh_TW", "US": "en_US", "MX": "es_MX", "DE": "de_DE", "GB": "en_GB",
    "JP": "ja_JP", "KR": "ko_KR", "IN": "en_IN", "FR": "fr_FR", "IT": "it_IT", "NL": "nl_NL",
    "TH": "th_TH", "VN": "vi_VN", "TR": "tr_TR", "BR": "pt_BR", "CO": "es_CO", "CA": "en_CA",
    "ES": "es_ES", "PL": "pl_PL",
}  # fmt: skip

# origin -> share of parcels into the destination (broad shape of cross-border e-commerce)
ORIGINS = {
    "CN": 34, "HK": 8, "GB": 6, "DE": 6, "IN": 5, "JP": 4, "KR": 4, "MX": 4, "CA": 4,
    "FR": 3, "IT": 3, "NL": 3, "TH": 2, "VN": 4, "TR": 3, "BR": 1, "CO": 1, "ES": 3, "PL": 2,
}  # fmt: skip
TRANSIT = {"CN": ["HK", "KR"], "VN": ["HK"], "TH": ["HK"], "IN": ["AE"], "CO": ["PA"],
           "TR": ["DE"], "BR": ["PA"]}  # fmt: skip
MODES = (("post", 70), ("express", 25), ("cargo", 5))
CARRIERS = {
    "post": ["national post (UPU)", "EMS"],
    "express": ["DHL Express", "FedEx", "UPS", "SF Express"],
    "cargo": ["Maersk", "COSCO Shipping", "MSC", "CMA CGM"],
}
CURRENCY = {"US": "USD", "MX": "MXN", "CA": "CAD", "NL": "EUR", "CO": "COP"}
FX = {"USD": 1.0, "MXN": 18.0, "CAD": 1.37, "EUR": 0.92, "COP": 4000.0}


@dataclass(frozen=True)
class Good:
    description: str
    hs: str
    unit: str
    kg: tuple[float, float]  # net weight per unit
    usd_per_kg: tuple[float, float]
    share: int


# real HS 2022 subheadings; value and weight ranges are typical retail/wholesale magnitudes
GOODS = [
    Good("cotton t-shirt", "610910", "pcs", (0.15, 0.25), (20, 80), 60),
    Good("knitted cotton sweater", "611020", "pcs", (0.3, 0.6), (25, 90), 25),
    Good("women's cotton trousers", "620462", "pcs", (0.3, 0.6), (20, 70), 25),
    Good("leather shoes", "640399", "pair", (0.6, 1.2), (30, 150), 20),
    Good("sports shoes", "640411", "pair", (0.5, 1.0), (25, 120), 20),
    Good("leather handbag", "420221", "pcs", (0.4, 1.2), (40, 400), 12),
    Good("smartphone", "851713", "pcs", (0.15, 0.25), (800, 5000), 10),
    Good("wireless router", "851762", "pcs", (0.2, 0.6), (60, 300), 8),
    Good("bluetooth headphones", "851830", "pcs", (0.1, 0.3), (80, 600), 20),
    Good("lithium-ion battery pack", "850760", "pcs", (0.2, 0.6), (40, 200), 10),
    Good("plastic toy", "950300", "pcs", (0.1, 0.8), (8, 60), 30),
    Good("building blocks toy set", "950300", "set", (0.3, 1.5), (10, 60), 15),
    Good("plastic phone case", "392690", "pcs", (0.03, 0.08), (40, 250), 35),
    Good("plastic storage box", "392410", "pcs", (0.2, 1.0), (5, 25), 10),
    Good("face cream", "330499", "pcs", (0.05, 0.2), (60, 600), 20),
    Good("lipstick", "330410", "pcs", (0.01, 0.04), (200, 1500), 10),
    Good("shampoo", "330510", "bottle", (0.25, 0.6), (8, 40), 12),
    Good("perfume", "330300", "bottle", (0.1, 0.3), (100, 800), 8),
    Good("toilet soap", "340111", "pcs", (0.08, 0.15), (8, 30), 6),
    Good("dietary supplement capsules", "210690", "bottle", (0.1, 0.3), (30, 200), 15),
    Good("vitamin C tablets", "293627", "bottle", (0.1, 0.3), (20, 120), 8),
    Good("ibuprofen tablets", "300490", "box", (0.03, 0.1), (30, 200), 4),
    Good("imitation jewellery necklace", "711719", "pcs", (0.01, 0.06), (100, 900), 15),
    Good("silver ring", "711311", "pcs", (0.005, 0.02), (500, 3000), 6),
    Good("paperback book", "490199", "pcs", (0.2, 0.6), (15, 60), 12),
    Good("laptop computer", "847130", "pcs", (1.2, 2.5), (300, 1200), 5),
    Good("bed linen", "630260", "set", (0.8, 2.0), (10, 40), 6),
    Good("LED lamp", "940542", "pcs", (0.1, 0.5), (20, 100), 8),
    Good("ceramic mug", "691200", "pcs", (0.25, 0.45), (8, 40), 8),
    Good("stainless steel kitchenware", "732393", "pcs", (0.2, 1.0), (8, 40), 6),
    Good("toothbrush", "960321", "pcs", (0.015, 0.03), (60, 300), 4),
    Good("electric fan", "841459", "pcs", (1.0, 3.0), (10, 40), 4),
    Good("bicycle parts", "871499", "pcs", (0.2, 1.5), (10, 80), 5),
    Good("yoga mat", "950691", "pcs", (0.6, 1.5), (8, 30), 5),
    Good("silk scarf", "621410", "pcs", (0.03, 0.1), (200, 1500), 4),
    Good("wristwatch", "910211", "pcs", (0.05, 0.15), (100, 2000), 6),
    Good("cardboard gift boxes", "481910", "pcs", (0.1, 0.5), (2, 10), 3),
    Good("ground black pepper", "090412", "bag", (0.1, 0.5), (6, 25), 3),
    Good("green tea", "090210", "bag", (0.1, 0.5), (15, 120), 5),
    Good("socks", "611595", "pair", (0.04, 0.08), (40, 150), 10),
    Good("security camera", "852589", "pcs", (0.2, 0.6), (60, 300), 4),
    # chemicals and lab goods in lawful trade
    Good("acetone 99.5% laboratory grade", "291411", "l", (0.79, 0.79), (1, 8), 2),
    Good("methanol", "290511", "l", (0.79, 0.79), (0.5, 5), 1),
    Good("glacial acetic acid", "291521", "l", (1.05, 1.05), (1, 6), 1),
    Good("calcium carbonate powder", "283650", "kg", (1.0, 1.0), (0.5, 4), 1),
    Good("laboratory reagent kit", "382290", "kit", (0.2, 1.0), (50, 400), 2),
    Good("L-glycine powder", "292249", "kg", (1.0, 1.0), (3, 20), 1),
    Good("caffeine anhydrous powder", "293930", "kg", (1.0, 1.0), (10, 60), 1),
]

LOOKALIKES = [
    Good("piperine 95% black pepper extract", "130219", "kg", (0.1, 1.0), (40, 200), 1),
    Good("piperidine-free shampoo", "330510", "bottle", (0.25, 0.6), (8, 40), 1),
    Good("ephedra-free energy tablets", "210690", "bottle", (0.1, 0.3), (30, 150), 1),
    Good("lavender bath salts", "330730", "jar", (0.3, 1.0), (8, 40), 1),
    Good("methylsulfonylmethane (MSM) powder", "293090", "kg", (1.0, 1.0), (8, 40), 1),
    Good("vitamin B12 methylcobalamin tablets", "293626", "bottle", (0.05, 0.2), (50, 300), 1),
    Good("children's chemistry set toy", "950300", "set", (0.5, 1.5), (15, 60), 1),
    Good("4-piece piping bag set", "392490", "set", (0.1, 0.3), (20, 90), 1),
    Good("phenibut-free sleep aid (melatonin)", "210690", "bottle", (0.05, 0.2), (40, 200), 1),
    Good("acetone-free nail polish remover", "330430", "bottle", (0.1, 0.3), (20, 80), 1),
]

RISKY_KINDS = (
    "precursor_by_name",
    "precursor_by_synonym",
    "precursor_by_abbreviation",
    "precursor_by_cas_only",
    "precursor_misspelt",
    "chemical_hs_benign_description",
    "drug_by_name",
    "sanctioned_sender",
    "seizure_linked_sender",
    "concealed_value_anomaly",
)
# which 1988 Table I precursors are planted (fentanyl and methamphetamine chains first)
PLANTED_PRECURSORS = (
    "n-phenethyl-4-piperidone", "4-anilino-n-phenethylpiperidine", "n-phenylpiperidin-4-amine",
    "1-boc-4-piperidone", "4-piperidone", "1-phenyl-2-propanone",
    "3-4-methylenedioxyphenyl-2-propanone", "p-2-p-methyl-glycidic-acid", "phenylacetic-acid",
    "pseudoephedrine", "ephedrine", "3-4-mdp-2-p-methyl-glycidate",
)  # fmt: skip
PLANTED_DRUGS = ("fentanyl", "carfentanil", "oxycodone", "methamphetamine", "cocaine")
RISKY_ORIGINS = {"CN": 45, "HK": 10, "IN": 10, "MX": 10, "CA": 5, "NL": 5, "CO": 5, "VN": 5,
                 "DE": 5}  # fmt: skip


@dataclass(frozen=True)
class Truth:
    reference: str
    risky: bool
    kind: str  # "" for ordinary shipments, a RISKY_KINDS entry, or "lookalike"
    detail: str = ""


@dataclass(frozen=True)
class Identity:
    name: str
    address: str
    country: str
    phone: str
    email: str


def _weighted(rng: random.Random, table: dict[str, int] | tuple[tuple[str, int], ...]) -> str:
    items = list(table.items()) if isinstance(table, dict) else list(table)
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


class ShipmentGenerator:
    """Generates shipments into ``destination`` for ``agency``; same seed, same data."""

    def __init__(
        self,
        seed: int,
        *,
        destination: str = "US",
        agency: str | None = None,
        offices: tuple[str, ...] = (),
        risky_share: float = 0.005,
        lookalike_share: float = 0.005,
        start: dt.datetime | None = None,
        days: int = 30,
        prefix: str | None = None,
        consignees: int = 4000,
        senders: int = 300,
    ) -> None:
        self.rng = random.Random(seed)
        self.seed = seed
        self.destination = destination
        self.agency = agency
        self.offices = offices
        self.risky_share = risky_share
        self.lookalike_share = lookalike_share
        self.currency = CURRENCY.get(destination, "USD")
        self.start = start or dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
        self.days = days
        self.prefix = prefix or f"S{seed}"
        self._senders: dict[str, list[Identity]] = {}
        self._senders_per_country = senders
        self._consignees = self._identities(destination, consignees)
        self.seizure_parties = [
            self._identity(self.rng.choice(list(RISKY_ORIGINS))) for _ in range(40)
        ]
        self._sanctioned = sanctioned_names()
        self._goods_weights = [g.share for g in GOODS]
        self._facts = {s.key: s for s in shipped_facts()}
        self._names = _names_by_kind()

    # -- identities ------------------------------------------------------------------------

    def _faker(self, country: str) -> Faker:
        fake = Faker(LOCALES.get(country, "en_US"))
        fake.seed_instance(self.rng.randrange(2**31))
        return fake

    def _identity(self, country: str, fake: Faker | None = None) -> Identity:
        fake = fake or self._faker(country)
        company = self.rng.random() < 0.4
        name = fake.company() if company else fake.name()
        if country in ("CN", "HK") and not company and hasattr(fake, "romanized_name"):
            name = fake.romanized_name()
        return Identity(
            name=name[:200],
            address=fake.address().replace("\n", ", ")[:500],
            country=country,
            phone=_digits_phone(self.rng),
            email=fake.email(),
        )

    def _identities(self, country: str, n: int) -> list[Identity]:
        """A pool of ordinary parties; none shares a name with a seizure-linked party."""
        fake = self._faker(country)
        linked = {p.name.lower() for p in getattr(self, "seizure_parties", [])}
        pool = [self._identity(country, fake) for _ in range(n)]
        return [p for p in pool if p.name.lower() not in linked]

    def _sender(self, country: str) -> Identity:
        pool = self._senders.get(country)
        if pool is None:
            pool = self._senders[country] = self._identities(country, self._senders_per_country)
        return self.rng.choice(pool)

    # -- goods -----------------------------------------------------------------------------

    def _item(
        self, good: Good, description: str | None = None, hs: str | None = None
    ) -> dict[str, Any]:
        rng = self.rng
        quantity = (
            rng.choice([1, 1, 1, 2, 2, 3, 5, 10])
            if good.unit != "kg"
            else round(rng.uniform(0.5, 5), 1)
        )
        per_unit = rng.uniform(*good.kg) if good.unit != "kg" else 1.0
        net = round(quantity * per_unit, 3)
        value = round(net * rng.uniform(*good.usd_per_kg) * FX[self.currency], 2)
        return {
            "description": description or good.description,
            "hs_code": _national(rng, hs or good.hs),
            "quantity": quantity,
            "unit": good.unit,
            "value": value,
            "net_weight_kg": net,
        }

    def _ordinary_items(self) -> list[dict[str, Any]]:
        n = self.rng.choices([1, 2, 3, 4, 5], weights=[45, 25, 15, 10, 5])[0]
        goods = self.rng.choices(GOODS, weights=self._goods_weights, k=n)
        return [self._item(g) for g in goods]

    # -- shipments -------------------------------------------------------------------------

    def take(self, n: int) -> list[tuple[dict[str, Any], Truth]]:
        return [self.make(i) for i in range(n)]

    def make(self, i: int) -> tuple[dict[str, Any], Truth]:
        rng = self.rng
        reference = f"{self.prefix}-{i:09d}"
        roll = rng.random()
        if roll < self.risky_share:
            return self._risky(reference, rng.choice(RISKY_KINDS))
        if roll < self.risky_share + self.lookalike_share:
            return self._lookalike(reference)
        origin = _weighted(rng, ORIGINS)
        record = self._base(reference, origin)
        record["items"] = self._ordinary_items()
        return self._finish(record), Truth(reference, False, "")

    def _base(self, reference: str, origin: str, mode: str | None = None) -> dict[str, Any]:
        rng = self.rng
        mode = mode or _weighted(rng, MODES)
        declared = self.start + dt.timedelta(seconds=rng.randrange(self.days * 86400))
        arrival = declared + dt.timedelta(
            hours=rng.choice([24, 36, 48, 72, 96, 120] if mode != "cargo" else [240, 480, 720])
        )
        transit = []
        if origin in TRANSIT and rng.random() < 0.3:
            transit = [rng.choice(TRANSIT[origin])]
        sender = self._sender(origin)
        consignee = rng.choice(self._consignees)
        record: dict[str, Any] = {
            "reference": reference,
            "mode": mode,
            "declared_at": declared.isoformat().replace("+00:00", "Z"),
            "arrival_at": arrival.isoformat().replace("+00:00", "Z"),
            "origin_country": origin,
            "transit_countries": transit,
            "destination_country": self.destination,
            "carrier": rng.choice(CARRIERS[mode]),
            "sender": _party(sender),
            "consignee": _party(consignee),
            "currency": self.currency,
        }
        if self.agency:
            record["agency"] = self.agency
        if self.offices:
            record["office"] = rng.choice(self.offices)
        return record

    def _finish(self, record: dict[str, Any]) -> dict[str, Any]:
        items = record["items"]
        record["declared_value"] = round(sum(i["value"] for i in items), 2)
        net = sum(i["net_weight_kg"] for i in items)
        record["gross_weight_kg"] = round(net * self.rng.uniform(1.05, 1.3) + 0.05, 3)
        return record

    def _lookalike(self, reference: str) -> tuple[dict[str, Any], Truth]:
        good = self.rng.choice(LOOKALIKES)
        record = self._base(reference, _weighted(self.rng, ORIGINS))
        record["items"] = [self._item(good)] + self._ordinary_items()[: self.rng.randrange(0, 2)]
        return self._finish(record), Truth(reference, False, "lookalike", good.description)

    def _risky(self, reference: str, kind: str) -> tuple[dict[str, Any], Truth]:
        rng = self.rng
        origin = _weighted(rng, RISKY_ORIGINS)
        record = self._base(reference, origin)
        items = self._ordinary_items()[: rng.randrange(0, 3)]
        key = rng.choice(PLANTED_PRECURSORS)
        facts = self._facts[key]
        chem = Good("", facts.hs2022 or "293339", "kg", (1.0, 1.0), (20, 300), 1)
        detail = key
        if kind == "precursor_by_name":
            items.insert(
                0,
                self._item(
                    chem, f"{facts.name} {rng.choice(['99%', 'powder', '25kg drum', 'purity 98%'])}"
                ),
            )
        elif kind in ("precursor_by_synonym", "precursor_by_abbreviation"):
            name_kind = "synonym" if kind == "precursor_by_synonym" else "abbreviation"
            key = rng.choice(
                [k for k in PLANTED_PRECURSORS if self._names.get(k, {}).get(name_kind)]
            )
            detail = key
            facts = self._facts[key]
            chem = Good("", facts.hs2022 or "293339", "kg", (1.0, 1.0), (20, 300), 1)
            name = rng.choice(self._names[key][name_kind])
            suffix = rng.choice(["", " powder", " oil", " chemical", " intermediate"])
            items.insert(0, self._item(chem, f"{name}{suffix}"))
        elif kind == "precursor_by_cas_only":
            key = rng.choice([k for k in PLANTED_PRECURSORS if self._facts[k].cas])
            detail = key
            facts = self._facts[key]
            items.insert(0, self._item(chem, f"organic intermediate CAS {facts.cas}", hs="293399"))
        elif kind == "precursor_misspelt":
            items.insert(0, self._item(chem, misspell(rng, facts.name)))
        elif kind == "chemical_hs_benign_description":
            good = rng.choice([g for g in GOODS if g.hs[:2] in ("95", "39", "61", "33", "69")])
            items.insert(0, self._item(good, hs=facts.hs2022 or "293339"))
            detail = f"{key} declared as {good.description}"
        elif kind == "drug_by_name":
            key = rng.choice(PLANTED_DRUGS)
            detail = key
            name = self._facts[key].name
            items.insert(
                0,
                self._item(
                    Good("", "300490", "box", (0.05, 0.3), (100, 2000), 1),
                    f"{name} {rng.choice(['tablets', 'powder', 'citrate', 'HCl'])}",
                ),
            )
        elif kind == "sanctioned_sender":
            name = rng.choice(self._sanctioned)
            record["sender"]["name"] = vary_name(rng, name)
            detail = name
            items = items or self._ordinary_items()
        elif kind == "seizure_linked_sender":
            party = rng.choice(self.seizure_parties)
            record["sender"] = _party(party)
            record["sender"]["name"] = vary_name(rng, party.name)
            record["origin_country"] = party.country
            detail = party.name
            items = items or self._ordinary_items()
        elif kind == "concealed_value_anomaly":
            good = rng.choice([g for g in GOODS if g.hs[:2] in ("69", "39", "94", "63", "95")])
            item = self._item(good)
            item["net_weight_kg"] = round(item["net_weight_kg"] * rng.uniform(15, 40), 3)
            item["value"] = round(item["value"] * rng.uniform(0.01, 0.05), 2)
            items.insert(0, item)
            detail = good.description
        record["items"] = items or self._ordinary_items()
        return self._finish(record), Truth(reference, True, kind, detail)

    # -- seizures --------------------------------------------------------------------------

    def seizures(self, n: int = 60) -> list[dict[str, Any]]:
        """Earlier seizures of the destination agency, consistent with the planted cases:
        the seizure-linked parties and the risky origins."""
        out = []
        for j in range(n):
            rng = self.rng
            party = self.seizure_parties[j % len(self.seizure_parties)]
            key = rng.choice(PLANTED_PRECURSORS + PLANTED_DRUGS)
            origin = party.country if rng.random() < 0.7 else _weighted(rng, RISKY_ORIGINS)
            day = (self.start - dt.timedelta(days=rng.randrange(5, 300))).date()
            out.append(
                {
                    "reference": f"{self.prefix}-SZ-{j:05d}",
                    "seized_on": day.isoformat(),
                    "country": self.destination,
                    "substance": self._facts[key].name,
                    "quantity": round(rng.uniform(0.05, 25), 2),
                    "unit": "kg",
                    "mode": _weighted(rng, MODES),
                    "origin_country": origin,
                    "parties": [{"role": "sender", **_party(party)}],
                }
            )
        return out


def _party(p: Identity) -> dict[str, Any]:
    return {
        "name": p.name,
        "address": p.address,
        "country": p.country,
        "phone": p.phone,
        "email": p.email,
    }


def _digits_phone(rng: random.Random) -> str:
    return "+" + str(rng.randrange(1, 99)) + " " + str(rng.randrange(10**8, 10**10))


def _national(rng: random.Random, hs: str) -> str:
    """Declared codes are often national tariff lines: six digits plus two to four more."""
    r = rng.random()
    if r < 0.5:
        return hs
    if r < 0.85:
        return hs + f"{rng.randrange(100):02d}"
    return hs + f"{rng.randrange(10000):04d}"


def misspell(rng: random.Random, name: str) -> str:
    """One plausible slip: a dropped letter, a doubled one, a swapped vowel or 'ph' -> 'f'."""
    letters = [i for i, c in enumerate(name) if c.isalpha()]
    if "ph" in name.lower() and rng.random() < 0.4:
        i = name.lower().index("ph")
        return name[:i] + "f" + name[i + 2 :]
    i = rng.choice(letters[1:-1] or letters)
    action = rng.randrange(3)
    if action == 0:
        return name[:i] + name[i + 1 :]
    if action == 1:
        return name[:i] + name[i] + name[i:]
    vowels = "aeiou"
    c = name[i]
    swap = rng.choice([v for v in vowels if v != c.lower()]) if c.lower() in vowels else "e"
    return name[:i] + swap + name[i + 1 :]


def vary_name(rng: random.Random, name: str) -> str:
    """'AMEZCUA CONTRERAS, Jose de Jesus' -> 'Jose de Jesus Amezcua Contreras' and the like."""
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first.strip()} {last.strip()}"
    words = name.split()
    r = rng.random()
    if r < 0.4:
        name = " ".join(w.capitalize() if w.isupper() else w for w in words)
    elif r < 0.7 and len(words) > 2:
        i = rng.randrange(len(words))
        w = words[i]
        if len(w) > 4:
            j = rng.randrange(1, len(w) - 1)
            words[i] = w[:j] + w[j + 1 :]
        name = " ".join(words)
    return name.upper() if rng.random() < 0.3 else name


@lru_cache(maxsize=1)
def sanctioned_names() -> list[str]:
    """Names of individuals and entities on the shipped narcotics subset of the SDN list."""
    data = resources.files("watchfloor.reference").joinpath("data", "sanctions", "sdn.csv")
    text = data.read_bytes().decode("cp1252", errors="replace")
    names = []
    for row in csv.reader(io.StringIO(text)):
        listed = len(row) > 3 and row[0].strip().isdigit()
        if listed and row[2].strip() in ("individual", "-0-") and len(row[1].split()) >= 2:
            names.append(row[1].strip())
    return names


@lru_cache(maxsize=1)
def _names_by_kind() -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for r in catalogue_rows("names.csv"):
        if r["name_kind"] in ("synonym", "abbreviation"):
            out.setdefault(r["key"], {}).setdefault(r["name_kind"], []).append(r["name"])
    return out

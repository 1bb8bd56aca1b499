"""Demo listings: synthetic offers on three platforms by a few sellers who reuse contacts,
so that the queue, the classifier, the seller clusters and the market watch have something
to show. Nothing here is real: names come from Faker, wallets are random but carry valid
checksums, and the offers follow the shapes of the Agora listings (a quantity, a substance,
a purity, shipping terms), mixed with ordinary goods, some of them drug look-alikes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from typing import Any

from faker import Faker
from sqlalchemy.orm import Session

from watchfloor.listings import intake
from watchfloor.listings.wallets import B58
from watchfloor.security.models import Agency
from watchfloor.security.service import Principal, system_principal

PLATFORMS = ("Example Marketplace", "Bazaar Forum", "Picture Social")
OFFERS = {
    "cannabis": ["{q}g OG Kush indoor buds", "{q}g Moroccan hash", "1oz Gorilla Glue #4 flowers"],
    "cocaine": ["{q}g Peruvian cocaine {p}% pure", "{q}g fishscale coke, lab tested"],
    "mdma": ["{q}g MDMA crystals {p}%", "{n}x ecstasy pills 220mg"],
    "fentanyl": ["{n}x M30 blues (pressed)", "{q}g fentanyl powder {p}%"],
    "benzodiazepine": ["Xanax 2mg bars x {n}", "Valium 10mg x {n} tabs"],
    "psychedelic": ["{n}x LSD blotters 150ug", "{q}g magic mushrooms"],
    "prescription": ["Tramadol 100mg x {n}", "Oxycodone 30mg x {n}"],
    "precursor": ["N-phenethyl-4-piperidone (NPP) {q}kg, CAS 39742-60-4", "4-ANPP {q}kg"],
}
ORDINARY = [
    "Cotton hoodie, size L",
    "Weed eater trimmer line 2mm",
    "Glass water pipe fittings, 1/2 inch",
    "Garden hose 20 m with nozzle",
    "Vitamin C 1000mg x 100 tablets",
    "Used road bike, 54 cm frame",
    "Crystal wine glasses, set of 6",
    "Snow boots, size 42",
]
TERMS = ["Stealth shipping worldwide.", "Tracked delivery, escrow accepted.", "Ships in 24h."]


def _wallet(rng: random.Random) -> str:
    """A legacy Bitcoin address with a valid checksum over a random key hash."""
    payload = b"\x00" + rng.randbytes(20)
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    n, out = int.from_bytes(raw, "big"), ""
    while n:
        n, digit = divmod(n, 58)
        out = B58[digit] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\x00"))) + out


@dataclass
class Seller:
    handle: str
    telegram: str
    wallet: str
    image: str
    country: str
    classes: list[str]


def sellers(rng: random.Random, fake: Faker, n: int = 8) -> list[Seller]:
    countries = ["NL", "DE", "CA", "US", "GB", "ES", "CN", "IN"]
    out = []
    for i in range(n):
        handle = f"{fake.user_name()}{rng.randint(1, 99)}"
        out.append(
            Seller(
                handle=handle,
                telegram=f"{handle[:10]}_shop",
                wallet=_wallet(rng),
                image=rng.randbytes(8).hex(),
                country=countries[i % len(countries)],
                classes=rng.sample(sorted(OFFERS), 2),
            )
        )
    return out


def listings(seed: int = 7, n: int = 240, days: int = 30) -> list[dict[str, Any]]:
    """``n`` listings over the last ``days`` days, about a fifth of them ordinary goods."""
    rng = random.Random(seed)
    fake = Faker(["en_US", "de_DE", "nl_NL"])
    fake.seed_instance(seed)
    people = sellers(rng, fake)
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    out = []
    for i in range(n):
        platform = PLATFORMS[i % len(PLATFORMS)]
        seen = today - dt.timedelta(days=rng.randrange(days), minutes=rng.randrange(1440))
        row: dict[str, Any] = {
            "platform": platform,
            "external_id": f"demo-{seed}-{i}",
            "observed_at": seen.isoformat(),
            "currency": rng.choice(["USD", "EUR", "BTC"]),
        }
        if rng.random() < 0.2:
            row |= {
                "title": rng.choice(ORDINARY),
                "body": fake.sentence(nb_words=12),
                "seller": fake.user_name(),
                "price": round(rng.uniform(5, 200), 2),
                "ships_from": rng.choice(["US", "DE", "GB"]),
            }
        else:
            s = rng.choice(people)
            kind = rng.choice(s.classes)
            title = rng.choice(OFFERS[kind]).format(
                q=rng.choice([1, 2, 5, 10, 28]), p=rng.randint(70, 95), n=rng.choice([10, 50, 100])
            )
            contact = rng.choice(
                [f"Telegram: @{s.telegram}", f"BTC only: {s.wallet}", f"tg: {s.telegram}"]
            )
            row |= {
                "title": title,
                "body": f"{rng.choice(TERMS)} {contact}",
                "seller": s.handle,
                "price": round(rng.uniform(20, 900), 2),
                "ships_from": s.country,
                "ships_to": ["WW"],
                "image_hashes": [s.image] if rng.random() < 0.5 else [],
            }
        out.append(row)
    return out


def load(session: Session, agencies: dict[str, Agency]) -> int:
    """Report the demo listings as the example platform, shared (TLP amber) with US CBP;
    idempotent. Returns how many were created."""
    platform: Principal = system_principal(agencies["PLATFORM-EXAMPLE"])
    rows = listings()
    for row in rows:
        row["sharing"] = {"tlp": "amber", "recipients": ["US-CBP"]}
    result = intake.submit(session, platform, rows, source="demo")
    return sum(1 for r in result.results if r.status == "created")

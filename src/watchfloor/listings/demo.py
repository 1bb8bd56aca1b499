"""Demo listings: synthetic offers on three platforms by a few sellers who reuse contacts,
so that the queue, the classifier, the seller clusters and the market watch have something
to show. Nothing here is real: names come from Faker, wallets are random but carry valid
checksums, and the offers follow the shapes of the Agora listings (a quantity, a substance,
a purity, shipping terms), mixed with ordinary goods, some of them drug look-alikes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
from dataclasses import dataclass
from typing import Any

from faker import Faker
from sqlalchemy.orm import Session

from watchfloor.identifiers import B58
from watchfloor.listings import intake
from watchfloor.security import Agency, Principal, system_principal

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


@dataclass(frozen=True)
class Handling:
    """How a demo platform handles notices (fictitious, chosen so the transparency report
    tells the platforms apart)."""

    answers: float  # share of notices it answers at all
    median_hours: float
    spread: float  # of the log-normal around the median
    no_action: float  # share of listings left up
    actions: tuple[str, ...]
    reason: str
    automated: str


HANDLING = {
    "Example Marketplace": Handling(0.97, 5.0, 0.8, 0.03, ("removed",), "not_illegal", "partially"),
    "Bazaar Forum": Handling(
        0.7, 80.0, 0.9, 0.25, ("removed", "disabled"), "not_illegal", "not_automated"
    ),
    "Picture Social": Handling(
        0.85,
        20.0,
        0.7,
        0.1,
        ("removed", "disabled", "labelled"),
        "insufficient_information",
        "not_automated",
    ),
}
PLATFORM_OF = {
    "Example Marketplace": "PLATFORM-EXAMPLE",
    "Bazaar Forum": "PLATFORM-BAZAAR",
    "Picture Social": "PLATFORM-PICTURE",
}
URGENT = {"fentanyl", "opioid", "precursor"}  # counterfeit opioid pills often hold fentanyl


def load_notices(session: Session, agencies: dict[str, Agency], seed: int = 11) -> int:
    """US CBP's notices about most of the demo drug-sale listings it may read, and each
    platform's answers, over the last 30 days; the most recent stay open for the inbox, and
    the late ones are escalated. Idempotent (fixed references). Returns how many were sent."""
    from sqlalchemy import select

    from watchfloor.listings import escalation
    from watchfloor.listings.models import Listing
    from watchfloor.security import User, principal_for_user

    user = session.scalar(select(User).where(User.username == "us.cbp.analyst"))
    if user is None or any(code not in agencies for code in PLATFORM_OF.values()):
        return 0
    cbp = principal_for_user(user)
    rng = random.Random(seed)
    # the day's start, as for the listings: a second load the same day plans the same notices
    now = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    sales = session.scalars(
        select(Listing)
        .where(Listing.is_drug_sale.is_(True), Listing.source == "demo")
        .order_by(Listing.observed_at, Listing.id)
    ).all()
    created = 0
    for service in PLATFORMS:
        chosen = [x for x in sales if x.platform == service and rng.random() < 0.65]
        k = 0
        while chosen:
            size = rng.choice([1, 1, 2, 3])
            batch, chosen = chosen[:size], chosen[size:]
            k += 1
            # each notice draws from its own generator, so a rerun plans the same notices
            # whatever was sent before
            own = random.Random(f"{seed}-{service}-{k}")
            created += _demo_notice(session, cbp, batch, own, now, f"{service[:3]}-{k}")
    escalation.escalate_overdue(session, now=now)
    return created


def _demo_notice(
    session: Session, cbp: Principal, batch, rng: random.Random, now: dt.datetime, tag: str
) -> int:
    from watchfloor.listings import notices
    from watchfloor.listings.notice_schemas import AnswerIn, DecisionIn, NoticeIn

    service = batch[0].platform
    sent = max(b.observed_at for b in batch) + dt.timedelta(hours=rng.uniform(2, 30))
    if sent >= now:
        return 0
    data = NoticeIn(
        platform=PLATFORM_OF[service],
        listing_ids=[b.id for b in batch],
        legal_ground="21 U.S.C. 841(a)(1) (distribution of controlled substances) and "
        "21 U.S.C. 843(c) (advertising Schedule I and II substances)",
        explanation="The listings offer controlled substances for sale and delivery to the "
        "United States.",
        requested_action="remove",
        territorial_scope=["US"],
        priority="urgent" if any(b.substance_class in URGENT for b in batch) else "standard",
        reference=f"CBP-DEMO-{tag.upper()}",
    )
    notice, created = notices.send_notice(session, cbp, data, now=sent)
    if not created:
        return 0
    how = HANDLING[service]
    took = dt.timedelta(hours=how.median_hours * math.exp(rng.gauss(0, how.spread)))
    if rng.random() > how.answers or sent + took >= now:
        return 1
    decisions = []
    for item in notice.items:
        up = rng.random() < how.no_action
        decisions.append(
            DecisionIn(
                item_id=item.id,
                action="no_action" if up else rng.choice(how.actions),
                account_action=None if up or rng.random() < 0.7 else "suspended",
                ground=None if up else "illegal_content",
                ground_reference="" if up else "Prohibited items: drugs and controlled substances",
                no_action_reason=how.reason if up else None,
                automated_detection=how.automated != "not_automated",
                automated_decision=how.automated,
            )
        )
    platform = system_principal(notice.platform_agency)
    notices.acknowledge(session, platform, notice.id, now=sent + took / 4)
    notices.answer(session, platform, notice.id, AnswerIn(decisions=decisions), now=sent + took)
    return 1

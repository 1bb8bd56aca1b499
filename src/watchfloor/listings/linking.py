"""Seller clusters: listings tied together by the signals they share, across platforms.

Two listings are linked when they share one strong signal (a phone, an e-mail, a wallet, a
PGP key, a messenger account, an image, the same seller account on one platform), or at
least two different weak ones (a handle seen on two platforms, a web domain, a URL): a
common handle alone proves nothing. A cluster is everything reachable through links, among
the listings the caller may read, with the evidence of every link.

Images also link when their 64-bit perceptual hashes differ in at most ``IMAGE_BITS`` bits
(the evidence reads ``image:<hash>~<bits apart>``).

A signal value carried by very many listings (a marketplace's own domain, a handle such as
"admin") says nothing about a seller; values above ``COMMON`` listings are left out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from watchfloor.batches import chunks
from watchfloor.errors import NotFound
from watchfloor.listings.models import Listing, ListingSignal
from watchfloor.listings.signals import STRONG
from watchfloor.security import Principal
from watchfloor.sharing import can_read, visible

COMMON = 200  # listings sharing one value before it counts as nobody's in particular
MAX_LISTINGS = 1000  # a cluster is cut here (and says so)
IMAGE_BITS = 6  # 64-bit perceptual hashes this close are taken for the same picture


@dataclass
class Link:
    a: int
    b: int
    signals: list[tuple[str, str]]  # (kind, value)

    @property
    def strong(self) -> bool:
        return any(kind in STRONG for kind, _ in self.signals)


@dataclass
class Cluster:
    listings: list[Listing]
    links: list[Link]
    truncated: bool = False
    common: list[tuple[str, str]] = field(default_factory=list)  # values left out

    @property
    def platforms(self) -> Counter[str]:
        return Counter(x.platform for x in self.listings)

    @property
    def classes(self) -> Counter[str]:
        return Counter(x.substance_class for x in self.listings if x.substance_class)

    @property
    def countries(self) -> Counter[str]:
        return Counter(x.ships_from for x in self.listings if x.ships_from)

    @property
    def sellers(self) -> Counter[str]:
        return Counter(f"{x.platform}:{x.seller}" for x in self.listings if x.seller)

    @property
    def first_seen(self) -> dt.datetime | None:
        return min((x.observed_at for x in self.listings), default=None)

    @property
    def last_seen(self) -> dt.datetime | None:
        return max((x.observed_at for x in self.listings), default=None)


def _linked(shared: dict[tuple[int, int], set[tuple[str, str, bool]]]) -> list[Link]:
    links = []
    for (a, b), signals in shared.items():
        strong = any(s for _, _, s in signals)
        if strong or len({(k, v) for k, v, _ in signals}) >= 2:
            links.append(Link(a, b, sorted((k, v) for k, v, _ in signals)))
    return links


def _image_hashes(session: Session, principal: Principal) -> list[tuple[int, int, str]]:
    """(listing id, hash as an integer, hex) of every 64-bit image hash the caller may read."""
    rows = session.execute(
        select(ListingSignal.listing_id, ListingSignal.value)
        .join(Listing, Listing.id == ListingSignal.listing_id)
        .where(ListingSignal.kind == "image", visible(principal, Listing))
    )
    return [(lid, int(v, 16), v) for lid, v in rows if len(v) == 16]


def _near_images(
    mine: list[tuple[int, str]], images: list[tuple[int, int, str]]
) -> list[tuple[int, str, int, int]]:
    """(my listing, my hash, other listing, bits apart) for every image of another listing
    within ``IMAGE_BITS`` of one of mine: the same picture re-encoded, resized or with a
    small mark keeps its perceptual hash within a few bits (an exact match is a plain
    shared signal already)."""
    out = []
    for lid, value in mine:
        x = int(value, 16)
        for other, y, _ in images:
            d = (x ^ y).bit_count()
            if other != lid and 0 < d <= IMAGE_BITS:
                out.append((lid, value, other, d))
    return out


Holders = dict[tuple[str, str], list[tuple[int, bool]]]  # (kind, value) -> (listing, strong)
Shared = dict[tuple[int, int], set[tuple[str, str, bool]]]  # listing pair -> what they share


def _holders(
    session: Session, principal: Principal, values: set[tuple[str, str]], common: set[Any]
) -> Holders:
    """The visible listings holding each value; values held by more than ``COMMON``
    listings are no evidence of one seller and go to ``common`` instead."""
    holders: Holders = defaultdict(list)
    for part in chunks(list(values), 300):
        counts = session.execute(
            select(ListingSignal.kind, ListingSignal.value, func.count())
            .where(tuple_(ListingSignal.kind, ListingSignal.value).in_(part))
            .group_by(ListingSignal.kind, ListingSignal.value)
        )
        too_many = {(k, v) for k, v, n in counts if n > COMMON}
        common |= too_many
        wanted = [p for p in part if p not in too_many]
        if not wanted:
            continue
        for lid, kind, value, strong in session.execute(
            select(
                ListingSignal.listing_id, ListingSignal.kind, ListingSignal.value,
                ListingSignal.strong,
            )
            .join(Listing, Listing.id == ListingSignal.listing_id)
            .where(
                tuple_(ListingSignal.kind, ListingSignal.value).in_(wanted),
                visible(principal, Listing),
            )
        ):  # fmt: skip
            holders[(kind, value)].append((lid, strong))
    return holders


def _shared(holders: Holders, seen: set[int]) -> Shared:
    """Pairs of listings, one of them already in the cluster, with the values they share."""
    shared: Shared = defaultdict(set)
    for (kind, value), who in holders.items():
        ids = sorted({lid for lid, _ in who})
        strong = any(s for _, s in who)
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if a in seen or b in seen:
                    shared[(a, b)].add((kind, value, strong))
    return shared


def _grow(shared: Shared, links: list[Link], seen: set[int], frontier: list[int]) -> bool:
    """Add the links ``shared`` proves and the listings they reach; True when the cluster
    reached ``MAX_LISTINGS`` and was cut short."""
    for link in _linked(shared):
        if link.a in seen and link.b in seen:
            if not any((x.a, x.b) == (link.a, link.b) for x in links):
                links.append(link)
            continue
        links.append(link)
        if len(seen) >= MAX_LISTINGS:
            return True
        new = link.b if link.a in seen else link.a
        seen.add(new)
        frontier.append(new)
    return False


def cluster(session: Session, principal: Principal, listing_id: int) -> Cluster:
    """The seller cluster of one listing the caller may read (404 otherwise)."""
    start = session.get(Listing, listing_id)
    if start is None or not can_read(principal, start):
        raise NotFound(f"listing {listing_id} not found")
    seen = {start.id}
    frontier = [start.id]
    links: list[Link] = []
    common: set[tuple[str, str]] = set()
    done_values: set[tuple[str, str]] = set()
    truncated = False
    images: list[tuple[int, int, str]] | None = None  # every visible 64-bit image hash
    while frontier and not truncated:
        own = list(
            session.execute(
                select(ListingSignal.listing_id, ListingSignal.kind, ListingSignal.value).where(
                    ListingSignal.listing_id.in_(frontier)
                )
            )
        )
        values = {(k, v) for _, k, v in own} - done_values
        done_values |= values
        frontier = []
        if not values:
            break
        shared = _shared(_holders(session, principal, values, common), seen)
        near = [(lid, v) for lid, k, v in own if k == "image" and len(v) == 16]
        if near:
            images = images if images is not None else _image_hashes(session, principal)
            for lid, value, other, distance in _near_images(near, images):
                a, b = sorted((lid, other))
                shared[(a, b)].add(("image", f"{value}~{distance}", True))
        truncated = _grow(shared, links, seen, frontier)
    listings = list(
        session.scalars(select(Listing).where(Listing.id.in_(seen)).order_by(Listing.observed_at))
    )
    kept = {x.id for x in listings}
    links = [x for x in links if x.a in kept and x.b in kept]
    return Cluster(listings, links, truncated, sorted(common))

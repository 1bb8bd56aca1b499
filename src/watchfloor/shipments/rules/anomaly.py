"""Rule 5: value and weight anomalies. An item's value per kilogram far from its peers (same
HS heading, same currency) by a robust z-score; a gross weight below the items' net weight;
a declared total that does not add up."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from statistics import median
from typing import Any

import numpy as np

from watchfloor.shipments.hs import format_hs
from watchfloor.shipments.rules import Reason, capped, quote
from watchfloor.shipments.schemas import ShipmentIn

RESERVOIR = 2000
REFRESH_EVERY = 500
NUMPY_FROM = 200  # below this many values, statistics.median is the quicker


@dataclass
class Peer:
    # the sample, in an array that grows by doubling up to RESERVOIR: the medians are then
    # taken where the values already are, with no list to convert on every refresh
    sample: np.ndarray = field(default_factory=lambda: np.empty(16))
    size: int = 0
    seen: int = 0
    pending: int = 0
    median: float = 0.0
    mad: float = 0.0

    @property
    def values(self) -> np.ndarray:
        return self.sample[: self.size]

    def append(self, value: float) -> None:
        if self.size == len(self.sample):
            grown = np.empty(min(RESERVOIR, 2 * self.size))
            grown[: self.size] = self.sample
            self.sample = grown
        self.sample[self.size] = value
        self.size += 1

    def refresh(self) -> None:
        if self.size < NUMPY_FROM:
            values = self.values.tolist()
            self.median = median(values)
            self.mad = median([abs(v - self.median) for v in values])
        else:  # the same figures, by partial sorts in C
            values = self.values
            self.median = float(np.median(values))
            self.mad = float(np.median(np.abs(values - self.median)))
        self.pending = 0


class PeerStats:
    """Per (heading, currency): a uniform sample of log value-per-kg and its median and MAD,
    kept up to date as shipments arrive (reservoir sampling; the median and MAD are
    recomputed after every 10 % of growth, and every 500 values once the sample is full)."""

    def __init__(self, seed: int = 0) -> None:
        self.peers: dict[tuple[str, str], Peer] = {}
        self.rng = random.Random(seed)

    def add(self, heading: str, currency: str, log_value_per_kg: float) -> None:
        peer = self.peers.get((heading, currency))
        if peer is None:  # not setdefault: that would build a Peer for every value
            peer = self.peers[heading, currency] = Peer()
        peer.seen += 1
        if peer.size < RESERVOIR:
            peer.append(log_value_per_kg)
        else:
            j = self.rng.randrange(peer.seen)
            if j < RESERVOIR:
                peer.sample[j] = log_value_per_kg
        peer.pending += 1
        # recompute after 10 % growth while the sample is small, every 500 values after
        if peer.pending >= min(REFRESH_EVERY, max(10, peer.size // 10)):
            peer.refresh()

    def get(self, heading: str, currency: str) -> Peer | None:
        return self.peers.get((heading, currency))


def unit_value(value: float | None, kg: float | None) -> float | None:
    if value is None or kg is None or value <= 0 or kg <= 0:
        return None
    return math.log(value / kg)


class AnomalyRule:
    name = "anomaly"

    def __init__(self, config: dict[str, Any], stats: PeerStats) -> None:
        self.c = config
        self.stats = stats

    def evaluate(self, shipment: ShipmentIn) -> list[Reason]:
        reasons = []
        currency = shipment.currency or ""
        for line, item in enumerate(shipment.items, start=1):
            v = unit_value(item.value, item.net_weight_kg)
            if v is None or not item.hs_code or not currency:
                continue
            peer = self.stats.get(item.hs_code[:4], currency)
            if peer is None or peer.size < self.c["min_peers"] or peer.mad <= 0:
                continue
            z = 0.6745 * (v - peer.median) / peer.mad
            if abs(z) >= self.c["z_threshold"]:
                side = "below" if z < 0 else "above"
                strong = abs(z) >= 2 * self.c["z_threshold"]
                reasons.append(
                    Reason(
                        self.name,
                        self.c["strong_unit_value_points" if strong else "unit_value_points"],
                        f"item {line} {quote(item.description)} is declared at "
                        f"{math.exp(v):,.2f} {currency}/kg, far {side} its peers under "
                        f"heading {format_hs(item.hs_code)[:4]} (median "
                        f"{math.exp(peer.median):,.2f} {currency}/kg, robust z {z:+.1f})",
                        {"item": line, "z": round(z, 2), "peers": peer.size},
                    )
                )
        net = [i.net_weight_kg for i in shipment.items if i.net_weight_kg is not None]
        if (
            shipment.gross_weight_kg is not None
            and net
            and sum(net) > shipment.gross_weight_kg * 1.05
        ):
            reasons.append(
                Reason(
                    self.name,
                    self.c["weight_inconsistency"],
                    f"gross weight {shipment.gross_weight_kg:g} kg is less than the items' "
                    f"net weight {sum(net):g} kg",
                    {"gross_kg": shipment.gross_weight_kg, "net_kg": sum(net)},
                )
            )
        values = [i.value for i in shipment.items if i.value is not None]
        if shipment.declared_value and values and len(values) == len(shipment.items):
            total = sum(values)
            if abs(total - shipment.declared_value) > 0.2 * max(total, shipment.declared_value):
                reasons.append(
                    Reason(
                        self.name,
                        self.c["value_inconsistency"],
                        f"declared total {shipment.declared_value:,.2f} {currency} differs "
                        f"from the items' sum {total:,.2f} {currency}",
                        {"declared": shipment.declared_value, "items": total},
                    )
                )
        return capped(reasons, self.c["max_points"])

    def learn(self, shipment: ShipmentIn) -> None:
        """Add the shipment's items to the peers (after it has been scored against them)."""
        if not shipment.currency:
            return
        for item in shipment.items:
            v = unit_value(item.value, item.net_weight_kg)
            if v is not None and item.hs_code:
                self.stats.add(item.hs_code[:4], shipment.currency, v)

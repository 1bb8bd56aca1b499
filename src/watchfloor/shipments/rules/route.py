"""Rule 4: the shipment comes from or through a country whose share of recent seizures (for
this mode of transport) is far above its share of the traffic."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from watchfloor.shipments.rules import Reason, capped
from watchfloor.shipments.schemas import ShipmentIn


@dataclass
class RouteStats:
    """Seizure and traffic counts per (mode, country) over the rule's window."""

    seizures: Counter[tuple[str, str]] = field(default_factory=Counter)
    traffic: Counter[tuple[str, str]] = field(default_factory=Counter)

    def lift(self, mode: str, country: str) -> tuple[float, int, float, float] | None:
        """(lift, seizures, seizure share, traffic share) or None when there is no traffic."""
        s_total = sum(v for (m, _), v in self.seizures.items() if m == mode)
        t_total = sum(v for (m, _), v in self.traffic.items() if m == mode)
        s, t = self.seizures[(mode, country)], self.traffic[(mode, country)]
        if not s_total or not t_total or not t:
            return None
        s_share, t_share = s / s_total, t / t_total
        return s_share / t_share, s, s_share, t_share


class RouteRule:
    name = "route"

    def __init__(self, config: dict[str, Any], stats: RouteStats) -> None:
        self.c = config
        self.stats = stats
        self._memo: dict[tuple[str, str], Reason | None] = {}

    def evaluate(self, shipment: ShipmentIn) -> list[Reason]:
        reasons = []
        places = [("origin", shipment.origin_country)]
        places += [("transit", c) for c in shipment.transit_countries]
        for role, country in places:
            reason = self._memo.get((shipment.mode, country), False)
            if reason is False:
                reason = self._reason(shipment.mode, country)
                self._memo[(shipment.mode, country)] = reason
            if reason is not None:
                text = f"{role} {reason.text}"
                reasons.append(Reason(self.name, reason.points, text, reason.evidence))
        return capped(reasons, self.c["max_points"])

    def _reason(self, mode: str, country: str) -> Reason | None:
        got = self.stats.lift(mode, country)
        if got is None:
            return None
        lift, seized, s_share, t_share = got
        if seized < self.c["min_seizures"] or lift < self.c["min_lift"]:
            return None
        points = min(self.c["max_points"], round(self.c["points_per_doubling"] * math.log2(lift)))
        return Reason(
            self.name,
            points,
            f"{country}: {s_share:.0%} of the {mode} seizures you can see from the last "
            f"{self.c['window_days']} days came from {country}, against {t_share:.1%} of "
            f"{mode} traffic ({lift:.1f}x)",
            {"country": country, "mode": mode, "seizures": seized, "lift": round(lift, 2)},
        )

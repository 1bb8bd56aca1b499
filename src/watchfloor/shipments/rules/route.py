"""Rule 4: the shipment comes from or through a country whose share of recent seizures is far
above its share of the traffic, for this mode of transport and, where the seizures say so,
for this commodity (the HS chapter of an item).

Counts are kept per (mode, chapter, country), with :data:`ALL` as the chapter of every
commodity together; a shipment is judged on the strongest lift among all goods and the
chapters of its own items. A country needs ``min_seizures`` in a cell before it counts.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from watchfloor.shipments.hs import chapter_name
from watchfloor.shipments.rules import Reason, capped
from watchfloor.shipments.schemas import ShipmentIn

ALL = ""  # the chapter key under which every commodity is counted together


def chapters_of(shipment: ShipmentIn) -> frozenset[str]:
    return frozenset(i.hs_code[:2] for i in shipment.items if i.hs_code)


@dataclass
class RouteStats:
    """Seizure and traffic counts per (mode, chapter, country) over the rule's window, with
    the totals per (mode, chapter) that shares are taken of."""

    seizures: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    traffic: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    seizure_totals: Counter[tuple[str, str]] = field(default_factory=Counter)
    traffic_totals: Counter[tuple[str, str]] = field(default_factory=Counter)

    def add_seizure(self, mode: str, country: str, chapters: Iterable[str], n: int = 1) -> None:
        """A seizure that came from or through ``country``."""
        for chapter in {ALL, *chapters}:
            self.seizures[(mode, chapter, country)] += n
            self.seizure_totals[(mode, chapter)] += n

    def add_traffic(self, mode: str, country: str, chapters: Iterable[str], n: int = 1) -> None:
        """A shipment from ``country`` carrying goods of ``chapters``."""
        for chapter in {ALL, *chapters}:
            self.traffic[(mode, chapter, country)] += n
            self.traffic_totals[(mode, chapter)] += n

    def add_chapter_traffic(self, mode: str, chapter: str, country: str, n: int) -> None:
        """``n`` shipments with goods of ``chapter``, counted apart from the shipments
        themselves (one shipment may carry several chapters)."""
        self.traffic[(mode, chapter, country)] += n
        self.traffic_totals[(mode, chapter)] += n

    def lift(self, mode: str, chapter: str, country: str) -> tuple[float, int, float, float] | None:
        """(lift, seizures, seizure share, traffic share) or None when there is no traffic."""
        s_total = self.seizure_totals[(mode, chapter)]
        t_total = self.traffic_totals[(mode, chapter)]
        s, t = self.seizures[(mode, chapter, country)], self.traffic[(mode, chapter, country)]
        if not s_total or not t_total or not t:
            return None
        s_share, t_share = s / s_total, t / t_total
        return s_share / t_share, s, s_share, t_share


class RouteRule:
    name = "route"

    def __init__(self, config: dict[str, Any], stats: RouteStats) -> None:
        self.c = config
        self.stats = stats
        self._memo: dict[tuple[str, str, str], Reason | None] = {}

    def evaluate(self, shipment: ShipmentIn) -> list[Reason]:
        reasons = []
        places = [("origin", shipment.origin_country)]
        places += [("transit", c) for c in shipment.transit_countries]
        chapters = sorted(chapters_of(shipment))
        for role, country in places:
            best: Reason | None = None
            for chapter in [ALL, *chapters]:
                reason = self._cell(shipment.mode, chapter, country)
                if reason is not None and (best is None or reason.points > best.points):
                    best = reason
            if best is not None:
                reasons.append(Reason(self.name, best.points, f"{role} {best.text}", best.evidence))
        return capped(reasons, self.c["max_points"])

    def _cell(self, mode: str, chapter: str, country: str) -> Reason | None:
        key = (mode, chapter, country)
        if key not in self._memo:
            self._memo[key] = self._reason(mode, chapter, country)
        return self._memo[key]

    def _reason(self, mode: str, chapter: str, country: str) -> Reason | None:
        got = self.stats.lift(mode, chapter, country)
        if got is None:
            return None
        lift, seized, s_share, t_share = got
        if seized < self.c["min_seizures"] or lift < self.c["min_lift"]:
            return None
        points = min(self.c["max_points"], round(self.c["points_per_doubling"] * math.log2(lift)))
        goods = f" of {chapter_name(chapter).lower()} (HS chapter {chapter})" if chapter else ""
        evidence: dict[str, Any] = {
            "country": country,
            "mode": mode,
            "seizures": seized,
            "lift": round(lift, 2),
        }
        if chapter:
            evidence["hs_chapter"] = chapter
        return Reason(
            self.name,
            points,
            f"{country}: {s_share:.0%} of the {mode} seizures{goods} you can see from the last "
            f"{self.c['window_days']} days came from {country}, against {t_share:.1%} of "
            f"{mode} traffic{' in those goods' if chapter else ''} ({lift:.1f}x)",
            evidence,
        )

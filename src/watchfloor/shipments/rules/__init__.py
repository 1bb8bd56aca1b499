"""The risk rules. Each rule is a small class with a ``name`` and an ``evaluate`` method that
returns reasons, each a sentence with its points; weights come from the versioned
configuration (``scoring.toml``), never from code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from watchfloor.shipments.schemas import ShipmentIn


@dataclass(frozen=True)
class Reason:
    rule: str
    points: int
    text: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "points": self.points,
            "text": self.text,
            "evidence": self.evidence,
        }


class Rule(Protocol):
    name: str

    def evaluate(self, shipment: ShipmentIn) -> list[Reason]: ...


def capped(reasons: list[Reason], cap: int) -> list[Reason]:
    """Keep the best reasons whole until ``cap`` points; the last kept one is trimmed."""
    out, total = [], 0
    for r in sorted(reasons, key=lambda r: -r.points):
        if total >= cap:
            break
        points = min(r.points, cap - total)
        total += points
        out.append(r if points == r.points else Reason(r.rule, points, r.text, r.evidence))
    return out


def quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"

"""The risk rules. Each rule is a small class with a ``name`` and an ``evaluate`` method that
returns reasons, each a sentence with its points; weights come from the versioned
configuration (``scoring.toml``), never from code."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

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


T = TypeVar("T")


def joined_in(words: list[str], table: Mapping[str, T], most: int = 3) -> T | None:
    """The entry of ``table`` that one to ``most`` consecutive words name when joined, the
    fewest words first: "M 30", "M-30" and "m30" all meet the key "m30"."""
    for size in range(1, most + 1):
        for i in range(len(words) - size + 1):
            hit = table.get("".join(words[i : i + size]))
            if hit is not None:
                return hit
    return None


def quote(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return "'" + (text if len(text) <= limit else text[: limit - 1] + "…") + "'"

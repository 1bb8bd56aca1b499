"""The synthetic advance-data generator: deterministic, valid, realistic, truth kept apart."""

from __future__ import annotations

from collections import Counter

import pytest

from watchfloor.shipments.generator import GOODS, LOOKALIKES, RISKY_KINDS, ShipmentGenerator
from watchfloor.shipments.hs import subheadings
from watchfloor.shipments.schemas import ShipmentIn


@pytest.mark.slow
def test_same_seed_same_data_other_seed_other_data() -> None:
    a = ShipmentGenerator(3).take(200)
    b = ShipmentGenerator(3).take(200)
    c = ShipmentGenerator(4).take(200)
    assert a == b
    assert a != c


def test_every_record_validates_and_every_good_is_a_real_subheading() -> None:
    assert {g.hs for g in GOODS + LOOKALIKES} <= subheadings()
    pairs = ShipmentGenerator(11, risky_share=0.05, lookalike_share=0.05).take(4000)
    for record, truth in pairs:
        ShipmentIn.model_validate(record)
        assert record["reference"] == truth.reference
        assert not {"risky", "kind", "detail", "truth"} & set(record)
    kinds = Counter(t.kind for _, t in pairs)
    assert set(RISKY_KINDS) <= set(kinds)
    assert 120 <= sum(kinds[k] for k in RISKY_KINDS) <= 280  # about 5 % of 4000
    assert 120 <= kinds["lookalike"] <= 280


@pytest.mark.slow
def test_default_planted_share_is_about_half_a_percent() -> None:
    pairs = ShipmentGenerator(5).take(20_000)
    risky = sum(t.risky for _, t in pairs)
    assert 60 <= risky <= 140
    origins = Counter(r["origin_country"] for r, _ in pairs)
    assert origins.most_common(1)[0][0] == "CN"
    modes = Counter(r["mode"] for r, _ in pairs)
    assert modes["post"] > modes["express"] > modes["cargo"] > 0

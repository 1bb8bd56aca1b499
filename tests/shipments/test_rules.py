"""Each rule on its own, with its points and sentence, and the scorer that adds them up."""

from __future__ import annotations

import copy
import random
import statistics
from typing import Any

from watchfloor.reference.matcher import SubstanceMatcher
from watchfloor.shipments.rules.anomaly import RESERVOIR, PeerStats
from watchfloor.shipments.rules.route import RouteStats
from watchfloor.shipments.schemas import ShipmentIn
from watchfloor.shipments.scoring import CombinedIndex, Scorer, parse_config, shipped_config
from watchfloor.shipments.screening import Listed, NameIndex

BASE: dict[str, Any] = {
    "reference": "R1",
    "mode": "post",
    "declared_at": "2026-11-20T08:00:00Z",
    "origin_country": "DE",
    "destination_country": "US",
    "sender": {"name": "Anna Schmidt", "country": "DE"},
    "consignee": {"name": "John Smith", "country": "US"},
    "currency": "USD",
    "items": [{"description": "cotton t-shirt", "hs_code": "610910", "value": 20}],
}
C = shipped_config()


def shipment(**changes: Any) -> ShipmentIn:
    record = copy.deepcopy(BASE)
    record.update(changes)
    return ShipmentIn.model_validate(record)


def item(description: str, hs: str = "293399", value: float = 100, kg: float = 1) -> dict:
    return {"description": description, "hs_code": hs, "value": value, "net_weight_kg": kg}


def scorer(listed: list[Listed] | None = None, route: RouteStats | None = None) -> Scorer:
    return Scorer(
        C,
        matcher=SubstanceMatcher.shipped(),
        parties=NameIndex(listed or []),
        route=route or RouteStats(),
        peers=PeerStats(),
    )


def score(s: ShipmentIn, sc: Scorer | None = None):  # type: ignore[no-untyped-def]
    return (sc or scorer()).score_many([s])[0]


def test_an_ordinary_parcel_scores_zero_with_no_reasons() -> None:
    a = score(shipment())
    assert (a.score, a.reasons) == (0, [])
    assert a.config_version == C.version


def test_a_named_table_i_precursor_is_explained_with_its_points() -> None:
    a = score(shipment(items=[item("N-phenethyl-4-piperidone 99%", "293337")]))
    texts = [r.text for r in a.reasons]
    assert any(
        "N-Phenethyl-4-piperidone, a fentanyl precursor (1988 Convention Table I)" in t
        for t in texts
    ), texts
    points = {r.rule: r.points for r in a.reasons}
    assert points["substance"] == C["substance"]["precursor_table_i"]
    assert points["hs_code"] == C["hs"]["watch_heading"]
    assert a.score == sum(r.points for r in a.reasons)


def test_abbreviation_reason_names_the_full_substance() -> None:
    a = score(shipment(items=[item("NPP powder")]))
    assert "says 'NPP', the abbreviation of N-Phenethyl-4-piperidone" in a.reasons[0].text


def test_cas_only_earns_the_hiding_bonus_and_a_misspelling_earns_less() -> None:
    cas = score(shipment(items=[item("organic intermediate CAS 39742-60-4")]))
    named = score(shipment(items=[item("N-phenethyl-4-piperidone")]))
    typo = score(shipment(items=[item("N-phenethyl-4-piperidon")]))
    got = [next(r.points for r in a.reasons if r.rule == "substance") for a in (cas, named, typo)]
    c = C["substance"]
    base = c["precursor_table_i"]
    assert got == [base + c["cas_only_bonus"], base, base - c["misspelling_penalty"]]


def test_a_watch_subheading_declared_as_a_toy_is_a_mismatch() -> None:
    a = score(shipment(items=[item("plastic toy", "29333990")]))
    (r,) = [r for r in a.reasons if r.rule == "hs_code"]
    assert r.points == C["hs"]["watch_mismatch"]
    assert "declared under 2933.39.90" in r.text and "chapter 95" in r.text


def test_a_precursor_named_under_a_toy_heading_is_flagged() -> None:
    a = score(shipment(items=[item("4-ANPP", "950300")]))
    assert any("holds no chemicals or medicines" in r.text for r in a.reasons)


def test_tablet_presses_are_regulated_equipment() -> None:
    a = score(shipment(items=[item("TDP-5 tablet press", "847989")]))
    (r,) = [r for r in a.reasons if r.rule == "equipment"]
    assert "a tableting or encapsulating machine ('tablet press')" in r.text
    assert r.points == C["equipment"]["machine"]


def test_sender_on_the_sanctions_list_with_name_variation() -> None:
    listed = Listed(
        name="AMEZCUA CONTRERAS, Jose de Jesus",
        source="sanctions",
        label="the OFAC SDN list (SDNTK)",
        category="sanctions_narcotics",
        countries=frozenset({"MX"}),
        ref={"ent_num": 6703},
    )
    sc = scorer([listed])
    a = score(shipment(sender={"name": "Jose de Jesus Amescua Contreras", "country": "MX"}), sc)
    (r,) = [r for r in a.reasons if r.rule == "parties"]
    assert r.points == C["parties"]["sanctions_narcotics"] + C["parties"]["country_bonus"]
    assert "matches AMEZCUA CONTRERAS, Jose de Jesus on the OFAC SDN list" in r.text
    # a different short name is not a hit
    assert score(shipment(sender={"name": "Jose Contreras"}), sc).reasons == []


def test_the_combined_index_screens_a_name_against_both_lists() -> None:
    def listed(name: str, source: str) -> Listed:
        category = "sanctions_narcotics" if source == "sanctions" else "seizure_party"
        return Listed(name, source, source, category, frozenset(), {})

    shared = NameIndex(
        [listed("GUZMAN LOERA, Joaquin", "sanctions"), listed("Li Wei", "sanctions")]
    )
    own = NameIndex([listed("Joaquin Guzman Loera", "seizure"), listed("Wang Fang", "seizure")])
    both = CombinedIndex(shared, own)
    hits = both.match("Joaquín Guzmán-Loera", 85)
    # the agency's own list first, then the shared one, each closest first
    assert [(h.listed.source, h.listed.name) for h in hits] == [
        ("seizure", "Joaquin Guzman Loera"),
        ("sanctions", "GUZMAN LOERA, Joaquin"),
    ]
    assert all(h.score == 100 for h in hits)
    # what each index finds alone, and a remembered answer, are the same
    assert hits == own.match("Joaquín Guzmán-Loera", 85) + shared.match("Joaquín Guzmán-Loera", 85)
    assert both.match("Joaquín Guzmán-Loera", 85) == hits
    # short names must agree word by word, in either list; names too short are not screened
    assert both.match("Wang Feng", 85) == () and both.match("Li Wai", 85) == ()
    assert [h.listed.name for h in both.match("Fang Wang", 85)] == ["Wang Fang"]
    assert both.match("Li", 50) == ()


def test_route_lift_needs_enough_seizures() -> None:
    stats = RouteStats()
    stats.add_traffic("post", "DE", (), 900)
    stats.add_traffic("post", "NL", (), 100)
    stats.add_seizure("post", "NL", (), 8)
    stats.add_seizure("post", "DE", (), 2)
    sc = scorer(route=stats)
    nl = score(shipment(origin_country="NL"), sc)
    (r,) = nl.reasons
    assert r.rule == "route" and "(8.0x)" in r.text and "HS chapter" not in r.text
    assert score(shipment(origin_country="DE"), sc).reasons == []
    few = RouteStats()
    few.add_traffic("post", "DE", (), 900)
    few.add_traffic("post", "NL", (), 100)
    few.add_seizure("post", "NL", (), C["route"]["min_seizures"] - 1)
    few.add_seizure("post", "DE", (), 2)
    assert score(shipment(origin_country="NL"), scorer(route=few)).reasons == []


def test_route_lift_for_the_commodity_the_shipment_carries() -> None:
    # IN sends half the post traffic and half the seizures: no lift over all goods; but
    # in organic chemicals (chapter 29) it sends 5% of the traffic and 60% of the seizures
    stats = RouteStats()
    stats.add_traffic("post", "IN", ["61"], 950)
    stats.add_traffic("post", "IN", ["29"], 50)
    stats.add_traffic("post", "DE", ["29"], 950)
    stats.add_traffic("post", "DE", ["61"], 50)
    stats.add_seizure("post", "IN", ["29"], 6)
    stats.add_seizure("post", "DE", ["29"], 4)
    sc = scorer(route=stats)
    chemical = [item("sodium bicarbonate", hs="283630")] + [item("ethyl acetate", hs="291531")]
    (r,) = score(shipment(origin_country="IN", items=chemical), sc).reasons
    assert r.rule == "route" and r.evidence["hs_chapter"] == "29"
    assert "organic chemicals (HS chapter 29)" in r.text and "(12.0x)" in r.text
    # the same country with clothes only: nothing
    shirts = [item("cotton t-shirt", hs="610910")]
    assert score(shipment(origin_country="IN", items=shirts), sc).reasons == []
    # a transit country is judged the same way
    transit = score(shipment(origin_country="DE", transit_countries=["IN"], items=chemical), sc)
    assert [r.text.split(":")[0] for r in transit.reasons] == ["transit IN"]


def test_value_per_kilogram_far_below_peers() -> None:
    sc = scorer()
    peers = [
        shipment(reference=f"P{i}", items=[item("ceramic mug", "691200", 20 + i % 7, 1)])
        for i in range(60)
    ]
    assert all(a.score == 0 for a in sc.score_many(peers))
    a = score(shipment(items=[item("ceramic mug", "691200", 0.2, 4)]), sc)
    (r,) = [r for r in a.reasons if r.rule == "anomaly"]
    assert "far below its peers under heading 6912" in r.text


def test_peer_median_and_mad_are_those_of_the_sample_at_every_size() -> None:
    rng = random.Random(7)
    stats = PeerStats(seed=3)
    for _ in range(5000):
        stats.add("6912", "USD", rng.lognormvariate(3, 1))
        peer = stats.get("6912", "USD")
        assert peer is not None
        if peer.pending == 0:  # just refreshed: small samples and the full reservoir alike
            assert peer.median == statistics.median(peer.values.tolist())
            assert peer.mad == statistics.median(abs(v - peer.median) for v in peer.values.tolist())
    assert len(peer.values) == RESERVOIR and peer.seen == 5000


def test_gross_weight_below_net_weight() -> None:
    a = score(shipment(gross_weight_kg=0.5, items=[item("ceramic mug", "691200", 20, 2)]))
    assert any("less than the items' net weight" in r.text for r in a.reasons)


def test_scores_are_capped_at_100() -> None:
    names = ("fentanyl", "carfentanil", "NPP", "4-ANPP", "4-AP", "BMK")
    items = [item(n, "950300") for n in names]
    assert score(shipment(items=items)).score == 100


def test_weights_come_from_the_configuration() -> None:
    text = C.content.replace("precursor_table_i = 50", "precursor_table_i = 7").replace(
        C.version, "test-1"
    )
    config = parse_config(text)
    sc = Scorer(
        config,
        matcher=SubstanceMatcher.shipped(),
        parties=NameIndex([]),
        route=RouteStats(),
        peers=PeerStats(),
    )
    a = sc.score_many([shipment(items=[item("NPP", "950300")])])[0]
    assert next(r.points for r in a.reasons if r.rule == "substance") == 7
    assert a.config_version == "test-1"

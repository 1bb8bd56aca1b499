"""An agency's labels and its own classifier: the shipped model adapted to what its
analysts say and what platforms' answers to its notices imply (SQLite and PostgreSQL)."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import select

from tests.helpers import api_headers, listing
from watchfloor.db import session_scope
from watchfloor.listings.adapt import adapt
from watchfloor.listings.classifier import shipped_model
from watchfloor.listings.models import ListingLabel
from watchfloor.listings.text import document
from watchfloor.reference.matcher import SubstanceMatcher

TEAS = [
    f"Organic {kind} tea {g}g loose leaf"
    for kind in ("green", "black", "oolong")
    for g in (50, 100, 250, 500)
]
SHIRTS = [f"Cotton t-shirt size {s}, {c}" for s in ("S", "M", "L", "XL") for c in ("navy", "red")]
WEED = [
    f"{strain} {g}g indoor buds"
    for strain in ("Blue dream", "OG Kush", "Amnesia haze")
    for g in (3.5, 7, 14, 28)
]


def _docs(titles: list[str]) -> list[str]:
    matcher = SubstanceMatcher.shipped()
    return [document(t, "", matcher) for t in titles]


def test_adapting_moves_the_model_where_the_labels_say_and_nowhere_else() -> None:
    base = shipped_model()
    docs = _docs(TEAS + SHIRTS + WEED)
    y = [False] * (len(TEAS) + len(SHIRTS)) + [True] * len(WEED)
    classes = [None] * (len(TEAS) + len(SHIRTS)) + ["cannabis"] * len(WEED)
    model = adapt(base, docs, y, classes, version="t")
    (tea,) = _docs(["Organic white tea 200g loose leaf blend"])  # not among the labels
    (buds,) = _docs(["Gorilla glue 10g indoor buds"])
    assert base.decide([tea])[0].is_drug_sale  # the shipped model's mistake...
    assert not model.decide([tea])[0].is_drug_sale  # ...which the labels correct
    after = model.decide([buds])[0]
    assert after.is_drug_sale and after.substance_class == "cannabis"
    # terms no label contains keep their shipped weights exactly
    seen = {i for d in docs for i in base.vectorise(d)[0].tolist()}
    untouched = np.array(sorted(set(range(len(base.vocabulary))) - seen))
    assert np.array_equal(model.sale_coef[untouched], base.sale_coef[untouched])
    assert np.array_equal(model.class_coef[:, untouched], base.class_coef[:, untouched])
    with pytest.raises(ValueError, match="classes the model does not know: kratom"):
        adapt(base, docs[:1], [True], ["kratom"], version="x")


def test_labels_and_notice_answers_retrain_the_agency_classifier(client, engine) -> None:  # type: ignore[no-untyped-def]
    plat = api_headers(engine, "PLATFORM-EXAMPLE", "analyst")
    rows = [listing(f"G{i}", title=t, body="") for i, t in enumerate(TEAS + SHIRTS + WEED)]
    r = client.post("/api/v1/listings", json={"listings": rows}, headers=plat)
    assert r.status_code == 200, r.text
    ids = [x["id"] for x in r.json()["results"]]
    shipped = client.get(f"/api/v1/listings/{ids[0]}", headers=plat).json()["model_version"]

    too_few = client.post("/api/v1/listings/classifier", headers=plat)
    assert too_few.status_code == 422 and "at least 20" in too_few.json()["detail"]
    for lid, title in zip(ids, TEAS + SHIRTS + WEED, strict=True):
        sale = title in WEED
        body = {"is_drug_sale": sale, "substance_class": "cannabis" if sale else None}
        put = client.put(f"/api/v1/listings/{lid}/label", json=body, headers=plat)
        assert put.status_code == 200, put.text
    bad = client.put(
        f"/api/v1/listings/{ids[0]}/label",
        json={"is_drug_sale": False, "substance_class": "cannabis"},
        headers=plat,
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "substance_class"
    other = api_headers(engine, "MX-ANAM", "analyst")
    hidden = client.put(
        f"/api/v1/listings/{ids[0]}/label", json={"is_drug_sale": True}, headers=other
    )
    assert hidden.status_code == 404  # a listing MX-ANAM may not read

    r = client.post("/api/v1/listings/classifier", headers=plat)
    assert r.status_code == 201, r.text
    trained = r.json()["classifier"]
    assert trained["labels"] == len(rows) and trained["active"]
    m = trained["metrics"]
    assert m["accuracy_after"] > m["accuracy_before"] and m["accuracy_held_out"] >= 0.9
    again = client.post("/api/v1/listings/classifier", headers=plat)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    # what the agency reports now is classified by its own model; others keep the shipped one
    new = listing("G-new", title="Organic white tea 200g loose leaf", body="")
    got = client.post("/api/v1/listings", json=new, headers=plat).json()["results"][0]
    seen = client.get(f"/api/v1/listings/{got['id']}", headers=plat).json()
    assert seen["model_version"] == trained["version"] != shipped
    assert not seen["is_drug_sale"]
    cbp = api_headers(engine, "US-CBP", "analyst")
    theirs = client.post("/api/v1/listings", json=new, headers=cbp).json()["results"][0]
    assert (
        client.get(f"/api/v1/listings/{theirs['id']}", headers=cbp).json()["model_version"]
        == shipped
    )
    assert [
        v["version"] for v in client.get("/api/v1/listings/classifier", headers=cbp).json()
    ] == []


def test_a_platform_answer_becomes_the_senders_label(client, engine) -> None:  # type: ignore[no-untyped-def]
    cbp = api_headers(engine, "US-CBP", "analyst")
    plat = api_headers(engine, "PLATFORM-EXAMPLE", "analyst")
    r = client.post(
        "/api/v1/listings",
        json={"listings": [listing("Q1"), listing("Q2"), listing("Q3")]},
        headers=cbp,
    )
    ids = [x["id"] for x in r.json()["results"]]
    body = {
        "platform": "PLATFORM-EXAMPLE",
        "listing_ids": ids,
        "legal_ground": "21 U.S.C. 841",
        "requested_action": "remove",
    }
    notice = client.post("/api/v1/listings/notices", json=body, headers=cbp).json()["notice"]
    items = [i["id"] for i in notice["items"]]
    decisions = [
        {"item_id": items[0], "action": "removed", "ground": "illegal_content"},
        {"item_id": items[1], "action": "no_action", "no_action_reason": "not_illegal"},
        {"item_id": items[2], "action": "no_action", "no_action_reason": "not_found"},
    ]
    r = client.post(
        f"/api/v1/listings/notices/{notice['id']}/answer",
        json={"decisions": decisions},
        headers=plat,
    )
    assert r.status_code == 200, r.text
    with session_scope(engine) as s:
        got = s.execute(
            select(
                ListingLabel.listing_id,
                ListingLabel.is_drug_sale,
                ListingLabel.source,
                ListingLabel.substance_class,
            ).order_by(ListingLabel.listing_id)
        ).all()
    assert [tuple(g) for g in got] == [
        (ids[0], True, "notice", "mdma"),  # the listing's class: what the model said
        (ids[1], False, "notice", None),
    ]  # "not found" teaches nothing

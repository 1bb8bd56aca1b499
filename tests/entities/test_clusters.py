"""Entity resolution on the demo's parties (Splink on DuckDB) with planted duplicates across
agencies and the sanctions list: clusters, what each agency sees of them, an analyst's
split and confirm kept across runs, and new parties placed without a new run."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from tests.helpers import api_headers
from watchfloor.audit import AuditEvent
from watchfloor.db import session_scope
from watchfloor.entities import clusters, extract
from watchfloor.entities.models import PairDecision, Party

PHONE = "+52 55 1234 5678"


def seizure(ref: str, name: str, sharing: dict[str, Any], **party: Any) -> dict[str, Any]:
    return {
        "reference": ref, "seized_on": "2026-11-20", "country": "MX", "substance": "fentanyl",
        "quantity": 3, "unit": "kg", "sharing": sharing,
        "parties": [{"role": "suspect", "name": name, "country": "MX", **party}],
    }  # fmt: skip


def post(client, headers, rows) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/v1/sharing/seizures/batch", json={"seizures": rows}, headers=headers)
    assert r.status_code == 200, r.text


def party_id(engine, name: str) -> int:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return s.scalar(  # type: ignore[return-value]
            select(Party.id).where(Party.name == name, Party.source_type == "seizure")
        )


def clusters_of(engine, party: int) -> int | None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        return clusters.cluster_of(s, party)


def resolve(engine) -> None:  # type: ignore[no-untyped-def]
    with session_scope(engine) as s:
        extract.sync(s)
    with session_scope(engine) as s:
        clusters.resolve(s, actor="test")


@pytest.mark.slow
def test_clusters_join_spellings_across_agencies_and_show_each_what_it_may_read(
    client, engine
) -> None:  # type: ignore[no-untyped-def]
    mx = api_headers(engine, "MX-ANAM", "admin")
    us = api_headers(engine, "US-CBP", "officer")
    post(client, api_headers(engine, "MX-ANAM", "officer"), [
        seizure("ER-1", "Ovidio Guzmán López", {"tlp": "red"}, phone=PHONE),
        seizure("ER-2", "GUZMAN LOPEZ, Ovidio", {"tlp": "red"}, phone=PHONE),
    ])  # fmt: skip
    post(client, us, [seizure("ER-3", "Ovidio Guzman Lopez", {"tlp": "red"}, phone=PHONE)])
    resolve(engine)
    a, b, c = (party_id(engine, n) for n in
               ("Ovidio Guzmán López", "GUZMAN LOPEZ, Ovidio", "Ovidio Guzman Lopez"))  # fmt: skip
    r = client.get(f"/api/v1/entities/parties/{a}", headers=mx)
    assert r.status_code == 200, r.text
    cluster_id = r.json()["cluster_id"]
    assert cluster_id is not None
    body = client.get(f"/api/v1/entities/clusters/{cluster_id}", headers=mx).json()
    shown = {m["id"] for m in body["members"]}
    assert {a, b} <= shown and c not in shown  # US-CBP's seizure is TLP:RED
    assert body["restricted"] >= 1 and body["size"] == len(shown) + body["restricted"]
    assert all(m["owner_agency"] in ("MX-ANAM", None) for m in body["members"])
    pair = [lk for lk in body["links"] if {lk["party_l"], lk["party_r"]} == {a, b}]
    assert pair and {"name", "contacts"} <= set(pair[0]["agreed"]), body["links"]
    # another agency reads neither party; what it may read of the cluster is at most the
    # public sanctions entry, never the seizures' suspects
    ca = api_headers(engine, "CA-CBSA", "analyst")
    assert client.get(f"/api/v1/entities/parties/{a}", headers=ca).status_code == 404
    theirs = client.get(f"/api/v1/entities/clusters/{cluster_id}", headers=ca)
    if theirs.status_code == 200:
        assert {m["source_type"] for m in theirs.json()["members"]} == {"sanctions"}
    else:
        assert theirs.status_code == 404

    # MX-ANAM holds its suspects not to be the listed Ovidio Guzman Lopez (it can read the
    # public entry, not US-CBP's suspect): the split is kept by later runs
    listed = [m["id"] for m in body["members"] if m["source_type"] == "sanctions"]
    assert listed, body["members"]
    split = client.post(
        f"/api/v1/entities/clusters/{cluster_id}/split", json={"party_ids": listed}, headers=mx
    )
    assert split.status_code == 200, split.text
    with session_scope(engine) as s:
        assert clusters.cluster_of(s, listed[0]) != clusters.cluster_of(s, a)
        assert clusters.cluster_of(s, a) == clusters.cluster_of(s, b) == clusters.cluster_of(s, c)
        assert s.scalar(select(func.count()).where(PairDecision.same.is_(False))) == 2
        assert s.scalar(select(func.count()).where(AuditEvent.action == "cluster.split")) == 1
    resolve(engine)
    with session_scope(engine) as s:
        assert clusters.cluster_of(s, listed[0]) != clusters.cluster_of(s, a)
        assert clusters.cluster_of(s, a) == clusters.cluster_of(s, b) == clusters.cluster_of(s, c)
    # a member the caller cannot read cannot be split off: it is not found
    hidden = client.post(
        f"/api/v1/entities/clusters/{clusters_of(engine, a)}/split",
        json={"party_ids": [c]},
        headers=mx,
    )
    assert hidden.status_code == 404, hidden.text
    for role in ("viewer", "analyst"):  # a decision for every agency's view: admins only
        other = api_headers(engine, "MX-ANAM", role)
        url = f"/api/v1/entities/clusters/{cluster_id}/confirm"
        assert client.post(url, headers=other).status_code == 403

    # a party stored later joins its cluster without a new run
    post(client, api_headers(engine, "MX-ANAM", "officer"),
         [seizure("ER-4", "Guzman Lopez Ovidio", {"tlp": "amber"}, phone=PHONE)])  # fmt: skip
    with session_scope(engine) as s:
        extract.sync(s)
    with session_scope(engine) as s:
        run = clusters.link_new(s, actor="test")
        assert run is not None and run.kind == "incremental" and run.parties == 1
    d = party_id(engine, "Guzman Lopez Ovidio")
    with session_scope(engine) as s:
        assert clusters.cluster_of(s, d) == clusters.cluster_of(s, a)
        assert clusters.cluster_of(s, d) != clusters.cluster_of(s, listed[0])


@pytest.mark.slow
def test_an_admin_decides_about_its_own_records_only(client, engine) -> None:  # type: ignore[no-untyped-def]
    """A split or a confirmation holds for every agency's view and every later run: an
    agency's admin may hold its own records apart from others' (or together with them), but
    not another agency's records apart from each other, nor decide a cluster it holds none of."""
    to_us = {"tlp": "amber", "recipients": ["US-CBP", "CA-CBSA"]}
    to_mx = {"tlp": "amber", "recipients": ["MX-ANAM", "CA-CBSA"]}
    post(client, api_headers(engine, "MX-ANAM", "officer"),
         [seizure("OWN-1", "Ismael Zambada Garcia", to_us, phone="+52 667 100 2000")])  # fmt: skip
    post(client, api_headers(engine, "US-CBP", "officer"),
         [seizure("OWN-2", "ZAMBADA GARCIA, Ismael", to_mx, phone="+52 667 100 2000"),
          seizure("OWN-3", "Ismael Zambada García", to_mx, phone="+52 667 100 2000")])  # fmt: skip
    resolve(engine)
    mx_p, us_a = (
        party_id(engine, "Ismael Zambada Garcia"),
        party_id(engine, "ZAMBADA GARCIA, Ismael"),
    )
    us_b = party_id(engine, "Ismael Zambada García")
    cluster_id = clusters_of(engine, mx_p)
    assert (
        cluster_id is not None
        and clusters_of(engine, us_a) == clusters_of(engine, us_b) == cluster_id
    )
    split = f"/api/v1/entities/clusters/{cluster_id}/split"
    mx = api_headers(engine, "MX-ANAM", "admin")
    # MX-ANAM may not hold US-CBP's two records apart from each other
    theirs = client.post(split, json={"party_ids": [us_a]}, headers=mx)
    assert theirs.status_code == 403, theirs.text
    assert "US-CBP" in theirs.json()["detail"] and str(us_a) in theirs.json()["detail"]
    # CA-CBSA reads every member but holds none of them: no decision of its own
    ca = api_headers(engine, "CA-CBSA", "admin")
    assert client.post(split, json={"party_ids": [us_a]}, headers=ca).status_code == 403
    confirm = f"/api/v1/entities/clusters/{cluster_id}/confirm"
    assert client.post(confirm, headers=ca).status_code == 403
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).select_from(PairDecision)) == 0
    # its own record apart from the others: allowed, and kept for every agency
    mine = client.post(split, json={"party_ids": [mx_p]}, headers=mx)
    assert mine.status_code == 200, mine.text
    assert clusters_of(engine, mx_p) != clusters_of(engine, us_a) == clusters_of(engine, us_b)

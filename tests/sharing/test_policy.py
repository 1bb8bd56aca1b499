"""can_read (Python) and visible (SQL) agree on every combination of the sharing rules."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.db import utcnow
from watchfloor.security.models import Agency
from watchfloor.security.service import Principal, get_agency, system_principal
from watchfloor.sharing.models import TLP_LEVELS, ShareRecipient
from watchfloor.sharing.policy import can_read, can_share, shareable, visible

OWNERS = ("MX-ANAM", "US-CBP")
OTHERS = ("CA-CBSA", "PLATFORM-EXAMPLE", "NL-FIOD")
EXPIRY = {"none": None, "past": -1, "future": 1}


def seizure(owner_id: int, reference: str, **policy: object) -> Seizure:
    """A minimal seizure carrying only the sharing fields a test varies."""
    return Seizure(
        owner_agency_id=owner_id,
        reference=reference,
        seized_on=dt.date(2026, 1, 1),
        country="MX",
        substance_text="fentanyl",
        quantity=1.0,
        unit="kg",
        created_by="test",
        **policy,
    )


def principal(session: Session, code: str, role: str = "analyst") -> Principal:
    p = system_principal(get_agency(session, code))
    return Principal(**{**p.__dict__, "role": role, "actor": f"test:{code}"})


def test_python_and_sql_rules_agree_everywhere(session: Session) -> None:
    agencies = {a.code: a for a in session.scalars(select(Agency))}
    recipient_sets = [
        (),
        ("CA-CBSA",),
        ("PLATFORM-EXAMPLE",),
        ("CA-CBSA", "PLATFORM-EXAMPLE"),
        ("community:NA-PRECURSORS",),  # CA-CBSA is a member, NL-FIOD and the platform not
        ("community:ONLINE-FENTANYL", "CA-CBSA"),  # NL-FIOD and the platform are members
    ]
    made = []
    for n, (owner, tlp, recips, expiry, orcon) in enumerate(
        itertools.product(OWNERS, TLP_LEVELS, recipient_sets, EXPIRY, (False, True))
    ):
        days = EXPIRY[expiry]
        s = seizure(
            agencies[owner].id,
            f"P-{n}",
            tlp=tlp,
            originator_control=orcon,
            share_expires_at=None if days is None else utcnow() + dt.timedelta(days=days),
        )
        session.add(s)
        session.flush()
        for code in recips:
            kind, _, name = code.rpartition(":")
            session.add(
                ShareRecipient(
                    record_type="seizure",
                    record_id=s.id,
                    agency_id=None if kind else agencies[code].id,
                    community=name if kind else None,
                    granted_by="test",
                )
            )
        made.append(s)
    session.flush()
    session.expire_all()
    ids = [s.id for s in made]
    checked = 0
    for code in OWNERS + OTHERS:
        p = principal(session, code)
        by_sql = set(
            session.scalars(select(Seizure.id).where(Seizure.id.in_(ids), visible(p, Seizure)))
        )
        by_python = {
            s.id
            for s in session.scalars(select(Seizure).where(Seizure.id.in_(ids)))
            if can_read(p, s)
        }
        assert by_sql == by_python, code
        may_share_sql = set(
            session.scalars(select(Seizure.id).where(Seizure.id.in_(ids), shareable(p, Seizure)))
        )
        may_share = {
            s.id
            for s in session.scalars(select(Seizure).where(Seizure.id.in_(ids)))
            if can_share(p, s)[0]
        }
        assert may_share_sql == may_share, code
        checked += len(ids)
    assert checked == len(ids) * 5

    # spot-check the rules themselves, not only their agreement
    def visible_to(code: str, **where: object) -> bool:
        s = next(m for m in made if all(getattr(m, k) == v for k, v in where.items()))
        return can_read(principal(session, code), s)

    cbsa, platform = "CA-CBSA", "PLATFORM-EXAMPLE"
    red_named = next(
        m
        for m in made
        if m.tlp == "red"
        and m.share_expires_at is None
        and [r.agency.code if r.agency else r.community for r in m.recipients] == [cbsa]
    )
    assert can_read(principal(session, cbsa), red_named)
    assert not can_read(principal(session, "NL-FIOD"), red_named)
    green_open = next(
        m for m in made if m.tlp == "green" and not m.recipients and m.share_expires_at is None
    )
    assert can_read(principal(session, "NL-FIOD"), green_open)
    assert not can_read(principal(session, platform), green_open)
    expired_clear = next(
        m
        for m in made
        if m.tlp == "clear" and m.share_expires_at is not None and m.share_expires_at < utcnow()
    )
    assert not can_read(principal(session, cbsa), expired_clear)
    assert can_read(principal(session, expired_clear.owner.code), expired_clear)
    assert visible_to("NL-FIOD", tlp="clear", share_expires_at=None)

    def shared_with(community: str) -> Seizure:
        return next(
            m
            for m in made
            if m.tlp == "red"
            and m.share_expires_at is None
            and any(r.community == community for r in m.recipients)
        )

    na, online = shared_with("NA-PRECURSORS"), shared_with("ONLINE-FENTANYL")
    assert can_read(principal(session, cbsa), na)
    assert not can_read(principal(session, "NL-FIOD"), na)
    assert not can_read(principal(session, platform), na)
    assert can_read(principal(session, platform), online)
    assert can_read(principal(session, "NL-FIOD"), online)


@pytest.mark.parametrize(
    ("tlp", "orcon", "allowed"),
    [
        ("amber", False, True),
        ("amber", True, False),
        ("amber+strict", False, False),
        ("red", False, False),
        ("green", False, True),
    ],
)
def test_recipient_may_reshare_only_where_allowed(
    session: Session, tlp: str, orcon: bool, allowed: bool
) -> None:
    owner, recipient = get_agency(session, "MX-ANAM"), get_agency(session, "US-CBP")
    s = seizure(owner.id, "R-1", tlp=tlp, originator_control=orcon)
    session.add(s)
    session.flush()
    session.add(
        ShareRecipient(
            record_type="seizure", record_id=s.id, agency_id=recipient.id, granted_by="t"
        )
    )
    session.flush()
    session.expire(s)
    ok, reason = can_share(principal(session, "US-CBP"), s)
    assert ok is allowed, reason
    assert can_share(principal(session, "MX-ANAM"), s) == (True, "owner")


def test_sharing_with_a_community_through_the_api(client, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import api_headers

    mx = api_headers(engine, "MX-ANAM", "officer")
    body = {
        "reference": "COMM-1",
        "seized_on": "2026-11-02",
        "country": "MX",
        "substance": "NPP",
        "quantity": 40,
        "unit": "kg",
        "sharing": {"tlp": "amber", "communities": ["na-precursors"]},
    }
    r = client.post("/api/v1/sharing/seizures", json=body, headers=mx)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["sharing"]["communities"] == ["NA-PRECURSORS"]
    assert made["sharing"]["recipients"] == []
    url = f"/api/v1/sharing/seizures/{made['id']}"
    for code, status in (("CA-HC", 200), ("INT-INCB", 200), ("NL-FIOD", 404), ("CO-DIAN", 404)):
        got = client.get(url, headers=api_headers(engine, code, "analyst"))
        assert got.status_code == status, code
    bad = client.put(f"{url}/sharing", json={"tlp": "amber", "communities": ["NOPE"]}, headers=mx)
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"field": "sharing.communities", "reason": "unknown community 'NOPE'"}
    ]
    # narrowing to one named agency takes the community's members out again
    narrowed = client.put(
        f"{url}/sharing", json={"tlp": "amber", "recipients": ["CA-HC"]}, headers=mx
    )
    assert narrowed.status_code == 200, narrowed.text
    assert narrowed.json()["sharing"]["communities"] == []
    assert client.get(url, headers=api_headers(engine, "INT-INCB", "analyst")).status_code == 404
    groups = client.get("/api/v1/sharing/communities", headers=mx).json()
    assert {g["code"] for g in groups} >= {"NA-PRECURSORS", "ONLINE-FENTANYL"}


def test_listings_and_alerts_are_shared_from_the_api_too(client, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import api_headers, listing

    nl = api_headers(engine, "NL-FIOD", "analyst")
    made = client.post("/api/v1/listings", json=listing("SHARE-1"), headers=nl)
    assert made.status_code == 200, made.text
    url = f"/api/v1/listings/{made.json()['results'][0]['id']}"
    us = api_headers(engine, "US-CBP", "analyst")
    assert client.get(url, headers=us).status_code == 404
    body = {"tlp": "amber", "recipients": ["US-CBP"], "originator_control": True}
    shared = client.put(f"{url}/sharing", json=body, headers=nl)
    assert shared.status_code == 200, shared.text
    assert client.get(url, headers=us).status_code == 200
    onward = client.put(
        f"{url}/sharing", json={**body, "recipients": ["US-CBP", "CA-CBSA"]}, headers=us
    )
    assert onward.status_code == 403 and "originator control" in onward.text
    assert client.get(url, headers=api_headers(engine, "CA-CBSA", "analyst")).status_code == 404

    cbp = api_headers(engine, "US-CBP", "officer")
    alert = client.get("/api/v1/alerts", headers=cbp).json()["items"][0]
    alert_url = f"/api/v1/alerts/{alert['id']}"
    ca = api_headers(engine, "CA-CBSA", "analyst")
    assert client.get(alert_url, headers=ca).status_code == 404
    r = client.put(
        f"{alert_url}/sharing", json={"tlp": "amber", "recipients": ["CA-CBSA"]}, headers=cbp
    )
    assert r.status_code == 200, r.text
    assert client.get(alert_url, headers=ca).status_code == 200
    viewer = api_headers(engine, "US-CBP", "viewer")
    assert (
        client.put(f"{alert_url}/sharing", json={"tlp": "red"}, headers=viewer).status_code == 403
    )


def _seizure_of(client, engine, owner: str, reference: str, sharing: dict) -> str:  # type: ignore[no-untyped-def]
    from tests.helpers import api_headers

    body = {"reference": reference, "seized_on": "2026-11-02", "country": "MX",
            "substance": "fentanyl", "quantity": 2, "unit": "kg", "sharing": sharing}  # fmt: skip
    r = client.post(
        "/api/v1/sharing/seizures", json=body, headers=api_headers(engine, owner, "officer")
    )
    assert r.status_code == 201, r.text
    return f"/api/v1/sharing/seizures/{r.json()['id']}"


def test_a_recipient_never_rewrites_the_owners_terms(client, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import api_headers

    terms = {"tlp": "amber", "recipients": ["US-CBP"], "legal_basis": "MLA treaty MX-US",
             "expires_at": "2027-06-30T00:00:00Z"}  # fmt: skip
    url = _seizure_of(client, engine, "MX-ANAM", "TERMS-1", terms)
    us, ca = api_headers(engine, "US-CBP", "officer"), api_headers(engine, "CA-CBSA", "analyst")
    for change in (
        {"expires_at": "2026-12-31T00:00:00Z"},  # would cut the recipients' access short
        {"expires_at": "2030-01-01T00:00:00Z"},  # would outlast the owner's term
        {"legal_basis": "none"},
        {"tlp": "green"},
    ):
        r = client.put(f"{url}/sharing", json={**terms, **change}, headers=us)
        assert r.status_code == 403, (change, r.text)
        field = next(iter(change))
        assert any(e["field"] == f"sharing.{field}" for e in r.json()["errors"]), r.json()
    # widening without the terms keeps them: the expiry and legal basis are the owner's
    r = client.put(f"{url}/sharing", json={"tlp": "amber", "recipients": ["CA-CBSA"]}, headers=us)
    assert r.status_code == 200, r.text
    got = client.get(url, headers=api_headers(engine, "MX-ANAM", "analyst")).json()["sharing"]
    assert got["expires_at"].startswith("2027-06-30") and got["legal_basis"] == "MLA treaty MX-US"
    assert got["recipients"] == ["CA-CBSA", "US-CBP"]
    assert client.get(url, headers=ca).status_code == 200
    # nor can the recipient remove anyone; the owner can change every term
    r = client.put(f"{url}/sharing", json={"tlp": "amber", "recipients": []}, headers=us)
    assert r.status_code == 200 and client.get(url, headers=ca).status_code == 200
    mx = api_headers(engine, "MX-ANAM", "officer")
    r = client.put(f"{url}/sharing", json={"tlp": "amber", "recipients": ["US-CBP"]}, headers=mx)
    assert r.status_code == 200, r.text
    assert r.json()["sharing"]["expires_at"] is None
    assert client.get(url, headers=ca).status_code == 404


def test_onward_sharing_by_a_recipient_never_reaches_a_platform(client, engine) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import api_headers

    url = _seizure_of(client, engine, "MX-ANAM", "GREEN-1", {"tlp": "green"})
    platform = api_headers(engine, "PLATFORM-EXAMPLE", "analyst")
    assert client.get(url, headers=platform).status_code == 404  # outside GREEN
    us = api_headers(engine, "US-CBP", "officer")
    named = client.put(
        f"{url}/sharing", json={"tlp": "green", "recipients": ["PLATFORM-EXAMPLE"]}, headers=us
    )
    assert named.status_code == 403, named.text
    assert named.json()["errors"] == [
        {"field": "sharing.recipients", "reason": "PLATFORM-EXAMPLE is a platform"}
    ]
    grouped = client.put(
        f"{url}/sharing", json={"tlp": "green", "communities": ["ONLINE-FENTANYL"]}, headers=us
    )
    assert grouped.status_code == 403, grouped.text
    assert client.get(url, headers=platform).status_code == 404
    # an agency may still widen to agencies; the owner may name the platform itself
    ok = client.put(f"{url}/sharing", json={"tlp": "green", "recipients": ["NL-FIOD"]}, headers=us)
    assert ok.status_code == 200, ok.text
    mx = api_headers(engine, "MX-ANAM", "officer")
    owned = client.put(
        f"{url}/sharing", json={"tlp": "green", "recipients": ["PLATFORM-EXAMPLE"]}, headers=mx
    )
    assert owned.status_code == 200, owned.text
    assert client.get(url, headers=platform).status_code == 200

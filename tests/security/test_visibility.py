"""Generated from the OpenAPI document and the app's page routes: for each demo agency (and
every role of one), every GET route and every page shows exactly the records the sharing
policy lets that agency read.

The oracle is :func:`watchfloor.sharing.policy.can_read` (Python), the routes go through
``visible()`` (SQL): the two are held equal here record by record. A detail route answers 200
for a readable record and 404 otherwise; a list route and a list page show only readable
records; the seizure summary adds up exactly the readable seizures. A new GET route or page
must be classified below, or this test fails naming it, so none is forgotten.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers import api_headers, flat_routes
from watchfloor.alerts.models import Alert
from watchfloor.cooperation.pen.models import PreExportNotification
from watchfloor.cooperation.seizures.models import Incident, Seizure
from watchfloor.cooperation.watchlists.models import JointCase, WatchlistEntry
from watchfloor.db import session_scope
from watchfloor.entities import policy as party_policy
from watchfloor.entities.models import ClusterMember, EntityCluster, Party
from watchfloor.listings.models import Listing, Notice, SignalSet
from watchfloor.security.models import Agency
from watchfloor.security.service import system_principal
from watchfloor.sharing.policy import can_read
from watchfloor.shipments.models import Shipment
from watchfloor.warning.models import EarlyWarning, Intervention

# the response schemas that carry records, and their tables
SCHEMAS: dict[str, type] = {
    "SeizurePage": Seizure,
    "SeizureOut": Seizure,
    "IncidentPage": Incident,
    "IncidentOut": Incident,
    "WatchlistPage": WatchlistEntry,
    "WatchlistEntryOut": WatchlistEntry,
    "CasePage": JointCase,
    "CaseOut": JointCase,
    "NotificationPage": PreExportNotification,
    "NotificationOut": PreExportNotification,
    "ShipmentPage": Shipment,
    "ShipmentOut": Shipment,
    "NoticePage": Notice,
    "NoticeOut": Notice,
    "SignalSetOut": SignalSet,
    "ListingPage": Listing,
    "ListingOut": Listing,
    "ClusterOut": Listing,  # a listing's cluster: 404 unless the listing is readable
    "AlertPage": Alert,
    "AlertOut": Alert,
    "EntityPartyOut": Party,
    "NetworkOut": Party,  # a party's network: 404 unless the party is readable
    "EntityClusterOut": EntityCluster,  # 404 unless one of its parties is readable
    "WarningPage": EarlyWarning,
    "WarningOut": EarlyWarning,
    "InterventionOut": Intervention,
    "EvaluationOut": Intervention,  # 404 unless the intervention is readable
}
# GET routes that carry no records of another agency, or figures checked on their own
NOT_RECORDS = {
    "/healthz": "liveness",
    "/api/v1/me": "the caller itself",
    "/api/v1/agencies": "the directory of agencies",
    "/api/v1/audit/verify": "the chain's integrity, no contents",
    "/api/v1/federation/checkpoint": "the chain's head (event number and hash), signed",
    "/api/v1/refusals": "counts of refused unknown callers, no agency's records",
    "/api/v1/reference/substances": "public reference catalogue",
    "/api/v1/reference/substances/{key}": "public reference catalogue",
    "/api/v1/reference/hs/{code}": "public reference catalogue",
    "/api/v1/reference/countries": "public reference catalogue",
    "/api/v1/sharing/communities": "the communities file",
    "/api/v1/sharing/seizures/summary": "checked against the oracle below",
    "/api/v1/sharing/watchlist/hits": "checked against the oracle below",
    "/api/v1/sharing/notifications/figures": "checked against the oracle below",
    "/api/v1/shipments/targets": "the caller's own shipments (tests/shipments)",
    "/api/v1/shipments/offices": "the caller's own offices",
    "/api/v1/shipments/models": "the caller's own risk models",
    "/api/v1/listings/notices/platforms": "the platforms file",
    "/api/v1/listings/notices/report": "counts over visible notices (tests/listings)",
    "/api/v1/listings/notices/report.csv": "the same report as CSV",
    "/api/v1/listings/signal-sets/key": "the community key (analysts; audited)",
    "/api/v1/listings/watch": "counts over visible listings (tests/listings)",
    "/api/v1/listings/watch/agora": "public research counts",
    "/api/v1/warning/datasets": "the sources file",
    "/api/v1/warning/series": "series built through visible() (tests/warning)",
    "/api/v1/warning/subscriptions": "the caller's own subscriptions",
    "/api/v1/listings/classifier": "the caller's own classifier versions",
    "/api/v1/federation/identity": "this instance's name and public key",
    "/api/v1/federation/feed": "peers only, by signed request (tests/e2e/test_federation.py)",
    "/api/v1/dashboard": "counts over visible records, held to the oracle (tests/test_dashboard)",
}
# record pages by their link: /cooperation/seizures/17 is seizure 17
PAGE_LINKS: dict[str, type] = {
    "/cooperation/seizures/": Seizure,
    "/cooperation/incidents/": Incident,
    "/cooperation/notifications/": PreExportNotification,
    "/cooperation/cases/": JointCase,
    "/cooperation/watchlist/": WatchlistEntry,
    "/shipments/": Shipment,
    "/listings/notices/": Notice,
    "/listings/": Listing,
    "/entities/parties/": Party,
    "/warning/warnings/": EarlyWarning,
    "/warning/interventions/": Intervention,
}
# pages of a place rather than a record: tried with a value, their links checked as lists'
PAGE_PARAMS = {"/countries/{code}": ["/countries/US", "/countries/MX", "/countries/NL"]}
PAGES_WITHOUT_RECORDS = {
    "/login", "/warning", "/reference", "/reference/substances/{key}", "/listings/notices/new",
    "/account/password",  # a form for the caller's own password
    "/admin/users",  # the admin's own agency's accounts (tests/web/test_users.py)
}  # fmt: skip
CALLERS = [
    *(
        (code, "analyst")
        for code in (
            "MX-ANAM",
            "US-CBP",
            "CA-HC",
            "NL-FIOD",
            "CO-DIAN",
            "INT-INCB",
            "PLATFORM-EXAMPLE",
            "AU-ABF",
        )
    ),
    ("US-CBP", "viewer"),
    ("US-CBP", "officer"),
]  # fmt: skip  (agencies of each kind, in and out of the communities; and a range of roles)
SAMPLE = 5  # records of each table tried on each detail route and page


def readable(session: Any, model: type, rows: list[Any], agency: Agency) -> set[int]:
    if model is Shipment:  # shipments are their agency's alone
        return {r.id for r in rows if r.owner_agency_id == agency.id}
    principal = system_principal(agency)
    if model is Party:  # readable when the record it was taken from is
        return {r.id for r in rows if party_policy.can_read(session, principal, r)}
    if model is EntityCluster:  # shown when one of its parties is readable
        members = session.execute(select(ClusterMember.cluster_id, ClusterMember.party_id))
        parties = {p.id: p for p in session.scalars(select(Party))}
        return {c for c, p in members if party_policy.can_read(session, principal, parties[p])}
    return {r.id for r in rows if can_read(principal, r)}


def samples(session: Any, model: type, rng: random.Random) -> list[int]:
    """Records of every owner and TLP (parties: of every owner and source), so that both
    answers are tried."""
    if model is EntityCluster:
        ids = list(session.scalars(select(EntityCluster.id).order_by(EntityCluster.id)))
        return sorted(rng.sample(ids, min(3 * SAMPLE, len(ids))))
    tlp = getattr(model, "tlp", None)
    if model is Party:
        tlp = Party.source_type
    columns = [model.id, model.owner_agency_id] + ([tlp] if tlp is not None else [])
    by: dict[tuple[Any, ...], int] = {}
    for row in session.execute(select(*columns).order_by(model.id)):
        by.setdefault(tuple(row[1:]), row[0])
    ids = sorted(by.values())
    return sorted(rng.sample(ids, min(SAMPLE, len(ids))))


def schema_of(op: dict[str, Any]) -> str | None:
    schema = op["responses"].get("200", {}).get("content", {}).get("application/json", {})
    schema = schema.get("schema", {})
    ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


def ids_in(body: Any) -> list[int]:
    items = body["items"] if isinstance(body, dict) and "items" in body else body
    return [x["id"] for x in items] if isinstance(items, list) else [body["id"]]


@pytest.mark.slow
def test_every_route_and_page_shows_what_the_policy_allows(client, engine) -> None:  # type: ignore[no-untyped-def]
    spec = client.get("/openapi.json").json()
    lists: list[tuple[str, type]] = []
    details: list[tuple[str, type]] = []
    for path, ops in spec["paths"].items():
        if "get" not in ops or path in NOT_RECORDS:
            continue
        name = schema_of(ops["get"])
        assert name in SCHEMAS, f"classify GET {path} ({name}) in tests/security/test_visibility.py"
        (details if "{" in path else lists).append((path, SCHEMAS[name]))
    page_lists, page_details = [], []
    for route in flat_routes(client.app.routes):
        if "GET" not in (route.methods or ()) or getattr(route, "include_in_schema", True):
            continue
        if route.path.startswith(("/assets", "/static")) or route.path in PAGES_WITHOUT_RECORDS:
            continue
        if route.path in PAGE_PARAMS:
            page_lists += PAGE_PARAMS[route.path]
            continue
        if "{" in route.path:
            prefix = route.path.split("{")[0]
            assert prefix in PAGE_LINKS, f"classify page {route.path} in test_visibility.py"
            page_details.append((route.path, PAGE_LINKS[prefix]))
        else:
            page_lists.append(route.path)
    assert len(details) >= 10 and len(lists) >= 8 and page_details and page_lists

    rng = random.Random(7)
    models = {m for _, m in details + lists + page_details}
    with session_scope(engine) as s:  # the demo resolved its parties into clusters
        agencies = {a.code: a for a in s.scalars(select(Agency))}
        tried = {m: samples(s, m, rng) for m in models}
        rows = {m: list(s.scalars(select(m))) for m in models}
        allowed = {
            (code, m): readable(s, m, rows[m], agencies[code])
            for code in {c for c, _ in CALLERS}
            for m in models
        }
        kg: dict[tuple[str, str], float] = defaultdict(float)
        received: dict[tuple[str, str], int] = defaultdict(int)
        callers = {c for c, _ in CALLERS}
        for seizure in rows[Seizure]:
            for code in callers:
                if seizure.id in allowed[(code, Seizure)]:
                    kg[(code, seizure.country)] += (
                        seizure.normalised_quantity or 0 if seizure.normalised_unit == "kg" else 0
                    )
        for pen in rows[PreExportNotification]:
            for code in callers:
                if pen.id in allowed[(code, PreExportNotification)]:
                    received[(code, pen.importing_country)] += 1
    checked = 0
    for code, role in CALLERS:
        auth = api_headers(engine, code, role)
        for path, model in details:
            for rid in tried[model]:
                r = client.get(re.sub(r"\{[^}]+\}", str(rid), path), headers=auth)
                want = 200 if rid in allowed[(code, model)] else 404
                assert r.status_code == want, (code, role, path, rid, r.status_code, r.text[:200])
                checked += 1
        for path, model in lists:
            r = client.get(path, params={"limit": 500}, headers=auth)
            if r.status_code == 403:  # a role or kind of agency this list is not for
                continue
            assert r.status_code == 200, (code, role, path, r.text[:200])
            shown = set(ids_in(r.json()))
            assert shown <= allowed[(code, model)], (
                code,
                role,
                path,
                shown - allowed[(code, model)],
            )
            checked += 1
        for path in page_lists:
            r = client.get(path, headers=auth)
            if r.status_code == 403:
                continue
            assert r.status_code == 200, (code, role, path)
            for prefix, model in PAGE_LINKS.items():
                linked = {int(x) for x in re.findall(rf'href="{re.escape(prefix)}(\d+)"', r.text)}
                assert linked <= allowed[(code, model)], (
                    code,
                    path,
                    prefix,
                    linked - allowed[(code, model)],
                )
            checked += 1
        for path, model in page_details:
            for rid in tried[model]:
                r = client.get(re.sub(r"\{[^}]+\}", str(rid), path), headers=auth)
                want = 200 if rid in allowed[(code, model)] else 404
                if r.status_code == 403:  # e.g. the notice composer's role check
                    continue
                assert r.status_code == want, (code, role, path, rid, r.status_code)
                checked += 1
        summary = client.get("/api/v1/sharing/seizures/summary", headers=auth).json()
        for country in summary:
            assert abs(country["kg"] - kg[(code, country["country"])]) < 0.01, (
                code,
                country["country"],
            )
        assert len(summary) == len({c for (k, c) in kg if k == code})
        figures = client.get("/api/v1/sharing/notifications/figures", headers=auth).json()
        assert {f["country"]: f["received"] for f in figures if f["received"]} == {
            c: n for (k, c), n in received.items() if k == code
        }
        for hit in client.get("/api/v1/sharing/watchlist/hits", headers=auth).json():
            assert code in (hit["entry_owner"], hit["hit_agency"]), (code, hit)
            if hit["entry_owner"] != code:  # told of another's entry only when it may read it
                assert hit["entry_id"] in allowed[(code, WatchlistEntry)], (code, hit)
    assert checked > 500

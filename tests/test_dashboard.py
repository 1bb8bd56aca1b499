"""The dashboard's figures, on the API and the page: each equals the count of the records
the sharing policy lets the agency read (the Python oracle, record by record), and a record
not shared with an agency never adds to its figures."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select

from tests.helpers import api_headers, browser_login
from watchfloor.alerts.models import Alert
from watchfloor.cooperation.pen import service as pen
from watchfloor.cooperation.pen.models import PreExportNotification
from watchfloor.cooperation.seizures.models import Seizure
from watchfloor.db import session_scope, utcnow
from watchfloor.listings.models import Listing, Notice
from watchfloor.listings.notice_reading import OPEN as NOTICE_OPEN
from watchfloor.security.models import Agency
from watchfloor.security.service import system_principal
from watchfloor.sharing.policy import can_read
from watchfloor.shipments.models import Shipment
from watchfloor.warning.models import EarlyWarning

CALLERS = [("US-CBP", "officer"), ("MX-ANAM", "analyst"), ("PLATFORM-EXAMPLE", "analyst"),
           ("INT-INCB", "analyst")]  # fmt: skip


MODELS = (Alert, Listing, Notice, Seizure, PreExportNotification, EarlyWarning, Shipment)


def expected(
    rows: dict[type, list[Any]], agency: Agency, now: dt.datetime, role: str
) -> dict[str, int]:
    """Every figure, from the records read one by one through the policy's oracle; an
    officer's open alerts leave out those meant for analysts (early warnings)."""
    me = system_principal(agency)

    def readable(model: type) -> list[Any]:
        return [r for r in rows[model] if can_read(me, r)]

    mine = (lambda n: n.platform_agency_id == agency.id) if agency.kind == "platform" else (
        lambda n: n.owner_agency_id == agency.id
    )  # fmt: skip
    open_notices = [n for n in readable(Notice) if mine(n) and n.status in NOTICE_OPEN]
    to_answer = [
        p for p in readable(PreExportNotification)
        if p.importing_agency_id == agency.id and p.status in pen.OPEN
    ]  # fmt: skip
    own = [s for s in rows[Shipment] if s.owner_agency_id == agency.id]
    out = {
        "listings-drug-sales": sum(1 for x in readable(Listing) if x.is_drug_sale),
        "notices-open": len(open_notices),
        "notices-overdue": sum(1 for n in open_notices if n.due_at <= now),
        "seizures-visible": len(readable(Seizure)),
        "notifications-to-answer": len(to_answer),
        "notifications-overdue": sum(1 for p in to_answer if p.due_at <= now),
        "warnings-recent": sum(
            1
            for w in readable(EarlyWarning)
            if w.period_start >= (now - dt.timedelta(days=91)).date()
        ),
    }
    if agency.kind != "platform":
        out |= {
            "alerts-open": sum(
                1
                for a in readable(Alert)
                if a.status == "open" and (role != "officer" or a.audience != "analysts")
            ),
            "shipments-recent": sum(
                1 for s in own if s.received_at >= now - dt.timedelta(hours=24)
            ),
            "shipments-held": sum(1 for s in own if s.status == "held"),
        }
    return out


def figures(client, headers) -> tuple[dict[str, int], dt.datetime]:  # type: ignore[no-untyped-def]
    r = client.get("/api/v1/dashboard", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    found = {f["key"]: f["count"] for card in body["cards"] for f in card["figures"]}
    return found, dt.datetime.fromisoformat(body["at"])


def test_every_figure_counts_what_the_agency_may_read(client, engine) -> None:  # type: ignore[no-untyped-def]
    # a red seizure of MX-ANAM's, shared with nobody: MX-ANAM counts it, the others do not
    mx = api_headers(engine, "MX-ANAM", "officer")
    before = {code: figures(client, api_headers(engine, code, role))[0] for code, role in CALLERS}
    r = client.post(
        "/api/v1/sharing/seizures",
        json={
            "reference": "DASH-RED-1", "seized_on": "2026-11-20", "country": "MX",
            "substance": "fentanyl", "quantity": 2, "unit": "kg", "sharing": {"tlp": "red"},
        },
        headers=mx,
    )  # fmt: skip
    assert r.status_code == 201, r.text
    with session_scope(engine) as s:  # read once, held against every caller's figures
        rows = {m: list(s.scalars(select(m))) for m in MODELS}
        agencies = {a.code: a for a in s.scalars(select(Agency))}
        s.expunge_all()
    for code, role in CALLERS:
        got, at = figures(client, api_headers(engine, code, role))
        assert got == expected(rows, agencies[code], at, role), code
        grew = got["seizures-visible"] - before[code]["seizures-visible"]
        assert grew == (1 if code == "MX-ANAM" else 0), code
    assert (
        "alerts-open" not in figures(client, api_headers(engine, "PLATFORM-EXAMPLE", "analyst"))[0]
    )
    us = figures(client, api_headers(engine, "US-CBP", "officer"))[0]
    assert us["seizures-visible"] > 0 and us["warnings-recent"] > 0 and us["alerts-open"] > 0


def test_the_page_shows_the_figures_with_links(client, engine) -> None:  # type: ignore[no-untyped-def]
    api, _ = figures(client, api_headers(engine, "US-CBP", "analyst"))
    assert browser_login(client, "us.cbp.analyst").status_code in (200, 303)
    html = client.get("/").text
    shown = {k: int(v) for k, v in re.findall(r'id="([a-z-]+)">(\d+)</span>', html)}
    assert shown == api
    assert 'href="/alerts"' in html and 'href="/warning"' in html
    assert utcnow().strftime("%Y-%m-%d") in html  # when the figures were counted
    # the recent warnings' link lists warnings about those periods only
    link = re.search(
        r'<a href="(/warning\?since=([0-9-]+))"><span class="num" id="warnings-recent"', html
    )
    assert link, html
    page = client.get(link.group(1).replace("&amp;", "&")).text
    periods = re.findall(r'<tr data-id="\d+"><td>([0-9-]+)</td>', page)
    assert periods and min(periods) >= link.group(2)

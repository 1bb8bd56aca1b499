"""What cooperation asks of the domains above it comes through links that they provide:
a missing one says so, and watchlist changes reach the shipment scorers."""

from __future__ import annotations

import pytest

from watchfloor.cooperation import intake, links
from watchfloor.security.service import get_agency, system_principal
from watchfloor.shipments import scoring


def test_a_lookup_nobody_provided_names_the_fix() -> None:
    assert links.resolve(None, "no-such-record", 1, []) == {}  # nothing asked, nothing needed
    with pytest.raises(links.NotConnected, match=r"watchfloor\.wiring\.connect"):
        links.resolve(None, "no-such-record", 1, ["A-1"])


def test_a_seizure_names_its_owners_shipment_by_reference(session) -> None:  # type: ignore[no-untyped-def]
    cbp = get_agency(session, "US-CBP")
    refs = links.resolve(session, "shipment", cbp.id, ["nope"])
    assert refs == {}  # the shipments domain answered (wired by the test suite's conftest)


def test_new_watchlist_entries_make_the_scorers_forget_what_they_cached(session) -> None:  # type: ignore[no-untyped-def]
    principal = system_principal(get_agency(session, "US-CBP"))
    before = scoring._generation
    entry = {
        "reference": "CBP-WL-LINKS-1",
        "kind": "name",
        "value": "Jose Luis Ramirez Ochoa",
        "reason": "test",
    }
    result = intake.submit(session, principal, [entry], intake.WATCHLIST)
    assert result.accepted == 1
    assert scoring._generation > before
    again = scoring._generation
    intake.submit(session, principal, [entry], intake.WATCHLIST)  # unchanged: nothing to forget
    assert scoring._generation == again

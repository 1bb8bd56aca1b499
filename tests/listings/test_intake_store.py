"""Storing a prepared batch of listings: a row that changed in the database after it was
prepared is classified again, with the model that prepared the batch, never silently with
another."""

from __future__ import annotations

import dataclasses

from sqlalchemy import select

from tests.helpers import listing
from watchfloor.listings import intake
from watchfloor.listings.classifier import shipped_model
from watchfloor.listings.models import Listing
from watchfloor.security.service import get_agency, system_principal


def _stored(session, external_id: str) -> Listing:  # type: ignore[no-untyped-def]
    return session.scalar(select(Listing).where(Listing.external_id == external_id))


def test_a_row_changed_after_preparation_is_classified_with_the_batchs_model(session) -> None:  # type: ignore[no-untyped-def]
    principal = system_principal(get_agency(session, "PLATFORM-EXAMPLE"))
    intake.submit(session, principal, [listing("late-1", title="5g MDMA crystals")])
    own = dataclasses.replace(shipped_model(), version="test-late", _fingerprint=None)
    row = listing("late-1", title="10g MDMA crystals 84% pure, ships tomorrow")
    digest = intake.prepare(principal, [row], model=own).valid[0].digest
    # prepared while the database seemed to hold this content already: nothing classified
    prepared = intake.prepare(
        principal, [row], model=own, known={("Example Marketplace", "late-1"): digest}
    )
    assert prepared.values == {}
    result = intake.store(session, principal, prepared, model=own)
    assert [r.status for r in result.results] == ["updated"]
    stored = _stored(session, "late-1")
    assert stored.model_version == "test-late" and stored.content_hash == digest
    assert stored.title.startswith("10g MDMA")


def test_without_a_model_the_agencys_own_classifier_decides_late_rows(session) -> None:  # type: ignore[no-untyped-def]
    principal = system_principal(get_agency(session, "PLATFORM-EXAMPLE"))
    intake.submit(session, principal, [listing("late-2", title="5g MDMA crystals")])
    row = listing("late-2", title="20g MDMA crystals 84% pure")
    digest = intake.prepare(principal, [row]).valid[0].digest
    prepared = intake.prepare(principal, [row], known={("Example Marketplace", "late-2"): digest})
    intake.store(session, principal, prepared)
    assert _stored(session, "late-2").model_version == shipped_model().version

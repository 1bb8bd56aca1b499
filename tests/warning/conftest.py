"""The demo scenario loads public statistics, interventions and warnings of its own; tests
that import the small fixtures start from an instance without them."""

from __future__ import annotations

import pytest
from sqlalchemy import delete

from watchfloor.alerts.models import Alert
from watchfloor.db import session_scope
from watchfloor.warning.models import EarlyWarning, Intervention, Observation, Subscription


@pytest.fixture
def bare(engine):  # type: ignore[no-untyped-def]
    """``engine`` with the demo's early-warning records removed."""
    with session_scope(engine) as s:
        s.execute(delete(Alert).where(Alert.kind == "early_warning"))
        for model in (EarlyWarning, Observation, Subscription, Intervention):
            s.execute(delete(model))
    return engine

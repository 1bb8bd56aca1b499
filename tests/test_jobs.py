"""A periodic job's period is claimed by one process only, on both backends."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine

from watchfloor import jobs


def test_one_claim_wins_each_period(engine: Engine) -> None:
    now = dt.datetime(2026, 12, 8, 3, 0, 0, 100_000, tzinfo=dt.UTC)
    with ThreadPoolExecutor(4) as pool:  # four processes' timers firing together
        won = list(pool.map(lambda _: jobs.claim(engine, "test job", 60, now=now), range(4)))
    assert sorted(won) == [False, False, False, True]
    later = now + dt.timedelta(seconds=59)  # the same period
    assert jobs.claim(engine, "test job", 60, now=later) is False
    assert jobs.claim(engine, "test job", 60, now=now + dt.timedelta(seconds=60)) is True
    assert jobs.claim(engine, "another job", 60, now=now) is True
    assert 0 < jobs.until_next(60) <= 60.05

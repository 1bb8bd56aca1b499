"""Periodic jobs that run once per period across every process of an instance.

Several workers (and servers) on one database each run the same timers. Before a pass, a
process claims the job's current period: one row per (job, period) under a unique key, so
that exactly one process wins it and the others skip that pass. The rows are also the log
of what ran where and when (kept a week). Every process of a deployment should use the
same interval for a job: the period is the time since the epoch divided by it.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import time

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint, delete, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from watchfloor.db import Base, UTCDateTime, session_scope, utcnow

KEEP = dt.timedelta(days=7)
HOLDER = f"{socket.gethostname()}:{os.getpid()}"


class JobRun(Base):
    """A period of a periodic job, claimed by the process that ran it."""

    __tablename__ = "job_runs"
    __table_args__ = (UniqueConstraint("job", "period", name="uq_job_runs_period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(60))
    period: Mapped[int] = mapped_column(BigInteger)
    holder: Mapped[str] = mapped_column(String(120))
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


def until_next(every: float) -> float:
    """Seconds to the start of the next period: processes that wait this long wake in the
    same period and claim it together (one wins), instead of on both sides of a boundary."""
    every = max(every, 1e-3)
    return every - time.time() % every + 0.05


def claim(engine: Engine, job: str, every: float, *, now: dt.datetime | None = None) -> bool:
    """Whether this process runs ``job`` now: True for the first process to claim the
    current period of ``every`` seconds, False for any other (and for a second claim)."""
    now = now or utcnow()
    period = int(now.timestamp() // max(every, 1e-3))
    try:
        with session_scope(engine) as session:
            session.execute(
                insert(JobRun).values(job=job, period=period, holder=HOLDER, started_at=now)
            )
            session.execute(delete(JobRun).where(JobRun.job == job, JobRun.started_at < now - KEEP))
    except IntegrityError:
        return False
    return True

"""Early warning and evaluation: imported statistics, warnings, subscriptions, interventions.

An :class:`Observation` is one cell of a public or agency statistic (CBP seizures of fentanyl
at the San Diego field office in March 2024; NFLIS reports of fluorofentanyl in Florida in the
first half of 2021). It carries a sharing policy like any other record, so an agency may load
its own figures for its eyes only. Time series are built from observations and from the
records the viewer may read (``warning.series``); a :class:`EarlyWarning` is what a detector found
in one of them, with the statistic and the threshold that made it fire.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from watchfloor.db import Base, UTCDateTime, utcnow
from watchfloor.sharing import Shareable

PERIODS = ("day", "week", "month", "half", "year")
MEASURES = ("events", "quantity_kg", "reports", "deaths", "listings", "vendors", "notifications")
WARNING_KINDS = ("first_sighting", "first_in_place", "possible_nps", "spike")


class Observation(Shareable, Base):
    """One figure of a statistic: a measure of a substance in a place over a period."""

    __tablename__ = "observations"
    __table_args__ = (
        UniqueConstraint(
            "owner_agency_id",
            "dataset",
            "measure",
            "substance_text",
            "place",
            "period",
            "period_start",
            name="uq_observations_cell",
        ),
        Index("ix_observations_series", "dataset", "measure", "substance", "place"),
    )
    share_type = "observation"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset: Mapped[str] = mapped_column(String(40), index=True)  # a key of sources.toml
    measure: Mapped[str] = mapped_column(String(16))  # one of MEASURES
    substance_text: Mapped[str] = mapped_column(String(200))  # as the source names it
    substance_key: Mapped[str | None] = mapped_column(String(80), index=True)  # catalogue
    substance: Mapped[str] = mapped_column(String(200))  # key, or folded text when unknown
    place_kind: Mapped[str] = mapped_column(String(12))  # country|state|aor|region|market...
    place: Mapped[str] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    region: Mapped[str | None] = mapped_column(String(120))
    period: Mapped[str] = mapped_column(String(6))  # one of PERIODS
    period_start: Mapped[dt.date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(120))


class EarlyWarning(Shareable, Base):
    """A first sighting or a spike, with what fired it.

    ``series`` is the canonical key of the series (``warning.series.SeriesKey.text``);
    ``(owner, kind, algorithm, series, period_start)`` is unique so that running the
    detectors again changes nothing.
    """

    __tablename__ = "warnings"
    __table_args__ = (
        UniqueConstraint(
            "owner_agency_id", "kind", "algorithm", "series", "period_start", name="uq_warnings"
        ),
        Index("ix_warnings_substance_place", "substance", "place"),
    )
    share_type = "warning"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)  # one of WARNING_KINDS
    algorithm: Mapped[str] = mapped_column(String(24))  # ears_c1 ... | first_sighting
    series: Mapped[str] = mapped_column(String(400))
    source: Mapped[str] = mapped_column(String(40))  # dataset, or seizures|listings|...
    measure: Mapped[str] = mapped_column(String(16))
    substance: Mapped[str] = mapped_column(String(200))
    substance_label: Mapped[str] = mapped_column(String(200))
    place_kind: Mapped[str] = mapped_column(String(12))
    place: Mapped[str] = mapped_column(String(120))
    country: Mapped[str | None] = mapped_column(String(2), index=True)
    period: Mapped[str] = mapped_column(String(6))
    period_start: Mapped[dt.date] = mapped_column(Date, index=True)
    observed: Mapped[float] = mapped_column(Float)
    expected: Mapped[float | None] = mapped_column(Float)
    statistic: Mapped[float | None] = mapped_column(Float)
    threshold: Mapped[float | None] = mapped_column(Float)
    parameters: Mapped[str] = mapped_column(Text, default="{}")  # JSON, as run
    record_type: Mapped[str | None] = mapped_column(String(30))  # what reported it first
    record_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="new")  # new|reviewed|dismissed
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    def params(self) -> dict[str, Any]:
        return dict(json.loads(self.parameters or "{}"))


class Subscription(Base):
    """An agency's standing interest: warnings on these substances in these places become
    its alerts. Empty lists mean any."""

    __tablename__ = "warning_subscriptions"
    __table_args__ = (
        # one active subscription per agency and name (migration 0019)
        Index(
            "uq_warning_subscriptions_active_name",
            "agency_id",
            "name",
            unique=True,
            sqlite_where=text("active"),
            postgresql_where=text("active"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agency_id: Mapped[int] = mapped_column(ForeignKey("agencies.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    substances: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of keys or text
    places: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of places/countries
    kinds: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of WARNING_KINDS
    tlp: Mapped[str] = mapped_column(String(12), default="amber")  # of the alerts it raises
    # analysts | all: whether its alerts also reach officers' queues
    audience: Mapped[str] = mapped_column(String(10), default="analysts", server_default="analysts")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))

    def listed(self, column: str) -> list[str]:
        return [str(v) for v in json.loads(getattr(self, column) or "[]")]


class Intervention(Shareable, Base):
    """Something done to move a series (a takedown, a scheduling decision, a crackdown),
    with the series it should move and, where they exist, series it should not."""

    __tablename__ = "interventions"
    __table_args__ = (UniqueConstraint("owner_agency_id", "reference", name="uq_interventions"),)
    share_type = "intervention"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(80))
    title: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # takedown|scheduling|enforcement|other
    description: Mapped[str] = mapped_column(Text, default="")
    country: Mapped[str | None] = mapped_column(String(2))
    place: Mapped[str | None] = mapped_column(String(120))
    started_on: Mapped[dt.date] = mapped_column(Date)
    target: Mapped[str] = mapped_column(Text)  # JSON series query (warning.series.SeriesQuery)
    controls: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of series queries
    expected: Mapped[str] = mapped_column(String(10), default="decrease")  # or increase
    options: Mapped[str] = mapped_column(Text, default="{}")  # JSON EvaluationOptions
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(120))

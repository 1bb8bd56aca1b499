"""Pydantic shapes of the early-warning API."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from watchfloor.inputs import Day, Input
from watchfloor.warning.findings import ALGORITHM_NAMES
from watchfloor.warning.interventions import EvaluationOptions, SeriesSpec
from watchfloor.warning.models import WARNING_KINDS
from watchfloor.warning.series import RECORD_SOURCES

Kind = Literal["first_sighting", "first_in_place", "possible_nps", "spike"]
Algorithm = Literal["ears_c1", "ears_c2", "ears_c3", "cusum_poisson", "cusum_negbin", "farrington"]
assert set(Algorithm.__args__) == set(ALGORITHM_NAMES)  # type: ignore[attr-defined]
assert set(Kind.__args__) == set(WARNING_KINDS)  # type: ignore[attr-defined]


class WarningOut(BaseModel):
    id: int = Field(description="Warning id.", examples=[41])
    kind: Kind = Field(description="First sighting (on the instance, or in a place), a possible "
                       "new psychoactive substance, or a spike.", examples=["spike"])  # fmt: skip
    algorithm: str = Field(description="What fired: a detector, first_sighting or catalogue.",
                           examples=["farrington"])  # fmt: skip
    series: str = Field(description="source|measure|substance|kind:place|period",
                        examples=["nflis-drug|reports|fentanyl|state:US-OH|half"])  # fmt: skip
    source: str = Field(examples=["nflis-drug"])
    measure: str = Field(examples=["reports"])
    substance: str = Field(description="Catalogue key, or the name as reported when unknown.",
                           examples=["fentanyl"])  # fmt: skip
    substance_label: str = Field(examples=["Fentanyl"])
    place_kind: str = Field(examples=["state"])
    place: str = Field(description="ISO 3166 code, or the source's place name.", examples=["US-OH"])
    country: str | None = Field(description="ISO 3166-1 alpha-2.", examples=["US"])
    period: str = Field(examples=["half"])
    period_start: dt.date = Field(examples=["2023-07-01"])
    observed: float = Field(examples=[900])
    expected: float | None = Field(description="What the detector expected.", examples=[120.5])
    statistic: float | None = Field(description="The detector's statistic (None if infinite).",
                                    examples=[2.4])  # fmt: skip
    threshold: float | None = Field(description="Above this the statistic alarms.", examples=[1.0])
    parameters: dict[str, Any] = Field(description="The detector's parameters as run.")
    record_type: str | None = Field(description="What reported a first sighting.",
                                    examples=["observation"])  # fmt: skip
    record_id: int | None = Field(examples=[1234])
    summary: str = Field(description="The warning in a sentence.")
    owner: str = Field(description="Agency that ran the scan.", examples=["US-CBP"])
    tlp: str = Field(description="Most restrictive TLP of what it was computed from.",
                     examples=["clear"])  # fmt: skip
    created_at: dt.datetime


class WarningPage(BaseModel):
    items: list[WarningOut]
    next_cursor: int | None = Field(description="Pass as `cursor` for the next page.")


class ScanIn(Input):
    sources: list[str] = Field(default_factory=list[str], description="Only these sources (data "
                               f"set keys, or {', '.join(RECORD_SOURCES)}); empty: all.",
                               examples=[["nflis-drug"]])  # fmt: skip
    algorithms: list[Algorithm] = Field(
        default_factory=lambda: list[Algorithm](ALGORITHM_NAMES)  # type: ignore[arg-type]
    )
    since: Day | None = Field(None, description="Report spikes and sightings from this date.")
    recent: int = Field(3, ge=1, le=24, description="Report the last N periods of each source "
                        "(a backtest of the whole history is `watchfloor warning scan --recent 0`)."
                        )  # fmt: skip
    parameters: dict[Algorithm, dict[str, Any]] = Field(
        default_factory=dict,
        description="Per-algorithm parameters overriding the published defaults.",
        examples=[{"farrington": {"b": 3, "alpha": 0.01}, "ears_c1": {"min_sigma": 1}}],
    )


class ScanOut(BaseModel):
    series: int = Field(description="Series scanned.")
    findings: int
    created: int = Field(description="New warnings stored.")
    alerts: int = Field(description="Alerts raised for your agency's subscriptions.")
    by_kind: dict[str, int]
    seconds: float


class SeriesOut(BaseModel):
    key: str = Field(examples=["nflis-drug|reports|fentanyl|state:US-OH|half"])
    label: str
    tlp: str
    periods: list[dt.date]
    values: list[float | None]
    algorithm: str | None = Field(description="The detector whose bounds and alarms are given.")
    upper: list[float | None] = Field(description="The detector's upper bound per period.")
    alarms: list[bool]


class SeriesPage(BaseModel):
    items: list[SeriesOut]
    truncated: bool = Field(description="More series matched than `limit`.")


class SubscriptionIn(Input):
    name: str = Field(min_length=1, max_length=200, examples=["Analogues in the north-east"])
    substances: list[str] = Field(default_factory=list, examples=[["fentanyl", "carfentanil"]])
    places: list[str] = Field(default_factory=list, examples=[["US-OH", "US-KY"]])
    kinds: list[Kind] = Field(default_factory=list, examples=[["first_in_place", "spike"]])
    tlp: Literal["clear", "green", "amber", "amber+strict", "red"] = "amber"
    audience: Literal["analysts", "all"] = Field(
        "analysts",
        description="Who the alerts are for: analysts only, or officers' queues as well.",
    )


class SubscriptionOut(SubscriptionIn):
    id: int
    active: bool
    created_at: dt.datetime


class InterventionIn(Input):
    reference: str = Field(min_length=1, max_length=80, examples=["US-FRS-2018"])
    title: str = Field(min_length=1, max_length=300)
    kind: Literal["takedown", "scheduling", "enforcement", "other"] = "other"
    description: str = Field("", max_length=5000)
    country: str | None = Field(None, min_length=2, max_length=2, examples=["US"])
    started_on: Day = Field(examples=["2018-02-06"])
    target: SeriesSpec
    controls: list[SeriesSpec] = Field(default_factory=list, max_length=50)
    options: EvaluationOptions = Field(default_factory=EvaluationOptions)
    expected: Literal["decrease", "increase"] = "decrease"
    tlp: Literal["clear", "green", "amber", "amber+strict", "red"] = "green"


class InterventionOut(BaseModel):
    id: int
    reference: str
    title: str
    kind: str
    description: str
    country: str | None
    started_on: dt.date
    target: SeriesSpec
    controls: list[SeriesSpec]
    options: EvaluationOptions
    expected: str
    owner: str
    tlp: str


class EstimateOut(BaseModel):
    value: float
    low: float
    high: float
    p_value: float | None


class DesignOut(BaseModel):
    design: Literal["its", "did", "synthetic_control"]
    scale: Literal["level", "log"]
    effect: EstimateOut = Field(description="Mean gap between observed (fitted) and the "
                                "counterfactual after the start, with its interval.")  # fmt: skip
    relative: float | None = Field(description="The gap as a share of the counterfactual.")
    level_change: EstimateOut | None
    slope_change: EstimateOut | None
    weights: dict[str, float] = Field(description="Synthetic control: weight of each control.")
    pre_periods: int
    post_periods: int
    confidence: float = Field(examples=[0.95])
    notes: list[str] = Field(description="What weakens this estimate.")
    periods: list[dt.date]
    observed: list[float | None]
    fitted: list[float | None]
    counterfactual: list[float | None]


class EvaluationOut(BaseModel):
    intervention: str
    started_on: dt.date
    first_period_after: dt.date
    period: str
    next_period: dt.date
    target: str
    controls: list[str]
    expected: str
    designs: list[DesignOut]

"""Shapes of notices to platforms, the platforms' answers, and the transparency report."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, model_validator

from watchfloor.identifiers import validate_country
from watchfloor.inputs import Input
from watchfloor.listings import dsa
from watchfloor.sharing import SharingOut, Tlp

MAX_ITEMS = 500


def _codes(value: Any) -> Any:
    if isinstance(value, str):
        return [c for c in re.split(r"[\s,;|]+", value) if c]
    return value


Country = Annotated[str, AfterValidator(validate_country)]
Scope = Annotated[list[Country], BeforeValidator(_codes)]


class NoticeSharingIn(Input):
    """Who else may read the notice. The platform addressed always may."""

    tlp: Tlp = Field(default="amber", examples=["amber"])
    recipients: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Other agencies that may read the notice (codes).",
        examples=[["US-USPIS"]],
    )
    originator_control: bool = Field(
        default=True,
        description="Recipients, the platform included, may not share the notice onward.",
    )


class NoticeIn(Input):
    """A notice to a platform about listings it hosts."""

    platform: str = Field(
        min_length=1,
        max_length=40,
        description="Code of the platform agency addressed.",
        examples=["PLATFORM-EXAMPLE"],
    )
    listing_ids: list[Annotated[int, Field(ge=1, le=2_147_483_647)]] = Field(
        min_length=1,
        max_length=MAX_ITEMS,
        description="The listings (ids on this instance) the notice is about.",
        examples=[[17, 18]],
    )
    legal_ground: str = Field(
        min_length=3,
        max_length=4000,
        description="The law the listings break, as the agency cites it.",
        examples=["21 U.S.C. 841(a)(1) and 843(c) (advertising Schedule I and II substances)"],
    )
    explanation: str = Field(
        default="",
        max_length=20000,
        description="Why the listings are illegal on that ground.",
        examples=["The listings offer counterfeit M30 tablets containing fentanyl."],
    )
    requested_action: dsa.Request = Field(
        description="What the agency asks the platform to do.", examples=["remove"]
    )
    territorial_scope: Scope = Field(
        default_factory=list,
        max_length=250,
        description="Where the action is asked for (ISO 3166-1 alpha-2; default: the "
        "sending agency's country).",
        examples=[["US"]],
    )
    priority: dsa.Priority = Field(
        default="standard",
        description="'urgent' for a risk to life (fentanyl and its precursors): the "
        "platform's shorter SLA applies.",
        examples=["urgent"],
    )
    reference: str | None = Field(
        default=None,
        min_length=1,
        max_length=80,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        description="The sender's own reference; sending the same reference again is a "
        "no-op (idempotent). Default: generated.",
        examples=["CBP-NTC-2026-0042"],
    )
    sharing: NoticeSharingIn = Field(default_factory=NoticeSharingIn)

    @model_validator(mode="after")
    def _distinct(self) -> NoticeIn:
        if len(set(self.listing_ids)) != len(self.listing_ids):
            raise ValueError("listing_ids lists a listing twice")
        return self


class DecisionIn(Input):
    """The platform's decision on one listing of a notice."""

    item_id: int = Field(ge=1, le=2_147_483_647, description="The notice item answered.")
    action: dsa.Action = Field(
        description="What was done to the content (DSA decision_visibility), or no_action.",
        examples=["removed"],
    )
    account_action: dsa.AccountAction | None = Field(
        default=None, description="What was done to the seller's account (decision_account)."
    )
    ground: dsa.Ground | None = Field(
        default=None,
        description="Why: the law or the platform's terms (decision_ground); required "
        "unless no action was taken.",
        examples=["illegal_content"],
    )
    ground_reference: str = Field(
        default="",
        max_length=4000,
        description="The legal or contractual ground relied on.",
        examples=["Prohibited items policy, section 3 (drugs and drug paraphernalia)"],
    )
    explanation: str = Field(
        default="",
        max_length=20000,
        description="Facts and circumstances relied on; required with no_action 'other'.",
    )
    no_action_reason: dsa.NoActionReason | None = Field(
        default=None, description="Required when no action was taken.", examples=[None]
    )
    automated_detection: bool = Field(
        default=False, description="Was the content found by automated means?"
    )
    automated_decision: dsa.Automation = Field(
        default="not_automated", description="Was the decision taken by automated means?"
    )
    territorial_scope: Scope = Field(
        default_factory=list,
        max_length=250,
        description="Where the decision applies (default: the notice's scope).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> DecisionIn:
        if dsa.is_actioned(self.action, self.account_action):
            if self.ground is None:
                raise ValueError("ground: required when the content or account was restricted")
            if self.no_action_reason is not None:
                raise ValueError("no_action_reason: only for action no_action")
        else:
            if self.no_action_reason is None:
                raise ValueError("no_action_reason: required when no action was taken")
            if self.no_action_reason == "other" and not self.explanation:
                raise ValueError("explanation: required when the reason is 'other'")
        return self


class AnswerIn(Input):
    decisions: list[DecisionIn] = Field(min_length=1, max_length=MAX_ITEMS)


class WithdrawIn(Input):
    reason: str = Field(min_length=3, max_length=4000, examples=["Listings removed already."])


class DecisionOut(BaseModel):
    action: str
    action_label: str
    account_action: str | None
    ground: str | None
    ground_reference: str | None
    explanation: str | None
    no_action_reason: str | None
    automated_detection: bool
    automated_decision: str
    territorial_scope: list[str]
    decided_at: dt.datetime
    decided_by: str
    hours: float = Field(description="Hours from the notice's sending to this decision.")
    as_requested: bool = Field(description="Gives effect to what the notice asked for.")
    statement_of_reasons: dict[str, Any] | None = Field(
        description="The decision in the DSA Transparency Database's attributes (only "
        "when something was restricted)."
    )


class NoticeItemOut(BaseModel):
    id: int
    listing_id: int | None
    service: str = Field(description="Where the listing is (the listing's platform).")
    external_id: str
    url: str | None
    title: str
    seller: str | None
    decision: DecisionOut | None


class NoticeOut(BaseModel):
    id: int
    reference: str
    sender: str = Field(description="Code of the sending agency.")
    sender_name: str
    platform: str = Field(description="Code of the platform agency addressed.")
    platform_name: str
    legal_ground: str
    explanation: str
    requested_action: str
    requested_label: str
    territorial_scope: list[str]
    priority: str
    sla_hours: float
    sent_at: dt.datetime
    due_at: dt.datetime
    status: Literal["sent", "acknowledged", "answered", "withdrawn"]
    overdue: bool = Field(description="Due time passed with listings unanswered.")
    escalation: Literal["none", "overdue", "escalated"]
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    answered_at: dt.datetime | None
    withdrawn_at: dt.datetime | None
    withdrawn_reason: str | None
    decided: int = Field(description="Listings answered so far.")
    items: list[NoticeItemOut]
    sharing: SharingOut


class NoticePage(BaseModel):
    items: list[NoticeOut]
    next_cursor: int | None


class SendResult(BaseModel):
    status: Literal["created", "unchanged"]
    notice: NoticeOut


class PlatformOut(BaseModel):
    code: str
    name: str
    country: str | None
    services: list[str] = Field(description="Empty: any service.")
    urgent_hours: float
    standard_hours: float
    escalation_contact: str | None


class PeriodOut(BaseModel):
    period: str = Field(examples=["2026-11"])
    received: int
    withdrawn: int
    answered: int
    answered_on_time: int
    actioned: int
    share_actioned: float | None
    listings: int
    listings_actioned: int
    median_hours_to_acknowledge: float | None
    median_hours_to_action: float | None
    p90_hours_to_action: float | None


class ReportOut(BaseModel):
    """A platform's handling of the notices it received in a period. Counts only: no
    notice, listing or sender is named, so every caller may read it."""

    platform: str
    platform_name: str
    since: dt.date
    until: dt.date
    by: str
    sla_urgent_hours: float
    sla_standard_hours: float
    totals: PeriodOut
    overdue_open: int = Field(description="Unanswered past their due time, now.")
    escalated: int
    actions: dict[str, int] = Field(description="Decisions on listings, by action.")
    account_actions: dict[str, int]
    no_action_reasons: dict[str, int]
    automated: dict[str, int] = Field(description="Decisions by automated_decision.")
    hours_to_action: dict[str, int] = Field(
        description="Actioned listings by hours from the notice to the action "
        "(buckets: up to 1, 6, 12, 24, 48, 72, 168 hours, and more)."
    )
    periods: list[PeriodOut]
    generated_at: dt.datetime

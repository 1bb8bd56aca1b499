"""Shapes of alerts in and out."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from watchfloor.inputs import Input
from watchfloor.sharing import SharingOut


class AlertOut(BaseModel):
    id: int
    kind: str
    object_type: str
    object_id: int
    office: str | None
    title: str
    score: int | None
    status: str
    assignee: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_reason: str | None
    sharing: SharingOut


class AlertPage(BaseModel):
    items: list[AlertOut]
    next_cursor: int | None


class AlertUpdate(Input):
    """Assign an alert (to yourself when ``assignee`` is empty) or close it with a reason."""

    status: Literal["assigned", "closed", "open"]
    assignee: Annotated[str | None, Field(max_length=120)] = None
    reason: Annotated[str | None, Field(max_length=2000)] = None

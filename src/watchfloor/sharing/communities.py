"""Communities: named groups of agencies a record can be shared with as one recipient.

They live in a checked-in data file (``sharing/communities.toml``, or the file named by
``WATCHFLOOR_COMMUNITIES_FILE``), validated once. Membership is read at each access, so a
record shared with a community follows the community's membership.

>>> "US-CBP" in members("NA-PRECURSORS")
True
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from watchfloor import datafiles
from watchfloor.datafiles import shipped
from watchfloor.settings import get_settings

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,39}$")


class Community(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    members: list[str] = Field(min_length=1)

    @field_validator("members")
    @classmethod
    def _codes(cls, value: list[str]) -> list[str]:
        bad = [c for c in value if not CODE.match(c)]
        if bad:
            raise ValueError(f"not agency codes: {', '.join(bad)}")
        return value


class CommunitiesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    communities: dict[str, Community] = Field(default_factory=dict)

    @field_validator("communities")
    @classmethod
    def _names(cls, value: dict[str, Community]) -> dict[str, Community]:
        bad = [c for c in value if not CODE.match(c)]
        if bad:
            raise ValueError(f"community codes must be upper-case codes: {', '.join(bad)}")
        return value


def load() -> CommunitiesFile:
    """The validated file (read once per path); raises ``datafiles.ConfigProblem``."""
    path = get_settings().communities_file or shipped("watchfloor.sharing", "communities.toml")
    return datafiles.load(path, CommunitiesFile)


def members(code: str) -> frozenset[str]:
    found = load().communities.get(code)
    return frozenset(found.members) if found else frozenset()


def of(agency_code: str) -> tuple[str, ...]:
    """The communities an agency belongs to, sorted."""
    return tuple(sorted(c for c, x in load().communities.items() if agency_code in x.members))


def known() -> dict[str, Community]:
    return dict(load().communities)

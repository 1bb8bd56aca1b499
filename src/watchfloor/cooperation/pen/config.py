"""Who answers pre-export notifications for each importing country, and by when
(``cooperation/pen/pen.toml``, or the file named by ``WATCHFLOOR_PEN_FILE``), validated once.

>>> rule("CO").response_days, rule("CO").authority
(7, 'CO-FNE')
>>> rule("ZZ").authority is None
True
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, field_validator

from watchfloor import datafiles
from watchfloor.datafiles import shipped
from watchfloor.identifiers import validate_country
from watchfloor.settings import get_settings
from watchfloor.sharing import CODE


class Defaults(BaseModel):
    model_config = ConfigDict(extra="forbid")

    response_days: int = Field(default=15, ge=1, le=90)
    escalate_after_days: int = Field(default=7, ge=1, le=90)
    international: str | None = Field(default=None, pattern=CODE.pattern)


class Country(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authority: str = Field(pattern=CODE.pattern)
    response_days: int | None = Field(default=None, ge=1, le=90)


class PenFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: Defaults = Field(default_factory=Defaults)
    countries: dict[str, Country] = Field(default_factory=dict)

    @field_validator("countries")
    @classmethod
    def _iso(cls, value: dict[str, Country]) -> dict[str, Country]:
        for code in value:
            validate_country(code)  # a ValueError names it
            if code != code.upper():
                raise ValueError(f"{code!r}: write country codes in capitals")
        return value


@dataclass(frozen=True)
class Rule:
    authority: str | None  # None: the country has no authority on this instance
    response_days: int
    escalate_after_days: int
    international: str | None


def load() -> PenFile:
    path = get_settings().pen_file or shipped("watchfloor.cooperation.pen", "pen.toml")
    return datafiles.load(path, PenFile)


def rule(country: str) -> Rule:
    f = load()
    c = f.countries.get(country)
    return Rule(
        authority=c.authority if c else None,
        response_days=(c.response_days if c and c.response_days else f.defaults.response_days),
        escalate_after_days=f.defaults.escalate_after_days,
        international=f.defaults.international,
    )

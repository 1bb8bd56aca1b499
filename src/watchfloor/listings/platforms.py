"""Platforms' service-level agreements for notices: a checked-in data file, validated once.

``platforms.toml`` (or the file named by ``WATCHFLOOR_PLATFORMS_FILE``) says which services
each platform agency runs and how many hours it has to act on an urgent or a standard
notice. A platform agency the file does not name gets the defaults and any service.

>>> sla = platform_sla("PLATFORM-EXAMPLE")
>>> sla.hours("urgent")
12.0
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from watchfloor import datafiles
from watchfloor.datafiles import shipped
from watchfloor.settings import get_settings


class Sla(BaseModel):
    model_config = ConfigDict(extra="forbid")

    urgent_hours: float = Field(gt=0, le=24 * 90)
    standard_hours: float = Field(gt=0, le=24 * 90)

    def hours(self, priority: str) -> float:
        return self.urgent_hours if priority == "urgent" else self.standard_hours


class PlatformEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    services: list[str] = Field(default_factory=list)
    urgent_hours: float | None = Field(default=None, gt=0, le=24 * 90)
    standard_hours: float | None = Field(default=None, gt=0, le=24 * 90)
    escalation_contact: str | None = None


class PlatformsFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    defaults: Sla
    platforms: dict[str, PlatformEntry] = Field(default_factory=dict)


class PlatformSla(Sla):
    """What one platform agency has agreed to, with the defaults filled in."""

    agency: str
    services: list[str]
    escalation_contact: str | None

    def runs(self, service: str) -> bool:
        """Is ``service`` (a listing's ``platform``) one this agency answers for?"""
        if not self.services:
            return True
        return service.casefold() in {s.casefold() for s in self.services}


def load() -> PlatformsFile:
    """The validated file (read once per path); raises ``datafiles.ConfigProblem``."""
    path = get_settings().platforms_file or shipped("watchfloor.listings", "platforms.toml")
    return datafiles.load(path, PlatformsFile)


def platform_sla(agency_code: str) -> PlatformSla:
    config = load()
    entry = config.platforms.get(agency_code, PlatformEntry())
    return PlatformSla(
        agency=agency_code,
        services=entry.services,
        urgent_hours=entry.urgent_hours or config.defaults.urgent_hours,
        standard_hours=entry.standard_hours or config.defaults.standard_hours,
        escalation_contact=entry.escalation_contact,
    )


def services() -> list[str]:
    """The services the platforms file names, in order, each once."""
    return list(dict.fromkeys(s for entry in load().platforms.values() for s in entry.services))

"""The base of every request body: unknown fields refused, text trimmed, NUL refused.

PostgreSQL cannot store U+0000 in text; SQLite can, but no person types it. Refusing it at
the edge, with the field named, keeps both backends alike and never lets it reach a 500.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(isinstance(v, str) and "\x00" in v for v in value)
    return False


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="after")
    def _refuse_nul(self) -> Input:
        for name, value in self.__dict__.items():
            if _has_nul(value):
                raise ValueError(f"{name} contains a NUL character (U+0000)")
        return self

"""The base of every request body: unknown fields refused, text trimmed, NUL refused.

PostgreSQL cannot store U+0000 in text; SQLite can, but no person types it. Refusing it at
the edge, with the field named, keeps both backends alike and never lets it reach a 500.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, ValidationInfo, model_validator


def _is_nul_text(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, list | tuple):
        return any(isinstance(v, str) and "\x00" in v for v in value)
    return False


def _may_hold_nul(data: dict[Any, Any]) -> bool:
    """False only when no text anywhere in ``data`` holds U+0000: one pass in C over the
    JSON form, where the character can only appear escaped (a false alarm costs a walk)."""
    try:
        return b"\\u0000" in orjson.dumps(data, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # something JSON cannot hold: look at every field instead
        return True


# The validation context of a record whose JSON form was seen to hold no U+0000 (say, while
# it was serialised for its digest): its models skip the check, each of them a serialisation.
NUL_FREE: dict[str, bool] = {"nul_free": True}


def nul_free(dumped: bytes) -> dict[str, bool] | None:
    """The context to validate a record with, given its JSON form."""
    return None if b"\\u0000" in dumped else NUL_FREE


class Input(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_nul(cls, data: Any, info: ValidationInfo) -> Any:
        # each nested model checks its own fields when pydantic reaches it, so the error
        # names the innermost field (items[1].description)
        if info.context is NUL_FREE:
            return data
        if isinstance(data, dict) and _may_hold_nul(data):
            for name, value in data.items():
                if _is_nul_text(name) or _is_nul_text(value):
                    raise ValueError(f"{name!s} contains a NUL character (U+0000)")
        return data

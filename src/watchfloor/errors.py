"""One error hierarchy, rendered by the web layer as RFC 9457 problem details.

Services raise these; they never import FastAPI. Each error names what went wrong in terms the
caller can act on: the record, the field and the reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def field_path(loc: Sequence[Any]) -> str:
    """A field's place in a record, in the one syntax every error body uses: attribute
    names joined by dots, list positions in brackets.

    >>> field_path(("items", 0, "hs_code"))
    'items[0].hs_code'
    """
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


@dataclass
class FieldProblem:
    """One reason a field of a record was refused."""

    field: str
    reason: str
    record: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "reason": self.reason}
        if self.record is not None:
            out["record"] = self.record
        return out


@dataclass
class WatchfloorError(Exception):
    """Base of all errors a caller may see."""

    detail: str
    problems: list[FieldProblem] = field(default_factory=list)
    status = 400
    title = "Bad request"

    def __str__(self) -> str:
        return self.detail


class Invalid(WatchfloorError):
    status = 422
    title = "Invalid input"


class Unauthenticated(WatchfloorError):
    status = 401
    title = "Authentication required"


class Forbidden(WatchfloorError):
    status = 403
    title = "Forbidden"


class NotFound(WatchfloorError):
    status = 404
    title = "Not found"


class Conflict(WatchfloorError):
    status = 409
    title = "Conflict"


class TooLarge(WatchfloorError):
    status = 413
    title = "Payload too large"


class TooManyRequests(WatchfloorError):
    status = 429
    title = "Too many requests"


class BadRequest(WatchfloorError):
    status = 400
    title = "Bad request"

"""Schemathesis drives every API operation with generated input: never a 5xx, always problems."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from sqlalchemy import Engine

from tests.helpers import api_headers


def fuzz(operation: Any, headers: dict[str, str], seen: dict[str, set[int]]) -> None:
    label = f"{operation.method.upper()} {operation.path}"

    @given(case=operation.as_strategy())
    @settings(
        max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck)
    )
    def check(case: Any) -> None:
        # this judges answers, not speed: a scan of the demo's periods on a loaded two-core
        # machine outlasted schemathesis's 10 s default, and no operation here streams
        response = case.call(headers=headers, timeout=120)
        assert response.status_code < 500, (label, case.body, response.text)
        if response.status_code >= 400:
            content_type = response.headers.get("content-type") or []
            assert "application/problem+json" in content_type, (label, response.text)
        seen.setdefault(label, set()).add(response.status_code)

    check()


@pytest.mark.slow
def test_no_operation_answers_generated_input_with_a_server_error(engine: Engine) -> None:
    from watchfloor.web.app import create_app

    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(engine))
    headers = api_headers(engine, "US-CBP", "admin")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 9
    seen: dict[str, set[int]] = {}
    for operation in operations:
        fuzz(operation, headers, seen)
    assert len(seen) == len(operations)

"""Schemathesis against the OpenAPI schema, in process: over a thousand generated requests
across every operation, no 5xx, no NaN, and every answer valid against the response schema
its operation publishes (errors included)."""

from __future__ import annotations

import json

import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import response_schema_conformance

from errorscape.server.app import create_app
from errorscape.server.settings import Settings

# Small limits keep each generated run quick and its shapes few (every shape compiles).
APP = create_app(
    Settings(
        warmup=False,
        compile_cache_dir=None,
        allowed_hosts=["testserver"],
        max_starts=16,
        max_steps=50,
        max_configs=2,
        max_rest_point_steps=400,
        max_grid=12,
        max_basin_grid=6,
        max_basin_point_steps=2000,
        max_lab_work=2_000_000,
    )
)
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", APP)
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]
CASES = 1100


def test_generated_requests_never_get_a_server_error():
    seen: dict[str, int] = {}

    @settings(max_examples=CASES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=st.one_of([op.as_strategy() for op in OPERATIONS]))
    def check(case):
        key = f"{case.operation.method.upper()} {case.operation.path}"
        seen[key] = seen.get(key, 0) + 1
        # The first GET /api/timing compiles and times seven programs: seconds, more on a machine
        # busy with other tests than the transport's default 10 s read timeout. This test checks
        # answers, not latency.
        response = case.call(timeout=120)
        assert response.status_code < 500, (key, response.text[:500])
        text = response.text
        assert "NaN" not in text and "Infinity" not in text
        json.loads(text)
        # The answer is what the schema promises for its status: the validated 200 models, and
        # the documented error shapes.
        case.validate_response(response, checks=[response_schema_conformance])

    check()
    assert sum(seen.values()) >= 1000, seen
    assert len(seen) == len(OPERATIONS) >= 6, seen

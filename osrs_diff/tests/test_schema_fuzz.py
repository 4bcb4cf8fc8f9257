"""Schemathesis against our own OpenAPI schema: no 5xx, every answer as documented.

Bounded for `make test` (a few examples per operation, derandomised); `bench/fuzz.sh` runs the
long version. Requests go through the real WSGI stack, authenticated as a staff user, with the
fake hiscores server standing in for Jagex.
"""

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

# A bounded run in make test; bench/fuzz.sh sets FUZZ_MAX_EXAMPLES for the long one.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
# What users rely on: never a 5xx, and every answer (status, content type, headers, body) as the
# schema documents it. Cross-field rules (a range of at most 10 years, world >= 1 ...) are not all
# expressible in OpenAPI, so "schema-valid input must be accepted" is not one of the checks.
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_app():
    """The real WSGI app, minus the per-request connection recycling (as Django's test client
    does): it would close the test's transaction."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    from osrs_diff.wsgi import application

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield application
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(db, wsgi_app, fake_hiscores, staff_user):
    from tests.factories import PlayerFactory

    fake_hiscores.add_player("Zezima", stats={"attack": 1_000_000})
    PlayerFactory(username="Zezima")
    return schemathesis.openapi.from_wsgi("/schema", wsgi_app)


schema = schemathesis.pytest.from_fixture("api_schema")


@pytest.fixture
def staff_headers(staff_user):
    from rest_framework_simplejwt.tokens import RefreshToken

    return {"Authorization": f"Bearer {RefreshToken.for_user(staff_user).access_token}"}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=MAX_EXAMPLES <= 8,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_without_5xx_and_as_documented(case, staff_headers):
    case.call_and_validate(headers=staff_headers, checks=CHECKS)


# The anonymous pass is a smoke test in make test (most operations answer 401 at once); the long
# run in bench/fuzz.sh gives it the same count as the staff pass.
ANONYMOUS_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "3"))
ERROR_KEYS = {"error_code", "message", "details", "timestamp", "request_id"}


def error_format(ctx, response, case):
    """Every 4xx/5xx is JSON in the one error format (issue 15), whoever asks."""
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and set(body) == ERROR_KEYS, (
            f"{case.method} {case.path}: {response.status_code} not in the error format: "
            f"{response.text[:300]}"
        )


@pytest.fixture
def tight_drops_throttle(settings):
    """Throttled operations answer 429 within a few requests, so their error path is fuzzed too."""
    settings.DROPS_THROTTLE_RATE = "5/minute"


@schema.parametrize()
@settings(
    max_examples=ANONYMOUS_EXAMPLES,
    deadline=None,
    derandomize=ANONYMOUS_EXAMPLES <= 8,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_anonymous_callers_without_5xx(case, tight_drops_throttle):
    # Anonymous: 401s for the authenticated operations (in the error format), real answers for
    # the public ones (/drops, /parties/*, /health, /auth/*), 429 once a throttle is full.
    case.call_and_validate(
        checks=[not_a_server_error, content_type_conformance, response_headers_conformance],
        additional_checks=[error_format],
    )

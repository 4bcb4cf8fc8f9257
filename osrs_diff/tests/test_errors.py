"""Every error leaves the API in one format, with the right status."""

import logging

import pytest
from django.db import OperationalError
from rest_framework.decorators import api_view, permission_classes
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from osrs_diff.exceptions import Conflict, UpstreamUnavailable
from osrs_diff.routing import route
from osrs_diff.urls import urlpatterns as project_urlpatterns

pytestmark = pytest.mark.django_db

ERROR_KEYS = {"error_code", "message", "details", "timestamp", "request_id"}


@api_view(["GET"])
@permission_classes([AllowAny])
def conflict_view(request):
    raise Conflict("Player 'zezima' is already tracked.", details={"username": "zezima"})


@api_view(["GET"])
@permission_classes([AllowAny])
def forbidden_view(request):
    raise PermissionDenied("Staff only.")


@api_view(["GET"])
@permission_classes([AllowAny])
def upstream_view(request):
    raise UpstreamUnavailable("The hiscores are unavailable.", error_code="hiscores_unavailable")


@api_view(["GET"])
@permission_classes([AllowAny])
def crash_view(request):
    raise RuntimeError("secret internals: password=hunter2")


@api_view(["GET"])
@permission_classes([AllowAny])
def database_down_view(request):
    raise OperationalError("connection refused")


@api_view(["POST"])
@permission_classes([AllowAny])
def echo_view(request):
    return Response(request.data)


urlpatterns = [
    route("t/conflict", conflict_view),
    route("t/forbidden", forbidden_view),
    route("t/upstream", upstream_view),
    route("t/crash", crash_view),
    route("t/db-down", database_down_view),
    route("t/echo", echo_view),
    *project_urlpatterns,
]


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == ERROR_KEYS
    assert body["error_code"] == code
    assert body["message"]
    assert "+00:00" in body["timestamp"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_unknown_url_is_a_json_404(api_client):
    assert_error(api_client.get("/no/such/thing"), 404, "not_found")
    assert_error(api_client.delete("/no/such/thing"), 404, "not_found")


def test_wrong_method_is_405(api_client):
    assert_error(api_client.delete("/health"), 405, "method_not_allowed")


def test_anonymous_request_is_401(api_client):
    assert_error(api_client.get("/auth/me"), 401, "not_authenticated")


@pytest.mark.urls(__name__)
def test_permission_denied_is_403(api_client):
    assert_error(api_client.get("/t/forbidden"), 403, "permission_denied")


@pytest.mark.urls(__name__)
def test_conflict_is_409_with_details(api_client):
    body = assert_error(api_client.get("/t/conflict"), 409, "conflict")
    assert body["details"] == {"username": "zezima"}


@pytest.mark.urls(__name__)
def test_upstream_failure_is_503_with_its_code(api_client):
    assert_error(api_client.get("/t/upstream"), 503, "hiscores_unavailable")


@pytest.mark.urls(__name__)
def test_unhandled_exception_is_500_without_internals(api_client, caplog):
    with caplog.at_level(logging.ERROR):
        response = api_client.get("/t/crash")

    body = assert_error(response, 500, "internal_error")
    assert "hunter2" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["message"] == "An unexpected error occurred."
    # The stack trace goes to the log, tagged with the request id.
    assert any(record.request_id == body["request_id"] for record in caplog.records)


@pytest.mark.urls(__name__)
def test_database_outage_is_a_clean_503(api_client):
    response = api_client.get("/t/db-down")

    assert_error(response, 503, "database_unavailable")
    assert response["Retry-After"]


@pytest.mark.urls(__name__)
def test_malformed_json_is_a_400_parse_error(api_client):
    response = api_client.generic(
        "POST", "/t/echo", b'{"world": 4', content_type="application/json"
    )
    assert_error(response, 400, "parse_error")


@pytest.mark.urls(__name__)
def test_wrong_content_type_is_415(api_client):
    response = api_client.generic("POST", "/t/echo", b"world=444", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


@pytest.mark.urls(__name__)
def test_oversized_body_is_413(api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client.generic(
        "POST", "/t/echo", b'{"a": "' + b"x" * 2000 + b'"}', content_type="application/json"
    )
    assert_error(response, 413, "payload_too_large")


def test_throttled_is_429_with_retry_after(api_client, user):
    for _ in range(10):
        api_client.post("/auth/login", {"username": "x", "password": "y"}, format="json")
    response = api_client.post("/auth/login", {"username": "x", "password": "y"}, format="json")

    assert_error(response, 429, "throttled")
    assert int(response["Retry-After"]) >= 1


def test_trailing_slash_is_accepted_without_redirect(api_client):
    assert api_client.get("/health").status_code == 200
    assert api_client.get("/health/").status_code == 200

"""X-Request-ID is echoed or generated, and tags the log lines of its request."""

import logging

import pytest

pytestmark = pytest.mark.django_db


def test_a_supplied_request_id_is_echoed(api_client):
    response = api_client.get("/health", HTTP_X_REQUEST_ID="client-abc-123")

    assert response["X-Request-ID"] == "client-abc-123"


def test_a_request_id_is_generated_when_missing(api_client):
    first = api_client.get("/health")["X-Request-ID"]
    second = api_client.get("/health")["X-Request-ID"]

    assert len(first) == 32 and first != second


def test_an_unsafe_request_id_is_replaced(api_client):
    response = api_client.get("/health", HTTP_X_REQUEST_ID="bad id\nInjected: yes")

    assert response["X-Request-ID"] != "bad id\nInjected: yes"
    assert len(response["X-Request-ID"]) == 32


def test_the_access_log_line_carries_request_id_method_path_status_and_duration(api_client, caplog):
    with caplog.at_level(logging.INFO, logger="osrs_diff.access"):
        api_client.get("/no/such/route", HTTP_X_REQUEST_ID="trace-42")

    [line] = [r for r in caplog.records if r.name == "osrs_diff.access"]
    assert line.request_id == "trace-42"
    assert (line.method, line.path, line.status) == ("GET", "/no/such/route", 404)
    assert line.duration_ms >= 0


def test_error_bodies_carry_the_same_request_id(api_client):
    response = api_client.get("/auth/me", HTTP_X_REQUEST_ID="trace-43")

    assert response.json()["request_id"] == "trace-43"


def test_json_log_lines_are_single_json_objects_with_the_request_id():
    import json

    from pythonjsonlogger.json import JsonFormatter

    from osrs_diff.context import request_id_var
    from osrs_diff.logging import ContextFilter

    record = logging.LogRecord("osrs_diff.test", logging.INFO, __file__, 1, "hello", None, None)
    token = request_id_var.set("trace-44")
    try:
        ContextFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s").format(record)

    payload = json.loads(line)
    assert payload["request_id"] == "trace-44"
    assert payload["message"] == "hello"

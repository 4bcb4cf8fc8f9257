"""Liveness, readiness with live and dead dependencies, and the API docs."""

import pytest

pytestmark = pytest.mark.django_db


def test_health_is_public_and_ok(api_client):
    response = api_client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_reports_each_dependency(api_client):
    response = api_client.get("/health/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["broker"] == {"status": "ok", "critical": True, "transport": "redis"}
    assert body["checks"]["hiscores"]["critical"] is False


def test_ready_is_503_naming_a_dead_broker(api_client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    response = api_client.get("/health/ready")

    assert response.status_code == 503
    body = response.json()
    assert body["error_code"] == "dependency_unavailable"
    assert body["details"]["failing"] == ["broker"]
    assert "broker" in body["message"]


def test_ready_is_503_naming_a_dead_database(api_client, monkeypatch):
    from django.db import OperationalError

    from osrs_diff import health

    def database_down():
        raise OperationalError("connection refused")

    monkeypatch.setitem(
        health._checks, "database", health.ReadinessCheck("database", database_down)
    )

    response = api_client.get("/health/ready")

    assert response.status_code == 503
    assert response.json()["details"]["failing"] == ["database"]


def test_ready_with_the_embedded_filesystem_broker(api_client, settings, tmp_path):
    settings.REDIS_URL = None
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"data_folder_in": str(tmp_path / "queue")}

    response = api_client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["checks"]["broker"]["transport"] == "filesystem"


def test_docs_and_redoc_are_public_and_served_without_a_cdn(api_client):
    for path in ("/docs", "/redoc"):
        response = api_client.get(path)
        assert response.status_code == 200
        html = response.content.decode()
        assert "cdn.jsdelivr.net" not in html and "unpkg.com" not in html
        assert "/static/drf_spectacular_sidecar/" in html


def test_schema_is_public_and_lists_every_route(api_client):
    from django.urls import get_resolver

    response = api_client.get("/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = response.json()
    documented = set(schema["paths"])
    expected = {"/health", "/health/ready", "/auth/login", "/auth/refresh", "/auth/logout"}
    assert expected | {"/auth/me"} <= documented

    undocumented = {
        "schema",
        "docs",
        "redoc",
        "redoc-bundle",
        "unknown-route",
        "front-door",
        "api-root",
        "admin-systemtask-moved",
    }
    for pattern in _api_patterns(get_resolver()):
        if pattern.name in undocumented or pattern.name is None:
            continue
        path = "/" + _openapi_path(str(pattern.pattern))
        assert path in documented, f"{pattern.name} ({path}) is missing from the schema"


def _api_patterns(resolver, prefix=""):
    from django.urls import URLPattern, URLResolver

    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            if str(pattern.pattern) in ("admin/", "api-auth/"):
                continue
            yield from _api_patterns(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield pattern


def _openapi_path(regex: str) -> str:
    import re

    path = regex.removeprefix("^").removesuffix("$").removesuffix("/?")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", path)
    return re.sub(r"\\(.)", r"\1", path)  # literal characters the route escaped


def test_a_failing_non_critical_check_is_reported_but_keeps_the_service_ready(
    api_client, monkeypatch
):
    from osrs_diff import health

    monkeypatch.setitem(
        health._checks,
        "extra",
        health.ReadinessCheck("extra", lambda: (False, {"state": "open"}), critical=False),
    )

    response = api_client.get("/health/ready")

    assert response.status_code == 200
    assert response.json()["checks"]["extra"] == {
        "status": "down",
        "critical": False,
        "state": "open",
    }

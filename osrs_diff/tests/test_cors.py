"""CORS (django-cors-headers): CORS_ALLOWED_ORIGINS, preflights answered without authentication."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

ALLOWED = "https://clan.example.com"


def preflight(client, origin: str, path: str = "/players"):
    return client.options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization",
    )


def test_preflight_from_an_allowed_origin_gets_the_headers_without_auth(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    response = preflight(client, ALLOWED)

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "GET" in response["Access-Control-Allow-Methods"]
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_actual_request_from_an_allowed_origin_carries_the_header(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    response = client.get("/health", HTTP_ORIGIN=ALLOWED)

    assert response["Access-Control-Allow-Origin"] == ALLOWED


def test_drop_reports_answered_by_the_fast_path_carry_the_header(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    response = client.post(
        "/drops",
        {"world": 302, "item_id": 1, "item_name": "Bones", "quantity": 1, "value": 1},
        content_type="application/json",
        HTTP_ORIGIN=ALLOWED,
    )

    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == ALLOWED


def test_other_origins_get_no_allow_origin_header(client, settings):
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]

    response = preflight(client, "https://evil.example.net")

    assert "Access-Control-Allow-Origin" not in response


def test_cors_is_off_by_default(client):
    from django.conf import settings

    assert settings.CORS_ALLOWED_ORIGINS == []
    response = preflight(client, ALLOWED)
    assert "Access-Control-Allow-Origin" not in response
    assert "Access-Control-Allow-Origin" not in client.get("/health", HTTP_ORIGIN=ALLOWED)

"""Issue 15 item 8: correctly signed tokens with malformed claims are 401, never 500."""

from __future__ import annotations

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

pytestmark = pytest.mark.django_db

MALFORMED = {
    "user_id-sql": {"user_id": "1 OR 1=1"},
    "user_id-list": {"user_id": [1]},
    "user_id-dict": {"user_id": {"id": 1}},
    "user_id-bool": {"user_id": True},
    "user_id-huge": {"user_id": 2**70},
    "exp-1e30": {"exp": 1e30},
    "exp-negative": {"exp": -(2**62)},
    "iat-1e30": {"iat": 1e30},
    "jti-dict": {"jti": {"a": 1}},
}


def forge(payload: dict, changes: dict) -> str:
    """A token signed with the real key (a leaked key is not the threat; our parsing is)."""
    return jwt.encode({**payload, **changes}, settings.SECRET_KEY, algorithm="HS256")


@pytest.fixture
def tokens(user):
    refresh = RefreshToken.for_user(user)
    return {"refresh": refresh.payload, "access": refresh.access_token.payload}


def assert_401(response):
    assert response.status_code == 401, response.content[:300]
    assert response.json()["error_code"] in ("token_not_valid", "authentication_failed")


@pytest.mark.parametrize("changes", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("path", ["/auth/me", "/players", "/schedules", "/tasks/abc"])
def test_a_malformed_access_token_is_401(api_client, tokens, changes, path):
    token = forge(tokens["access"], changes)

    assert_401(api_client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}"))


@pytest.mark.parametrize("changes", MALFORMED.values(), ids=MALFORMED.keys())
@pytest.mark.parametrize("path", ["/auth/refresh", "/auth/logout"])
def test_a_malformed_refresh_token_is_401(api_client, tokens, changes, path):
    token = forge(tokens["refresh"], changes)

    assert_401(api_client.post(path, {"refresh": token}, format="json"))


def test_a_malformed_access_token_on_logout_is_401(api_client, tokens):
    token = forge(tokens["access"], MALFORMED["user_id-sql"])
    response = api_client.post(
        "/auth/logout",
        {"refresh": forge(tokens["refresh"], {})},
        format="json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code in (204, 401)


def test_a_well_formed_forged_copy_still_works(api_client, tokens):
    """The checks refuse shapes, not our own tokens re-signed unchanged."""
    token = forge(tokens["access"], {})

    assert api_client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200


def test_a_refresh_token_of_a_deleted_user_is_401(api_client, tokens, user):
    token = forge(tokens["refresh"], {})
    user.delete()

    response = api_client.post("/auth/refresh", {"refresh": token}, format="json")

    assert response.status_code == 401
    assert response.json()["error_code"] == "authentication_failed"


def test_a_refresh_token_of_an_inactive_user_is_401(api_client, tokens, user):
    token = forge(tokens["refresh"], {})
    user.is_active = False
    user.save()

    response = api_client.post("/auth/refresh", {"refresh": token}, format="json")

    assert response.status_code == 401
    assert response.json()["error_code"] == "authentication_failed"

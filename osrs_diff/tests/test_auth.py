"""Login, refresh rotation, logout blacklisting, throttling and the auth gate."""

import pytest

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass!"


def login(api_client, username="operator", password=PASSWORD):
    return api_client.post(
        "/auth/login", {"username": username, "password": password}, format="json"
    )


def test_login_returns_a_bearer_token_pair(api_client, user, settings):
    response = login(api_client)

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()
    assert body["access"] and body["refresh"]


def test_login_with_wrong_password_is_401_in_the_error_format(api_client, user):
    response = login(api_client, password="wrong")

    assert response.status_code == 401
    body = response.json()
    assert body["error_code"] == "authentication_failed"
    assert set(body) == {"error_code", "message", "details", "timestamp", "request_id"}


def test_login_without_fields_is_a_validation_error(api_client):
    response = api_client.post("/auth/login", {}, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "validation_error"
    assert set(body["details"]) == {"username", "password"}


def test_access_token_opens_authenticated_endpoints(api_client, user):
    access = login(api_client).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")

    response = api_client.get("/auth/me")

    assert response.status_code == 200
    assert response.json()["username"] == "operator"


def test_refresh_rotates_and_blacklists_the_old_refresh_token(api_client, user):
    old_refresh = login(api_client).json()["refresh"]

    rotated = api_client.post("/auth/refresh", {"refresh": old_refresh}, format="json")
    assert rotated.status_code == 200
    assert rotated.json()["access"]
    assert rotated.json()["refresh"] != old_refresh

    reused = api_client.post("/auth/refresh", {"refresh": old_refresh}, format="json")
    assert reused.status_code == 401
    assert reused.json()["error_code"] == "token_not_valid"


def test_logout_blacklists_the_refresh_token(api_client, user):
    refresh = login(api_client).json()["refresh"]

    response = api_client.post("/auth/logout", {"refresh": refresh}, format="json")
    assert response.status_code == 204

    after = api_client.post("/auth/refresh", {"refresh": refresh}, format="json")
    assert after.status_code == 401
    again = api_client.post("/auth/logout", {"refresh": refresh}, format="json")
    assert again.status_code == 401


def test_login_is_throttled_per_ip_with_retry_after(api_client, user, settings):
    settings.AXES_FAILURE_LIMIT = 100  # the rate throttle alone (the lockout: test_login_lockout)
    statuses = [login(api_client, password="wrong").status_code for _ in range(10)]
    assert statuses == [401] * 10

    response = login(api_client)

    assert response.status_code == 429
    assert response.json()["error_code"] == "throttled"
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    "path", ["/auth/me", "/players", "/schedules", "/history/leaderboard", "/tasks/abc"]
)
def test_protected_endpoints_reject_anonymous_requests(api_client, path):
    response = api_client.get(path)

    # A route that does not exist yet is still a 404, never an open door.
    assert response.status_code in (401, 404)
    if response.status_code == 401:
        assert response.json()["error_code"] == "not_authenticated"
        assert response["WWW-Authenticate"].startswith("Bearer")


def test_me_rejects_a_tampered_token(api_client, user):
    access = login(api_client).json()["access"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {access[:-4]}AAAA")

    response = api_client.get("/auth/me")

    assert response.status_code == 401
    assert response.json()["error_code"] == "token_not_valid"


def test_passwords_are_stored_with_argon2_in_production_settings():
    from osrs_diff import settings as project_settings

    assert project_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_login_still_works_when_the_throttle_cache_is_down(api_client, user, monkeypatch):
    from django.core.cache.backends.redis import RedisCache

    from osrs_diff.throttling import ScopedRateThrottle

    dead_redis = RedisCache(  # nothing listens on port 1
        "redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}}
    )
    monkeypatch.setattr(ScopedRateThrottle, "cache", dead_redis)

    response = login(api_client)

    assert response.status_code == 200
    assert response.json()["access"]


@pytest.mark.parametrize(
    "body",
    [
        {"username": 123, "password": "x"},
        {"username": "operator", "password": 123},
        {"username": ["operator"], "password": PASSWORD},
        {"username": "operator", "password": None},
    ],
)
def test_login_with_wrong_json_types_is_a_validation_error_not_a_failed_login(
    api_client, user, body
):
    from axes.models import AccessAttempt

    response = api_client.post("/auth/login", body, format="json")

    assert response.status_code == 400
    assert response.json()["error_code"] == "validation_error"
    assert not AccessAttempt.objects.exists()  # a type error is not a password guess


def test_a_wrong_password_still_counts_as_a_failed_login(api_client, user):
    from axes.models import AccessAttempt

    assert login(api_client, password="wrong").status_code == 401

    assert AccessAttempt.objects.get().failures_since_start == 1


@pytest.mark.parametrize("body", [{"refresh": 123}, {"refresh": ["x"]}, {"refresh": None}])
def test_refresh_with_wrong_json_types_is_a_validation_error(api_client, body):
    response = api_client.post("/auth/refresh", body, format="json")

    assert response.status_code == 400
    assert response.json()["error_code"] == "validation_error"


def test_refresh_with_an_unknown_field_is_a_validation_error(api_client, user):
    refresh = login(api_client).json()["refresh"]

    response = api_client.post("/auth/refresh", {"refresh": refresh, "extra": 1}, format="json")

    assert response.status_code == 400
    assert response.json()["error_code"] == "validation_error"
    assert "extra" in response.json()["details"]

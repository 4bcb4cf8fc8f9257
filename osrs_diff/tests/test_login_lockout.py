"""Issue 15 item 3: one login throttle (django-axes) for every way to log in."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client

from drops.throttling import DropsRateThrottle
from osrs_diff.http import request_client_ip as client_ip

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass!"
LOGINS = {
    "json": "/auth/login",
    "admin": "/admin/login/",
    "api-auth": "/api-auth/login/",
}


def attempt(form: str, username: str, password: str, **extra):
    client = Client()  # a fresh client each time: no session carries over
    if form == "json":
        return client.post(
            LOGINS[form],
            {"username": username, "password": password},
            content_type="application/json",
            **extra,
        )
    return client.post(LOGINS[form], {"username": username, "password": password}, **extra)


def assert_locked_out(response):
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["error_code"] == "throttled"
    assert {"message", "details", "timestamp", "request_id"} <= set(body)
    assert int(response["Retry-After"]) > 0


def test_the_right_password_works_on_every_form(user):
    assert attempt("json", user.username, PASSWORD).status_code == 200
    assert attempt("admin", user.username, PASSWORD).status_code in (200, 302)
    assert attempt("api-auth", user.username, PASSWORD).status_code == 302


@pytest.mark.parametrize("form", ["json", "admin", "api-auth"])
def test_failures_on_every_form_share_one_counter(user, settings, form):
    for failing in ("admin", "admin", "api-auth", "api-auth", "json"):  # 5 = the limit
        attempt(failing, user.username, "wrong-guess")
    assert settings.AXES_FAILURE_LIMIT == 5

    # The right password is refused too: no oracle for the guesser.
    assert_locked_out(attempt(form, user.username, PASSWORD))


@pytest.mark.parametrize("form", ["admin", "api-auth"])
def test_session_logins_are_locked_out_after_the_limit(user, form):
    statuses = [attempt(form, user.username, f"guess-{i}").status_code for i in range(20)]

    assert 429 in statuses
    assert statuses.index(429) < 5
    assert_locked_out(attempt(form, user.username, PASSWORD))


def test_a_username_is_locked_whatever_address_guesses(user):
    for i in range(5):
        attempt("admin", user.username, "wrong", REMOTE_ADDR=f"198.51.100.{i + 1}")

    assert_locked_out(attempt("json", user.username, PASSWORD, REMOTE_ADDR="203.0.113.9"))


def test_an_address_is_locked_whatever_usernames_it_tries(user):
    for i in range(5):
        attempt("api-auth", f"someone-{i}", "wrong", REMOTE_ADDR="198.51.100.7")

    assert_locked_out(attempt("json", user.username, PASSWORD, REMOTE_ADDR="198.51.100.7"))
    assert attempt("json", user.username, PASSWORD, REMOTE_ADDR="198.51.100.8").status_code == 200


def test_the_address_comes_from_the_trusted_proxy_rule(user, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    behind_proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for i in range(5):
        attempt(
            "admin", f"someone-{i}", "wrong", HTTP_X_FORWARDED_FOR="198.51.100.7", **behind_proxy
        )

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    locked = attempt(
        "json", user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.7", **behind_proxy
    )
    assert_locked_out(locked)
    other = attempt(
        "json", user.username, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.8", **behind_proxy
    )
    assert other.status_code == 200


def test_axes_and_the_drop_throttle_see_the_same_client(rf, settings):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    request = rf.get("/", HTTP_X_FORWARDED_FOR="1.2.3.4, 198.51.100.7", REMOTE_ADDR="10.0.0.1")

    assert client_ip(request) == "198.51.100.7"
    assert DropsRateThrottle().get_ident(request) == client_ip(request)


def test_a_successful_json_login_resets_the_failures(user):
    for _ in range(4):
        attempt("json", user.username, "wrong")
    assert attempt("json", user.username, PASSWORD).status_code == 200
    for _ in range(4):
        attempt("admin", user.username, "wrong")

    assert attempt("json", user.username, PASSWORD).status_code == 200

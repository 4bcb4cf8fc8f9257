"""Issue 15 item 9: a password change ends every access and refresh token issued before it."""

from __future__ import annotations

import pytest
from django.contrib.auth.management.commands import changepassword
from django.core.management import call_command
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-pass!"
NEW_PASSWORD = "an0ther-l0ng-passphrase"


@pytest.fixture
def sessions(user):
    """Two logins of the user (two devices): their token pairs."""
    client = Client()
    pairs = []
    for _ in range(2):
        response = client.post(
            "/auth/login",
            {"username": user.username, "password": PASSWORD},
            content_type="application/json",
        )
        assert response.status_code == 200
        pairs.append(response.json())
    return pairs


def assert_every_token_refused(pairs):
    client = Client()
    for pair in pairs:
        me = client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
        assert me.status_code == 401
        refreshed = client.post(
            "/auth/refresh", {"refresh": pair["refresh"]}, content_type="application/json"
        )
        assert refreshed.status_code == 401


def test_set_password_and_save_anywhere(user, sessions):
    user.set_password(NEW_PASSWORD)
    user.save()

    assert_every_token_refused(sessions)
    # The refused refresh blacklisted every outstanding refresh token of the user.
    outstanding = OutstandingToken.objects.filter(user=user).count()
    assert BlacklistedToken.objects.filter(token__user=user).count() == outstanding


def test_the_changepassword_command(user, sessions, monkeypatch):
    monkeypatch.setattr(changepassword.Command, "_get_pass", lambda self, prompt=None: NEW_PASSWORD)

    call_command("changepassword", user.username, stdout=None)

    assert_every_token_refused(sessions)


def test_the_admin_password_form(user, sessions, django_user_model):
    admin_user = django_user_model.objects.create_superuser(
        "root", "root@example.com", "r00t-pass!"
    )
    client = Client()
    client.force_login(admin_user)

    response = client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == 302, response.content[:500]
    assert_every_token_refused(sessions)


def test_the_new_password_gives_working_tokens(user, sessions):
    user.set_password(NEW_PASSWORD)
    user.save()
    client = Client()
    pair = client.post(
        "/auth/login",
        {"username": user.username, "password": NEW_PASSWORD},
        content_type="application/json",
    ).json()
    # An old device trying its old token afterwards does not end the new login.
    assert_every_token_refused(sessions)

    assert client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {pair['access']}").status_code == 200
    refreshed = client.post(
        "/auth/refresh", {"refresh": pair["refresh"]}, content_type="application/json"
    )
    assert refreshed.status_code == 200

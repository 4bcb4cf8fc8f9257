"""Issue 15 item 4: a refresh token rotates once; reusing a rotated one revokes its family."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

PASSWORD = "s3cret-pass!"


def login(client: Client, username: str) -> dict:
    response = client.post(
        "/auth/login", {"username": username, "password": PASSWORD}, content_type="application/json"
    )
    assert response.status_code == 200
    return response.json()


def refresh(client: Client, token: str):
    return client.post("/auth/refresh", {"refresh": token}, content_type="application/json")


def me(client: Client, access: str) -> int:
    return client.get("/auth/me", HTTP_AUTHORIZATION=f"Bearer {access}").status_code


def in_own_connection(work):
    """Run `work` in a thread of its own: its own connection, autocommit, outside the test's
    transaction - what other requests would see."""

    def run():
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def committed_user(db):
    """A user committed for real (the eight requests run on eight connections), removed after.

    No flush (a transactional test's flush would renumber the content types the drills' serialized
    rollback restores): the rows this test commits are deleted by hand.
    """
    name = f"rotation-{uuid.uuid4().hex[:8]}"
    account = in_own_connection(
        lambda: get_user_model().objects.create_user(username=name, password=PASSWORD)
    )

    def cleanup():
        OutstandingToken.objects.filter(user_id=account.pk).delete()  # and their blacklist rows
        AccessAttempt.objects.filter(username=name).delete()
        AccessLog.objects.filter(username=name).delete()
        get_user_model().objects.filter(pk=account.pk).delete()

    yield account
    in_own_connection(cleanup)


def test_eight_concurrent_refreshes_with_one_token_give_exactly_one_new_pair(committed_user):
    token = in_own_connection(lambda: login(Client(), committed_user.username)["refresh"])
    start = threading.Barrier(8)

    def use(_):
        try:
            start.wait(timeout=10)
            return refresh(Client(), token)
        finally:
            connection.close()  # each thread has its own database connection

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(use, range(8)))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] + [401] * 7, statuses
    for response in responses:
        if response.status_code == 401:
            assert response.json()["error_code"] == "token_not_valid"
    # Outstanding: the login's token and the one rotation's token, no more.
    outstanding = in_own_connection(
        lambda: OutstandingToken.objects.filter(user_id=committed_user.pk).count()
    )
    assert outstanding == 2
    # The losers were the same client racing itself, not a thief: the winner's pair keeps working.
    (winner,) = [response.json() for response in responses if response.status_code == 200]
    assert in_own_connection(lambda: me(Client(), winner["access"])) == 200
    again = in_own_connection(lambda: refresh(Client(), winner["refresh"]))
    assert again.status_code == 200
    assert in_own_connection(lambda: me(Client(), again.json()["access"])) == 200


def age_rotations(seconds: int) -> None:
    """Move every rotation (blacklisting) back in time, past the reuse grace window."""
    for row in BlacklistedToken.objects.all():
        BlacklistedToken.objects.filter(pk=row.pk).update(
            blacklisted_at=row.blacklisted_at - timedelta(seconds=seconds)
        )


@pytest.mark.django_db
def test_reusing_a_rotated_token_revokes_every_token_issued_from_it(user, settings):
    client = Client()
    first = login(client, user.username)
    second = refresh(client, first["refresh"]).json()
    third = refresh(client, second["refresh"]).json()
    assert me(client, third["access"]) == 200
    age_rotations(settings.JWT_REFRESH_REUSE_GRACE_SECONDS + 1)

    reuse = refresh(client, first["refresh"])

    assert reuse.status_code == 401
    assert refresh(client, third["refresh"]).status_code == 401
    assert me(client, third["access"]) == 401
    assert me(client, second["access"]) == 401


@pytest.mark.django_db
def test_reuse_leaves_the_users_other_logins_alone(user):
    client = Client()
    stolen = login(client, user.username)
    other_device = login(client, user.username)
    assert refresh(client, stolen["refresh"]).status_code == 200
    age_rotations(11)

    assert refresh(client, stolen["refresh"]).status_code == 401

    assert me(client, other_device["access"]) == 200
    assert refresh(client, other_device["refresh"]).status_code == 200


@pytest.mark.django_db
def test_a_logged_out_refresh_token_cannot_refresh(user):
    client = Client()
    pair = login(client, user.username)
    logout = client.post(
        "/auth/logout",
        {"refresh": pair["refresh"]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pair['access']}",
    )
    assert logout.status_code == 204

    assert refresh(client, pair["refresh"]).status_code == 401


@pytest.mark.django_db
def test_reuse_within_the_grace_window_is_refused_without_revoking(user, settings):
    settings.JWT_REFRESH_REUSE_GRACE_SECONDS = 10
    client = Client()
    first = login(client, user.username)
    second = refresh(client, first["refresh"]).json()

    late_loser = refresh(client, first["refresh"])

    assert late_loser.status_code == 401
    assert me(client, second["access"]) == 200
    assert refresh(client, second["refresh"]).status_code == 200


@pytest.mark.django_db
def test_the_grace_window_is_measured_from_the_rotation(user, settings):
    settings.JWT_REFRESH_REUSE_GRACE_SECONDS = 10
    client = Client()
    first = login(client, user.username)
    second = refresh(client, first["refresh"]).json()
    age_rotations(11)

    assert refresh(client, first["refresh"]).status_code == 401

    assert me(client, second["access"]) == 401
    assert refresh(client, second["refresh"]).status_code == 401

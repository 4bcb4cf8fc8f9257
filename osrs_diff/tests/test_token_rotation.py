"""Issue 15 item 4: a refresh token rotates once; reusing a rotated one revokes its family."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

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


# Real commits and eight connections; serialized_rollback like the drills, so the flush after it
# leaves the content types for the next serialized test to restore (no duplicate ids).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_eight_concurrent_refreshes_with_one_token_give_exactly_one_new_pair(user):
    token = login(Client(), user.username)["refresh"]
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
    assert OutstandingToken.objects.filter(user=user).count() == 2


@pytest.mark.django_db
def test_reusing_a_rotated_token_revokes_every_token_issued_from_it(user):
    client = Client()
    first = login(client, user.username)
    second = refresh(client, first["refresh"]).json()
    third = refresh(client, second["refresh"]).json()
    assert me(client, third["access"]) == 200

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

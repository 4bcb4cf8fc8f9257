"""A burst of adds of one name: one request detects and stores it, the others answer 409 at once."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import User
from django.db import connection
from rest_framework.test import APIClient

from hiscores.integration.results import Board
from players.models import Player
from players.services import players_delete


def in_own_connection(work):
    """Run `work` on a connection of its own (autocommit, outside the test's transaction)."""

    def run():
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


@pytest.fixture
def committed_adds():
    """The players the threads commit for real, deleted by hand afterwards (no flush: a
    transactional test's flush would renumber the content types the drills restore)."""
    from django.db.models import Max

    from osrs_diff.models import OutboxEvent, PeriodicTaskDeletion

    def last_ids():
        return [model.objects.aggregate(m=Max("pk"))["m"] or 0 for model in BOOKKEEPING]

    BOOKKEEPING = (PeriodicTaskDeletion, OutboxEvent)
    before = in_own_connection(last_ids)
    yield

    def cleanup():
        players_delete(players=Player.objects.filter(username_key="demo deiron"))
        for model, last in zip(BOOKKEEPING, before, strict=True):
            model.objects.filter(pk__gt=last).delete()  # the delete's tombstone, events

    in_own_connection(cleanup)


@pytest.mark.django_db
def test_concurrent_adds_of_one_name_detect_once_and_the_others_get_409(
    hiscores_http, committed_adds
):
    hiscores_http.add("Demo Deiron", regular=5_000_000, ironman=5_000_000)
    answer = hiscores_http.answer

    def slow_answer(request, board: Board):
        time.sleep(0.2)  # a detection takes a while: the other requests arrive meanwhile
        return answer(request, board)

    hiscores_http.answer = slow_answer
    operator = User(username="burst", is_staff=True)  # never saved: nothing to flush
    start = threading.Barrier(10)
    responses = []
    errors = []

    def add() -> None:
        client = APIClient()
        client.force_authenticate(operator)
        try:
            start.wait()
            responses.append(client.post("/players", {"username": "demo_deiron"}, format="json"))
        except BaseException as exc:
            errors.append(exc)
            raise
        finally:
            connection.close()

    threads = [threading.Thread(target=add) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors, errors
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 9, [(r.status_code, r.json()["message"]) for r in responses]
    losers = [r.json() for r in responses if r.status_code == 409]
    assert all(body["error_code"] == "conflict" for body in losers), losers
    assert all("being added by another request" in body["message"] for body in losers)
    assert in_own_connection(lambda: list(Player.objects.values_list("username", flat=True))) == [
        "demo_deiron"
    ]
    # Only the winner spent hiscores requests: one detection (at most one lookup per board).
    assert 2 <= hiscores_http.total_requests <= len(Board)


@pytest.mark.django_db
def test_the_name_is_free_again_after_a_failed_add(hiscores_http):
    hiscores_http.add("Gone Soon", regular="down")
    client = APIClient()
    client.force_authenticate(User(username="op", is_staff=True))

    assert client.post("/players", {"username": "Gone Soon"}, format="json").status_code == 502

    hiscores_http.add("Gone Soon", regular=1_000)
    assert client.post("/players", {"username": "gone_soon"}, format="json").status_code == 201

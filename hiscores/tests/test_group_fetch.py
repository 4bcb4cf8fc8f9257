"""POST /groups/{id}/fetch: one interactive fetch per active member, once, within the cap, with
an estimate from the shared interactive line."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from hiscores import groups
from osrs_diff.queues import INTERACTIVE, SCHEDULED
from players.groups import services
from players.models import Group
from tests.broker import queued
from tests.factories import PlayerFactory

FETCH = "hiscores.fetch_player"


def _group_of(*players, name: str = "Clan") -> Group:
    group = services.group_create(name=name)
    services.group_members_add(group=group, players=list(players))
    return group


def _queued_ids() -> list[int]:
    messages = queued(INTERACTIVE)
    assert all(m.task == FETCH and m.headers["interactive"] is True for m in messages)
    return [m.kwargs["player_id"] for m in messages]


@pytest.mark.django_db
def test_it_queues_one_interactive_fetch_per_active_member(auth_client, settings):
    settings.OSRS_HISCORES_RATE = 1.0  # one slot a second
    now = timezone.now()
    never = PlayerFactory(username="Never", schedule=False)
    old = PlayerFactory(username="Old", last_fetched=now - timedelta(hours=2), schedule=False)
    paused = PlayerFactory(username="Paused", is_active=False, schedule=False)
    fresh = PlayerFactory(username="Fresh", last_fetched=now - timedelta(minutes=1), schedule=False)
    group = _group_of(old, never, paused, fresh)

    response = auth_client.post(f"/groups/{group.pk}/fetch")

    assert response.status_code == 202
    body = response.json()
    assert body["queued"] == 2 and body["skipped"] == 2
    assert body["skipped_by_reason"] == {
        "paused": 1,
        "fetched_recently": 1,
        "pending": 0,
        "over_cap": 0,
    }
    # Least recently fetched first; 2 fetches, 1 s a slot, 1 s for the last request itself.
    assert [f["username"] for f in body["fetches"]] == ["Never", "Old"]
    assert body["estimated_completion_seconds"] == 2.0
    assert body["estimated_completion_at"] is not None
    assert _queued_ids() == [never.pk, old.pk]
    assert queued(SCHEDULED) == []


@pytest.mark.django_db
def test_a_second_call_at_once_queues_nobody_again(auth_client):
    group = _group_of(*PlayerFactory.create_batch(3, schedule=False))
    first = auth_client.post(f"/groups/{group.pk}/fetch").json()
    second = auth_client.post(f"/groups/{group.pk}/fetch")
    assert first["queued"] == 3
    assert second.status_code == 200
    assert second.json()["queued"] == 0
    assert second.json()["skipped_by_reason"]["pending"] == 3
    assert len(_queued_ids()) == 3


@pytest.mark.django_db
def test_a_member_of_two_groups_is_queued_once(auth_client):
    shared = PlayerFactory(username="Shared", schedule=False)
    clan = _group_of(shared, PlayerFactory(schedule=False))
    team = _group_of(shared, name="Team")
    assert auth_client.post(f"/groups/{clan.pk}/fetch").json()["queued"] == 2
    assert auth_client.post(f"/groups/{team.pk}/fetch").json()["queued"] == 0
    assert sorted(_queued_ids()).count(shared.pk) == 1


@pytest.mark.django_db
def test_members_past_the_cap_are_skipped_and_fetched_by_the_next_call(monkeypatch):
    monkeypatch.setattr(groups, "GROUP_FETCH_MAX", 2)
    players = PlayerFactory.create_batch(3, schedule=False)
    group = _group_of(*players)
    first = groups.group_fetch(group=group)
    assert len(first.queued) == 2 and first.skipped_by_reason["over_cap"] == 1
    second = groups.group_fetch(group=group)
    assert len(second.queued) == 1 and second.skipped_by_reason["pending"] == 2
    assert sorted(_queued_ids()) == sorted(p.pk for p in players)


@pytest.mark.django_db
def test_the_estimate_counts_the_fetches_already_in_line(settings):
    settings.OSRS_HISCORES_RATE = 1.0
    clan = _group_of(*PlayerFactory.create_batch(3, schedule=False))
    team = _group_of(*PlayerFactory.create_batch(2, schedule=False), name="Team")
    assert groups.group_fetch(group=clan).estimated_completion_seconds == 3.0
    # Three slots taken (and three messages waiting): the team's two come after them.
    assert groups.group_fetch(group=team).estimated_completion_seconds >= 5.0


@pytest.mark.django_db
def test_fetching_a_group_needs_change_player(reader_client, api_client):
    group = _group_of(PlayerFactory(schedule=False))
    assert reader_client.post(f"/groups/{group.pk}/fetch").status_code == 403
    assert api_client.post(f"/groups/{group.pk}/fetch").status_code == 401
    assert reader_client.post("/groups/999999/fetch").status_code == 403
    assert _queued_ids() == []


@pytest.mark.django_db
def test_an_empty_group_queues_nothing(auth_client):
    group = services.group_create(name="Empty")
    response = auth_client.post(f"/groups/{group.pk}/fetch")
    assert response.status_code == 200
    assert response.json()["queued"] == 0
    assert response.json()["estimated_completion_at"] is None


@pytest.mark.django_db(transaction=True, available_apps=["players", "hiscores", "osrs_diff"])
def test_concurrent_calls_queue_each_member_exactly_once():
    players = PlayerFactory.create_batch(20, schedule=False)
    group = _group_of(*players)
    callers = 4
    barrier = threading.Barrier(callers)
    results: list[groups.GroupFetch] = []
    errors: list[BaseException] = []

    def call():
        try:
            barrier.wait()
            results.append(groups.group_fetch(group=Group.objects.get(pk=group.pk)))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(len(r.queued) for r in results) == 20
    assert sorted(_queued_ids()) == sorted(p.pk for p in players)

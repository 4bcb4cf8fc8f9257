"""Adaptive intervals applied by the fetch (issue 16): backoff, reset, the PeriodicTask row, the
drift check, redeliveries, and ADAPTIVE_FETCH=false."""

import time
import uuid
from unittest import mock

import pytest
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from hiscores.outcomes import FetchStatus
from hiscores.tasks import fetch_player
from players.models import Player
from players.schedule_drift import schedules_sync_all
from players.services import player_update
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

STATS = {"attack": 1_000_000}


@pytest.fixture
def idle(fake_hiscores, settings):
    settings.ADAPTIVE_FETCH = True
    settings.FETCH_BACKOFF_AFTER_UNCHANGED = 3
    settings.FETCH_BACKOFF_MAX_MINUTES = 1440
    player = PlayerFactory(username="Idle One", fetch_interval_minutes=5)
    fake_hiscores.add_player("Idle One", stats=STATS)
    assert _scheduled(player) == FetchStatus.SUCCESS  # the first reading
    return player


def _scheduled(player, *, delivery=None) -> str:
    """One beat delivery of the player's due time (the previous one is over)."""
    Player.objects.filter(pk=player.pk).update(scheduled_fetch_claimed_at=None)
    player.refresh_from_db()
    headers = {
        "periodic_task_name": f"players.fetch_hiscores:{player.pk}",
        "schedule_interval_seconds": player.schedule_interval_minutes * 60,
        "sent_at": time.time(),
    }
    result = fetch_player.apply(
        kwargs={"player_id": player.pk}, task_id=delivery or str(uuid.uuid4()), headers=headers
    )
    return result.get()["status"]


def _interactive(player) -> str:
    return fetch_player.apply(kwargs={"player_id": player.pk}, headers={"interactive": True}).get()[
        "status"
    ]


def _task(player) -> PeriodicTask:
    player.refresh_from_db()
    return PeriodicTask.objects.select_related("interval").get(pk=player.fetch_task_id)


def _task_seconds(task: PeriodicTask) -> int:
    assert task.interval.period == "minutes"
    return task.interval.every * 60


def test_unchanged_fetches_back_off_and_the_periodic_task_follows(idle):
    with mock.patch.object(PeriodicTask, "save", autospec=True, side_effect=PeriodicTask.save) as s:
        for _ in range(2):
            assert _scheduled(idle) == FetchStatus.UNCHANGED
        idle.refresh_from_db()
        assert (idle.effective_interval_minutes, idle.unchanged_fetches) == (None, 2)
        assert s.call_count == 0  # nothing changed for the task yet

        assert _scheduled(idle) == FetchStatus.UNCHANGED
        assert s.call_count == 1  # one save when the interval changes
    idle.refresh_from_db()
    assert (idle.effective_interval_minutes, idle.unchanged_fetches) == (10, 0)
    assert idle.fetch_interval_minutes == 5  # the operator's setting stays
    task = _task(idle)
    assert (_task_seconds(task), task.expire_seconds) == (600, 1200)

    for _ in range(3):
        _scheduled(idle)
    idle.refresh_from_db()
    assert idle.effective_interval_minutes == 20
    assert _task_seconds(_task(idle)) == 1200


def test_the_backoff_stops_at_the_maximum(idle, settings):
    settings.FETCH_BACKOFF_MAX_MINUTES = 15
    for _ in range(9):
        _scheduled(idle)
    idle.refresh_from_db()
    assert idle.effective_interval_minutes == 15
    assert _task_seconds(_task(idle)) == 900


def test_progress_resets_to_the_configured_interval(idle, fake_hiscores):
    for _ in range(4):
        _scheduled(idle)
    idle.refresh_from_db()
    assert (idle.effective_interval_minutes, idle.unchanged_fetches) == (10, 1)

    fake_hiscores.add_player("Idle One", stats={"attack": 1_100_000})
    assert _scheduled(idle) == FetchStatus.SUCCESS

    idle.refresh_from_db()
    assert (idle.effective_interval_minutes, idle.unchanged_fetches) == (None, 0)
    assert _task_seconds(_task(idle)) == 300


def test_an_interactive_fetch_that_finds_progress_resets_too(idle, fake_hiscores):
    for _ in range(3):
        _scheduled(idle)
    assert _interactive(idle) == FetchStatus.UNCHANGED  # a person's "nothing new" counts not
    idle.refresh_from_db()
    assert (idle.effective_interval_minutes, idle.unchanged_fetches) == (10, 0)

    fake_hiscores.add_player("Idle One", stats={"attack": 1_100_000})
    assert _interactive(idle) == FetchStatus.SUCCESS
    idle.refresh_from_db()
    assert idle.effective_interval_minutes is None
    assert _task_seconds(_task(idle)) == 300


def test_a_redelivered_scheduled_fetch_moves_the_interval_once(idle, fake_hiscores):
    for _ in range(2):
        _scheduled(idle)
    delivery = "the-third-unchanged-fetch"
    assert _scheduled(idle, delivery=delivery) == FetchStatus.UNCHANGED
    idle.refresh_from_db()
    assert (idle.effective_interval_minutes, idle.unchanged_fetches) == (10, 0)

    # The same message again (its ack was lost): it still runs (its claim holds), but the
    # interval does not move a second time.
    headers = {"periodic_task_name": "x", "schedule_interval_seconds": 600, "sent_at": time.time()}
    again = fetch_player.apply(kwargs={"player_id": idle.pk}, task_id=delivery, headers=headers)
    assert again.get()["status"] == FetchStatus.UNCHANGED
    idle.refresh_from_db()
    assert (idle.effective_interval_minutes, idle.unchanged_fetches) == (10, 0)
    assert fake_hiscores.count(player="Idle One") == 5


def test_the_drift_check_treats_the_effective_interval_as_correct(idle):
    for _ in range(3):
        _scheduled(idle)
    task = _task(idle)
    assert _task_seconds(task) == 600

    report = schedules_sync_all(dry_run=True)
    assert report.drift == 0
    with mock.patch.object(PeriodicTask, "save", autospec=True) as saved:
        assert schedules_sync_all().drift == 0
    saved.assert_not_called()
    assert _task_seconds(_task(idle)) == 600
    assert PeriodicTask.objects.get(pk=task.pk).date_changed == task.date_changed


def test_the_drift_check_repairs_a_task_that_lost_the_effective_interval(idle):
    for _ in range(3):
        _scheduled(idle)
    task = _task(idle)
    task.interval, _ = IntervalSchedule.objects.get_or_create(every=5, period="minutes")
    task.save()  # someone put the configured interval back by hand

    assert schedules_sync_all().drift == 1
    assert _task_seconds(_task(idle)) == 600


def test_changing_the_configured_interval_resets_the_effective_one(idle):
    for _ in range(4):
        _scheduled(idle)
    idle.refresh_from_db()
    assert (idle.effective_interval_minutes, idle.unchanged_fetches) == (10, 1)

    player_update(player=idle, fetch_interval_minutes=30)

    idle.refresh_from_db()
    assert (idle.fetch_interval_minutes, idle.effective_interval_minutes) == (30, None)
    assert idle.unchanged_fetches == 0
    assert _task_seconds(_task(idle)) == 1800


def test_with_adaptive_fetch_off_nothing_changes(idle, settings):
    settings.ADAPTIVE_FETCH = False
    task_before = _task(idle)
    with mock.patch.object(PeriodicTask, "save", autospec=True) as saved:
        for _ in range(7):
            assert _scheduled(idle) == FetchStatus.UNCHANGED
    saved.assert_not_called()
    idle.refresh_from_db()
    assert (idle.effective_interval_minutes, idle.unchanged_fetches) == (None, 0)
    assert _task(idle).date_changed == task_before.date_changed


def test_turning_adaptive_fetch_off_resets_a_stretched_interval_at_the_next_fetch(idle, settings):
    for _ in range(3):
        _scheduled(idle)
    settings.ADAPTIVE_FETCH = False

    _scheduled(idle)

    idle.refresh_from_db()
    assert (idle.effective_interval_minutes, idle.unchanged_fetches) == (None, 0)
    assert _task_seconds(_task(idle)) == 300


def test_deferred_stale_and_failed_fetches_do_not_count_as_unchanged(idle, fake_hiscores):
    headers = {
        "periodic_task_name": "x",
        "schedule_interval_seconds": 300,
        "sent_at": time.time() - 400,
    }
    Player.objects.filter(pk=idle.pk).update(scheduled_fetch_claimed_at=None)
    stale = fetch_player.apply(kwargs={"player_id": idle.pk}, headers=headers).get()
    assert stale["status"] == FetchStatus.STALE
    idle.refresh_from_db()
    assert idle.unchanged_fetches == 0

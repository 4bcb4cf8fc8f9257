"""The fetch: the player's board through the client, dedup, 404s, outages and idempotency."""

import threading
from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.results import Board
from hiscores.models import Snapshot
from hiscores.scheduled import scheduled_fetch_claim
from hiscores.services import FetchStatus, snapshot_fetch
from hiscores.tasks import fetch_player
from players.game_modes import GameMode
from tests.factories import PlayerFactory


@pytest.mark.django_db
def test_it_fetches_the_players_own_board(fake_hiscores):
    player = PlayerFactory(username="Iron Bob", game_mode=GameMode.IRONMAN)
    fake_hiscores.add_player("Iron Bob", board=Board.IRONMAN, stats={"attack": 737_627})

    outcome = snapshot_fetch(player_id=player.pk)

    assert outcome.status == FetchStatus.SUCCESS
    snapshot = Snapshot.objects.get(player=player)
    assert snapshot.board == Board.IRONMAN
    assert snapshot.attack_experience == 737_627
    assert fake_hiscores.count(player="Iron Bob", board=Board.IRONMAN) == 1


@pytest.mark.django_db
def test_a_progressing_player_gets_a_row_per_change_and_none_when_idle(fake_hiscores):
    player = PlayerFactory(username="Grinder")
    fake_hiscores.add_player("Grinder", stats={"attack": 1_000_000})
    assert snapshot_fetch(player_id=player.pk).status == FetchStatus.SUCCESS
    assert snapshot_fetch(player_id=player.pk).status == FetchStatus.UNCHANGED

    fake_hiscores.update_player("Grinder", stats={"attack": 1_000_500})

    assert snapshot_fetch(player_id=player.pk).status == FetchStatus.SUCCESS
    assert Snapshot.objects.filter(player=player).count() == 2


@pytest.mark.django_db
def test_a_paused_player_is_not_fetched(fake_hiscores):
    player = PlayerFactory(username="Paused", is_active=False)

    outcome = snapshot_fetch(player_id=player.pk)

    assert (outcome.status, outcome.reason) == (FetchStatus.SKIPPED, "paused")
    assert fake_hiscores.count() == 0


@pytest.mark.django_db
def test_an_unknown_player_id_is_a_logged_no_op(fake_hiscores):
    assert snapshot_fetch(player_id=999_999).status == FetchStatus.SKIPPED


@pytest.mark.django_db
def test_a_404_is_recorded_and_deletes_nothing(fake_hiscores):
    player = PlayerFactory(username="Renamed")
    fake_hiscores.add_player("Renamed", stats={"attack": 1_000_000})
    snapshot_fetch(player_id=player.pk)
    fake_hiscores.remove_player("Renamed")

    outcome = snapshot_fetch(player_id=player.pk)

    player.refresh_from_db()
    assert outcome.status == FetchStatus.NOT_FOUND
    assert player.last_fetch_status == FetchStatus.NOT_FOUND
    assert Snapshot.objects.filter(player=player).count() == 1


# Real commits; the flush afterwards is limited to these apps so data migrations (system
# PeriodicTasks) survive for later tests.
@pytest.mark.django_db(transaction=True, available_apps=["players", "hiscores", "osrs_diff"])
def test_a_404_for_an_iron_player_queues_a_game_mode_check(fake_hiscores):
    player = PlayerFactory(username="Dead Hc", game_mode=GameMode.HARDCORE, schedule=False)

    with mock.patch("players.tasks.check_game_mode.apply_async") as queued:
        outcome = snapshot_fetch(player_id=player.pk)

    assert outcome.status == FetchStatus.NOT_FOUND
    # Background work a fetch found: on `scheduled`, not a person's `interactive`.
    queued.assert_called_once_with(kwargs={"player_id": player.pk}, queue="scheduled")


@pytest.mark.django_db
def test_an_outage_raises_for_retry_and_stores_nothing(fake_hiscores):
    player = PlayerFactory(username="Unlucky")
    fake_hiscores.add_player("Unlucky", stats={"attack": 1_000_000})
    fake_hiscores.set_failures(1.0, ["503", "html", "truncated"])

    with pytest.raises(HiscoresUnavailable):
        snapshot_fetch(player_id=player.pk)

    player.refresh_from_db()
    assert not Snapshot.objects.exists()
    assert player.game_mode == GameMode.REGULAR and not player.flag_reason


@pytest.mark.django_db
def test_the_task_retries_transient_failures(fake_hiscores):
    player = PlayerFactory(username="Unlucky")
    fake_hiscores.add_player("Unlucky", stats={"attack": 1_000_000})
    fake_hiscores.set_failures(1.0, ["503"])

    with (
        mock.patch.object(fetch_player, "retry", side_effect=RuntimeError("retry")) as retry,
        pytest.raises(RuntimeError, match="retry"),
    ):
        fetch_player.apply(kwargs={"player_id": player.pk}, throw=True)

    assert retry.call_args.kwargs["countdown"] <= 120


@pytest.mark.django_db
def test_the_task_gives_up_after_its_retries_and_records_unavailable(fake_hiscores):
    player = PlayerFactory(username="Unlucky")
    fake_hiscores.add_player("Unlucky", stats={"attack": 1_000_000})
    fake_hiscores.set_failures(1.0, ["503"])

    result = fetch_player.apply(kwargs={"player_id": player.pk}, retries=5).get()

    player.refresh_from_db()
    assert result["status"] == FetchStatus.UNAVAILABLE
    assert player.last_fetch_status == FetchStatus.UNAVAILABLE
    assert not Snapshot.objects.exists()


@pytest.mark.django_db
def test_a_redelivered_task_does_not_store_twice(fake_hiscores):
    player = PlayerFactory(username="Redelivered")
    fake_hiscores.add_player("Redelivered", stats={"attack": 1_000_000})

    # The worker stored the snapshot, then died before acknowledging: the broker delivers again.
    first = fetch_player.apply(kwargs={"player_id": player.pk}).get()
    again = fetch_player.apply(kwargs={"player_id": player.pk}).get()

    assert (first["status"], again["status"]) == ("success", "unchanged")
    assert again["snapshot_id"] == first["snapshot_id"]
    assert Snapshot.objects.filter(player=player).count() == 1


# Real commits; the flush afterwards is limited to these apps so data migrations (system
# PeriodicTasks) survive for later tests.
@pytest.mark.django_db(transaction=True, available_apps=["players", "hiscores", "osrs_diff"])
def test_concurrent_duplicate_fetches_store_one_row(fake_hiscores):
    player = PlayerFactory(username="Popular", schedule=False)
    fake_hiscores.add_player("Popular", stats={"attack": 2_000_000})
    workers = 6
    barrier = threading.Barrier(workers)
    statuses: list[str] = []

    def fetch() -> None:
        try:
            barrier.wait(timeout=10)
            statuses.append(snapshot_fetch(player_id=player.pk).status)
        finally:
            connection.close()

    threads = [threading.Thread(target=fetch) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(statuses) == ["success"] + ["unchanged"] * (workers - 1)
    assert Snapshot.objects.filter(player=player).count() == 1


def _beat_headers(interval_seconds=None):
    headers = {"periodic_task_name": "fetch player"}
    if interval_seconds is not None:
        headers["schedule_interval_seconds"] = interval_seconds
    return headers


@pytest.mark.django_db
def test_a_second_beat_sending_the_same_due_time_does_not_fetch_again(fake_hiscores):
    player = PlayerFactory(username="Twice Sent", fetch_interval_minutes=60)
    fake_hiscores.add_player("Twice Sent", stats={"attack": 1_000_000})

    first = fetch_player.apply(kwargs={"player_id": player.pk}, headers=_beat_headers(3600))
    copy = fetch_player.apply(kwargs={"player_id": player.pk}, headers=_beat_headers(3600))

    assert first.get()["status"] == FetchStatus.SUCCESS
    assert (copy.get()["status"], copy.get()["reason"]) == (FetchStatus.SKIPPED, "already_claimed")
    assert fake_hiscores.count(player="Twice Sent") == 1


@pytest.mark.django_db
def test_a_redelivered_scheduled_fetch_keeps_its_claim(fake_hiscores):
    player = PlayerFactory(username="Redeliver")
    fake_hiscores.add_player("Redeliver", stats={"attack": 1_000_000})

    for _ in range(2):  # the same message (same task id) delivered twice
        result = fetch_player.apply(
            kwargs={"player_id": player.pk}, task_id="one-delivery", headers=_beat_headers(3600)
        ).get()
        assert result["status"] != FetchStatus.SKIPPED

    assert fake_hiscores.count(player="Redeliver") == 2
    assert Snapshot.objects.filter(player=player).count() == 1


@pytest.mark.django_db
def test_the_next_due_time_is_claimed_once_half_the_interval_has_passed(fake_hiscores):
    player = PlayerFactory(username="Next Due", fetch_interval_minutes=60)
    start = timezone.now()

    def claim(delivery, minutes_later, interval=None):
        return scheduled_fetch_claim(
            player_id=player.pk,
            delivery_id=delivery,
            interval_seconds=interval,
            now=start + timedelta(minutes=minutes_later),
        )

    assert claim("due-1", 0)
    assert not claim("due-1-copy", 29)  # the player's own interval (60 min) when not sent
    assert claim("due-2", 31)
    assert not claim("due-2-copy", 31.5, interval=120)
    assert claim("due-3", 32.1, interval=120)


@pytest.mark.django_db
def test_behind_a_backlog_the_next_due_time_is_not_taken_for_a_copy(fake_hiscores):
    """Claims go by when beat sent the message: a due time processed late, then the next one
    processed soon after, are still two due times an interval apart."""
    player = PlayerFactory(username="Backlogged", fetch_interval_minutes=5)
    start = timezone.now()

    def claim(delivery, sent_minute, processed_minute):
        return scheduled_fetch_claim(
            player_id=player.pk,
            delivery_id=delivery,
            interval_seconds=300,
            sent_at=start + timedelta(minutes=sent_minute),
            now=start + timedelta(minutes=processed_minute),
        )

    assert claim("due-1", 0, 4)  # waited four minutes in the queue
    assert claim("due-2", 5, 5.5)  # 1.5 minutes after the last claim: still the next due time
    assert not claim("due-2-copy", 5.02, 5.6)  # a second beat's copy, sent a second later


@pytest.mark.django_db
def test_manual_fetches_are_never_skipped_by_a_claim(fake_hiscores):
    player = PlayerFactory(username="Manual")
    fake_hiscores.add_player("Manual", stats={"attack": 1_000_000})
    fetch_player.apply(kwargs={"player_id": player.pk}, headers=_beat_headers(3600)).get()

    manual = fetch_player.apply(kwargs={"player_id": player.pk}).get()

    assert manual["status"] == FetchStatus.UNCHANGED
    assert fake_hiscores.count(player="Manual") == 2


@pytest.mark.django_db
def test_a_claim_for_an_untracked_player_lets_the_fetch_report_the_skip(fake_hiscores):
    result = fetch_player.apply(kwargs={"player_id": 987_654}, headers=_beat_headers()).get()

    assert (result["status"], result["reason"]) == (FetchStatus.SKIPPED, "not_tracked")


def _run_now(*, kwargs, queue):
    from players.tasks import check_game_mode

    assert queue == "scheduled"
    check_game_mode.apply(kwargs=kwargs).get()


@pytest.mark.django_db(transaction=True, available_apps=["players", "hiscores", "osrs_diff"])
def test_a_frozen_hardcore_board_feeds_the_game_mode_check_and_the_dead_hardcore_becomes_ironman(
    fake_hiscores,
):
    player = PlayerFactory(username="Frozen Hc", game_mode=GameMode.HARDCORE, schedule=False)
    died_with = {"attack": 1_000_000}
    fake_hiscores.add_player("Frozen Hc", board=Board.HARDCORE, stats=died_with)
    with time_machine.travel("2026-11-20 06:00:00Z", tick=False):
        assert snapshot_fetch(player_id=player.pk).status == FetchStatus.SUCCESS
    # They died: the hardcore board froze while they kept playing as an ironman.
    fake_hiscores.add_player("Frozen Hc", board=Board.IRONMAN, stats={"attack": 1_400_000})
    fake_hiscores.add_player("Frozen Hc", board=Board.REGULAR, stats={"attack": 1_400_000})

    with (
        time_machine.travel("2026-11-20 09:00:00Z", tick=False),
        mock.patch("players.tasks.check_game_mode.apply_async", side_effect=_run_now) as queued,
    ):
        assert snapshot_fetch(player_id=player.pk).status == FetchStatus.UNCHANGED
    queued.assert_not_called()  # three idle hours are not suspicious yet

    with (
        time_machine.travel("2026-11-20 12:30:00Z", tick=False),
        mock.patch("players.tasks.check_game_mode.apply_async", side_effect=_run_now) as queued,
    ):
        assert snapshot_fetch(player_id=player.pk).status == FetchStatus.UNCHANGED
        queued.assert_called_once_with(kwargs={"player_id": player.pk}, queue="scheduled")
        # The check just ran: the next idle readings do not queue another one.
        assert snapshot_fetch(player_id=player.pk).status != FetchStatus.SKIPPED
        queued.assert_called_once()

    player.refresh_from_db()
    assert player.game_mode == GameMode.IRONMAN


@pytest.mark.django_db
def test_an_idle_regular_player_never_gets_a_game_mode_check(fake_hiscores):
    player = PlayerFactory(username="Idle Main")
    fake_hiscores.add_player("Idle Main", stats={"attack": 1_000_000})
    with time_machine.travel("2026-11-20 06:00:00Z", tick=False):
        snapshot_fetch(player_id=player.pk)

    with (
        time_machine.travel("2026-11-21 06:00:00Z", tick=False),
        mock.patch("players.tasks.check_game_mode.apply_async") as queued,
    ):
        assert snapshot_fetch(player_id=player.pk).status == FetchStatus.UNCHANGED

    queued.assert_not_called()

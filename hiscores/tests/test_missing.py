"""Missing players: N fetches in a row without a board mark one missing; a found board clears it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from hiscores import services
from hiscores.integration.errors import PlayerNotFound
from osrs_diff.events import PLAYER_MISSING
from osrs_diff.models import OutboxEvent
from players.missing import missing_interval_minutes
from players.models import Player
from tests.factories import PlayerFactory, reading


@pytest.mark.parametrize(
    "missed, current, expected",
    [
        (1, None, None),  # not missing yet: the interval is left alone
        (2, None, None),
        (3, None, 120),  # becomes missing: doubled once
        (4, None, 240),
        (6, None, 960),
        (7, None, 1440),  # capped at FETCH_BACKOFF_MAX_MINUTES
        (30, None, 1440),
        (3, 480, 480),  # never shorter than an adaptive interval already in force
    ],
)
def test_missing_interval_doubles_per_miss_up_to_the_cap(missed, current, expected):
    assert (
        missing_interval_minutes(
            configured=60, current=current, missed=missed, after=3, max_minutes=1440
        )
        == expected
    )


def test_cap_never_below_the_configured_interval():
    assert (
        missing_interval_minutes(configured=2880, current=None, missed=5, after=3, max_minutes=60)
        == 2880
    )


class Hiscores:
    def __init__(self) -> None:
        self.found = False

    def __call__(self, name, board):
        if not self.found:
            raise PlayerNotFound(board=str(board))
        return reading({"attack": 2_000_000}, at=timezone.now())


@pytest.fixture
def hiscores(monkeypatch) -> Hiscores:
    fake = Hiscores()
    monkeypatch.setattr(services, "hiscores_fetch", fake)
    return fake


def _interval(player: Player) -> int:
    player.refresh_from_db()
    return int(player.fetch_task.interval.schedule.run_every.total_seconds() // 60)


@pytest.mark.django_db
def test_missing_after_n_fetches_then_cleared_by_a_found_board(
    hiscores, settings, auth_client, admin_client
):
    settings.MISSING_AFTER_FETCHES = 3
    player = PlayerFactory(username="Gone Guy", fetch_interval_minutes=60)

    for _ in range(2):
        assert services.snapshot_fetch(player_id=player.pk).status == "not_found"
    player.refresh_from_db()
    assert (player.missing_fetches, player.missing_since) == (2, None)
    assert _interval(player) == 60

    services.snapshot_fetch(player_id=player.pk)
    player.refresh_from_db()
    assert player.missing_since is not None
    assert player.effective_interval_minutes == 120
    assert _interval(player) == 120
    event = OutboxEvent.objects.get(name=PLAYER_MISSING)
    assert event.data["username"] == "Gone Guy"

    services.snapshot_fetch(player_id=player.pk)  # a further miss: backs off more, no new event
    assert _interval(player) == 240
    assert OutboxEvent.objects.filter(name=PLAYER_MISSING).count() == 1
    assert Player.objects.filter(pk=player.pk).exists()  # never deleted

    body = auth_client.get("/players/Gone Guy").json()
    assert body["missing_since"] is not None
    assert body["missing_fetches"] == 4
    listing = admin_client.get(reverse("admin:players_player_changelist") + "?missing=yes")
    assert "Gone Guy" in listing.content.decode()
    assert (
        "Gone Guy"
        not in admin_client.get(
            reverse("admin:players_player_changelist") + "?missing=no"
        ).content.decode()
    )

    hiscores.found = True
    assert services.snapshot_fetch(player_id=player.pk).status == "success"
    player.refresh_from_db()
    assert (player.missing_fetches, player.missing_since) == (0, None)
    assert player.effective_interval_minutes is None
    assert _interval(player) == 60
    assert auth_client.get("/players/Gone Guy").json()["missing_since"] is None


@pytest.mark.django_db
def test_a_found_board_resets_the_streak_before_it_makes_a_player_missing(hiscores, settings):
    settings.MISSING_AFTER_FETCHES = 2
    player = PlayerFactory(username="Flaky")

    services.snapshot_fetch(player_id=player.pk)
    hiscores.found = True
    services.snapshot_fetch(player_id=player.pk)
    hiscores.found = False
    services.snapshot_fetch(player_id=player.pk)

    player.refresh_from_db()
    assert (player.missing_fetches, player.missing_since) == (1, None)
    assert not OutboxEvent.objects.filter(name=PLAYER_MISSING).exists()


@pytest.mark.django_db
def test_a_backfilled_old_reading_does_not_clear_the_missing_state(hiscores, settings):
    settings.MISSING_AFTER_FETCHES = 1
    player = PlayerFactory(username="Gone Guy")
    services.snapshot_fetch(player_id=player.pk)
    player.refresh_from_db()
    assert player.missing_since is not None

    old = reading({"attack": 1_500_000}, at=player.missing_since - timedelta(days=3))
    services.snapshot_record(player_id=player.pk, reading=old)

    player.refresh_from_db()
    assert player.missing_since is not None


@pytest.mark.django_db
def test_a_rename_ends_the_missing_backoff(hiscores, settings, monkeypatch):
    from hiscores import renames
    from hiscores.renames import player_rename

    monkeypatch.setattr(renames, "hiscores_fetch", hiscores)  # the same fake boards

    settings.MISSING_AFTER_FETCHES = 1
    player = PlayerFactory(username="Gone Guy", fetch_interval_minutes=60)
    services.snapshot_fetch(player_id=player.pk)
    services.snapshot_fetch(player_id=player.pk)
    assert _interval(player) == 240
    hiscores.found = True
    player_rename(player=player, new_username="Back Guy", force=True)
    player.refresh_from_db()
    assert (player.missing_since, player.effective_interval_minutes) == (None, None)
    assert _interval(player) == 60

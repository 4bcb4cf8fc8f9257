"""A rejected reading that flags a player records `player.flagged` in the same transaction."""

from datetime import timedelta

import pytest
from django.db import transaction

from hiscores.services import FetchStatus, snapshot_record
from osrs_diff.models import OutboxEvent
from tests.factories import T0, PlayerFactory, reading

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_outbox(db):
    """Only this test's events (a reused test database may hold committed rows of others)."""
    OutboxEvent.objects.all().delete()


def _flagged():
    return list(OutboxEvent.objects.filter(name="player.flagged").values_list("data", flat=True))


def test_a_newly_flagged_player_records_one_event():
    player = PlayerFactory(username="Zezima")
    snapshot_record(player_id=player.pk, reading=reading({"attack": 500_000}))
    assert _flagged() == []

    outcome = snapshot_record(
        player_id=player.pk, reading=reading({"attack": 400_000}, at=timedelta(hours=1))
    )
    # Still flagged by the next rejected reading: no second event.
    snapshot_record(
        player_id=player.pk, reading=reading({"attack": 300_000}, at=timedelta(hours=2))
    )

    assert outcome.status == FetchStatus.REJECTED
    assert _flagged() == [
        {
            "username": "Zezima",
            "reason": outcome.reason,
            "flagged_at": (T0 + timedelta(hours=1)).isoformat(),
        }
    ]


def test_a_rolled_back_flag_records_nothing():
    player = PlayerFactory(username="Zezima")
    snapshot_record(player_id=player.pk, reading=reading({"attack": 500_000}))
    with pytest.raises(RuntimeError), transaction.atomic():
        snapshot_record(player_id=player.pk, reading=reading({"attack": 1}, at=timedelta(hours=1)))
        raise RuntimeError("rolled back")
    assert _flagged() == []

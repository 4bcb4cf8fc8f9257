"""Issue 15 item 1: a datetime stored out of range (year 1 BC) no longer takes a player down.

The repair migration finds such rows without loading them and removes or clears them; the
database then refuses new ones (`snapshot_fetched_at_in_range`).
"""

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from hiscores.models import Snapshot
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

repair = importlib.import_module(
    "hiscores.migrations.0003_snapshot_fetched_at_in_range"
).repair_out_of_range_datetimes

YEAR_1_BC = "0001-12-31 23:30:00+00 BC"


class _Editor:
    connection = connection


def _store_legacy_rows(player, snapshot):
    """What the old import_snapshots stored for "0001-01-01T00:30:00+01:00" (and 2999)."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks before ALTER
        cursor.execute("ALTER TABLE hiscores_snapshot DROP CONSTRAINT snapshot_fetched_at_in_range")
        cursor.execute(
            "UPDATE hiscores_snapshot SET fetched_at = %s WHERE id = %s", [YEAR_1_BC, snapshot.pk]
        )
        cursor.execute(
            "UPDATE players_player SET last_fetched = %s, last_changed = %s WHERE id = %s",
            ["2999-01-01 00:00:00+00", YEAR_1_BC, player.pk],
        )


@pytest.fixture
def legacy(staff_user):
    player = PlayerFactory(username="Zezima")
    good = Snapshot.objects.create(
        player=player, fetched_at=datetime(2025, 1, 1, tzinfo=UTC), board="hiscore_oldschool"
    )
    bad = Snapshot.objects.create(
        player=player, fetched_at=datetime(2025, 1, 2, tzinfo=UTC), board="hiscore_oldschool"
    )
    _store_legacy_rows(player, bad)
    return player, good


def test_a_year_1_bc_row_takes_the_player_list_down_until_repaired(legacy, staff_client):
    assert staff_client.get("/players").status_code == 500  # what the outside try found

    repair(django_apps, _Editor())

    assert staff_client.get("/players").status_code == 200


def test_after_the_repair_every_read_of_the_player_answers(legacy, staff_client):
    player, good = legacy

    repair(django_apps, _Editor())

    for path in (
        "/players",
        "/schedules",
        "/players/stats?usernames=Zezima",
        "/players/Zezima",
        "/players/Zezima/stats",
        "/players/Zezima/snapshots",
        "/players/Zezima/schedule",
        "/players/Zezima/history",
    ):
        assert staff_client.get(path).status_code < 500, path
    assert list(Snapshot.objects.values_list("id", flat=True)) == [good.pk]
    player.refresh_from_db()
    assert player.last_changed is None
    assert player.last_fetched <= timezone.now()
    assert staff_client.delete("/players/Zezima").status_code == 204
    assert not Player.objects.exists()


@pytest.mark.parametrize(
    "fetched_at", [datetime(2000, 12, 31, tzinfo=UTC), datetime(9999, 6, 1, tzinfo=UTC)]
)
def test_the_database_refuses_a_snapshot_out_of_range(fetched_at):
    player = PlayerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Snapshot.objects.create(player=player, fetched_at=fetched_at, board="hiscore_oldschool")


def test_a_reading_dated_ahead_never_moves_last_fetched_past_now():
    from hiscores.integration.fakes import make_hiscores_body
    from hiscores.integration.parsing import parse_hiscores
    from hiscores.services import snapshot_record

    player = PlayerFactory()
    ahead = timezone.now() + timedelta(hours=12)
    reading = parse_hiscores(
        make_hiscores_body({"attack": 5_000}), board="hiscore_oldschool", fetched_at=ahead
    )

    snapshot_record(player_id=player.pk, reading=reading)

    player.refresh_from_db()
    assert player.last_fetched <= timezone.now()


def test_after_the_repair_fetch_players_all_runs(legacy, fake_hiscores):
    from io import StringIO

    from django.core.management import call_command

    fake_hiscores.add_player("Zezima", stats={"attack": 2_000_000})
    repair(django_apps, _Editor())
    out = StringIO()

    call_command("fetch_players", "--all", stdout=out, stderr=StringIO())

    assert "fetched 1 players" in out.getvalue()

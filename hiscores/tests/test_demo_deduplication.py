"""`manage.py demo_deduplication`: dedup in action against its own fake hiscores server."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from hiscores.models import Snapshot
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("demo_deduplication", *args, stdout=out)
    return out.getvalue()


def test_it_stores_progress_and_skips_unchanged_and_rank_only_readings():
    output = run()

    assert "Tracked Dedup Demo (regular)" in output
    step1, step2, step3 = (
        output.split("\n1. ")[1],
        output.split("\n2. ")[1],
        output.split("\n3. ")[1],
    )
    assert "values changed: none" in step1
    assert "-> unchanged: nothing progressed, so nothing was stored" in step1.split("\n2. ")[0]
    assert "attack 13,034,431 -> 13,039,431" in step2 and "zulrah 250 -> 251" in step2
    assert "-> success: stored snapshot #" in step2.split("\n3. ")[0]
    assert "values changed: none" in step3
    assert "attack rank 48,000 -> 48,137" in step3
    assert "-> unchanged" in step3 and "SNAPSHOT_DEDUP_INCLUDE_RANKS" in step3
    assert "Summary: 4 readings, 2 snapshots stored (2 duplicates skipped)." in output
    # The demo cleans up after itself.
    assert not Player.objects.exists()
    assert not Snapshot.objects.exists()


def test_with_ranks_included_rank_drift_is_stored(settings):
    settings.SNAPSHOT_DEDUP_INCLUDE_RANKS = True

    output = run()

    assert "-> success" in output.split("\n3. ")[1]
    assert "Summary: 4 readings, 3 snapshots stored (1 duplicates skipped)." in output


def test_keep_leaves_a_paused_player():
    output = run("--keep", "--username", "Kept Demo")

    player = Player.objects.get()
    assert (player.username, player.is_active) == ("Kept Demo", False)
    assert Snapshot.objects.filter(player=player).count() == 2
    assert "Kept Kept Demo (paused)" in output


def test_an_already_tracked_name_is_refused():
    PlayerFactory(username="Dedup Demo")
    with pytest.raises(CommandError, match="already tracked"):
        run()

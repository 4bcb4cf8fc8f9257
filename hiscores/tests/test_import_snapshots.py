"""import_snapshots: backfill in time order with dedup and guard; re-runs store nothing new."""

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django_celery_beat.models import PeriodicTask

from hiscores.integration.fakes import make_hiscores_body
from hiscores.models import Snapshot
from players.game_modes import GameMode
from players.models import Player

pytestmark = pytest.mark.django_db


def line(username, fetched_at, values, **extra):
    body = make_hiscores_body(values, default_xp=1_000_000)
    return json.dumps({"username": username, "fetched_at": fetched_at, "hiscores": body, **extra})


@pytest.fixture
def jsonl(tmp_path):
    lines = [
        # Out of order on purpose: applied in time order per player.
        line("Lynx Titan", "2025-01-03T12:00:00+00:00", {"attack": 3_000}),
        line("Lynx Titan", "2025-01-01T12:00:00+00:00", {"attack": 1_000}),
        line("Lynx Titan", "2025-01-02T12:00:00+00:00", {"attack": 1_000}),  # unchanged
        line("Iron Jo", "2025-01-01T00:00:00+00:00", {"zulrah": 3}, game_mode="ironman"),
        line("Iron Jo", "2025-01-05T00:00:00+00:00", {"zulrah": 1}, game_mode="ironman"),  # fall
        "{not json",
        json.dumps({"username": "bad name!!", "fetched_at": "2025-01-01T00:00:00+00:00"}),
        line("Lynx Titan", "2025-01-04", {"attack": 4_000}),  # no offset
    ]
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(*args):
    out = StringIO()
    call_command("import_snapshots", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_it_backfills_in_time_order_with_dedup_and_guard(jsonl):
    output = run(str(jsonl))

    lynx = Player.objects.get(username_key="lynx titan")
    assert list(
        Snapshot.objects.filter(player=lynx)
        .order_by("fetched_at")
        .values_list("attack_experience", flat=True)
    ) == [1_000, 3_000]
    iron = Player.objects.get(username_key="iron jo")
    assert iron.game_mode == GameMode.IRONMAN
    assert Snapshot.objects.filter(player=iron).count() == 1
    assert "read 8 lines: stored 3, unchanged 1, rejected 1, bad 3" in output
    assert "line 6: not JSON" in output
    assert "line 7:" in output and "line 8: fetched_at" in output


def test_created_players_get_their_schedule_without_contacting_the_hiscores(jsonl):
    run(str(jsonl))

    for player in Player.objects.all():
        task = PeriodicTask.objects.get(pk=player.fetch_task_id)
        assert task.task == "hiscores.fetch_player"
        assert json.loads(task.kwargs) == {"player_id": player.pk}


def test_a_rerun_stores_nothing_new(jsonl):
    run(str(jsonl))
    before = Snapshot.objects.count()

    output = run(str(jsonl))

    assert Snapshot.objects.count() == before
    assert "stored 0, unchanged 4, rejected 1, bad 3" in output


def test_a_dry_run_stores_nothing(jsonl):
    output = run(str(jsonl), "--dry-run")

    assert not Snapshot.objects.exists()
    assert not Player.objects.exists()
    assert "[dry run] would have read 8 lines: stored 3" in output

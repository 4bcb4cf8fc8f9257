"""import_snapshots: backfill in time order with dedup and guard; re-runs store nothing new."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
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


def run(*args, expect_exit=None):
    """The command's output; `expect_exit` 1 when some line must be refused (CommandError)."""
    out = StringIO()
    try:
        call_command("import_snapshots", *args, stdout=out, stderr=StringIO())
    except CommandError as exc:
        assert expect_exit == exc.returncode == 1, exc
        return out.getvalue()
    assert expect_exit is None, "the command should have failed"
    return out.getvalue()


def test_it_backfills_in_time_order_with_dedup_and_guard(jsonl):
    output = run(str(jsonl), expect_exit=1)

    lynx = Player.objects.get(username_key="lynx titan")
    assert list(
        Snapshot.objects.filter(player=lynx)
        .order_by("fetched_at")
        .values_list("attack_experience", flat=True)
    ) == [1_000, 3_000]
    iron = Player.objects.get(username_key="iron jo")
    assert iron.game_mode == GameMode.IRONMAN
    assert Snapshot.objects.filter(player=iron).count() == 1
    assert "read 8 lines: stored 3, unchanged 1, rejected 1, conflicts 0, bad 3" in output
    assert "line 6: not JSON" in output
    assert "line 7:" in output and "line 8: fetched_at" in output


def test_created_players_get_their_schedule_without_contacting_the_hiscores(jsonl):
    run(str(jsonl), expect_exit=1)

    for player in Player.objects.all():
        task = PeriodicTask.objects.get(pk=player.fetch_task_id)
        assert task.task == "hiscores.fetch_player"
        assert json.loads(task.kwargs) == {"player_id": player.pk}


def test_a_rerun_stores_nothing_new(jsonl):
    run(str(jsonl), expect_exit=1)
    before = Snapshot.objects.count()

    output = run(str(jsonl), expect_exit=1)

    assert Snapshot.objects.count() == before
    assert "stored 0, unchanged 4, rejected 1, conflicts 0, bad 3" in output


def test_a_dry_run_stores_nothing(jsonl):
    output = run(str(jsonl), "--dry-run", expect_exit=1)

    assert not Snapshot.objects.exists()
    assert not Player.objects.exists()
    assert "[dry run] would have read 8 lines: stored 3" in output


# --- issue 15 item 11: every line judged on its own, honest counts and exit status -----------


def write_lines(tmp_path, lines, *, raw=b""):
    path = tmp_path / "backfill.jsonl"
    path.write_bytes("".join(f"{text}\n" for text in lines).encode() + raw)
    return path


def good(day, attack, name="Lynx Titan"):
    return line(name, f"2025-01-{day:02d}T12:00:00+00:00", {"attack": attack})


def test_a_clean_file_exits_zero(tmp_path):
    output = run(str(write_lines(tmp_path, [good(1, 1_000), good(2, 2_000)])))

    assert "read 2 lines: stored 2, unchanged 0, rejected 0, conflicts 0, bad 0" in output


def test_a_non_utf8_line_is_a_bad_line_and_the_others_are_stored(tmp_path):
    path = write_lines(tmp_path, [good(1, 1_000)], raw=b'{"username": "caf\xe9"}\n')

    output = run(str(path), expect_exit=1)

    assert Snapshot.objects.count() == 1
    assert "read 2 lines: stored 1" in output
    assert "line 2: not UTF-8 text" in output


@pytest.mark.parametrize(
    "fetched_at",
    [
        "2025-01-03T12:00:00+16:00",  # offset PostgreSQL refuses (DataError before)
        "2025-01-03T12:00:00-14:01",
        "0001-01-01T00:30:00+01:00",  # year 1 BC once in UTC: every read of the player 500ed
        "2000-12-31T23:59:59+00:00",
        "2999-01-01T00:00:00+00:00",  # moved last_fetched to 2999 for good
        "9999-12-31T23:00:00-14:00",
    ],
)
def test_an_out_of_range_fetched_at_is_refused_with_its_line_and_good_lines_stay(
    tmp_path, fetched_at
):
    bad_line = line("Lynx Titan", fetched_at, {"attack": 5_000})
    path = write_lines(tmp_path, [good(1, 1_000), bad_line, good(2, 2_000)])

    output = run(str(path), expect_exit=1)

    assert Snapshot.objects.count() == 2
    assert "read 3 lines: stored 2, unchanged 0, rejected 0, conflicts 0, bad 1" in output
    assert "line 2: fetched_at" in output
    player = Player.objects.get()
    assert player.last_fetched.year == 2025


def test_most_lines_bad_exits_one_and_counts_each_line_once(tmp_path):
    lines = [good(1, 1_000), good(2, 2_000)] + ["{not json"] * 10
    lines[5] = json.dumps({"username": "Lynx Titan", "fetched_at": "x", "hiscores": {}})

    output = run(str(write_lines(tmp_path, lines)), expect_exit=1)

    assert "read 12 lines: stored 2, unchanged 0, rejected 0, conflicts 0, bad 10" in output
    assert sum(1 for text in output.splitlines() if text.startswith("  line ")) == 10


def test_an_unusable_body_is_counted_once(tmp_path):
    unusable = json.dumps(
        {"username": "Lynx Titan", "fetched_at": "2025-01-03T00:00:00Z", "hiscores": {"x": 1}}
    )

    output = run(str(write_lines(tmp_path, [good(1, 1_000), unusable])), expect_exit=1)

    assert "read 2 lines: stored 1, unchanged 0, rejected 0, conflicts 0, bad 1" in output
    assert "line 2: unusable hiscores body" in output


def test_two_different_readings_at_the_same_moment_are_a_conflict(tmp_path):
    path = write_lines(tmp_path, [good(1, 1_000), good(1, 9_000)])

    output = run(str(path), expect_exit=1)

    assert Snapshot.objects.get().attack_experience == 1_000
    assert "conflicts 1" in output
    assert "line 2: conflict: line 1 has a different reading" in output


def test_a_reading_that_differs_from_the_stored_one_at_its_moment_is_a_conflict(tmp_path):
    run(str(write_lines(tmp_path, [good(1, 1_000)])))

    output = run(str(write_lines(tmp_path, [good(1, 9_000), good(2, 9_000)])), expect_exit=1)

    assert "stored 1, unchanged 0, rejected 0, conflicts 1, bad 0" in output
    assert "line 1: conflict: a different reading is already stored" in output
    assert Player.objects.get().flag_reason == ""


def test_the_same_reading_again_is_unchanged_not_a_conflict(tmp_path):
    path = write_lines(tmp_path, [good(1, 1_000), good(1, 1_000)])

    output = run(str(path))

    assert "stored 1, unchanged 1, rejected 0, conflicts 0, bad 0" in output


def test_a_reading_within_a_day_ahead_never_moves_last_fetched_past_now(tmp_path):
    from django.utils import timezone

    ahead = (timezone.now() + timedelta(hours=20)).isoformat()
    run(str(write_lines(tmp_path, [line("Lynx Titan", ahead, {"attack": 1_000})])))

    assert Player.objects.get().last_fetched <= timezone.now()


def test_a_reading_within_a_day_ahead_never_moves_last_changed_past_now(tmp_path):
    from django.utils import timezone

    ahead = (timezone.now() + timedelta(hours=12)).isoformat()
    run(str(write_lines(tmp_path, [line("Lynx Titan", ahead, {"attack": 1_000})])))

    player = Player.objects.get()
    assert player.last_changed is not None
    assert player.last_changed <= timezone.now()


def test_the_same_conflicting_reading_twice_is_two_conflicts(tmp_path):
    run(str(write_lines(tmp_path, [good(1, 1_000)])))

    output = run(str(write_lines(tmp_path, [good(1, 9_000), good(1, 9_000)])), expect_exit=1)

    assert "stored 0, unchanged 0, rejected 0, conflicts 2, bad 0" in output
    assert "line 1: conflict: a different reading is already stored" in output
    assert "line 2: conflict:" in output
    assert Snapshot.objects.get().attack_experience == 1_000

"""The player page: GET /players/{username}/overview and its selector (history.overview)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from hiscores.fetch_log import FETCH_LOG_KEPT, fetch_log_record
from hiscores.models import FetchLogEntry, RejectedReading, Snapshot
from history.overview import player_overview
from players.models import Player
from tests.factories import T0, GameModeChangeFactory, PlayerFactory, days, reading, record_snapshot

pytestmark = pytest.mark.django_db
NOW = T0 + days(10)


@pytest.fixture
def player():
    return PlayerFactory(username="Zezima", schedule=False)


def rows_by_key(rows):
    return {row.key: row for row in rows}


def test_tables_per_kind_with_gains_by_the_history_rules(player):
    record_snapshot(player, {"attack": 1_000, "zulrah": None}, at=days(0))
    record_snapshot(player, {"attack": 5_000, "zulrah": 10}, at=days(5))  # zulrah newly ranked
    record_snapshot(player, {"attack": 9_000, "zulrah": 14}, at=days(9))

    page = player_overview(player=player, start=T0 + days(3), end=NOW, now=NOW)

    skills = rows_by_key(page.skills)
    assert skills["attack"].value == 9_000 and skills["attack"].gained == 8_000
    assert skills["attack"].level is not None and skills["attack"].rank is not None
    bosses = rows_by_key(page.bosses)
    # Ranked inside the range: newly ranked, never a gain of its whole score.
    assert bosses["zulrah"].value == 14 and bosses["zulrah"].gained is None
    assert bosses["zulrah"].newly_ranked is True
    assert page.activities and all(row.kind == "activity" for row in page.activities)
    assert page.chart_start == T0 + days(3)  # the player was tracked before the range


def test_a_baseline_restarts_counting(player):
    record_snapshot(player, {"attack": 1_000}, at=days(0))
    record_snapshot(player, {"attack": 5_000}, at=days(4))
    Snapshot.objects.filter(player=player, fetched_at=T0 + days(4)).update(is_baseline=True)
    record_snapshot(player, {"attack": 6_000}, at=days(6))

    page = player_overview(player=player, start=T0 + days(1), end=NOW, now=NOW)

    assert rows_by_key(page.skills)["attack"].gained == 1_000


def test_a_new_player_charts_from_the_first_reading(player):
    record_snapshot(player, {"attack": 1_000}, at=days(8))
    record_snapshot(player, {"attack": 2_000}, at=days(9))

    page = player_overview(player=player, start=NOW - timedelta(days=30), end=NOW, now=NOW)

    assert page.window.started_at_first_snapshot is True
    assert page.chart_start == T0 + days(8)
    assert page.chart_end == NOW


def test_a_player_without_readings_has_empty_tables(player):
    page = player_overview(player=player, start=NOW - days(7), end=NOW, now=NOW)
    assert page.window is None and page.skills == [] and page.bosses == []
    assert page.as_dict()["start_snapshot_at"] is None


def test_game_modes_fetches_and_falls(player):
    record_snapshot(player, {"attack": 1_000}, at=days(0))
    GameModeChangeFactory(player=player, from_mode="hardcore", to_mode="ironman")
    for outcome in ("success", "unchanged", "rejected"):
        fetch_log_record(player_id=player.pk, outcome=outcome, detail=f"it was {outcome}")
    Player.objects.filter(pk=player.pk).update(flag_reason="Values went down", flagged_at=NOW)
    RejectedReading.objects.create(
        player=player,
        fetched_at=NOW,
        board="hiscore_oldschool",
        falls=[{"metric": "attack", "field": "experience", "before": 1_000, "after": 10}],
    )
    player.refresh_from_db()

    page = player_overview(player=player, start=T0, end=NOW, now=NOW)

    assert [(c.from_mode, c.to_mode) for c in page.game_mode_changes] == [("hardcore", "ironman")]
    assert [e.outcome for e in page.recent_fetches] == ["rejected", "unchanged", "success"]
    assert page.flagged and page.falls[0].change == -990


def test_the_fetch_log_keeps_the_last_entries_per_player(player):
    other = PlayerFactory(schedule=False)
    fetch_log_record(player_id=other.pk, outcome="success")
    for index in range(FETCH_LOG_KEPT + 5):
        fetch_log_record(player_id=player.pk, outcome="success", detail=str(index))
    kept = FetchLogEntry.objects.filter(player=player).order_by("id")
    assert kept.count() == FETCH_LOG_KEPT
    assert kept.first().detail == "5"
    assert FetchLogEntry.objects.filter(player=other).count() == 1
    fetch_log_record(player_id=player.pk, outcome="skipped")  # nothing was fetched: not logged
    assert FetchLogEntry.objects.filter(player=player).count() == FETCH_LOG_KEPT


def test_a_scheduled_fetch_is_logged(player, monkeypatch):
    from hiscores import services

    monkeypatch.setattr(services, "hiscores_fetch", lambda name, board: reading({"attack": 1}))
    outcome = services.snapshot_fetch(player_id=player.pk)
    assert [e.outcome for e in FetchLogEntry.objects.filter(player=player)] == [outcome.status]


# --- GET /players/{username}/overview -----------------------------------------------------------


def test_the_endpoint_answers_with_every_part(player, reader_client, django_assert_max_num_queries):
    now = timezone.now()
    record_snapshot(player, {"attack": 1_000, "zulrah": 5}, at=now - days(10))
    record_snapshot(player, {"attack": 3_000, "zulrah": 7}, at=now - days(1))
    fetch_log_record(player_id=player.pk, outcome="success")

    # Player, readings, game modes, fetch log (and the flag's rejected reading when flagged).
    with django_assert_max_num_queries(5):
        response = reader_client.get("/players/zezima/overview", {"period": "week"})

    assert response.status_code == 200, response.content
    body = response.json()
    attack = next(row for row in body["skills"] if row["metric"] == "attack")
    assert attack["experience"] == 3_000 and attack["gained"] == 2_000
    zulrah = next(row for row in body["bosses"] if row["metric"] == "zulrah")
    assert zulrah == {
        "metric": "zulrah",
        "name": zulrah["name"],
        "rank": zulrah["rank"],
        "score": 7,
        "gained": 2,
        "newly_ranked": False,
    }
    assert body["recent_fetches"][0]["outcome"] == "success"
    assert body["flag"] == {"flagged": False, "reason": "", "flagged_at": None, "falls": None}
    assert set(body["chart"]) == {"start", "end"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"period": "fortnight"}, "period"),
        ({"start": "1999-01-01", "end": "2000-01-01"}, "start"),
        ({"start": "2026-01-02", "end": "2026-01-01"}, "end"),
    ],
)
def test_the_period_is_validated(player, reader_client, query, field):
    response = reader_client.get("/players/zezima/overview", query)
    assert response.status_code == 400
    assert field in response.json()["details"]


def test_an_unknown_player_is_404(reader_client):
    assert reader_client.get("/players/nobody/overview").status_code == 404

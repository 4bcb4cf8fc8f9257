"""Achievements: the pure derivation, the backfill command, the live hook on snapshot_record and
the endpoints."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hiscores import layout, stored
from hiscores.models import Snapshot
from hiscores.services import snapshot_record
from history import achievements as defs
from history.models import Achievement
from osrs_diff import events
from osrs_diff.models import OutboxEvent
from tests.factories import T0, PlayerFactory, SnapshotFactory, days, reading, record_snapshot

XP_99 = 13_034_431


def metrics(values, **options):
    columns, extra = layout.row_values(reading(values, **options))
    return layout.row_metrics(columns, extra)


def names(derived):
    return {item.definition.name: item.dated for item in derived}


# --- pure derivation ------------------------------------------------------------------------------


def test_definitions_cover_the_issue():
    keys = set(defs.BY_KEY)
    assert {"attack.level.99", "attack.experience.200m", "base.99", "combat.126"} <= keys
    assert "overall.experience.4600000000" in keys
    assert f"overall.level.{defs.MAX_TOTAL_LEVEL}" in keys
    assert {"zulrah.kills.1", "zulrah.kills.5000", "clue_scrolls_all.score.1000"} <= keys
    assert "collections_logged.score.500" in keys
    assert defs.BY_KEY["attack.level.99"].name == "99 Attack"


def test_first_reading_is_undated():
    derived = names(defs.derive(None, metrics({"attack": XP_99})))
    assert derived["99 Attack"] is False
    assert derived["Base 70"] is False  # 1M XP everywhere else: level 73


def test_crossing_between_readings_is_dated_once():
    before = metrics({"attack": XP_99 - 1})
    after = metrics({"attack": XP_99})
    assert names(defs.derive(before, after)) == {"99 Attack": True}
    assert defs.derive(after, after) == []
    assert defs.derive(before, after, known={"attack.level.99"}) == []


def test_newly_ranked_metric_is_undated():
    before = metrics({"zulrah": None, "vorkath": 10})
    after = metrics({"zulrah": 60, "vorkath": 60})
    derived = names(defs.derive(before, after))
    assert derived["1 Zulrah kill"] is False
    assert derived["50 Zulrah kills"] is False
    assert derived["50 Vorkath kills"] is True


def test_baseline_is_undated():
    derived = names(defs.derive(metrics({}), metrics({"attack": XP_99}), is_baseline=True))
    assert derived == {"99 Attack": False}


def test_combat_and_base_levels():
    maxed = {key: XP_99 for key in defs.SKILLS}
    derived = names(defs.derive(metrics({}), metrics(maxed)))
    assert derived["126 Combat"] is True
    assert derived["Base 99"] is True
    assert derived["Maxed"] is True


# --- backfill -------------------------------------------------------------------------------------


@pytest.fixture
def history_player(db):
    """Day 0: attack 98 (first snapshot); day 1: attack 99; day 2: Zulrah newly ranked at 60."""
    player = PlayerFactory(username="Zezima", schedule=False)
    SnapshotFactory.create_history(
        player,
        [
            (days(0), {"attack": XP_99 - 1}),
            (days(1), {"attack": XP_99}),
            (days(2), {"attack": XP_99, "zulrah": 60}),
        ],
    )
    return player


def _run(*args):
    out = StringIO()
    call_command("compute_achievements", "--no-progress", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_backfill_dates_undated_and_newly_ranked(history_player):
    _run()
    found = {a.key: a for a in Achievement.objects.filter(player=history_player)}
    attack = found["attack.level.99"]
    assert attack.achieved_at == T0 + days(1)
    assert attack.previous_snapshot_at == T0 + days(0)
    assert found["base.70"].achieved_at is None  # the first snapshot had it
    assert found["base.70"].previous_snapshot_at is None
    assert found["zulrah.kills.50"].achieved_at is None  # newly ranked: unknown moment
    assert found["zulrah.kills.1"].achieved_at is None
    assert not OutboxEvent.objects.exists()  # the backfill announces nothing


@pytest.mark.django_db
def test_backfill_is_idempotent(history_player):
    first = _run("--batch-size", "1")
    rows = list(Achievement.objects.order_by("key").values())
    second = _run()
    assert first == second
    assert "1 players" in first
    assert list(Achievement.objects.order_by("key").values()) == rows


@pytest.mark.django_db
def test_backfill_rejects_bad_options():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        _run("--batch-size", "0")
    with pytest.raises(CommandError):
        _run("--player", "Nobody")


# --- live -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_live_derivation_records_the_event():
    player = PlayerFactory(username="Zezima", schedule=False)
    assert record_snapshot(player, {"attack": XP_99 - 1}, at=days(0)) == "success"
    first = Achievement.objects.get(player=player, key="base.70")
    assert first.achieved_at is None
    assert not OutboxEvent.objects.exists()  # undated ones are not news

    assert record_snapshot(player, {"attack": XP_99}, at=days(1)) == "success"
    attack = Achievement.objects.get(player=player, key="attack.level.99")
    assert (attack.achieved_at, attack.previous_snapshot_at) == (T0 + days(1), T0)
    event = OutboxEvent.objects.get()
    assert event.name == events.PLAYER_ACHIEVEMENT
    assert event.data["username"] == "Zezima"
    assert event.data["name"] == "99 Attack"
    assert event.data["metric"] == "attack"
    assert event.data["threshold"] == 99

    # Redelivery of the same reading stores nothing and announces nothing twice.
    assert record_snapshot(player, {"attack": XP_99}, at=days(1)) == "unchanged"
    assert OutboxEvent.objects.count() == 1
    assert Achievement.objects.filter(player=player, key="attack.level.99").count() == 1


@pytest.mark.django_db
def test_live_newly_ranked_is_not_announced():
    player = PlayerFactory(username="Zezima", schedule=False)
    record_snapshot(player, {}, at=days(0))
    record_snapshot(player, {"zulrah": 70}, at=days(1))
    assert Achievement.objects.get(player=player, key="zulrah.kills.50").achieved_at is None
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db
def test_live_does_not_duplicate_a_backfilled_achievement(history_player):
    _run()
    snapshot_record(
        player_id=history_player.pk,
        reading=reading({"attack": XP_99 + 10, "zulrah": 61}, at=days(3)),
    )
    assert not OutboxEvent.objects.exists()


def _queries(player, values, at):
    with CaptureQueriesContext(connection) as captured:
        snapshot_record(player_id=player.pk, reading=reading(values, at=at))
    return len(captured)


@pytest.mark.django_db
def test_hot_path_costs_at_most_two_queries(monkeypatch, django_assert_max_num_queries):
    player = PlayerFactory(username="Zezima", schedule=False)
    record_snapshot(player, {"attack": 2_000_000}, at=days(0))
    monkeypatch.setattr(stored, "_subscribers", [])
    without = _queries(player, {"attack": 2_000_100}, days(1))
    monkeypatch.undo()
    with django_assert_max_num_queries(without + 2):
        snapshot_record(player_id=player.pk, reading=reading({"attack": 2_000_200}, at=days(2)))
    assert Snapshot.objects.filter(player=player).count() == 3


# --- endpoints ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_player_achievements_endpoint(reader_client, history_player):
    _run()
    body = reader_client.get("/players/zezima/achievements").json()
    first = body["results"][0]
    assert set(first) == {
        "name",
        "metric",
        "measure",
        "threshold",
        "achieved_at",
        "previous_snapshot_at",
    }
    assert first["name"] == "99 Attack"  # the only dated one comes first
    assert first["measure"] == "level"
    assert first["threshold"] == 99
    assert first["achieved_at"].startswith("2026-01-02T12:00:00")
    assert first["previous_snapshot_at"].startswith("2026-01-01T12:00:00")
    assert all(row["achieved_at"] is None for row in body["results"][1:])
    assert reader_client.get("/players/nobody/achievements").status_code == 404


@pytest.mark.django_db
def test_recent_achievements_endpoint(reader_client):
    for index, name in enumerate(("Alpha", "Beta", "Gamma")):
        player = PlayerFactory(username=name, schedule=False)
        record_snapshot(player, {"attack": XP_99 - 1}, at=days(0))
        record_snapshot(player, {"attack": XP_99}, at=days(1) + timedelta(hours=index))
    body = reader_client.get("/achievements/recent").json()
    assert [row["username"] for row in body["results"]] == ["Gamma", "Beta", "Alpha"]
    assert body["results"][0]["name"] == "99 Attack"
    assert len(reader_client.get("/achievements/recent?limit=2").json()["results"]) == 2
    for bad in ("0", "101", "abc", "-1"):
        assert reader_client.get(f"/achievements/recent?limit={bad}").status_code == 400


@pytest.mark.django_db
def test_achievements_need_authentication(api_client):
    assert api_client.get("/achievements/recent").status_code == 401


@pytest.mark.django_db
def test_player_page_shows_achievements_and_records(client, history_player):
    from django.contrib.auth import get_user_model

    _run()
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(admin)
    html = client.get(f"/admin/players/player/{history_player.pk}/change/").content.decode()
    assert "99 Attack" in html
    assert "records (best gain per day, week, month)" in html.lower()

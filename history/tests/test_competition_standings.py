"""Competition standings: baselines before and after the start, late baseline, newly ranked,
baselines inside the window, team sums and ties (standard competition ranking)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from hiscores.models import Snapshot
from history.competitions import services
from history.competitions.standings import (
    competition_standings,
    competition_top,
    standard_ranks,
)
from osrs_diff.events import COMPETITION_ENDED
from osrs_diff.models import OutboxEvent
from tests.factories import T0, PlayerFactory, SnapshotFactory, days

pytestmark = pytest.mark.django_db

START, END = T0 + days(10), T0 + days(20)


def player_with(name, history):
    """A player whose readings are (days after T0, {metric: value})."""
    player = PlayerFactory(username=name, schedule=False)
    SnapshotFactory.create_history(player, ((days(day), values) for day, values in history))
    return player


def competition(names, *, metric="attack", teams=None, kind="classic"):
    return services.competition_create(
        title="Test",
        metric=metric,
        starts_at=START,
        ends_at=END,
        kind=kind,
        participants=names,
        teams=teams,
    )


def by_name(result):
    return {row.username: row for row in result.rows}


@pytest.mark.parametrize(
    ("values", "ranks"),
    [
        ([], []),
        ([10], [1]),
        ([10, 10, 7], [1, 1, 3]),
        ([9, 8, 8, 8, 1], [1, 2, 2, 2, 5]),
        ([0, 0], [1, 1]),
    ],
)
def test_standard_competition_ranking(values, ranks):
    assert standard_ranks(values) == ranks


def test_start_is_the_reading_in_force_at_the_start_and_current_the_one_at_the_end():
    # In force at day 10: the day-5 reading (2,000). In force at day 20: day 18 (9,000); the
    # day-25 reading is after the end and does not count.
    player_with(
        "Before",
        [
            (1, {"attack": 1_000}),
            (5, {"attack": 2_000}),
            (12, {"attack": 4_000}),
            (18, {"attack": 9_000}),
            (25, {"attack": 50_000}),
        ],
    )
    comp = competition(["Before"])
    row = by_name(competition_standings(competition=comp, now=T0 + days(30)))["Before"]
    assert (row.start_value, row.current_value, row.gained, row.rank) == (2_000, 9_000, 7_000, 1)
    assert row.late_baseline is False
    assert row.newly_ranked is False
    assert row.start_reading_at == T0 + days(5)


def test_no_reading_before_the_start_takes_the_first_after_it_as_a_late_baseline():
    player_with("Late", [(13, {"attack": 5_000}), (15, {"attack": 8_000})])
    comp = competition(["Late"])
    row = by_name(competition_standings(competition=comp, now=T0 + days(30)))["Late"]
    assert (row.start_value, row.current_value, row.gained) == (5_000, 8_000, 3_000)
    assert row.late_baseline is True
    assert row.start_reading_at == T0 + days(13)


def test_while_ongoing_current_value_is_the_latest_reading_now():
    player_with("Live", [(1, {"attack": 1_000}), (12, {"attack": 3_000}), (16, {"attack": 6_000})])
    comp = competition(["Live"])
    result = competition_standings(competition=comp, now=T0 + days(14))
    assert result.at == T0 + days(14)
    assert by_name(result)["Live"].current_value == 3_000
    assert by_name(result)["Live"].gained == 2_000


def test_a_metric_unranked_at_the_start_is_newly_ranked_not_a_gain():
    player_with("Zulrah Fan", [(1, {"zulrah": None}), (15, {"zulrah": 400})])
    player_with("Killer", [(1, {"zulrah": 100}), (15, {"zulrah": 130})])
    comp = competition(["Zulrah Fan", "Killer"], metric="zulrah")
    result = competition_standings(competition=comp, now=T0 + days(30))
    fan = by_name(result)["Zulrah Fan"]
    assert fan.newly_ranked is True
    assert fan.gained is None
    assert fan.rank is None
    assert fan.current_value == 400
    assert [row.username for row in result.rows] == ["Killer", "Zulrah Fan"]
    assert by_name(result)["Killer"].gained == 30


def test_a_baseline_inside_the_window_restarts_counting_there():
    player = player_with("Rolled", [(1, {"attack": 10_000}), (12, {"attack": 12_000})])
    # An accepted rollback at day 14 (values went down), then progress from it.
    baseline = SnapshotFactory(player=player, values={"attack": 5_000}, at=days(14))
    Snapshot.objects.filter(pk=baseline.pk).update(is_baseline=True)
    SnapshotFactory(player=player, values={"attack": 6_500}, at=days(16))
    comp = competition(["Rolled"])
    row = by_name(competition_standings(competition=comp, now=T0 + days(30)))["Rolled"]
    assert (row.start_value, row.current_value, row.gained) == (5_000, 6_500, 1_500)
    assert row.late_baseline is False


def test_ties_share_a_rank_and_the_next_rank_skips():
    player_with("Alpha", [(1, {"attack": 1_000}), (15, {"attack": 2_000})])
    player_with("Bravo", [(1, {"attack": 5_000}), (15, {"attack": 6_000})])
    player_with("Charlie", [(1, {"attack": 1_000}), (15, {"attack": 1_500})])
    player_with("Delta", [(1, {"attack": 1_000})])  # no gain: 0, still ranked
    PlayerFactory(username="Empty", schedule=False)  # no reading at all: listed, not ranked
    comp = competition(["Alpha", "Bravo", "Charlie", "Delta", "Empty"])
    result = competition_standings(competition=comp, now=T0 + days(30))
    assert [(r.rank, r.username, r.gained) for r in result.rows] == [
        (1, "Alpha", 1_000),
        (1, "Bravo", 1_000),
        (3, "Charlie", 500),
        (4, "Delta", 0),
        (None, "Empty", None),
    ]
    assert by_name(result)["Empty"].current_value is None


def test_the_ended_event_names_every_tied_winner_and_everyone_ranked_1_to_3():
    player_with("Alpha", [(1, {"attack": 1_000}), (15, {"attack": 2_000})])
    player_with("Bravo", [(1, {"attack": 5_000}), (15, {"attack": 6_000})])
    player_with("Charlie", [(1, {"attack": 1_000}), (15, {"attack": 1_500})])
    player_with("Delta", [(1, {"attack": 2_000}), (15, {"attack": 2_500})])
    player_with("Echo", [(1, {"attack": 2_000}), (15, {"attack": 2_100})])
    comp = competition(["Alpha", "Bravo", "Charlie", "Delta", "Echo"])
    result = competition_standings(competition=comp, now=T0 + days(30))
    services.competition_end_record(
        competition_id=comp.pk,
        top=competition_top(result),
        winning_team=None,
        now=T0 + days(30),
    )
    data = OutboxEvent.objects.get(name=COMPETITION_ENDED).data
    assert data["winner"] == {"rank": 1, "username": "Alpha", "gained": 1_000}
    assert [(r["rank"], r["username"]) for r in data["winners"]] == [(1, "Alpha"), (1, "Bravo")]
    assert [(r["rank"], r["username"]) for r in data["top_3"]] == [
        (1, "Alpha"),
        (1, "Bravo"),
        (3, "Charlie"),
        (3, "Delta"),
    ]


def test_team_standings_sum_their_members_and_share_ranks_on_ties():
    player_with("A1", [(1, {"attack": 0}), (15, {"attack": 300})])
    player_with("A2", [(1, {"attack": 0}), (15, {"attack": 200})])
    player_with("B1", [(1, {"attack": 0}), (15, {"attack": 500})])
    player_with("C1", [(1, {"attack": 0}), (15, {"attack": 100})])
    PlayerFactory(username="C2", schedule=False)  # no reading: counts 0 for its team
    comp = competition(
        None,
        kind="team",
        teams=[
            services.TeamInput("Reds", ["A1", "A2"]),
            services.TeamInput("Blues", ["B1"]),
            services.TeamInput("Greens", ["C1", "C2"]),
        ],
    )
    result = competition_standings(competition=comp, now=T0 + days(30))
    assert [(t.rank, t.name, t.gained, sorted(t.members)) for t in result.teams] == [
        (1, "Blues", 500, ["B1"]),
        (1, "Reds", 500, ["A1", "A2"]),
        (3, "Greens", 100, ["C1", "C2"]),
    ]
    assert by_name(result)["A1"].team == "Reds"


def test_before_the_start_standings_list_participants_without_values():
    player_with("Early", [(1, {"attack": 1_000})])
    comp = competition(["Early"])
    result = competition_standings(competition=comp, now=T0 + days(5))
    assert [(r.username, r.start_value, r.rank) for r in result.rows] == [("Early", None, None)]


def test_standings_of_many_participants_take_one_select():
    names = [f"p{i}" for i in range(30)]
    for name in names:
        player_with(name, [(1, {"attack": 1_000}), (15, {"attack": 2_000})])
    comp = competition(names)
    with CaptureQueriesContext(connection) as captured:
        result = competition_standings(competition=comp, now=T0 + days(30))
    selects = [
        q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT")
    ]
    assert len(selects) == 1
    assert len(result.rows) == 30
    assert {row.rank for row in result.rows} == {1}

"""Demand of the schedules against the hiscores budget: the numbers on a known set of players,
the warnings on add and change (API and admin, only when over budget), and the effective interval
wherever a player's interval is shown."""

from __future__ import annotations

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model

from players import selectors
from players.models import Player
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db

OVER_BUDGET = (
    "Configured schedules want 2.0 fetches/s but the hiscores budget is 1.0/s; "
    "fetches will be deferred and idle players backed off."
)


@pytest.fixture
def known_players():
    """Active at 5, 10 (backed off to 20) and 60 minutes; one paused at 5 minutes."""
    return [
        PlayerFactory(username="five", fetch_interval_minutes=5),
        PlayerFactory(username="ten", fetch_interval_minutes=10, effective_interval_minutes=20),
        PlayerFactory(username="sixty", fetch_interval_minutes=60),
        PlayerFactory(username="paused", fetch_interval_minutes=5, is_active=False),
    ]


def crowd(count: int, *, minutes: int = 5) -> None:
    """`count` active players without schedules (demand counts players, not tasks)."""
    Player.objects.bulk_create(
        Player(username=f"crowd{i}", username_key=f"crowd{i}", fetch_interval_minutes=minutes)
        for i in range(count)
    )


def test_demand_is_the_sum_of_one_over_the_interval_of_active_players(
    known_players, django_assert_num_queries
):
    with django_assert_num_queries(1):
        demand = selectors.fetch_demand()
    # Per minute: effective 1/5 + 1/20 + 1/60 = 16/60, configured 1/5 + 1/10 + 1/60 = 19/60.
    assert demand.demand_per_second == pytest.approx(16 / 3600)
    assert demand.configured_demand_per_second == pytest.approx(19 / 3600)


def test_demand_without_players_is_zero():
    assert selectors.fetch_demand() == selectors.FetchDemand(0.0, 0.0)


def test_no_warning_within_or_at_the_budget(settings):
    settings.OSRS_HISCORES_RATE = 1.0
    crowd(300)  # 300 x 1/300 per second: exactly the budget
    assert selectors.fetch_budget_warnings() == []


def test_the_warning_gives_both_numbers_when_over_budget(settings):
    settings.OSRS_HISCORES_RATE = 1.0
    crowd(600)
    assert selectors.fetch_budget_warnings() == [OVER_BUDGET]
    settings.ADAPTIVE_FETCH = False  # nobody is backed off then
    assert selectors.fetch_budget_warnings() == [
        "Configured schedules want 2.0 fetches/s but the hiscores budget is 1.0/s; "
        "fetches will be deferred."
    ]


def test_the_warning_follows_configured_not_effective_intervals(settings):
    settings.OSRS_HISCORES_RATE = 1.0
    crowd(600)
    # Adaptive fetching has backed every one of them off to an hour: demand fits, config does not.
    Player.objects.update(effective_interval_minutes=60)
    assert selectors.fetch_demand().demand_per_second == pytest.approx(600 / 3600)
    assert selectors.fetch_budget_warnings() == [OVER_BUDGET]


def test_no_warning_when_the_rate_limit_is_off(settings):
    settings.OSRS_HISCORES_RATE = 0
    crowd(600)
    assert selectors.fetch_budget_warnings() == []


# --- The API -------------------------------------------------------------------------------------


def test_create_warns_when_over_budget_and_still_tracks(auth_client, hiscores_http, monkeypatch):
    hiscores_http.add("Zezima", regular=1000)
    crowd(599)
    monkeypatch.setattr(selectors, "fetch_budget_rate", lambda: 1.0)
    response = auth_client.post(
        "/players", {"username": "Zezima", "fetch_interval_minutes": 5}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["warnings"] == [OVER_BUDGET]
    assert Player.objects.filter(username_key="zezima").exists()


def test_create_within_budget_has_no_warnings(auth_client, hiscores_http, monkeypatch):
    hiscores_http.add("Zezima", regular=1000)
    crowd(298)
    monkeypatch.setattr(selectors, "fetch_budget_rate", lambda: 1.0)
    response = auth_client.post(
        "/players", {"username": "Zezima", "fetch_interval_minutes": 5}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["warnings"] == []


def test_patch_warns_only_while_the_change_leaves_it_over_budget(auth_client, settings):
    settings.OSRS_HISCORES_RATE = 1.0
    crowd(599, minutes=10)  # 599/600 per second
    PlayerFactory(username="Zezima", fetch_interval_minutes=60)

    # + 1/1800: 0.9989/s, within.
    body = auth_client.patch("/players/zezima", {"fetch_interval_minutes": 30}, format="json")
    assert body.status_code == 200 and body.json()["warnings"] == []
    # + 1/300: 601/600 = 1.0017/s, over; the change is stored all the same.
    body = auth_client.patch("/players/zezima", {"fetch_interval_minutes": 5}, format="json")
    assert body.status_code == 200
    assert body.json()["fetch_interval_minutes"] == 5
    assert body.json()["warnings"] == [
        "Configured schedules want 1.002 fetches/s but the hiscores budget is 1.0/s; "
        "fetches will be deferred and idle players backed off."
    ]
    # Paused, it asks for nothing.
    body = auth_client.patch("/players/zezima", {"is_active": False}, format="json")
    assert body.json()["warnings"] == []


def test_reads_show_the_effective_interval_and_no_warnings(auth_client, known_players):
    listing = auth_client.get("/players").json()["results"]
    by_name = {row["username"]: row for row in listing}
    assert {name: row["effective_interval_minutes"] for name, row in by_name.items()} == {
        "five": 5,
        "ten": 20,
        "sixty": 60,
        "paused": 5,
    }
    assert by_name["ten"]["fetch_interval_minutes"] == 10
    assert "warnings" not in by_name["ten"]
    detail = auth_client.get("/players/ten").json()
    assert (detail["fetch_interval_minutes"], detail["effective_interval_minutes"]) == (10, 20)


def test_schedules_show_configured_and_effective_intervals(auth_client, known_players):
    from players import schedules

    schedules.player_schedule_sync(player=known_players[1])  # the task carries the effective one
    rows = {row["username"]: row for row in auth_client.get("/schedules").json()["results"]}
    assert {
        name: (row["fetch_interval_minutes"], row["effective_interval_minutes"])
        for name, row in rows.items()
    } == {"five": (5, 5), "ten": (10, 20), "sixty": (60, 60), "paused": (5, 5)}
    one = auth_client.get("/players/ten/schedule").json()
    assert (one["fetch_interval_minutes"], one["effective_interval_minutes"]) == (10, 20)
    assert one["interval_minutes"] == 20


# --- The admin -----------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("others", "warnings"),
    [(298, []), (599, [OVER_BUDGET])],  # then 299/300 per second: within; 600/300: over
)
def test_admin_add_warns_only_when_over_budget(
    admin_client, hiscores_http, monkeypatch, others, warnings
):
    hiscores_http.add("Zezima", regular=1000)
    monkeypatch.setattr(selectors, "fetch_budget_rate", lambda: 1.0)
    crowd(others)
    response = admin_client.post(
        "/admin/players/player/add/",
        {"username": "Zezima", "fetch_interval_minutes": 5},
        follow=True,
    )
    assert Player.objects.filter(username_key="zezima").exists()
    shown = [str(m) for m in response.context["messages"]]
    assert [m for m in shown if "budget" in m] == warnings


def test_admin_change_warns_when_over_budget(admin_client, settings):
    settings.OSRS_HISCORES_RATE = 1.0
    crowd(599)
    player = PlayerFactory(username="Zezima", fetch_interval_minutes=60)

    def change(minutes: int):
        return admin_client.post(
            f"/admin/players/player/{player.pk}/change/",
            {
                "fetch_interval_minutes": minutes,
                "is_active": "on",
                "game_mode_changes-TOTAL_FORMS": 0,
                "game_mode_changes-INITIAL_FORMS": 0,
            },
            follow=True,
        )

    response = change(5)
    assert Player.objects.get(pk=player.pk).fetch_interval_minutes == 5  # saved all the same
    warned = [m for m in response.context["messages"] if str(m) == OVER_BUDGET]
    assert [m.level for m in warned] == [messages.WARNING]
    Player.objects.filter(username_key__startswith="crowd").delete()
    response = change(10)
    assert not any("budget" in str(m) for m in response.context["messages"])


def test_admin_shows_the_effective_interval(admin_client, known_players):
    listing = admin_client.get("/admin/players/player/").content.decode()
    assert "Effective interval (min)" in listing
    assert "20 (backed off from 10)" in listing
    page = admin_client.get(f"/admin/players/player/{known_players[1].pk}/change/")
    assert "20 (backed off from 10)" in page.content.decode()

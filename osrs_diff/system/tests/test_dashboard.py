"""The operations dashboard on the admin index (osrs_diff.system.dashboard)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from osrs_diff.system import dashboard as dashboard_module
from osrs_diff.system import selectors
from players.models import Player
from tests.factories import GameModeChangeFactory, PartyFactory, PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(admin)
    return client


@pytest.fixture
def world():
    now = timezone.now()
    flagged = PlayerFactory(username="Fallen", schedule=False)
    Player.objects.filter(pk=flagged.pk).update(flag_reason="Values went down", flagged_at=now)
    PlayerFactory(username="Calm", schedule=False)
    died = GameModeChangeFactory(player__username="Was Hc", from_mode="hardcore")
    party = PartyFactory(
        world=420,
        created_at=now,
        last_drop_at=now,
        ended_at=None,
        total_drops=3,
        total_value=1_234_567,
    )
    return {"flagged": flagged, "died": died, "party": party}


def test_the_index_shows_players_first_then_the_dashboard(admin_client, world):
    html = admin_client.get("/admin/").content.decode()

    players = html.index('class="app-players')
    dashboard = html.index('id="ops-dashboard"')
    assert players < dashboard < html.index('class="app-drops')
    for panel in (
        "ops-health",
        "ops-fetches",
        "ops-queues",
        "ops-flagged",
        "ops-game-modes",
        "ops-parties",
    ):
        assert f'id="{panel}"' in html
    assert re.search(r"<th scope=\"row\">Database</th>\s*<td class=\"ok\">ok</td>", html)
    assert "breaker closed" in html
    assert f'href="/admin/players/player/{world["flagged"].pk}/change/">Fallen</a>' in html
    assert "Calm</a>" not in html
    assert "Was Hc</a>" in html and "Hardcore" in html
    assert "World 420" in html and "1,234,567 gp" in html


def test_the_dashboard_is_cheap(admin_client, world, django_assert_max_num_queries):
    for _ in range(30):  # more players, flags and parties cost no more queries
        player = PlayerFactory(schedule=False)
        Player.objects.filter(pk=player.pk).update(flag_reason="x", flagged_at=timezone.now())
        GameModeChangeFactory(player=player)
    with django_assert_max_num_queries(11):  # the fetch budget is one aggregate of its own
        dashboard_module.dashboard()
    with django_assert_max_num_queries(17):  # + the admin's session, user and app list
        assert admin_client.get("/admin/").status_code == 200


def test_the_fetch_budget_reads_in_words(admin_client, monkeypatch):
    real = selectors.system_stats
    budget = {
        "rate_per_second": 0.5,
        "demand_per_second": 0.25,
        "configured_demand_per_second": 1.0,
        "utilisation": 0.5,
        "scheduled_backlog": 1234,
        "oldest_scheduled_age_seconds": None,
    }
    monkeypatch.setattr(
        selectors, "system_stats", lambda **kw: {**real(**kw), "fetch_budget": budget}
    )
    html = admin_client.get("/admin/").content.decode()
    for label, value in [
        ("Budget", "0.5/s"),
        ("Demand (configured)", "1/s"),
        ("Utilisation", "50%"),
        ("Scheduled backlog", "1,234"),
        ("Oldest scheduled", "–"),
    ]:
        assert re.search(
            rf"<th scope=\"row\">{re.escape(label)}</th><td class=\"num\">"
            rf"{re.escape(value)}</td>",
            html,
        ), label
    assert "None" not in html.split('id="ops-queues"')[1].split("</table>")[0]


def test_a_down_broker_shows_on_the_dashboard(admin_client, monkeypatch):
    from osrs_diff import health

    def down():
        raise ConnectionError("refused")

    monkeypatch.setitem(health._checks, "broker", health.ReadinessCheck(name="broker", run=down))
    html = admin_client.get("/admin/").content.decode()
    assert re.search(r"<th scope=\"row\">Broker</th>\s*<td class=\"down\">down</td>", html)
    assert "Not ready" in html

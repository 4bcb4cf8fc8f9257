"""`fetch_budget` in GET /system/stats: demand of the schedules against the hiscores budget."""

from __future__ import annotations

import time

import pytest
from celery import current_app

from osrs_diff.system import selectors
from tests.broker import broker_at
from tests.factories import PlayerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def known_players(settings):
    """A budget of 0.5/s; active at 5, 10 (backed off to 20) and 60 minutes; one paused."""
    settings.OSRS_HISCORES_RATE = 0.5
    PlayerFactory(fetch_interval_minutes=5)
    PlayerFactory(fetch_interval_minutes=10, effective_interval_minutes=20)
    PlayerFactory(fetch_interval_minutes=60)
    PlayerFactory(fetch_interval_minutes=5, is_active=False)


def test_fetch_budget_numbers_on_a_known_set(known_players):
    for player_id in (1, 2, 3):  # beat's sends waiting in queue `scheduled`
        current_app.send_task("hiscores.fetch_player", kwargs={"player_id": player_id})

    budget = selectors.fetch_budget(queues=selectors.queue_depths(now=time.time() + 40))

    # Per minute: effective 1/5 + 1/20 + 1/60 = 16/60; configured 1/5 + 1/10 + 1/60 = 19/60.
    assert budget == {
        "rate_per_second": 0.5,
        "demand_per_second": round(16 / 3600, 6),  # 0.004444
        "configured_demand_per_second": round(19 / 3600, 6),  # 0.005278
        "utilisation": round(16 / 3600 / 0.5, 4),  # 0.0089
        "scheduled_backlog": 3,
        "oldest_scheduled_age_seconds": budget["oldest_scheduled_age_seconds"],
    }
    assert 39 <= budget["oldest_scheduled_age_seconds"] <= 70


def test_fetch_budget_is_one_query(known_players, django_assert_num_queries):
    queues = selectors.queue_depths()
    with django_assert_num_queries(1):
        budget = selectors.fetch_budget(queues=queues)
    assert budget["scheduled_backlog"] == 0
    assert budget["oldest_scheduled_age_seconds"] is None


def test_utilisation_is_null_without_a_rate_limit(known_players, settings):
    settings.OSRS_HISCORES_RATE = 0
    assert selectors.fetch_budget()["utilisation"] is None


def test_backlog_is_null_when_the_broker_is_down(known_players):
    with broker_at("redis://127.0.0.1:1/0"):
        budget = selectors.fetch_budget()
    assert budget["scheduled_backlog"] is None
    assert budget["demand_per_second"] == round(16 / 3600, 6)


def test_the_endpoint_and_schema_show_it(staff_client, known_players):
    body = staff_client.get("/system/stats").json()
    assert body["fetch_budget"]["configured_demand_per_second"] == round(19 / 3600, 6)
    assert body["fetch_budget"]["utilisation"] == round(16 / 3600 / 0.5, 4)

    schema = staff_client.get("/schema/?format=json").json()
    component = schema["components"]["schemas"]["FetchBudget"]
    assert set(component["properties"]) == {
        "rate_per_second",
        "demand_per_second",
        "configured_demand_per_second",
        "utilisation",
        "scheduled_backlog",
        "oldest_scheduled_age_seconds",
    }
    stats = schema["components"]["schemas"]["SystemStats"]
    assert stats["properties"]["fetch_budget"] == {"$ref": "#/components/schemas/FetchBudget"}

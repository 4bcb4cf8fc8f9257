"""Fetching at the politeness limit (issue 16): queues by purpose, deferred and stale scheduled
fetches, and the interactive fetch's priority for rate-limit slots."""

import math
import time
from types import SimpleNamespace

import pytest

from hiscores.integration.shared import get_limiter
from hiscores.models import Snapshot
from hiscores.outcomes import COUNTED_OUTCOMES, FetchStatus
from hiscores.selectors import fetch_outcome_counts
from hiscores.tasks import fetch_player
from osrs_diff.celery import app
from osrs_diff.queues import INTERACTIVE, MAINTENANCE, SCHEDULED, is_interactive
from players.models import Player
from tests.factories import PlayerFactory

# --- Routing: every registered task has its queue ----

EXPECTED_QUEUES = {
    "hiscores.fetch_player": SCHEDULED,
    "players.check_game_mode": INTERACTIVE,
}


def test_every_registered_task_routes_to_its_purpose_queue():
    app.loader.import_default_modules()
    names = sorted(name for name in app.tasks if not name.startswith("celery."))
    assert "hiscores.fetch_player" in names and "drops.end_idle_parties" in names
    routed = {
        name: app.amqp.router.route({}, name, args=(), kwargs={})["queue"].name for name in names
    }
    expected = {name: EXPECTED_QUEUES.get(name, MAINTENANCE) for name in names}
    assert routed == expected


def test_an_explicit_queue_wins_over_the_route():
    # The daily fan-out and a fetch's own game-mode check send on `scheduled` this way.
    route = app.amqp.router.route(
        {"queue": SCHEDULED}, "players.check_game_mode", args=(), kwargs={}
    )
    assert route["queue"].name == SCHEDULED


@pytest.mark.parametrize(
    ("request_attrs", "expected"),
    [
        ({"delivery_info": {"routing_key": "interactive"}}, True),
        ({"delivery_info": {"routing_key": "scheduled"}}, False),
        ({"interactive": True, "delivery_info": {"routing_key": "scheduled"}}, True),
        ({"headers": {"interactive": True}, "delivery_info": {}}, True),  # eager apply()
        ({"headers": {"interactive": "false"}, "delivery_info": None}, False),
        ({}, False),
    ],
)
def test_what_makes_a_fetch_interactive(request_attrs, expected):
    assert is_interactive(SimpleNamespace(**request_attrs)) is expected


def test_deferred_and_stale_are_counted_outcomes():
    assert FetchStatus.DEFERRED in COUNTED_OUTCOMES
    assert FetchStatus.STALE in COUNTED_OUTCOMES


# --- Deferred: a scheduled fetch never waits long for the budget ----


def _beat_headers(*, interval_seconds=300, sent_at=None, **extra):
    headers = {
        "periodic_task_name": "players.fetch_hiscores:1",
        "schedule_interval_seconds": interval_seconds,
        "sent_at": time.time() if sent_at is None else sent_at,
    }
    return headers | extra


@pytest.fixture
def budget(fake_hiscores, settings):
    """A rate limit of 1 request/s whose waits are recorded instead of slept."""
    settings.OSRS_HISCORES_RATE = 1.0
    settings.OSRS_HISCORES_MAX_WAIT = 30.0
    settings.FETCH_DEFER_AFTER_SECONDS = 5.0
    limiter = get_limiter()
    slept: list[float] = []
    limiter.sleep = slept.append

    def queue_ahead(seconds: int) -> None:
        for _ in range(seconds):
            limiter.reserve()  # callers already waiting for the next `seconds` slots

    return SimpleNamespace(limiter=limiter, slept=slept, queue_ahead=queue_ahead)


@pytest.mark.django_db
def test_a_scheduled_fetch_is_deferred_when_the_limiter_queue_is_long(fake_hiscores, budget):
    player = PlayerFactory(username="Patient")
    fake_hiscores.add_player("Patient", stats={"attack": 1_000_000})
    budget.queue_ahead(10)
    wait_before = budget.limiter.estimated_wait_seconds()

    started = time.monotonic()
    result = fetch_player.apply(kwargs={"player_id": player.pk}, headers=_beat_headers())

    assert time.monotonic() - started < 1.0
    outcome = result.get()
    assert outcome["status"] == FetchStatus.DEFERRED
    assert outcome["reason"] == "rate_limited"
    assert result.state == "SUCCESS"  # ended, not retried
    assert not fake_hiscores.requests  # no hiscores request
    assert budget.slept == []
    # It took no slot: the queue did not grow.
    assert budget.limiter.estimated_wait_seconds() <= wait_before
    assert fetch_outcome_counts()[FetchStatus.DEFERRED] == 1
    player.refresh_from_db()
    assert player.last_fetch_status == ""  # a deferral is not a fetch result
    assert player.unchanged_fetches == 0  # and says nothing about the player
    assert not Snapshot.objects.filter(player=player).exists()


@pytest.mark.django_db
def test_a_background_fetch_not_sent_by_beat_is_deferred_too(fake_hiscores, budget):
    player = PlayerFactory(username="Background")
    fake_hiscores.add_player("Background", stats={"attack": 1_000_000})
    budget.queue_ahead(10)

    outcome = fetch_player.apply(kwargs={"player_id": player.pk}).get()

    assert outcome["status"] == FetchStatus.DEFERRED
    assert not fake_hiscores.requests


@pytest.mark.django_db
def test_a_scheduled_fetch_takes_a_slot_when_the_queue_is_short(fake_hiscores, budget):
    player = PlayerFactory(username="Short Queue")
    fake_hiscores.add_player("Short Queue", stats={"attack": 1_000_000})
    budget.queue_ahead(3)

    outcome = fetch_player.apply(kwargs={"player_id": player.pk}, headers=_beat_headers()).get()

    assert outcome["status"] == FetchStatus.SUCCESS
    assert len(budget.slept) == 1 and 2.0 < budget.slept[0] <= 3.0


@pytest.mark.django_db
def test_an_interactive_fetch_waits_for_its_slot_where_a_scheduled_one_defers(
    fake_hiscores, budget
):
    player = PlayerFactory(username="Asked For")
    fake_hiscores.add_player("Asked For", stats={"attack": 1_000_000})
    budget.queue_ahead(10)

    scheduled = fetch_player.apply(kwargs={"player_id": player.pk}, headers=_beat_headers()).get()
    interactive = fetch_player.apply(
        kwargs={"player_id": player.pk}, headers={"interactive": True, "sent_at": time.time()}
    ).get()

    assert scheduled["status"] == FetchStatus.DEFERRED
    assert interactive["status"] == FetchStatus.SUCCESS
    assert len(budget.slept) == 1 and 9.0 < budget.slept[0] <= 10.0
    assert len(fake_hiscores.requests) == 1


@pytest.mark.django_db
def test_scheduled_fetches_keep_the_queue_short_for_interactive_ones(fake_hiscores, budget):
    """Scheduled callers only join a queue shorter than the defer bound, so a person's fetch
    never waits behind more than FETCH_DEFER_AFTER_SECONDS of scheduled slots."""
    players = [PlayerFactory(username=f"Crowd {n}") for n in range(12)]
    for player in players:
        fake_hiscores.add_player(player.username, stats={"attack": 1_000_000})
    started = time.monotonic()
    outcomes = [
        fetch_player.apply(kwargs={"player_id": p.pk}, headers=_beat_headers()).get()["status"]
        for p in players
    ]
    elapsed = time.monotonic() - started
    queued_by_scheduled = budget.limiter.estimated_wait_seconds()

    person = PlayerFactory(username="Person")
    fake_hiscores.add_player("Person", stats={"attack": 1_000_000})
    fetch_player.apply(kwargs={"player_id": person.pk}, headers={"interactive": True}).get()

    # Slots 0..5 s away: six join, the rest defer. The line drains a slot a second in real time
    # while the twelve calls run, so a slow machine may fit one more per second they took.
    successes = outcomes.count(FetchStatus.SUCCESS)
    assert 6 <= successes <= 6 + math.ceil(elapsed), (successes, elapsed)
    assert outcomes.count(FetchStatus.DEFERRED) == len(players) - successes
    assert queued_by_scheduled <= 6.0
    assert budget.slept[-1] <= 6.0  # the person's wait


# --- Stale: a scheduled message older than its interval is skipped ----


@pytest.mark.django_db
def test_a_scheduled_message_older_than_its_interval_is_skipped_as_stale(fake_hiscores):
    player = PlayerFactory(username="Late Message")
    fake_hiscores.add_player("Late Message", stats={"attack": 1_000_000})
    headers = _beat_headers(interval_seconds=300, sent_at=time.time() - 301)

    outcome = fetch_player.apply(kwargs={"player_id": player.pk}, headers=headers).get()

    assert (outcome["status"], outcome["reason"]) == (FetchStatus.STALE, "stale")
    assert not fake_hiscores.requests
    assert fetch_outcome_counts()[FetchStatus.STALE] == 1
    player.refresh_from_db()
    assert player.scheduled_fetch_claimed_at is None  # the next due time is free


@pytest.mark.django_db
def test_stale_reads_the_schedules_own_interval_not_the_configured_one(fake_hiscores):
    """The PeriodicTask's interval (the header beat sends) decides, so a benchmark that runs
    product intervals faster agrees with the rule."""
    player = PlayerFactory(username="Fast Clock", fetch_interval_minutes=60)
    fake_hiscores.add_player("Fast Clock", stats={"attack": 1_000_000})

    fresh = fetch_player.apply(
        kwargs={"player_id": player.pk},
        headers=_beat_headers(interval_seconds=10, sent_at=time.time() - 5),
    ).get()
    stale = fetch_player.apply(
        kwargs={"player_id": player.pk},
        headers=_beat_headers(interval_seconds=10, sent_at=time.time() - 11),
    ).get()

    assert fresh["status"] == FetchStatus.SUCCESS
    assert stale["status"] == FetchStatus.STALE


@pytest.mark.django_db
def test_without_a_schedule_header_the_players_effective_interval_decides(fake_hiscores):
    player = PlayerFactory(username="No Header", fetch_interval_minutes=60)
    Player.objects.filter(pk=player.pk).update(effective_interval_minutes=10)
    fake_hiscores.add_player("No Header", stats={"attack": 1_000_000})

    old = fetch_player.apply(
        kwargs={"player_id": player.pk}, headers={"sent_at": time.time() - 11 * 60}
    ).get()
    recent = fetch_player.apply(
        kwargs={"player_id": player.pk}, headers={"sent_at": time.time() - 9 * 60}
    ).get()

    assert old["status"] == FetchStatus.STALE
    assert recent["status"] == FetchStatus.SUCCESS


@pytest.mark.django_db
def test_a_reset_interval_makes_an_old_long_interval_message_stale(fake_hiscores):
    player = PlayerFactory(username="Reset", fetch_interval_minutes=5)  # effective: configured
    fake_hiscores.add_player("Reset", stats={"attack": 1_000_000})

    outcome = fetch_player.apply(
        kwargs={"player_id": player.pk},
        headers=_beat_headers(interval_seconds=40 * 60, sent_at=time.time() - 6 * 60),
    ).get()

    assert outcome["status"] == FetchStatus.STALE


@pytest.mark.django_db
def test_an_interactive_fetch_is_never_stale(fake_hiscores):
    player = PlayerFactory(username="Old Request")
    fake_hiscores.add_player("Old Request", stats={"attack": 1_000_000})

    outcome = fetch_player.apply(
        kwargs={"player_id": player.pk},
        headers={"interactive": True, "sent_at": time.time() - 3 * 3600},
    ).get()

    assert outcome["status"] == FetchStatus.SUCCESS

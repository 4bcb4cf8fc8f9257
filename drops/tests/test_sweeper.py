"""The idle-party sweeper: party_end_idle, the Celery task, its beat entry; and party_end."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps as django_apps
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from drops import services
from drops.models import Party
from drops.tasks import end_idle_parties
from osrs_diff.exceptions import NotFound

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock(time_machine, settings):
    settings.DROP_PARTY_IDLE_SECONDS = 300
    time_machine.move_to(T0, tick=False)
    return time_machine


def report(world: int, item_id: int = 1, value: int = 1000):
    return services.drop_report(
        world=world, item_id=item_id, item_name="Item", quantity=1, value=value
    )


def test_the_sweeper_ends_only_parties_idle_for_the_timeout(clock):
    idle = report(301)
    clock.shift(60)
    alive = report(302)
    clock.shift(240)  # 301: exactly 300 s idle, 302: 240 s

    ended = services.party_end_idle()

    assert [p.id for p in ended] == [idle.party_id]
    assert ended[0].ended_at == T0 + timedelta(seconds=300)
    assert Party.objects.get(pk=idle.party_id).ended_at == T0 + timedelta(seconds=300)
    assert Party.objects.get(pk=alive.party_id).ended_at is None


def test_the_sweeper_stamps_when_the_party_went_idle_not_when_it_ran(clock):
    created = report(301)
    clock.shift(3600)
    services.party_end_idle()

    assert Party.objects.get(pk=created.party_id).ended_at == T0 + timedelta(seconds=300)


def test_a_swept_party_is_never_revived_by_a_late_drop(clock):
    first = report(301)
    clock.shift(301)
    services.party_end_idle()
    second = report(301, item_id=2)

    assert second.status == "party_created"
    assert second.party_id != first.party_id
    assert Party.objects.get(pk=first.party_id).total_drops == 1


def test_the_sweeper_is_one_update_however_many_parties(clock, django_assert_num_queries):
    for world in range(301, 341):
        report(world)
    clock.shift(600)
    # SAVEPOINT/RELEASE of the atomic block, SELECT ... FOR UPDATE SKIP LOCKED, one UPDATE,
    # one INSERT of every party.ended event into the outbox.
    with django_assert_num_queries(5):
        assert len(services.party_end_idle()) == 40


def test_running_the_sweeper_twice_ends_nothing_more(clock):
    report(301)
    clock.shift(400)
    assert len(services.party_end_idle()) == 1
    assert services.party_end_idle() == []


def test_the_task_ends_idle_parties_and_returns_their_ids(clock):
    created = report(301)
    clock.shift(300)

    assert end_idle_parties() == {"parties_ended": 1, "party_ids": [created.party_id]}
    assert end_idle_parties.name == "drops.end_idle_parties"


SWEEPER_MIGRATION = importlib.import_module("drops.migrations.0002_idle_party_sweeper")


def test_the_migration_creates_one_system_beat_entry_every_60_seconds():
    PeriodicTask.objects.filter(name=SWEEPER_MIGRATION.TASK_NAME).delete()
    other_interval = IntervalSchedule.objects.create(every=5, period=IntervalSchedule.MINUTES)
    other = PeriodicTask.objects.create(
        name="players.fetch_hiscores:1", task="hiscores.fetch_player", interval=other_interval
    )

    SWEEPER_MIGRATION.create_sweeper(django_apps, None)
    SWEEPER_MIGRATION.create_sweeper(django_apps, None)  # re-running changes nothing

    task = PeriodicTask.objects.get(name="system: end idle drop parties")
    assert task.task == "drops.end_idle_parties"
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (60, IntervalSchedule.SECONDS)
    assert PeriodicTask.objects.filter(task="drops.end_idle_parties").count() == 1

    SWEEPER_MIGRATION.remove_sweeper(django_apps, None)
    assert not PeriodicTask.objects.filter(name=SWEEPER_MIGRATION.TASK_NAME).exists()
    assert PeriodicTask.objects.filter(pk=other.pk).exists()  # other rows are never touched
    assert IntervalSchedule.objects.filter(every=60, period="seconds").exists()


def test_the_beat_entry_names_a_registered_task():
    from osrs_diff.celery import app

    app.loader.import_default_modules()
    assert SWEEPER_MIGRATION.CELERY_TASK == "drops.end_idle_parties" in app.tasks


def test_ending_one_party_now(clock):
    created = report(301)
    clock.shift(30)

    ended = services.party_end(party_id=created.party_id)

    assert ended.ended_at == T0 + timedelta(seconds=30)
    assert Party.objects.get(pk=created.party_id).ended_at == T0 + timedelta(seconds=30)
    assert services.party_end(party_id=created.party_id) is None  # already ended
    assert report(301, item_id=9).status == "party_created"


def test_ending_an_already_idle_party_keeps_when_it_went_idle(clock):
    created = report(301)
    clock.shift(1000)

    assert services.party_end(party_id=created.party_id).ended_at == T0 + timedelta(seconds=300)


def test_ending_an_unknown_party_is_not_found():
    with pytest.raises(NotFound):
        services.party_end(party_id=123456)

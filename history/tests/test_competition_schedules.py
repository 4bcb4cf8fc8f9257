"""The clocked one-off tasks of competitions (created, moved, removed with the competition, sent
once by the project's beat), the events recorded once, and the running-competition sweep."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

import pytest
import redis
import time_machine
from django.conf import settings
from django_celery_beat.models import ClockedSchedule, PeriodicTask

from history.competitions import fetching, schedules, services, standings
from history.competitions.models import Competition
from history.competitions.tasks import competition_end
from history.tests.test_competition_admin import admin_form
from osrs_diff.beat import IncrementalDatabaseScheduler
from osrs_diff.celery import app as celery_app
from osrs_diff.events import COMPETITION_ENDED, COMPETITION_STARTED
from osrs_diff.models import OutboxEvent
from players.models import Player
from tests.factories import T0, PlayerFactory, SnapshotFactory, days

pytestmark = pytest.mark.django_db
START, END = T0 + days(10), T0 + days(20)


@pytest.fixture
def players():
    return [PlayerFactory(username=f"Racer {i}", schedule=False) for i in range(3)]


def make(players, created=T0, **fields):
    """A competition created at `created` (before START: upcoming, with its pre-start fetch)."""
    values = {
        "title": "Race",
        "metric": "attack",
        "starts_at": START,
        "ends_at": END,
        "participants": [p.username for p in players],
    }
    values.update(fields)
    with time_machine.travel(created, tick=False):
        return services.competition_create(**values)


def tasks_of(competition):
    competition.refresh_from_db()
    return {
        moment: PeriodicTask.objects.select_related("clocked").get(pk=getattr(competition, field))
        for moment, field in schedules.LINK_FIELDS.items()
        if getattr(competition, field) is not None
    }


@pytest.mark.parametrize(
    ("participants", "rate", "lead_seconds"),
    [
        (0, 0.5, 120),
        (1, 0.5, 20 + 120),
        (10, 0.5, 20 + 120),  # one wave of 10
        (11, 0.5, 40 + 120),
        (500, 0.5, 50 * 20 + 120),  # 18 minutes
        (500, 2.0, 13 * 20 + 120),  # 40 a wave
        (500, 0.0, 120),  # no rate limit: one wave
        (3, 0.01, 3 * 20 + 120),  # below one per wave: one each
    ],
)
def test_final_fetch_lead_fits_every_fetch_before_the_end(participants, rate, lead_seconds):
    lead = schedules.final_fetch_lead(participants, rate)
    assert lead == dt.timedelta(seconds=lead_seconds)


def test_creating_a_competition_creates_four_clocked_one_off_tasks(players):
    competition = make(players)
    tasks = tasks_of(competition)
    lead = schedules.final_fetch_lead(3)
    assert {m: (t.name, t.task, t.clocked.clocked_time) for m, t in tasks.items()} == {
        schedules.Moment.PRE_START: (
            f"competitions:{competition.pk}:pre-start",
            "history.competition_fetch",
            START - lead,  # its waves finish by the start
        ),
        schedules.Moment.START: (
            f"competitions:{competition.pk}:start",
            "history.competition_start",
            START,
        ),
        schedules.Moment.FINAL_FETCH: (
            f"competitions:{competition.pk}:final-fetch",
            "history.competition_fetch",
            END - lead,
        ),
        schedules.Moment.END: (
            f"competitions:{competition.pk}:end",
            "history.competition_end",
            END,
        ),
    }
    for task in tasks.values():
        assert task.one_off and task.enabled
        assert json.loads(task.kwargs) == {"competition_id": competition.pk}


def test_changing_the_dates_moves_the_tasks_and_a_task_that_ran_runs_again(players):
    competition = make(players)
    before = tasks_of(competition)
    PeriodicTask.objects.filter(pk=before[schedules.Moment.END].pk).update(
        enabled=False, last_run_at=END, total_run_count=1
    )
    with time_machine.travel(T0, tick=False):
        services.competition_update(
            competition=competition, starts_at=START + days(1), ends_at=END + days(2)
        )
    after = tasks_of(competition)
    assert {m: t.pk for m, t in after.items()} == {m: t.pk for m, t in before.items()}
    assert after[schedules.Moment.START].clocked.clocked_time == START + days(1)
    assert after[schedules.Moment.PRE_START].clocked.clocked_time == (
        START + days(1) - schedules.final_fetch_lead(3)
    )
    assert after[schedules.Moment.END].clocked.clocked_time == END + days(2)
    end_task = after[schedules.Moment.END]
    assert (end_task.enabled, end_task.last_run_at, end_task.total_run_count) == (True, None, 0)


def test_the_pre_start_fetch_is_never_placed_before_the_creation(players):
    created = START - dt.timedelta(seconds=30)  # the lead (140 s) reaches back before it
    competition = make(players, created=created)
    assert tasks_of(competition)[schedules.Moment.PRE_START].clocked.clocked_time == created


def test_a_competition_created_already_running_gets_no_start_fetch_and_starts_once(players):
    created = START + days(1)
    competition = make(players, created=created)
    # The readings in force at starts_at are what they are: no pre-start or start fetch.
    assert set(tasks_of(competition)) == {schedules.Moment.FINAL_FETCH, schedules.Moment.END}
    assert _competition_rows() == (2, 2)
    (started,) = OutboxEvent.objects.filter(name=COMPETITION_STARTED)
    assert started.occurred_at == created
    competition.refresh_from_db()
    assert competition.started_event_at == created
    # A later change keeps it that way: no start task comes back, no second event.
    with time_machine.travel(created + days(1), tick=False):
        services.competition_update(competition=competition, ends_at=END + days(1))
    assert set(tasks_of(competition)) == {schedules.Moment.FINAL_FETCH, schedules.Moment.END}
    assert OutboxEvent.objects.filter(name=COMPETITION_STARTED).count() == 1


def test_a_competition_created_already_finished_is_retroactive_no_task_no_event(players):
    for player, gained in zip(players, (500, 2_000, 0), strict=True):
        SnapshotFactory(player=player, values={"attack": 1_000}, at=days(1))
        SnapshotFactory(player=player, values={"attack": 1_000 + gained}, at=days(12))
    competition = make(players, created=END + days(365))
    assert tasks_of(competition) == {}
    assert _competition_rows() == (0, 0)
    assert not OutboxEvent.objects.exists()
    # Its standings come from the stored readings.
    result = standings.competition_standings(competition=competition)
    assert [(r.rank, r.gained) for r in result.rows][:2] == [(1, 2_000), (2, 500)]


def test_a_sync_once_the_competition_runs_deletes_the_pre_start_fetch(players):
    competition = make(players)
    pre_start = tasks_of(competition)[schedules.Moment.PRE_START]
    with time_machine.travel(START + days(1), tick=False):
        services.competition_update(competition=competition, ends_at=END + days(1))
    competition.refresh_from_db()
    assert competition.pre_start_task_id is None
    assert not PeriodicTask.objects.filter(pk=pre_start.pk).exists()
    assert not ClockedSchedule.objects.filter(pk=pre_start.clocked_id).exists()
    assert _competition_rows() == (3, 3)


def test_a_title_change_writes_no_task(players):
    competition = make(players)
    before = {m: t.date_changed for m, t in tasks_of(competition).items()}
    with time_machine.travel(T0, tick=False):
        services.competition_update(competition=competition, title="Renamed")
    assert {m: t.date_changed for m, t in tasks_of(competition).items()} == before


def test_more_participants_move_the_final_fetch_earlier(players, settings):
    settings.OSRS_HISCORES_RATE = 0.05  # one fetch a wave
    competition = make(players[:1])
    assert tasks_of(competition)[schedules.Moment.FINAL_FETCH].clocked.clocked_time == END - (
        dt.timedelta(seconds=20 + 120)
    )
    with time_machine.travel(T0, tick=False):
        services.competition_update(
            competition=competition, participants=[p.username for p in players]
        )
    tasks = tasks_of(competition)
    assert tasks[schedules.Moment.FINAL_FETCH].clocked.clocked_time == END - (
        dt.timedelta(seconds=60 + 120)
    )
    assert tasks[schedules.Moment.PRE_START].clocked.clocked_time == START - (
        dt.timedelta(seconds=60 + 120)
    )


def _competition_rows() -> tuple[int, int]:
    tasks = PeriodicTask.objects.filter(name__startswith="competitions:")
    return tasks.count(), ClockedSchedule.objects.count()


def test_deleting_through_the_service_removes_the_tasks_and_their_clocks(players):
    competition = make(players)
    assert _competition_rows() == (4, 4)
    services.competition_delete(competition=competition)
    assert _competition_rows() == (0, 0)


def test_a_queryset_delete_removes_the_tasks_too(players):
    make(players)
    make(players, title="Second")
    Competition.objects.filter(title="Race").delete()
    assert _competition_rows() == (4, 4)
    Competition.objects.all().delete()
    assert _competition_rows() == (0, 0)


def test_the_admins_bulk_delete_removes_the_tasks(admin_client, players):
    first, second = make(players), make(players, title="Second")
    response = admin_client.post(
        "/admin/history/competition/",
        {"action": "delete_selected", "_selected_action": [first.pk, second.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Competition.objects.exists()
    assert _competition_rows() == (0, 0)


def test_the_admin_change_page_shows_the_standings(admin_client, players):
    SnapshotFactory(player=players[0], values={"attack": 1_000}, at=days(1))
    SnapshotFactory(player=players[0], values={"attack": 4_500}, at=days(12))
    competition = make(players)
    response = admin_client.get(f"/admin/history/competition/{competition.pk}/change/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Racer 0" in page
    assert "3,500" in page


def test_the_sweep_deletes_tasks_of_a_competition_deleted_behind_its_back(players):
    competition = make(players)
    competition.participations.all()._raw_delete("default")
    Competition.objects.filter(pk=competition.pk)._raw_delete("default")
    assert fetching.orphan_tasks_delete() == 4
    assert _competition_rows() == (0, 0)


# --- events, recorded once ------------------------------------------------------------------


def test_the_start_event_is_recorded_once(players):
    competition = make(players)
    assert services.competition_start_record(competition_id=competition.pk, now=T0) is None
    assert services.competition_start_record(competition_id=competition.pk, now=START)
    assert services.competition_start_record(competition_id=competition.pk, now=START) is None
    (event,) = OutboxEvent.objects.filter(name=COMPETITION_STARTED)
    assert event.data == {
        "id": competition.pk,
        "title": "Race",
        "metric": "attack",
        "kind": "classic",
        "starts_at": START.isoformat(),
        "ends_at": END.isoformat(),
        "participants": 3,
    }


def test_the_end_event_names_the_winner_and_top_three_once(players):
    extra = PlayerFactory(username="Racer 3", schedule=False)
    everyone = [*players, extra]
    for player, gained in zip(everyone, (500, 2_000, 0, 2_000), strict=True):
        SnapshotFactory(player=player, values={"attack": 1_000}, at=days(1))
        SnapshotFactory(player=player, values={"attack": 1_000 + gained}, at=days(12))
    competition = make(everyone)
    with time_machine.travel(END + dt.timedelta(seconds=1), tick=False):
        assert competition_end.run(competition.pk)["event_recorded"] is True
        assert competition_end.run(competition.pk)["event_recorded"] is False
    (event,) = OutboxEvent.objects.filter(name=COMPETITION_ENDED)
    assert event.data["winner"] == {"rank": 1, "username": "Racer 1", "gained": 2_000}
    assert event.data["top_3"] == [
        {"rank": 1, "username": "Racer 1", "gained": 2_000},
        {"rank": 1, "username": "Racer 3", "gained": 2_000},
        {"rank": 3, "username": "Racer 0", "gained": 500},
    ]


def test_the_end_task_before_the_end_records_nothing(players):
    competition = make(players)
    with time_machine.travel(END - dt.timedelta(seconds=1), tick=False):
        assert competition_end.run(competition.pk)["event_recorded"] is False
    assert not OutboxEvent.objects.filter(name=COMPETITION_ENDED).exists()


# --- the sweep: participants of running competitions, at least every N minutes -------------


def test_the_sweep_picks_stale_participants_of_running_competitions_only(players, settings):
    settings.COMPETITION_FETCH_MINUTES = 60
    now = START + days(1)
    fresh, stale, never = players
    Player.objects.filter(pk=fresh.pk).update(last_fetched=now - dt.timedelta(minutes=30))
    Player.objects.filter(pk=stale.pk).update(last_fetched=now - dt.timedelta(minutes=90))
    paused = PlayerFactory(username="Paused", schedule=False, is_active=False)
    outsider = PlayerFactory(username="Outsider", schedule=False)
    make([*players, paused])
    make([outsider], title="Later", starts_at=END, ends_at=END + days(1))
    assert fetching.participants_due(now=now) == [never.pk, stale.pk]
    assert fetching.participants_due(now=END + days(2)) == []  # finished: no more sweeping


def test_the_sweep_queues_no_more_than_the_budget_allows(settings):
    settings.OSRS_HISCORES_RATE = 0.01  # 3 fetches in 5 minutes
    racers = [PlayerFactory(username=f"Many {i}", schedule=False) for i in range(5)]
    make(racers)
    assert len(fetching.participants_due(now=START + days(1))) == 3


# --- beat sends a clocked task once ---------------------------------------------------------


@pytest.fixture
def broker():
    """A queue of this test's own on the real Redis broker; yields a reader of sent messages."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    queue = f"test-competition-{uuid.uuid4().hex[:10]}"

    def messages() -> list[dict]:
        sent = []
        for raw in reversed(client.lrange(queue, 0, -1)):
            message = json.loads(raw)
            _args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            sent.append({"task": message["headers"]["task"], "kwargs": kwargs})
        return sent

    messages.queue = queue
    yield messages
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    celery_app.amqp.queues.pop(queue, None)
    client.close()


def test_beat_sends_each_clocked_task_once_at_its_time(players, broker):
    t = T0 + days(1)
    with time_machine.travel(t, tick=False) as clock:
        competition = make(
            players,
            created=t,
            starts_at=t + dt.timedelta(seconds=30),
            ends_at=t + dt.timedelta(minutes=60),
        )
        PeriodicTask.objects.filter(name__startswith="competitions:").update(queue=broker.queue)
        from django_celery_beat.models import PeriodicTasks

        PeriodicTasks.update_changed()
        clock.shift(1)
        scheduler = IncrementalDatabaseScheduler(app=celery_app)

        def run_for(seconds: float, step: float = 1.0) -> None:
            elapsed = 0.0
            while elapsed <= seconds:
                scheduler.tick()
                clock.shift(step)
                elapsed += step

        # The pre-start fetch: 3 participants' lead (140 s) before a start 30 s away lies in
        # the past, so it is clamped to the creation and runs at once.
        run_for(25)
        kwargs = {"competition_id": competition.pk}
        pre_start = {"task": "history.competition_fetch", "kwargs": kwargs}
        assert broker() == [pre_start]
        run_for(10)
        start = {"task": "history.competition_start", "kwargs": kwargs}
        assert broker() == [pre_start, start]
        run_for(60 * 60, step=15)  # past the end
        run_for(120, step=5)
        names = [m["task"] for m in broker()]
        assert names == [
            "history.competition_fetch",
            "history.competition_start",
            "history.competition_fetch",
            "history.competition_end",
        ]
        scheduler.sync()  # a restart writes back what it sent
        scheduler = IncrementalDatabaseScheduler(app=celery_app)
        run_for(120, step=5)
        assert len(broker()) == 4  # one-off: never again


def test_a_task_deleted_behind_the_competitions_back_is_recreated_by_the_next_sync(players):
    competition = make(players)
    lost = tasks_of(competition)[schedules.Moment.START]
    lost.delete()
    with time_machine.travel(T0, tick=False):
        services.competition_update(competition=competition, starts_at=START + days(1))
    start = tasks_of(competition)[schedules.Moment.START]
    assert start.pk != lost.pk
    assert start.name == f"competitions:{competition.pk}:start"
    assert start.clocked.clocked_time == START + days(1)
    assert _competition_rows() == (4, 4)  # the lost task's clock went with it


def test_an_operators_own_clocked_task_keeps_its_clock_when_deleted():
    clock = ClockedSchedule.objects.create(clocked_time=END)
    task = PeriodicTask.objects.create(
        name="operator: one-off", task="history.competition_fetch_due", clocked=clock, one_off=True
    )
    task.delete()
    assert ClockedSchedule.objects.filter(pk=clock.pk).exists()


def test_a_clock_shared_with_another_task_stays_when_a_competition_task_goes(players):
    competition = make(players)
    end = tasks_of(competition)[schedules.Moment.END]
    other = PeriodicTask.objects.create(
        name="operator: same moment",
        task="history.competition_fetch_due",
        clocked=end.clocked,
        one_off=True,
    )
    end.delete()
    assert ClockedSchedule.objects.filter(pk=other.clocked_id).exists()
    other.delete()


def test_a_competition_added_in_the_admin_gets_its_clocked_tasks(admin_client, players):
    assert admin_client.get("/admin/history/competition/add/").status_code == 200
    with time_machine.travel(T0, tick=False):
        response = admin_client.post(
            "/admin/history/competition/add/",
            admin_form(participants=players[0].username),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    competition = Competition.objects.get(title="Admin race")
    assert competition.participations.count() == 1
    assert tasks_of(competition)[schedules.Moment.END].clocked.clocked_time == END


def test_the_admin_refuses_an_end_before_the_start(admin_client, players):
    with time_machine.travel(T0, tick=False):
        response = admin_client.post(
            "/admin/history/competition/add/",
            admin_form(ends_at=START - days(1), participants=players[0].username),
        )
    assert response.status_code == 200  # the form again, with its errors
    assert "ends_at must be after starts_at." in response.content.decode()
    assert not Competition.objects.exists()


# --- the waves of a start/final fetch -------------------------------------------------------


@pytest.fixture
def sends(monkeypatch):
    """Every apply_async of fetch_player and competition_fetch, caught at the task boundary."""
    from hiscores.tasks import fetch_player
    from history.competitions.tasks import competition_fetch

    sent: list[tuple[str, dict, dict]] = []
    for task in (fetch_player, competition_fetch):
        name = task.name

        def record(self, args=None, kwargs=None, _name=name, **options):
            sent.append((_name, kwargs, options))

        monkeypatch.setattr(type(task._get_current_object()), "apply_async", record)
    return sent


def test_each_wave_fetches_the_next_active_participants_and_schedules_the_next(
    players, sends, settings
):
    settings.OSRS_HISCORES_RATE = 0.1  # 2 fetches a wave (floor(0.1 x 20))
    more = [PlayerFactory(username=f"Racer {i}", schedule=False) for i in range(3, 5)]
    paused = PlayerFactory(username="Paused", schedule=False, is_active=False)
    competition = make([*players, *more, paused])
    active = sorted(p.pk for p in [*players, *more])
    from history.competitions.tasks import competition_fetch

    offsets, fetched = [0], []
    while offsets[-1] is not None:
        sends.clear()
        result = competition_fetch.run(competition_id=competition.pk, offset=offsets[-1])
        fetches = [s for s in sends if s[0] == "hiscores.fetch_player"]
        follow = [s for s in sends if s[0] == "history.competition_fetch"]
        for _name, kwargs, options in fetches:
            assert options == {"queue": "interactive", "headers": {"interactive": True}}
            fetched.append(kwargs["player_id"])
        assert result["sent"] == len(fetches)
        if result["next"] is None:
            assert follow == []
        else:
            ((_name, kwargs, options),) = follow
            assert kwargs == {"competition_id": competition.pk, "offset": result["next"]}
            assert options == {"countdown": schedules.WAVE_SECONDS}
        offsets.append(result["next"])
    assert offsets == [0, 2, 4, None]  # waves of 2, 2 and 1
    assert fetched == active  # every active participant once, the paused one never


def test_without_a_rate_limit_one_wave_fetches_everyone(players, sends, settings):
    settings.OSRS_HISCORES_RATE = 0
    competition = make(players)
    wave = fetching.participants_fetch_wave(competition_id=competition.pk)
    assert (wave.sent, wave.next_offset) == (3, None)
    assert sorted(s[1]["player_id"] for s in sends) == sorted(p.pk for p in players)


def test_the_admin_refuses_an_end_moved_into_the_past_of_a_running_competition(
    admin_client, players
):
    competition = make(players)
    with time_machine.travel(START + days(1), tick=False):
        response = admin_client.post(
            f"/admin/history/competition/{competition.pk}/change/",
            admin_form(
                title="Race",
                ends_at=START + days(0.5),
                participants="\n".join(p.username for p in players),
            ),
        )
    assert response.status_code == 200  # the form again, with its error
    assert "ends_at must be in the future" in response.content.decode()
    competition.refresh_from_db()
    assert competition.ends_at == END

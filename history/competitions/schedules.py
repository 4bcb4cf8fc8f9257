"""The clocked one-off PeriodicTasks of competitions: the only module that touches those rows.

Each competition has up to four, named `competitions:<id>:<what>`:

- `pre-start` at `starts_at - final_fetch_lead(...)` (never before the competition was created:
  a time already past runs at once): fetches every participant, so the waves finish by
  `starts_at` and each participant has a reading in force at the start. Only while the
  competition is upcoming: a sync at or after `starts_at` creates none and deletes one left over;
- `start` at `starts_at`: records `competition.started` and fetches every participant (readings
  after the start: a late baseline for whoever the pre-start fetch missed);
- `final-fetch` at `ends_at - final_fetch_lead(...)`: fetches every participant once more, early
  enough that the fetches finish before `ends_at` at the hiscores rate;
- `end` at `ends_at`: records `competition.ended` (winner, top 3).

A competition created after its start (ongoing at creation) has no pre-start or start task;
one created already finished (retroactive, computed from stored readings) has no task at all.

Each task has a ClockedSchedule of its own (deleted with it: a shared one would cascade). The
functions here take plain values and return task ids; the services keep the ids on the
competition row. Every PeriodicTask write makes beat reload, so a sync writes only what differs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import ClockedSchedule, PeriodicTask

TASK_NAME_PREFIX = "competitions:"
# Task names the rows store (history.competitions.tasks registers under them).
START_TASK = "history.competition_start"
FETCH_TASK = "history.competition_fetch"
END_TASK = "history.competition_end"

# Fetches go out in waves that fit in the interactive wait for a rate-limit slot
# (OSRS_HISCORES_MAX_WAIT, 30 s by default): one wave is what the rate allows in WAVE_SECONDS.
WAVE_SECONDS = 20


class Moment(StrEnum):
    PRE_START = "pre-start"
    START = "start"
    FINAL_FETCH = "final-fetch"
    END = "end"


#: The Competition field holding each task's id.
LINK_FIELDS = {
    Moment.PRE_START: "pre_start_task_id",
    Moment.START: "start_task_id",
    Moment.FINAL_FETCH: "final_fetch_task_id",
    Moment.END: "end_task_id",
}
_TASKS = {
    Moment.PRE_START: FETCH_TASK,
    Moment.START: START_TASK,
    Moment.FINAL_FETCH: FETCH_TASK,
    Moment.END: END_TASK,
}


def task_name(competition_id: int, moment: Moment) -> str:
    return f"{TASK_NAME_PREFIX}{competition_id}:{moment}"


def fetch_wave_size(rate: float | None = None) -> int:
    """Fetches per wave: what the rate allows in WAVE_SECONDS (0: no limit, one wave)."""
    rate = settings.OSRS_HISCORES_RATE if rate is None else rate
    if rate <= 0:
        return 0  # no limit: one wave
    return max(1, math.floor(rate * WAVE_SECONDS))


def final_fetch_lead(participant_count: int, rate: float | None = None) -> timedelta:
    """How long before `ends_at` the final fetch starts: its waves, plus a margin.

    ceil(participants / wave size) x WAVE_SECONDS + COMPETITION_FINAL_FETCH_MARGIN_SECONDS (120);
    with the rate limit off, the margin alone. 500 participants at 0.5/s (10 a wave):
    50 waves x 20 s + 2 min = 18 minutes.
    """
    size = fetch_wave_size(rate)
    waves = math.ceil(participant_count / size) if size and participant_count else 0
    return timedelta(seconds=waves * WAVE_SECONDS) + final_fetch_margin()


def final_fetch_margin() -> timedelta:
    """Slack for the last wave, retries and a busy limiter before ends_at."""
    return timedelta(seconds=settings.COMPETITION_FINAL_FETCH_MARGIN_SECONDS)


def desired_times(
    *,
    starts_at: datetime,
    ends_at: datetime,
    participant_count: int,
    created_at: datetime,
    now: datetime,
) -> dict[Moment, datetime]:
    """When each task runs: the final fetch never before the start; the pre-start fetch the same
    lead before the start but never before `created_at` (a stable clamp: a sync does not move
    it), and only while the competition is upcoming at `now`. A competition created after its
    start has no pre-start or start task; one created at or after its end has none at all.
    (`created_at` against the dates is stable: no write moves a date to before now.)"""
    lead = final_fetch_lead(participant_count)
    times: dict[Moment, datetime] = {}
    if created_at >= ends_at:
        return times  # retroactive: computed from stored readings, nothing to fetch or announce
    if created_at < starts_at:
        if now < starts_at:
            times[Moment.PRE_START] = max(created_at, starts_at - lead)
        times[Moment.START] = starts_at
    # Created while running: no pre-start or start fetch (the readings in force at starts_at are
    # what they are) and no start task (the service records competition.started at creation).
    times.update({Moment.FINAL_FETCH: max(starts_at, ends_at - lead), Moment.END: ends_at})
    return times


def competition_tasks_sync(
    *,
    competition_id: int,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    participant_count: int,
    created_at: datetime,
    now: datetime,
    current: dict[Moment, int | None],
) -> dict[Moment, int | None]:
    """Create missing tasks, move the ones whose time changed and delete the ones no longer
    wanted (the pre-start fetch once the competition started); returns each task's id (None:
    no such task).

    A task moved to a new time runs again there (a one-off that ran is enabled again), so an
    end moved later after its final fetch fetches again before the new end. Untouched tasks are
    not written.
    """
    times = desired_times(
        starts_at=starts_at,
        ends_at=ends_at,
        participant_count=participant_count,
        created_at=created_at,
        now=now,
    )
    existing = {
        task.pk: task
        for task in PeriodicTask.objects.select_related("clocked").filter(
            pk__in=[pk for pk in current.values() if pk]
        )
    }
    ids: dict[Moment, int | None] = {}
    with transaction.atomic():
        unwanted = [current.get(moment) for moment in Moment if moment not in times]
        competition_tasks_delete(task_ids=unwanted)
        ids.update({moment: None for moment in Moment if moment not in times})
        for moment, at in times.items():
            task = existing.get(current.get(moment) or 0)
            if task is None or task.clocked is None:
                task = _create(competition_id=competition_id, moment=moment, at=at, title=title)
            elif task.clocked.clocked_time != at:
                task.clocked.clocked_time = at
                task.clocked.save(update_fields=["clocked_time"])
                task.enabled = True
                task.last_run_at = None
                task.total_run_count = 0
                task.save()  # date_changed and beat's change mark
            ids[moment] = task.pk
    return ids


def _create(*, competition_id: int, moment: Moment, at: datetime, title: str) -> PeriodicTask:
    name = task_name(competition_id, moment)
    # A leftover row of the same name (a link lost by hand): replace it, names are unique.
    competition_tasks_delete(task_ids=PeriodicTask.objects.filter(name=name).values_list("pk"))
    return PeriodicTask.objects.create(
        name=name,
        task=_TASKS[moment],
        kwargs=json.dumps({"competition_id": competition_id}),
        clocked=ClockedSchedule.objects.create(clocked_time=at),
        one_off=True,
        enabled=True,
        description=f"Competition {competition_id} ({title[:80]}): {moment}.",
    )


def competition_tasks_delete(*, task_ids: Iterable[int | tuple[int] | None]) -> int:
    """Delete these tasks and their clocked schedules; returns how many tasks went."""
    ids = [pk[0] if isinstance(pk, tuple) else pk for pk in task_ids]
    ids = [pk for pk in ids if pk]
    if not ids:
        return 0
    with transaction.atomic():
        tasks = PeriodicTask.objects.filter(pk__in=ids, name__startswith=TASK_NAME_PREFIX)
        clocked_ids = list(tasks.exclude(clocked=None).values_list("clocked_id", flat=True))
        # One by one: each delete sends the signal beat's change tracking relies on.
        deleted = 0
        for task in tasks:
            task.delete()
            deleted += 1
        still_used = PeriodicTask.objects.filter(clocked_id__in=clocked_ids).values("clocked_id")
        ClockedSchedule.objects.filter(pk__in=clocked_ids).exclude(pk__in=still_used).delete()
    return deleted


def orphan_task_ids(*, competition_ids: Iterable[int]) -> list[int]:
    """Competition tasks whose competition is not among `competition_ids` (a lost delete)."""
    known = {str(pk) for pk in competition_ids}
    orphans = []
    for pk, name in PeriodicTask.objects.filter(name__startswith=TASK_NAME_PREFIX).values_list(
        "pk", "name"
    ):
        if name[len(TASK_NAME_PREFIX) :].split(":", 1)[0] not in known:
            orphans.append(pk)
    return orphans


def lost_task_clock_delete(sender, instance: PeriodicTask, **kwargs) -> None:
    """post_delete of any PeriodicTask (connected in HistoryConfig.ready): a competition task's
    own ClockedSchedule goes with it, however the task was deleted (the admin's PeriodicTask
    page, a shell delete). Only clocks of tasks named `competitions:...` and no longer used by any
    task: an operator's own clocks are never touched."""
    if instance.clocked_id is None or not instance.name.startswith(TASK_NAME_PREFIX):
        return
    still_used = PeriodicTask.objects.filter(clocked_id=instance.clocked_id).values("clocked_id")
    ClockedSchedule.objects.filter(pk=instance.clocked_id).exclude(pk__in=still_used).delete()

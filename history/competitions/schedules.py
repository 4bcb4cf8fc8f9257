"""The clocked one-off PeriodicTasks of competitions: the only module that touches those rows.

Each competition has three, named `competitions:<id>:<what>`:

- `start` at `starts_at`: records `competition.started` and fetches every participant;
- `final-fetch` at `ends_at - final_fetch_lead(...)`: fetches every participant once more, early
  enough that the fetches finish before `ends_at` at the hiscores rate;
- `end` at `ends_at`: records `competition.ended` (winner, top 3).

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
    START = "start"
    FINAL_FETCH = "final-fetch"
    END = "end"


#: The Competition field holding each task's id.
LINK_FIELDS = {
    Moment.START: "start_task_id",
    Moment.FINAL_FETCH: "final_fetch_task_id",
    Moment.END: "end_task_id",
}
_TASKS = {Moment.START: START_TASK, Moment.FINAL_FETCH: FETCH_TASK, Moment.END: END_TASK}


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
    *, starts_at: datetime, ends_at: datetime, participant_count: int
) -> dict[Moment, datetime]:
    """When each task runs (the final fetch never before the start)."""
    final = max(starts_at, ends_at - final_fetch_lead(participant_count))
    return {Moment.START: starts_at, Moment.FINAL_FETCH: final, Moment.END: ends_at}


def competition_tasks_sync(
    *,
    competition_id: int,
    title: str,
    starts_at: datetime,
    ends_at: datetime,
    participant_count: int,
    current: dict[Moment, int | None],
) -> dict[Moment, int]:
    """Create missing tasks and move the ones whose time changed; returns each task's id.

    A task moved to a new time runs again there (a one-off that ran is enabled again), so an
    end moved later after its final fetch fetches again before the new end. Untouched tasks are
    not written.
    """
    times = desired_times(starts_at=starts_at, ends_at=ends_at, participant_count=participant_count)
    existing = {
        task.pk: task
        for task in PeriodicTask.objects.select_related("clocked").filter(
            pk__in=[pk for pk in current.values() if pk]
        )
    }
    ids: dict[Moment, int] = {}
    with transaction.atomic():
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

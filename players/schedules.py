"""The per-player django-celery-beat PeriodicTask: the only module that touches those models.

Every PeriodicTask write makes beat reload every task, and re-saving a never-run task can push its
first run back, so the functions here compute the desired state and write only what differs.
Bulk paths use bulk_create/bulk_update and call `PeriodicTasks.update_changed()` once, because
bulk writes bypass the model signals beat relies on.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.db import router, transaction
from django.db.models import CharField, OuterRef, Subquery, Value
from django.db.models.deletion import Collector
from django.db.models.functions import Cast, Concat
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask, PeriodicTasks

from osrs_diff.beat.api import next_run_at
from osrs_diff.jsonsafe import loads_lenient
from players.models import Player

logger = logging.getLogger(__name__)

# The fetch task's name (hiscores.tasks.fetch_player registers under it; rows store the string).
FETCH_TASK = "hiscores.fetch_player"
TASK_NAME_PREFIX = "players.fetch_hiscores:"
_NAME_PATTERN = re.compile(rf"^{re.escape(TASK_NAME_PREFIX)}(\d+)$")
# Spreads sequential player ids evenly over an interval (low-discrepancy golden-ratio sequence).
_GOLDEN = 0.6180339887498949
# bulk_update builds one CASE per field with a branch per row, which PostgreSQL evaluates
# linearly: small statements are far faster than one huge one.
_UPDATE_BATCH = 100
# A fetch message older than its interval is pointless (the next one is due): the task itself
# skips it and counts it as `stale` (hiscores.scheduled.scheduled_fetch_is_stale). The broker's
# expiry is the safety net behind that, so it comes later: an expired message is dropped by the
# worker unseen and uncounted.
EXPIRE_AFTER_INTERVALS = 2


def expire_seconds_for(interval_minutes: int) -> int:
    """The PeriodicTask's `expire_seconds` for a schedule of `interval_minutes`."""
    return interval_minutes * 60 * EXPIRE_AFTER_INTERVALS


class SyncAction(StrEnum):
    CREATED = "created"
    ADOPTED = "adopted"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def task_name(player_id: int) -> str:
    return f"{TASK_NAME_PREFIX}{player_id}"


def stagger_offset(*, player_id: int, interval_minutes: int) -> timedelta:
    """Where in its interval a player's first run falls, so new players never fire together."""
    fraction = (player_id * _GOLDEN) % 1.0
    return timedelta(seconds=int(fraction * interval_minutes * 60))


def first_run_at(*, player_id: int, interval_minutes: int, now: datetime) -> datetime:
    return now + stagger_offset(player_id=player_id, interval_minutes=interval_minutes)


# --- Interval schedules: one shared row per cadence, never deleted (its FK cascades) ----


def interval_for(minutes: int) -> IntervalSchedule:
    return intervals_for([minutes])[minutes]


def intervals_for(minutes: Iterable[int]) -> dict[int, IntervalSchedule]:
    """The shared IntervalSchedule of each cadence, creating the missing ones."""
    wanted = set(minutes)
    found: dict[int, IntervalSchedule] = {}
    for interval in IntervalSchedule.objects.filter(
        every__in=wanted, period=IntervalSchedule.MINUTES
    ).order_by("-pk"):
        found[interval.every] = interval  # lowest pk wins: stable when duplicates exist
    for every in wanted - found.keys():
        found[every] = IntervalSchedule.objects.create(every=every, period=IntervalSchedule.MINUTES)
    return found


_PERIOD_SECONDS = {
    IntervalSchedule.DAYS: 86400,
    IntervalSchedule.HOURS: 3600,
    IntervalSchedule.MINUTES: 60,
    IntervalSchedule.SECONDS: 1,
    IntervalSchedule.MICROSECONDS: 1e-6,
}


def _interval_seconds(task: PeriodicTask) -> float | None:
    if task.interval_id is None:
        return None
    interval = task.interval
    return interval.every * _PERIOD_SECONDS.get(interval.period, 0)


# --- Desired state ----


def differences(
    task: PeriodicTask, player: Player, interval: IntervalSchedule, *, now: datetime
) -> dict[str, Any]:
    """Field -> desired value for every field of `task` that does not match `player`."""
    diff: dict[str, Any] = {}
    if task.name != task_name(player.pk):
        diff["name"] = task_name(player.pk)
    if task.task != FETCH_TASK:
        diff["task"] = FETCH_TASK
    if _interval_seconds(task) != player.schedule_interval_minutes * 60:
        diff["interval"] = interval
    for other in ("crontab", "solar", "clocked"):
        if getattr(task, f"{other}_id") is not None:
            diff[other] = None
    if loads_lenient(task.args, empty=[]) != []:
        diff["args"] = "[]"
    if loads_lenient(task.kwargs, empty={}) != {"player_id": player.pk}:
        diff["kwargs"] = json.dumps({"player_id": player.pk})
    # A fetch still queued long after the next one was due: let the broker drop it.
    expire_seconds = expire_seconds_for(player.schedule_interval_minutes)
    if task.expire_seconds != expire_seconds:
        diff["expire_seconds"] = expire_seconds
    if task.expires is not None:
        diff["expires"] = None
    if task.one_off:
        diff["one_off"] = False
    if task.enabled != player.is_active:
        diff["enabled"] = player.is_active
        if player.is_active:
            # Resuming many players at once must not fire them together either.
            diff["start_time"] = first_run_at(
                player_id=player.pk, interval_minutes=player.schedule_interval_minutes, now=now
            )
        else:
            diff["last_run_at"] = None  # what PeriodicTask.save() does on disable
    start = None if "start_time" in diff else _start_within_interval(task, player, now=now)
    if player.is_active and start is not None:
        diff["start_time"] = start
    return diff


def _start_within_interval(task: PeriodicTask, player: Player, *, now: datetime) -> datetime | None:
    """A new start_time when the next run would be more than one interval away, else None.

    A first run planned for the old (longer) interval, or a start_time left far ahead, would
    otherwise hold on after an interval change or a resume: after any change the next run is
    at most one (new) interval away. The replacement is staggered inside the new interval.
    """
    every = timedelta(minutes=player.schedule_interval_minutes)
    due = next_run_at(task, every=every)
    if due is None or due <= now + every:
        return None
    return first_run_at(
        player_id=player.pk, interval_minutes=player.schedule_interval_minutes, now=now
    )


def _new_task(player: Player, interval: IntervalSchedule, *, now: datetime) -> PeriodicTask:
    return PeriodicTask(
        name=task_name(player.pk),
        task=FETCH_TASK,
        interval=interval,
        args="[]",
        kwargs=json.dumps({"player_id": player.pk}),
        headers="{}",
        enabled=player.is_active,
        expire_seconds=expire_seconds_for(player.schedule_interval_minutes),
        start_time=first_run_at(
            player_id=player.pk, interval_minutes=player.schedule_interval_minutes, now=now
        ),
        description=task_description(player),
    )


# --- One player (called from services inside their transaction) ----


def player_schedule_sync(*, player: Player, now: datetime | None = None) -> SyncAction:
    """Make the player's PeriodicTask match it: create, adopt or fix it, or do nothing."""
    now = now or timezone.now()
    interval = interval_for(player.schedule_interval_minutes)
    if player.fetch_task_id is None:
        task = (
            PeriodicTask.objects.select_related("interval")
            .filter(name=task_name(player.pk), player__isnull=True)
            .first()
        )
        if task is None:
            task = _new_task(player, interval, now=now)
            task.save()  # the save signal tells beat
            action = SyncAction.CREATED
        else:
            _save_differences(task, differences(task, player, interval, now=now))
            action = SyncAction.ADOPTED
        Player.objects.filter(pk=player.pk).update(fetch_task=task)
        player.fetch_task = task
        return action
    task = player.fetch_task
    diff = differences(task, player, interval, now=now)
    if not diff:
        return SyncAction.UNCHANGED
    _save_differences(task, diff)
    return SyncAction.UPDATED


def task_description(player: Player) -> str:
    return f"Hiscores fetch for {player.username}"


def player_schedule_describe(*, player: Player) -> bool:
    """Give the player's task the description of its current name (after a rename)."""
    task = player.fetch_task
    if task is None or task.description == task_description(player):
        return False
    _save_differences(task, {"description": task_description(player)})
    return True


def _save_differences(task: PeriodicTask, diff: dict[str, Any]) -> None:
    if not diff:
        return
    for name, value in diff.items():
        setattr(task, name, value)
    fields = set(diff) | {"date_changed"}
    if "enabled" in diff:
        fields.add("last_run_at")  # save() clears it on disable
    task.save(update_fields=sorted(fields))


def schedules_delete(*, task_ids: Sequence[int]) -> int:
    """Delete these PeriodicTasks with one beat notification (none when nothing was deleted)."""
    deleted = _delete_silently([pk for pk in task_ids if pk is not None])
    if deleted:
        PeriodicTasks.update_changed()
    return deleted


# --- Bulk paths ----


def schedules_create_bulk(*, players: Sequence[Player], now: datetime | None = None) -> int:
    """Create and link the tasks of freshly created players: one bulk insert, one beat notice."""
    now = now or timezone.now()
    players = [player for player in players if player.fetch_task_id is None]
    if not players:
        return 0
    intervals = intervals_for({player.schedule_interval_minutes for player in players})
    # A leftover unlinked task with one of these names would break the insert: it is an orphan.
    stale = PeriodicTask.objects.filter(
        name__in=[task_name(player.pk) for player in players], player__isnull=True
    ).values_list("pk", flat=True)
    _delete_silently(list(stale))
    tasks = PeriodicTask.objects.bulk_create(
        [
            _new_task(player, intervals[player.schedule_interval_minutes], now=now)
            for player in players
        ]
    )
    _link_by_name([player.pk for player in players])
    for player, task in zip(players, tasks, strict=True):
        player.fetch_task = task
    PeriodicTasks.update_changed()
    return len(tasks)


def _delete_silently(task_ids: list[int]) -> int:
    """Delete through the ORM (SET_NULL on players, any cascades) without per-row beat notices."""
    if not task_ids:
        return 0
    tasks = list(PeriodicTask.objects.filter(pk__in=task_ids))
    for task in tasks:
        task.no_changes = True  # the pre_delete signal skips rows marked like this
    collector = Collector(using=router.db_for_write(PeriodicTask))
    collector.collect(tasks)
    collector.delete()
    return len(tasks)


def _link_by_name(player_ids: list[int]) -> None:
    """Point each player at the task with its canonical name, in one UPDATE."""
    if not player_ids:
        return
    canonical = PeriodicTask.objects.filter(
        name=Concat(Value(TASK_NAME_PREFIX), Cast(OuterRef("pk"), CharField()))
    ).values("pk")[:1]
    Player.objects.filter(pk__in=player_ids).update(fetch_task=Subquery(canonical))


def schedule_next_run(task: PeriodicTask) -> datetime | None:
    """When beat will next send this task (None when disabled)."""
    if task.interval_id is None:
        return None
    return next_run_at(task)


def schedules_start_within(
    *, players: Sequence[Player], window: timedelta, now: datetime | None = None
) -> int:
    """Bring the first run of these players' never-run tasks within `window` (the demo's quick
    start), still staggered; one bulk write, one beat notice. Returns how many tasks moved."""
    now = now or timezone.now()
    seconds = max(1, int(window.total_seconds()))
    tasks = list(
        PeriodicTask.objects.filter(
            pk__in=[p.fetch_task_id for p in players if p.fetch_task_id is not None],
            last_run_at__isnull=True,
        )
    )
    moved = []
    for task in tasks:
        player_id = loads_lenient(task.kwargs, empty={}).get("player_id") or task.pk
        start = now + timedelta(seconds=int(((player_id * _GOLDEN) % 1.0) * seconds))
        if task.start_time is None or task.start_time > start:
            task.start_time = start
            task.date_changed = now
            moved.append(task)
    if moved:
        with transaction.atomic():
            PeriodicTask.objects.bulk_update(moved, ["start_time", "date_changed"])
            PeriodicTasks.update_changed()
    return len(moved)

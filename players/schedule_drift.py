"""Drift between players and their PeriodicTasks, found and repaired in bulk and idempotently.

The daily drift check (`system.check_schedule_drift`) and `manage.py sync_player_schedules` run
it; `players.schedules` owns the desired state of one task, this module applies it to all of
them in batches (bulk writes and one `PeriodicTasks.update_changed()`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.models import PeriodicTask, PeriodicTasks

from osrs_diff.jsonsafe import loads_lenient
from players.models import Player
from players.schedules import (
    _NAME_PATTERN,
    _UPDATE_BATCH,
    FETCH_TASK,
    TASK_NAME_PREFIX,
    _delete_silently,
    _link_by_name,
    _new_task,
    differences,
    intervals_for,
    task_name,
)

logger = logging.getLogger(__name__)


@dataclass
class DriftReport:
    """What `schedules_sync_all` found (and repaired unless it was a dry run)."""

    players: int = 0
    missing_task: int = 0
    adopted_task: int = 0
    orphan_task: int = 0
    wrong_interval: int = 0
    wrong_enabled: int = 0
    wrong_other: int = 0
    dry_run: bool = False
    examples: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @property
    def drift(self) -> int:
        return (
            self.missing_task
            + self.adopted_task
            + self.orphan_task
            + self.wrong_interval
            + self.wrong_enabled
            + self.wrong_other
        )

    def note(self, kind: str, example: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)
        if len(self.examples[kind]) < 10:
            self.examples[kind].append(example)

    def as_dict(self) -> dict[str, Any]:
        return {
            "players": self.players,
            "missing_task": self.missing_task,
            "adopted_task": self.adopted_task,
            "orphan_task": self.orphan_task,
            "wrong_interval": self.wrong_interval,
            "wrong_enabled": self.wrong_enabled,
            "wrong_other": self.wrong_other,
            "dry_run": self.dry_run,
        }


def _task_player_id(task: PeriodicTask) -> int | None:
    match = _NAME_PATTERN.match(task.name)
    if match:
        return int(match.group(1))
    kwargs = loads_lenient(task.kwargs, empty={})
    if task.task == FETCH_TASK and isinstance(kwargs, dict):
        value = kwargs.get("player_id")
        if isinstance(value, int):
            return value
    return None


def _unlinked_player_tasks() -> list[PeriodicTask]:
    """Per-player fetch tasks no player points at: adoptable leftovers or orphans."""
    return list(
        PeriodicTask.objects.select_related("interval")
        .filter(player__isnull=True)
        .filter(Q(name__startswith=TASK_NAME_PREFIX) | Q(task=FETCH_TASK))
        .order_by("pk")
    )


def schedules_sync_all(
    *,
    dry_run: bool = False,
    batch_size: int = 1000,
    now: datetime | None = None,
    progress: Any = None,
) -> DriftReport:
    """Find and repair drift between players and their tasks, in bulk and idempotently.

    Drift: a player without a task (an unlinked task of the same player, e.g. from an older
    scheduling, is adopted rather than duplicated), an orphan task, a task with the wrong
    interval, enabled flag or other field. Nothing is written when nothing differs.
    """
    now = now or timezone.now()
    report = DriftReport(dry_run=dry_run)
    missing_ids = set(Player.objects.filter(fetch_task__isnull=True).values_list("pk", flat=True))

    # Pick at most one unlinked task per player that lacks one; every other is an orphan.
    adoptable: dict[int, PeriodicTask] = {}
    orphans: list[PeriodicTask] = []
    for task in _unlinked_player_tasks():
        player_id = _task_player_id(task)
        if player_id not in missing_ids:
            orphans.append(task)
            continue
        current = adoptable.get(player_id)
        if current is None:
            adoptable[player_id] = task
        elif task.name == task_name(player_id) and current.name != task.name:
            orphans.append(current)  # prefer the task that already has the canonical name
            adoptable[player_id] = task
        else:
            orphans.append(task)
    for task in orphans:
        report.note("orphan_task", task.name)

    wrote = False
    try:
        if orphans and not dry_run:
            with transaction.atomic():
                _delete_silently([task.pk for task in orphans])
            wrote = True
        last_pk = 0
        while True:
            with transaction.atomic():
                batch = Player.objects.select_related("fetch_task__interval").filter(pk__gt=last_pk)
                if not dry_run:
                    batch = batch.select_for_update(of=("self",))
                players = list(batch.order_by("pk")[:batch_size])
                if not players:
                    break
                last_pk = players[-1].pk
                report.players += len(players)
                wrote |= _sync_batch(players, adoptable, report, dry_run=dry_run, now=now)
            if progress is not None:
                progress.update(len(players))
    finally:
        if wrote:
            PeriodicTasks.update_changed()
    return report


def _sync_batch(
    players: list[Player],
    adoptable: dict[int, PeriodicTask],
    report: DriftReport,
    *,
    dry_run: bool,
    now: datetime,
) -> bool:
    intervals = intervals_for({player.schedule_interval_minutes for player in players})
    to_update: list[tuple[PeriodicTask, dict[str, Any]]] = []
    to_link: list[Player] = []
    to_create: list[Player] = []
    for player in players:
        interval = intervals[player.schedule_interval_minutes]
        task = player.fetch_task
        adopted = task is None and player.pk in adoptable
        if adopted:
            task = adoptable.pop(player.pk)
            report.note("adopted_task", player.username)
        elif task is None:
            report.note("missing_task", player.username)
            to_create.append(player)
            continue
        diff = differences(task, player, interval, now=now)
        if not adopted:
            if "interval" in diff:
                report.note("wrong_interval", player.username)
            if "enabled" in diff:
                report.note("wrong_enabled", player.username)
            if diff.keys() - {"interval", "enabled", "start_time", "last_run_at"}:
                report.note("wrong_other", player.username)
        if diff:
            to_update.append((task, diff))
        if adopted:
            to_link.append(player)
    if dry_run or not (to_update or to_link or to_create):
        return False
    _apply_differences(to_update, now=now)
    if to_create:
        PeriodicTask.objects.bulk_create(
            [_new_task(p, intervals[p.schedule_interval_minutes], now=now) for p in to_create]
        )
    _link_by_name([player.pk for player in to_link + to_create])
    return True


# Fields whose desired value differs per player; every other field's desired value is shared by
# many tasks, so those are written with one UPDATE per distinct set of values.
_PER_ROW_FIELDS = {"name", "kwargs", "start_time"}


def _apply_differences(changes: list[tuple[PeriodicTask, dict[str, Any]]], *, now) -> None:
    """Write the differences in bulk: grouped UPDATEs, bulk_update only for per-row values."""
    groups: dict[tuple, list[int]] = defaultdict(list)
    per_row: list[PeriodicTask] = []
    per_row_fields: set[str] = set()
    for task, diff in changes:
        shared = {k: v for k, v in diff.items() if k not in _PER_ROW_FIELDS}
        if shared:
            key = tuple(sorted((k, getattr(v, "pk", v)) for k, v in shared.items()))
            groups[key].append(task.pk)
        if fields := diff.keys() & _PER_ROW_FIELDS:
            for name in fields:
                setattr(task, name, diff[name])
            per_row.append(task)
            per_row_fields |= fields
    for key, ids in groups.items():
        values = {(f"{k}_id" if k in _FK_FIELDS else k): v for k, v in key}
        PeriodicTask.objects.filter(pk__in=ids).update(**values, date_changed=now)
    if per_row:
        for task in per_row:
            task.date_changed = now
        PeriodicTask.objects.bulk_update(
            per_row, sorted(per_row_fields | {"date_changed"}), batch_size=_UPDATE_BATCH
        )


_FK_FIELDS = {"interval", "crontab", "solar", "clocked"}

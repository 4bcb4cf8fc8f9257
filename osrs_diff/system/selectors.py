"""Reads for operators: system PeriodicTasks with their last result, and the system stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from celery import states
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.text import slugify
from django_celery_beat.models import IntervalSchedule, PeriodicTask
from django_celery_results.models import TaskResult

from drops import selectors as drops_selectors
from hiscores import selectors as hiscores_selectors
from hiscores.services import FetchStatus
from osrs_diff import broker, db
from osrs_diff.beat.api import SYSTEM_TASK_PREFIX, next_run_at
from osrs_diff.jsonsafe import RAW, loads_lenient
from osrs_diff.queues import SCHEDULED
from players import selectors as players_selectors

# --- System tasks ----


@dataclass(frozen=True)
class LastResult:
    task_id: str
    state: str
    finished_at: datetime | None
    summary: str


@dataclass(frozen=True)
class SystemTask:
    id: int
    name: str
    slug: str
    task: str
    description: str
    schedule: str
    enabled: bool
    last_run_at: datetime | None
    next_run_at: datetime | None
    total_run_count: int
    last_result: LastResult | None


def system_task_queryset(base: QuerySet | None = None) -> QuerySet[PeriodicTask]:
    """Every PeriodicTask except the per-player fetch tasks, by name.

    `base` is a PeriodicTask queryset to start from (the admin's proxy model).
    """
    base = PeriodicTask.objects.all() if base is None else base
    return (
        base.exclude(players_selectors.player_fetch_tasks_q())
        .select_related("interval", "crontab", "solar", "clocked")
        .order_by("name")
    )


def _latest_result() -> QuerySet[TaskResult]:
    # (periodic_task_name) is indexed by django-celery-results.
    return TaskResult.objects.filter(periodic_task_name=OuterRef("name")).order_by(
        "-date_done", "-id"
    )


def system_tasks_with_results(base: QuerySet | None = None) -> QuerySet[PeriodicTask]:
    """`system_task_queryset` plus the latest result's state, time and value (one query)."""
    latest = _latest_result()
    return system_task_queryset(base).annotate(
        last_result_status=Subquery(latest.values("status")[:1]),
        last_result_done=Subquery(latest.values("date_done")[:1]),
        last_result_value=Subquery(latest.values("result")[:1]),
        last_result_task_id=Subquery(latest.values("task_id")[:1]),
    )


def last_result_from_annotations(task: PeriodicTask) -> LastResult | None:
    if not getattr(task, "last_result_status", None):
        return None
    return last_result_of(
        TaskResult(
            task_id=task.last_result_task_id,
            status=task.last_result_status,
            date_done=task.last_result_done,
            result=task.last_result_value,
        )
    )


def task_slug(name: str) -> str:
    """A task name for URLs: "system: daily game-mode check" -> "daily-game-mode-check"."""
    return slugify(name.removeprefix(SYSTEM_TASK_PREFIX)) or slugify(name)


def system_task_list(*, now: datetime | None = None) -> list[SystemTask]:
    """Every system task with its latest result, by name (one query whatever their number)."""
    now = now or timezone.now()
    return [_system_task(task, now=now) for task in system_tasks_with_results()]


def system_task_find(*, name: str) -> PeriodicTask | None:
    """The system task called `name` (its exact name or its slug), or None."""
    exact = system_task_queryset().filter(name=name).first()
    if exact is not None:
        return exact
    return next((task for task in system_task_queryset() if task_slug(task.name) == name), None)


def system_task_names() -> list[str]:
    return list(system_task_queryset().values_list("name", flat=True))


def _system_task(task: PeriodicTask, *, now: datetime) -> SystemTask:
    return SystemTask(
        id=task.pk,
        name=task.name,
        slug=task_slug(task.name),
        task=task.task,
        description=task.description,
        schedule=schedule_describe(task),
        enabled=task.enabled,
        last_run_at=task.last_run_at,
        next_run_at=task_next_run(task, now=now),
        total_run_count=task.total_run_count,
        last_result=last_result_from_annotations(task),
    )


_PERIOD_UNITS = {
    IntervalSchedule.DAYS: ("day", "days"),
    IntervalSchedule.HOURS: ("h", "h"),
    IntervalSchedule.MINUTES: ("min", "min"),
    IntervalSchedule.SECONDS: ("s", "s"),
    IntervalSchedule.MICROSECONDS: ("µs", "µs"),
}
_WEEKDAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]


def schedule_describe(task: PeriodicTask) -> str:
    """The schedule in words: "every 60 s", "daily at 02:00 UTC", "once at 2026-11-21 09:00 UTC"."""
    text = _describe(task)
    return f"{text} (one-off)" if task.one_off else text


def _describe(task: PeriodicTask) -> str:
    if task.interval is not None:
        every, period = task.interval.every, task.interval.period
        singular, plural = _PERIOD_UNITS.get(period, (period, period))
        if period == IntervalSchedule.DAYS and every == 1:
            return "every day"
        return f"every {every} {singular if every == 1 else plural}"
    if task.crontab is not None:
        return _describe_crontab(task.crontab)
    if task.clocked is not None:
        return f"once at {task.clocked.clocked_time.astimezone(timezone.UTC):%Y-%m-%d %H:%M} UTC"
    if task.solar is not None:
        solar = task.solar
        return f"at {solar.event.replace('_', ' ')} ({solar.latitude}, {solar.longitude})"
    return "no schedule"


def _describe_crontab(cron) -> str:
    zone = str(cron.timezone)
    minute, hour = cron.minute, cron.hour
    dom, month, dow = cron.day_of_month, cron.month_of_year, cron.day_of_week
    if minute.isdigit() and hour.isdigit() and dom == month == "*":
        at = f"{int(hour):02d}:{int(minute):02d} {zone}"
        if dow == "*":
            return f"daily at {at}"
        if dow.isdigit() and int(dow) < 7:
            return f"weekly on {_WEEKDAYS[int(dow)]} at {at}"
    if minute.isdigit() and hour == dom == month == dow == "*":
        return f"hourly at :{int(minute):02d}"
    return f"cron '{minute} {hour} {dom} {month} {dow}' {zone}"


def task_next_run(task: PeriodicTask, *, now: datetime) -> datetime | None:
    """When beat will next send `task` (None when disabled or never again; `now` when overdue)."""
    return next_run_at(task, now=now)


def last_result_of(result: TaskResult | None) -> LastResult | None:
    if result is None:
        return None
    finished = result.status in states.READY_STATES
    return LastResult(
        task_id=result.task_id,
        state=result.status,
        finished_at=result.date_done if finished else None,
        summary=_summary(result),
    )


def _short(value: Any) -> str:
    if isinstance(value, list | tuple | dict):
        return f"{len(value)} item{'s' if len(value) != 1 else ''}"
    return str(value)


def _summary(result: TaskResult) -> str:
    value = loads_lenient(result.result, invalid=RAW)
    if result.status == states.SUCCESS:
        if isinstance(value, dict):
            return ", ".join(f"{key}={_short(item)}" for key, item in value.items()) or "done"
        return "done" if value is None else _short(value)
    if result.status in (states.FAILURE, states.RETRY) and isinstance(value, dict):
        message = value.get("exc_message")
        if isinstance(message, list | tuple):
            message = " ".join(str(part) for part in message)
        text = f"{value.get('exc_type') or 'Error'}: {message or ''}".rstrip(": ")
        return text if result.status == states.FAILURE else f"retrying after {text}"
    if result.status == states.STARTED:
        return "running"
    return result.status.lower()


# --- Stats ----

STATS_WINDOW = timedelta(hours=24)
# Below this many rows (by the planner's estimate) a table is counted exactly.
EXACT_COUNT_LIMIT = db.EXACT_COUNT_LIMIT


def table_count(model) -> tuple[int, bool]:
    """(rows, estimated): PostgreSQL's statistics for big tables, COUNT(*) for small ones."""
    return db.table_count(model, exact_below=EXACT_COUNT_LIMIT)


def snapshot_count() -> tuple[int, bool]:
    """(rows, estimated): snapshots stored."""
    return hiscores_selectors.snapshot_count()


def fetch_outcome_counts(*, since: datetime | None = None) -> dict[str, int]:
    """Fetch outcomes counted since the start of the hour of `since` (all of them without)."""
    return hiscores_selectors.fetch_outcome_counts(since=since)


def dedup_ratio(counts: dict[str, int]) -> float | None:
    """Share of good readings not stored because nothing changed (None before any reading)."""
    readings = counts.get(FetchStatus.SUCCESS, 0) + counts.get(FetchStatus.UNCHANGED, 0)
    return round(counts.get(FetchStatus.UNCHANGED, 0) / readings, 4) if readings else None


def player_counts() -> dict[str, Any]:
    """Players by game mode and by state (active / paused / flagged) in one query."""
    return players_selectors.player_counts()


def open_party_count() -> int:
    return drops_selectors.party_list_active().count()


def queue_depths(*, now: float | None = None) -> dict[str, Any]:
    """Messages waiting per broker queue and the age of the oldest (`osrs_diff.broker`)."""
    return broker.queue_depths(now=now)


def fetch_budget(*, queues: dict[str, Any] | None = None) -> dict[str, Any]:
    """Demand of the schedules against the hiscores budget (one aggregate query).

    `queues` is a `queue_depths()` answer to reuse (read from the broker when None).
    """
    queues = queue_depths() if queues is None else queues
    rate = players_selectors.fetch_budget_rate()
    demand = players_selectors.fetch_demand()
    return {
        "rate_per_second": rate,
        "demand_per_second": round(demand.demand_per_second, 6),
        "configured_demand_per_second": round(demand.configured_demand_per_second, 6),
        "utilisation": round(demand.demand_per_second / rate, 4) if rate > 0 else None,
        "scheduled_backlog": queues["depth"].get(SCHEDULED),
        "oldest_scheduled_age_seconds": (queues.get("oldest_age_seconds") or {}).get(SCHEDULED),
    }


def hiscores_state() -> dict[str, Any]:
    return hiscores_selectors.hiscores_limits_state()


def system_stats(*, now: datetime | None = None) -> dict[str, Any]:
    """Everything `GET /system/stats` shows, in a handful of cheap queries."""
    now = now or timezone.now()
    snapshots, estimated = snapshot_count()
    outcomes = fetch_outcome_counts(since=now - STATS_WINDOW)
    queues = queue_depths()
    return {
        "generated_at": now,
        "players": player_counts(),
        "snapshots": {"stored": snapshots, "estimated": estimated},
        "fetches_24h": {**outcomes, "total": sum(outcomes.values())},
        "dedup_ratio_24h": dedup_ratio(outcomes),
        "hiscores": hiscores_state(),
        "queues": queues,
        "fetch_budget": fetch_budget(queues=queues),
        "drops": drops_selectors.drop_counts(now=now),
    }

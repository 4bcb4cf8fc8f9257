"""What beat does with a PeriodicTask, for the code outside beat.

The single owner of two rules the players and operations code need and the scheduler follows:

- `next_run_at(task)`: when beat will next send the task;
- `send_options(task)`: the options (queue, expiry, headers) beat sends it with.

It imports no app: only django-celery-beat's model and celery's schedules.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from celery import schedules as celery_schedules
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from kombu.utils.json import loads

logger = logging.getLogger(__name__)

#: System PeriodicTasks (created by data migrations) are named "system: <what>"
#: (`system_task_name()`). Beat holds them as stock entries; the operations app lists them.
SYSTEM_TASK_PREFIX = "system:"


def system_task_name(what: str) -> str:
    """A system task's PeriodicTask name, "system: <what>" (as the data migrations store it)."""
    return f"{SYSTEM_TASK_PREFIX} {what}"


OPTION_NAMES = ("queue", "exchange", "routing_key", "priority")
# Stock ModelEntry puts a never-run task with a start_time 30 years in the past so it fires at
# start_time; we mirror that so first runs land exactly where the stock scheduler puts them.
THIRTY_YEARS = dt.timedelta(days=365 * 30).total_seconds()


# --- The rules, on plain values (the scheduler's hot path) ----


def never_run_base(changed_ts: float | None, start_ts: float | None, now: float) -> float:
    """The "last run" beat counts from for a task that never ran (epoch seconds)."""
    base = changed_ts if changed_ts is not None else now
    return base - THIRTY_YEARS if start_ts is not None else base


def interval_due(last_run_ts: float, every_seconds: float, start_ts: float | None) -> float:
    """Next due time of an interval task (epoch seconds): one interval after its last run, and
    never before its start_time."""
    due = last_run_ts + every_seconds
    if start_ts is not None and start_ts > due:
        return start_ts
    return due


def build_options(
    *,
    name: str,
    queue: str | None,
    exchange: str | None,
    routing_key: str | None,
    priority: int | None,
    expires: Any,
    headers_json: str | None,
) -> dict[str, Any]:
    """The options beat sends a task with (as the stock ModelEntry builds them from the row).

    Raises ValueError when the headers are not JSON (beat then disables the task).
    """
    options: dict[str, Any] = {}
    for option, value in zip(OPTION_NAMES, (queue, exchange, routing_key, priority), strict=True):
        if value is not None:
            options[option] = value
    if expires:
        options["expires"] = expires
    headers = loads(headers_json or "{}")
    headers["periodic_task_name"] = name
    options["headers"] = headers
    return options


# --- The public API, on PeriodicTask rows ----


def send_options(task: PeriodicTask) -> dict[str, Any]:
    """The options beat sends `task` with: queue, exchange, routing key, priority, expiry and its
    headers plus `periodic_task_name` (so the result becomes the task's `last_result`).

    Headers that are not a JSON object are left out here (beat would disable such a task).
    """
    fields: dict[str, Any] = {
        "name": task.name,
        "queue": task.queue,
        "exchange": task.exchange,
        "routing_key": task.routing_key,
        "priority": task.priority,
        "expires": task.expires_,
    }
    try:
        return build_options(**fields, headers_json=task.headers)
    except (ValueError, TypeError):  # not JSON, or not an object
        return build_options(**fields, headers_json=None)


def _ts(value: dt.datetime) -> float:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.timestamp()


def _next_due(
    task: PeriodicTask, base: dt.datetime, now: dt.datetime, every: dt.timedelta | None = None
) -> dt.datetime:
    if task.interval_id is not None or every is not None:
        every = (every or task.interval.schedule.run_every).total_seconds()
        start = _ts(task.start_time) if task.start_time is not None else None
        due_ts = interval_due(_ts(base), every, start)
        return dt.datetime.fromtimestamp(due_ts, tz=dt.UTC)
    schedule = task.schedule
    # Computed from the schedule itself, not as `now + remaining_estimate()`: celery reads its own
    # clock for the estimate, which would put "daily at 02:00" at 01:59:59.99.
    if isinstance(schedule, celery_schedules.crontab):
        start, delta, _ = schedule.remaining_delta(base)
        due = (start + delta).astimezone(dt.UTC)
    else:
        due = now + schedule.remaining_estimate(base)
    if task.start_time is not None and task.start_time > due:
        return task.start_time
    return due


def next_run_at(
    task: PeriodicTask, *, now: dt.datetime | None = None, every: dt.timedelta | None = None
) -> dt.datetime | None:
    """When beat will next send `task` (None when disabled or never again); with `every`, when it
    would if its interval were that (a schedule about to change).

    A task that never ran counts from its last change (30 years earlier with a start_time, so it
    fires at its start_time), as beat does. With `now`, a task already overdue (beat was down, or
    it was just enabled) is reported as due `now`: beat sends it on its next tick.
    """
    if not task.enabled:
        return None
    if task.clocked_id is not None:
        return None if task.last_run_at else task.clocked.clocked_time
    if task.one_off and task.last_run_at:
        return None
    current = now or timezone.now()
    base = task.last_run_at
    if base is None:
        changed = task.date_changed or current
        base = changed - dt.timedelta(seconds=THIRTY_YEARS) if task.start_time else changed
    try:
        due = _next_due(task, base, current, every)
    except Exception:  # an unreadable schedule must not break a listing
        logger.exception("cannot compute the next run of %s", task.name)
        return None
    return due if now is None else max(due, now)

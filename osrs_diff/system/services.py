"""Writes for operators: run a system task now, exactly as beat would send it."""

from __future__ import annotations

from typing import Any

from osrs_diff.api_tasks import api_task_start
from osrs_diff.beat.api import send_options
from osrs_diff.exceptions import NotFound
from osrs_diff.jsonsafe import loads_lenient
from osrs_diff.system import selectors


def system_task_run(*, name: str, user: Any = None) -> str:
    """Send the system task `name` (exact name or slug) now; returns the Celery task id.

    It goes out with its arguments and the options beat sends it with (`send_options`), so
    its result is that task's `last_result` like a beat run's; the id
    is followable at `GET /tasks/{id}`. Unknown names raise NotFound listing the valid ones.
    """
    task = selectors.system_task_find(name=name)
    if task is None:
        valid = selectors.system_task_names()
        raise NotFound(
            f"No system task {name!r}. Valid names: {', '.join(valid) or 'none'}.",
            details={"valid_names": valid},
        )
    options: dict[str, Any] = {"ignore_result": False, **send_options(task)}
    args = loads_lenient(task.args, empty=[], invalid=[])
    if args:
        options["args"] = args
    kwargs = loads_lenient(task.kwargs, empty={}, invalid={})
    return api_task_start(
        task=task.task, kwargs=kwargs if isinstance(kwargs, dict) else {}, user=user, **options
    )

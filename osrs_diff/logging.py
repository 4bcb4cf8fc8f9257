"""Logging helpers: every record carries the request id (web) or the task id (Celery)."""

import logging

from osrs_diff.context import current_request_id


class ContextFilter(logging.Filter):
    """Adds `request_id` and `task_id` to every record so formatters can print them."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or ""
        if not hasattr(record, "task_id"):
            record.task_id = _current_task_id() or ""
        return True


def _current_task_id() -> str | None:
    from celery import current_task

    request = getattr(current_task, "request", None)
    return getattr(request, "id", None) if request is not None else None

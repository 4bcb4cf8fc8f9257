"""Celery tasks started through the API, and `GET /tasks/{task_id}` to follow them.

`api_task_start` records the task id before sending, so the status endpoint answers only for
tasks the API started (never for arbitrary ids). States and results come from
django-celery-results; a recorded task without a result row yet is PENDING.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from celery import Task, current_app, uuid
from django.conf import settings
from django.utils import timezone
from django_celery_results.models import TaskResult
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from osrs_diff.exceptions import NotFound, UpstreamUnavailable
from osrs_diff.jsonsafe import RAW, loads_lenient
from osrs_diff.models import ApiTask
from osrs_diff.permissions import TaskOwnerOrStaff

logger = logging.getLogger(__name__)


def api_task_start(
    *,
    task: Task | str,
    kwargs: dict[str, Any] | None = None,
    user: Any = None,
    **options: Any,
) -> str:
    """Send a Celery task (object or registered name) and record its id; returns the id.

    Raises `UpstreamUnavailable` (503 `broker_unavailable`) when the broker refuses the message.
    """
    name = task if isinstance(task, str) else task.name
    task_id = uuid()
    now = timezone.now()
    ApiTask.objects.filter(created_at__lt=now - settings.CELERY_RESULT_EXPIRES).delete()
    record = ApiTask.objects.create(
        task_id=task_id,
        name=name,
        created_at=now,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )
    try:
        if isinstance(task, str):
            current_app.send_task(task, kwargs=kwargs or {}, task_id=task_id, **options)
        else:
            task.apply_async(kwargs=kwargs or {}, task_id=task_id, **options)
    except Exception as exc:  # kombu raises many kinds of connection errors
        record.delete()
        logger.error("could not send task %s: %s", name, exc)
        raise UpstreamUnavailable(
            "The task queue is unavailable; try again shortly.", error_code="broker_unavailable"
        ) from exc
    return task_id


@dataclass(frozen=True)
class ApiTaskStatus:
    task_id: str
    name: str
    state: str
    result: Any
    created_at: datetime
    date_done: datetime | None


def api_task_status(*, task_id: str) -> ApiTaskStatus:
    """State and result of a task the API started, or 404."""
    record = ApiTask.objects.filter(task_id=task_id).first()
    if record is None:
        raise NotFound(f"No task {task_id!r} was started through the API.")
    row = TaskResult.objects.filter(task_id=task_id).first()
    if row is None:
        state, result, date_done = "PENDING", None, None
    else:
        state, date_done = row.status, row.date_done
        result = loads_lenient(row.result, invalid=RAW)
        if state == "FAILURE" and isinstance(result, dict):
            # Celery stores the exception; show its type and message, never a traceback.
            result = {"error": result.get("exc_type"), "message": _message(result)}
    return ApiTaskStatus(
        task_id=task_id,
        name=record.name,
        state=state,
        result=result,
        created_at=record.created_at,
        date_done=date_done if state in ("SUCCESS", "FAILURE", "REVOKED") else None,
    )


def _message(result: dict[str, Any]) -> str:
    message = result.get("exc_message")
    if isinstance(message, list | tuple):
        return " ".join(str(part) for part in message)
    return str(message or "")


class TaskStartedSerializer(serializers.Serializer):
    """The 202 answer of every endpoint that starts a task (follow it at GET /tasks/{task_id})."""

    task_id = serializers.CharField()


class TaskStatusSerializer(serializers.Serializer):
    task_id = serializers.CharField()
    name = serializers.CharField()
    state = serializers.CharField(help_text="PENDING, STARTED, RETRY, SUCCESS, FAILURE, REVOKED")
    result = serializers.JSONField(allow_null=True)
    created_at = serializers.DateTimeField()
    date_done = serializers.DateTimeField(allow_null=True)


class TaskStatusView(APIView):
    """State and result of a task the API started (e.g. a game-mode check or a fetch)."""

    permission_classes = [TaskOwnerOrStaff]
    name = "Task status"

    @extend_schema(responses=TaskStatusSerializer, tags=["tasks"])
    def get(self, request: Request, task_id: str) -> Response:
        return Response(TaskStatusSerializer(api_task_status(task_id=task_id)).data)

"""Project-wide records: the Celery tasks the API started (for `GET /tasks/{task_id}`).

The `SystemTask` proxy moved to the operations app (`osrs_diff.system.models`)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class ApiTask(models.Model):
    """A Celery task started through the API; only these are visible at /tasks/{task_id}."""

    task_id = models.CharField(max_length=255, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} {self.task_id}"


class OutboxEvent(models.Model):
    """Something that happened, written in the same transaction as the change that caused it.

    The transactional outbox (`osrs_diff.events`): a rolled-back change leaves no event, a
    committed one always has its row. The operations app delivers rows to webhooks and marks
    them dispatched; the row's `delivery_id` is what receivers see on every attempt.
    """

    name = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(default=timezone.now)
    data = models.JSONField(default=dict)
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dispatched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            # The dispatcher's scan: undispatched events, oldest first.
            models.Index(
                fields=["id"],
                condition=models.Q(dispatched_at__isnull=True),
                name="outbox_undispatched",
            ),
            models.Index(fields=["name", "-occurred_at"], name="outbox_name_occurred"),
        ]

    def __str__(self) -> str:
        return f"{self.name} @ {self.occurred_at:%Y-%m-%d %H:%M:%S}"


class PeriodicTaskDeletion(models.Model):
    """A deleted django-celery-beat PeriodicTask, written by a database trigger (migration 0005).

    Beat reads these the way it reads changed rows (by time, through an index), so a delete costs
    it O(deletes) instead of an aggregate over every enabled task on each change; the aggregate
    stays as a once-a-minute safety net (`osrs_diff.beat.changes`).
    """

    task_id = models.BigIntegerField()
    deleted_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"task {self.task_id} deleted {self.deleted_at:%Y-%m-%d %H:%M:%S}"

"""Project-wide records: the Celery tasks the API started (for `GET /tasks/{task_id}`).

The `SystemTask` proxy moved to the operations app (`osrs_diff.system.models`)."""

from __future__ import annotations

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

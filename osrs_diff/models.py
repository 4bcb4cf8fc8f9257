"""Project-wide records: the Celery tasks the API started (for `GET /tasks/{task_id}`), and the
system-task view of django-celery-beat's PeriodicTask for the admin."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django_celery_beat.models import PeriodicTask


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


class SystemTask(PeriodicTask):
    """A scheduled system job (any PeriodicTask but the per-player fetches), for the admin."""

    class Meta:
        proxy = True
        verbose_name = "system task"
        verbose_name_plural = "system tasks"

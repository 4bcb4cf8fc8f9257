"""The system-task view of django-celery-beat's PeriodicTask, for the admin.

Moved from the `osrs_diff` app by state-only migrations (`system` 0001, `osrs_diff` 0003): a
proxy has no table, and its content type and permissions keep their ids under the new label.
"""

from __future__ import annotations

from django_celery_beat.models import PeriodicTask


class SystemTask(PeriodicTask):
    """A scheduled system job (any PeriodicTask but the per-player fetches), for the admin."""

    class Meta:
        proxy = True
        verbose_name = "system task"
        verbose_name_plural = "system tasks"

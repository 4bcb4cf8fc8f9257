"""The Celery app; configuration comes from Django settings under the CELERY_ namespace."""

import os

from celery import Celery
from celery.signals import before_task_publish, setup_logging

from osrs_diff.queues import stamp_sent_at

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osrs_diff.settings")

app = Celery("osrs_diff")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@setup_logging.connect
def configure_logging(**kwargs) -> None:
    """Use Django's LOGGING (JSON lines with the task id) in workers and beat too."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@before_task_publish.connect
def stamp_message(headers=None, **kwargs) -> None:
    """Every message says when it was sent: stale scheduled fetches and queue ages need it."""
    stamp_sent_at(headers)

"""Create the one beat entry that ends idle drop parties every 60 seconds.

Only this row (found by its name) is created or removed; other PeriodicTasks are never touched,
and the shared 60-second IntervalSchedule is reused and never deleted.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "system: end idle drop parties"
CELERY_TASK = "drops.end_idle_parties"


def create_sweeper(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    interval = (
        IntervalSchedule.objects.filter(every=60, period="seconds").order_by("id").first()
        or IntervalSchedule.objects.create(every=60, period="seconds")
    )
    _task, created = PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": CELERY_TASK,
            "interval": interval,
            "enabled": True,
            # A sweep that waited longer than its own cadence is pointless: the next one comes.
            "expire_seconds": 60,
            "description": "Ends drop parties without a drop for DROP_PARTY_IDLE_SECONDS.",
        },
    )
    if created:
        # Tell a running beat (DatabaseScheduler) to reload; historical models send no signals.
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_sweeper(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=TASK_NAME).delete()[0]:
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("drops", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_sweeper, remove_sweeper)]

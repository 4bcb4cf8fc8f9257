"""Create the beat entry that keeps running competitions' participants fresh (every 5 minutes).

Only this row (found by its name) is created or removed; other PeriodicTasks are never touched,
and a shared 5-minute IntervalSchedule is reused and never deleted.
"""

from django.db import migrations
from django.utils import timezone

# osrs_diff.beat.api.system_task_name("competition fetches"); a migration keeps the literal.
TASK_NAME = "system: competition fetches"
CELERY_TASK = "history.competition_fetch_due"


def create_sweep(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    interval = (
        IntervalSchedule.objects.filter(every=5, period="minutes").order_by("id").first()
        or IntervalSchedule.objects.create(every=5, period="minutes")
    )
    _task, created = PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": CELERY_TASK,
            "interval": interval,
            "enabled": True,
            # A sweep older than its cadence is pointless: the next one comes.
            "expire_seconds": 300,
            "description": "Queues fetches of running competitions' participants not fetched "
            "for COMPETITION_FETCH_MINUTES; deletes clocked tasks of deleted competitions.",
        },
    )
    if created:
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def remove_sweep(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=TASK_NAME).delete()[0]:
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0002_competitions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_sweep, remove_sweep)]

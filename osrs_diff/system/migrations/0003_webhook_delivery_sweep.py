"""Create the beat entry that delivers pending events every 10 seconds (the on-commit kick's backup).

Only this row (found by its name) is created or removed; other PeriodicTasks are never touched,
and a shared 10-second IntervalSchedule is reused and never deleted.
"""

from django.db import migrations
from django.utils import timezone

# osrs_diff.beat.api.system_task_name("deliver webhook events"); a migration keeps the literal.
TASK_NAME = "system: deliver webhook events"
CELERY_TASK = "system.deliver_events"


def create_sweep(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    interval = (
        IntervalSchedule.objects.filter(every=10, period="seconds").order_by("id").first()
        or IntervalSchedule.objects.create(every=10, period="seconds")
    )
    _task, created = PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": CELERY_TASK,
            "interval": interval,
            "enabled": True,
            # A sweep older than its cadence is pointless: the next one comes.
            "expire_seconds": 10,
            "description": "Delivers outbox events to webhooks (backs up the on-commit kick) "
            "and retries due deliveries.",
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
        ("system", "0002_webhooks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_sweep, remove_sweep)]

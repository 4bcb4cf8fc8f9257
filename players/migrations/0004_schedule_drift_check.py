"""The daily schedule drift check: its own crontab PeriodicTask at 03:00 UTC (a system task)."""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "system: daily schedule drift check"
TASK = "system.check_schedule_drift"
CRONTAB = {
    "minute": "0",
    "hour": "3",
    "day_of_week": "*",
    "day_of_month": "*",
    "month_of_year": "*",
    "timezone": "UTC",
}


def create_task(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab = CrontabSchedule.objects.filter(**CRONTAB).order_by(
        "id"
    ).first() or CrontabSchedule.objects.create(**CRONTAB)
    _task, created = PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "args": "[]",
            "kwargs": "{}",
            "enabled": True,
            "description": (
                "Repairs drift between players and their fetch tasks (sync_player_schedules) "
                "and logs what it repaired."
            ),
        },
    )
    if created:
        # Historical models send no signals: tell a running beat explicitly.
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete_task(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    if PeriodicTask.objects.filter(name=TASK_NAME).delete()[0]:
        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("players", "0003_fetch_status_and_flag"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_task, delete_task)]

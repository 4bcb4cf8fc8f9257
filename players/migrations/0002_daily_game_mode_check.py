"""The daily game-mode check: its own crontab PeriodicTask at 02:00 UTC (a system task)."""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "system: daily game-mode check"
TASK = "players.check_game_modes"


def create_task(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab = CrontabSchedule.objects.filter(
        minute="0",
        hour="2",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    ).first() or CrontabSchedule.objects.create(
        minute="0",
        hour="2",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.update_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "crontab": crontab,
            "interval": None,
            "args": "[]",
            "kwargs": "{}",
            "enabled": True,
            "description": "Re-detects the game mode of every active non-regular player.",
        },
    )
    # Historical models send no signals: tell a running beat explicitly.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def delete_task(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


class Migration(migrations.Migration):
    dependencies = [
        ("players", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create_task, delete_task)]

from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "history"

    def ready(self) -> None:
        # Achievements and records follow every stored snapshot (hiscores never imports history).
        from hiscores.stored import snapshot_stored_subscribe
        from history.services import snapshot_derive

        snapshot_stored_subscribe(snapshot_derive)

        # A competition task deleted by hand takes its own clocked schedule with it.
        from django.db.models.signals import post_delete
        from django_celery_beat.models import PeriodicTask

        from history.competitions.schedules import lost_task_clock_delete

        post_delete.connect(
            lost_task_clock_delete, sender=PeriodicTask, dispatch_uid="competition_task_clock"
        )

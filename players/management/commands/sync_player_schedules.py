"""Report and repair drift between players and their PeriodicTasks."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from players import schedule_drift
from players.models import Player


class Command(BaseCommand):
    help = (
        "Compare every player with its django-celery-beat PeriodicTask and repair drift in bulk: "
        "create missing tasks (adopting an unlinked task of the same player left by older "
        "scheduling), delete orphan tasks, fix wrong intervals, enabled flags and other fields. "
        "Idempotent: a second run finds nothing and writes nothing. --dry-run only reports."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Report drift, change nothing.")
        parser.add_argument("--batch-size", type=int, default=1000, help="Players per batch.")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, dry_run: bool, batch_size: int, no_progress: bool, **options) -> None:
        with tqdm(
            total=Player.objects.count(),
            unit="player",
            disable=no_progress,
            file=self.stderr,
        ) as progress:
            report = schedule_drift.schedules_sync_all(
                dry_run=dry_run, batch_size=batch_size, progress=progress
            )
        verb = "found (dry run, nothing changed)" if dry_run else "repaired"
        self.stdout.write(f"Checked {report.players} players.")
        for kind in (
            "missing_task",
            "adopted_task",
            "orphan_task",
            "wrong_interval",
            "wrong_enabled",
            "wrong_other",
        ):
            count = getattr(report, kind)
            examples = ", ".join(report.examples.get(kind, []))
            line = f"  {kind.replace('_', ' ')}: {count}"
            self.stdout.write(line + (f" (e.g. {examples})" if count else ""))
        if report.drift:
            self.stdout.write(self.style.WARNING(f"{report.drift} drifts {verb}."))
        else:
            self.stdout.write(self.style.SUCCESS("No drift: every player has exactly its task."))

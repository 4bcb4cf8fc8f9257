"""Exit 0 when this process's dependencies (database, broker) answer; used by container checks."""

from django.core.management.base import BaseCommand, CommandError

from osrs_diff import health


class Command(BaseCommand):
    help = (
        "Runs the readiness checks of /health/ready from the command line and exits non-zero "
        "naming the failing dependency; container health checks of beat and workers call it."
    )

    def handle(self, *args, **options) -> None:
        ready, report = health.readiness()
        for name, check in report.items():
            self.stdout.write(f"{name}: {check['status']}")
        if not ready:
            failing = ", ".join(
                n for n, c in report.items() if c["status"] != "ok" and c["critical"]
            )
            raise CommandError(f"not ready: {failing}")

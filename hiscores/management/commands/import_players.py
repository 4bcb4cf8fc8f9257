"""Bulk-track players from files and/or names."""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from hiscores import tracking
from hiscores.integration.errors import HiscoresUnavailable
from osrs_diff.exceptions import ServiceError
from players import services
from players.models import DEFAULT_FETCH_INTERVAL_MINUTES, Player
from players.names import normalise_username, validate_username

MAX_RATE_LIMIT_WAITS = 10


class Command(BaseCommand):
    help = (
        "Track many players at once. Each argument is a name or a file with one name per line "
        "('#' starts a comment, '-' reads standard input). Names already tracked are skipped, "
        "invalid ones and ones no hiscores board knows are reported; every lookup goes through "
        "the hiscores client and so respects the global rate limit. Players are stored in "
        "batches (players and their PeriodicTasks in bulk); re-running is safe."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("sources", nargs="+", metavar="FILE|NAME")
        parser.add_argument(
            "--interval",
            type=int,
            default=DEFAULT_FETCH_INTERVAL_MINUTES,
            help="fetch_interval_minutes of the new players (5..10080, default 60).",
        )
        parser.add_argument("--batch-size", type=int, default=100, help="Players per insert.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report what is new (no hiscores calls)."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, sources, interval, batch_size, dry_run, no_progress, **options):
        try:
            services.validate_fetch_interval(interval)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        names = list(self._names(sources))
        invalid: list[str] = []
        wanted: dict[str, str] = {}
        for raw in names:
            try:
                name = validate_username(raw)
            except ServiceError as exc:
                invalid.append(f"{raw!r}: {exc.message}")
                continue
            wanted.setdefault(normalise_username(name), name)
        tracked = set(
            Player.objects.filter(username_key__in=wanted.keys()).values_list(
                "username_key", flat=True
            )
        )
        todo = [name for key, name in wanted.items() if key not in tracked]
        skipped = len(names) - len(invalid) - len(todo)

        created = 0
        not_found: list[str] = []
        failed: list[str] = []
        pending: list[tuple[str, services.GameModeDetection]] = []
        if not dry_run:
            for name in tqdm(todo, unit="player", disable=no_progress, file=self.stderr):
                try:
                    detection = self._detect(name)
                except ServiceError as exc:
                    failed.append(f"{name}: {exc.message}")
                    continue
                if detection.mode is None:
                    not_found.append(name)
                    continue
                pending.append((name, detection))
                if len(pending) >= batch_size:
                    created += self._flush(pending, interval)
            created += self._flush(pending, interval)

        out = self.stdout
        out.write(
            f"Read {len(names)} names: {len(todo)} new, {skipped} already tracked or repeated."
        )
        if dry_run:
            out.write("Dry run: nothing was looked up or stored.")
            for name in todo:
                out.write(f"  new: {name}")
        else:
            out.write(self.style.SUCCESS(f"Tracked {created} players."))
        for label, rows in (
            ("Invalid", invalid),
            ("Not on the hiscores", not_found),
            ("Failed (hiscores unavailable, re-run later)", failed),
        ):
            if rows:
                out.write(self.style.WARNING(f"{label}: {len(rows)}"))
                for row in rows:
                    out.write(f"  {row}")

    def _names(self, sources: list[str]):
        for source in sources:
            if source == "-":
                import sys

                yield from self._lines(sys.stdin.read())
            elif Path(source).is_file():
                yield from self._lines(Path(source).read_text(encoding="utf-8"))
            else:
                yield source

    @staticmethod
    def _lines(text: str):
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                yield line

    def _detect(self, name: str) -> services.GameModeDetection:
        # The client waits for its rate-limit slot itself; when the queue ahead is longer than
        # its maximum wait it refuses, and we wait as told rather than give up on the name.
        for _ in range(MAX_RATE_LIMIT_WAITS):
            try:
                return services.game_mode_detect(username=name)
            except HiscoresUnavailable as exc:
                if exc.reason != HiscoresUnavailable.RATE_LIMITED:
                    raise
                time.sleep(exc.retry_after or 1.0)
        return services.game_mode_detect(username=name)

    @staticmethod
    def _flush(pending: list, interval: int) -> int:
        if not pending:
            return 0
        created = tracking.players_track_bulk(
            detections=list(pending), fetch_interval_minutes=interval
        )
        pending.clear()
        return len(created)

"""Prepare `make demo`: track the sample players and check game modes every few minutes."""

from __future__ import annotations

import json
import os
import time
from datetime import timedelta

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from hiscores import tracking
from hiscores.integration.fake_data import SAMPLE_TRACKED
from osrs_diff.beat.api import system_task_name
from osrs_diff.exceptions import ServiceError
from players import schedules
from players.models import Player
from players.names import normalise_username
from players.tasks import CHECK_GAME_MODES

DEMO_GAME_MODE_CHECK_NAME = system_task_name("demo game-mode check")


class Command(BaseCommand):
    help = (
        "For `make demo` (refuses to run unless OSRS_DIFF_DEMO is set): waits for the fake "
        "hiscores server, tracks the sample players (Demo Iron, Demo HCIM, Demo UIM, Demo Deiron, "
        "Demo Maxed) on --interval minute schedules whose first runs come within --first-run "
        "seconds, and adds the system task 'system: demo game-mode check' (every "
        "--check-every minutes) so the hardcore's death and the de-iron are seen within minutes. "
        "Re-running skips players already tracked and leaves the task as it is."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=int, default=5, help="Minutes between fetches.")
        parser.add_argument(
            "--first-run", type=int, default=90, help="First runs within this many seconds."
        )
        parser.add_argument(
            "--check-every", type=int, default=2, help="Minutes between game-mode checks."
        )
        parser.add_argument(
            "--wait", type=float, default=20.0, help="Seconds to wait for the fake server."
        )

    def handle(self, *args, interval, first_run, check_every, wait, **options) -> None:
        if not os.environ.get("OSRS_DIFF_DEMO"):
            raise CommandError("prepare_demo is for `make demo` only (OSRS_DIFF_DEMO is unset).")
        self._wait_for_fake(settings.OSRS_HISCORES_BASE_URL, wait)
        tracked = set(Player.objects.values_list("username_key", flat=True))
        for name in SAMPLE_TRACKED:
            if normalise_username(name) in tracked:
                continue
            try:
                creation = tracking.player_track(username=name, fetch_interval_minutes=interval)
            except ServiceError as exc:
                self.stderr.write(f"{name}: not tracked ({exc.message})")
                continue
            self.stdout.write(f"Tracking {name} ({creation.player.game_mode})")
        keys = [normalise_username(name) for name in SAMPLE_TRACKED]
        players = list(Player.objects.filter(username_key__in=keys))
        moved = schedules.schedules_start_within(
            players=players, window=timedelta(seconds=first_run)
        )
        every, _ = IntervalSchedule.objects.get_or_create(
            every=check_every, period=IntervalSchedule.MINUTES
        )
        _, created = PeriodicTask.objects.get_or_create(
            name=DEMO_GAME_MODE_CHECK_NAME,
            defaults={
                "task": CHECK_GAME_MODES,
                "interval": every,
                "args": "[]",
                "kwargs": json.dumps({}),
                "description": "The demo's game-mode check: the daily check, every few minutes.",
            },
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo ready: {len(players)} sample players every {interval} min "
                f"({moved} first runs within {first_run} s); game-mode check every "
                f"{check_every} min{' (added)' if created else ''}."
            )
        )

    def _wait_for_fake(self, base_url: str, wait: float) -> None:
        deadline = time.monotonic() + wait
        while True:
            try:
                if httpx.get(f"{base_url}/_fake/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise CommandError(f"No fake hiscores server answers at {base_url}.")
            time.sleep(0.2)

"""Derive achievements and records from the stored history of every (or one) player."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from history.services import player_derived_rebuild
from players.models import Player
from players.names import normalise_username


class Command(BaseCommand):
    help = (
        "Compute every player's achievements and records (best gain per day, week and month) from "
        "the stored snapshots. Idempotent: a second run writes the same rows. Sends no webhook "
        "events (only achievements found as snapshots are stored do)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--player", help="Only this username.")
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Snapshots read per round trip."
        )
        parser.add_argument("--records-only", action="store_true", help="Rebuild records only.")
        parser.add_argument(
            "--achievements-only", action="store_true", help="Compute achievements only."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(
        self,
        *args,
        player: str | None,
        batch_size: int,
        records_only: bool,
        achievements_only: bool,
        no_progress: bool,
        **options,
    ) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        if records_only and achievements_only:
            raise CommandError("--records-only and --achievements-only exclude each other.")
        players = Player.objects.order_by("pk")
        if player:
            players = players.filter(username_key=normalise_username(player))
            if not players.exists():
                raise CommandError(f"No player named {player!r}.")
        ids = list(players.values_list("pk", flat=True))
        achievements = records = 0
        for player_id in tqdm(ids, unit="player", disable=no_progress, file=self.stderr):
            found, best = player_derived_rebuild(
                player_id=player_id,
                achievements=not records_only,
                records=not achievements_only,
                chunk_size=batch_size,
            )
            achievements += found
            records += best
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(ids)} players: {achievements} achievements, {records} records."
            )
        )

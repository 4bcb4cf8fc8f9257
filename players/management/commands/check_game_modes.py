"""Re-detect game modes now, in this process."""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from osrs_diff.exceptions import NotFound, ServiceError
from players import selectors, services


class Command(BaseCommand):
    help = (
        "Re-detect the game mode of every active non-regular player (what the daily 02:00 UTC "
        "task queues), or of one player with --player NAME (any mode). Only downward moves are "
        "applied; upward detections are refused and logged; a player whose boards cannot be "
        "read is left as it is. Prints a summary per outcome."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--player", help="Check only this player (any spelling).")
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, player: str | None, no_progress: bool, **options) -> None:
        if player:
            try:
                players = [selectors.player_get(username=player)]
            except NotFound as exc:
                raise CommandError(exc.message) from exc
        else:
            players = list(selectors.players_for_game_mode_check())
        outcomes: Counter = Counter()
        for row in tqdm(players, unit="player", disable=no_progress, file=self.stderr):
            try:
                check = services.player_game_mode_update(player=row)
            except ServiceError as exc:
                outcomes["error"] += 1
                self.stdout.write(self.style.WARNING(f"{row.username}: {exc.message}"))
                continue
            outcomes[check.outcome.value] += 1
            if check.changed:
                self.stdout.write(
                    f"{check.username}: {check.previous_mode.value} -> {check.game_mode.value}"
                )
            elif check.outcome.value == "refused":
                self.stdout.write(
                    self.style.WARNING(
                        f"{check.username}: refused {check.previous_mode.value} -> "
                        f"{check.detected_mode.value}"
                    )
                )
        summary = ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())) or "nothing to do"
        self.stdout.write(self.style.SUCCESS(f"Checked {len(players)} players: {summary}."))

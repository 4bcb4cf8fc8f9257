"""Fetch players' hiscores now, in this process, through the global rate limit."""

from __future__ import annotations

from collections import Counter

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from hiscores.integration.errors import HiscoresUnavailable
from hiscores.services import snapshot_fetch, snapshot_record_unavailable
from osrs_diff.exceptions import NotFound
from players.models import Player
from players.selectors import player_get


class Command(BaseCommand):
    help = (
        "Fetches hiscores now and stores a snapshot for each player that progressed: one player "
        "(--player NAME, repeatable) or every active player (--all). Requests go through the "
        "global rate limit and circuit breaker like scheduled fetches; prints each outcome and "
        "a summary."
    )

    def add_arguments(self, parser) -> None:
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--all", action="store_true", help="Every active player.")
        target.add_argument("--player", action="append", metavar="NAME", help="A tracked player.")

    def handle(self, *args, **options) -> None:
        if options["all"]:
            player_ids = list(
                Player.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True)
            )
        else:
            try:
                player_ids = [player_get(username=name).pk for name in options["player"]]
            except NotFound as exc:
                raise CommandError(exc.message) from exc
        counts: Counter[str] = Counter()
        for player_id in tqdm(player_ids, unit="player", file=self.stderr, disable=None):
            try:
                outcome = snapshot_fetch(player_id=player_id)
            except HiscoresUnavailable as exc:
                outcome = snapshot_record_unavailable(player_id=player_id, error=exc)
            counts[outcome.status] += 1
            reason = f" ({outcome.reason})" if outcome.reason else ""
            self.stdout.write(f"{outcome.username or player_id}: {outcome.status}{reason}")
        summary = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
        self.stdout.write(f"fetched {len(player_ids)} players: {summary or 'nothing to do'}")

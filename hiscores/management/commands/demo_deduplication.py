"""Show snapshot deduplication in action against a local fake hiscores server."""

from __future__ import annotations

import tempfile
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from hiscores import tracking
from hiscores.integration.fake_server import FakeHiscoresServer
from hiscores.integration.fakes import make_hiscores_body
from hiscores.integration.results import HiscoresResult
from hiscores.integration.shared import fetch
from hiscores.models import Snapshot
from hiscores.services import FetchStatus, board_for, snapshot_record
from osrs_diff.exceptions import Conflict
from players import services as player_services
from players.models import Player

BASE = {"attack": 13_034_431, "strength": 14_500_000, "slayer": 2_000_000, "zulrah": 250}
RANKS = {"attack": 48_000, "strength": 41_000, "slayer": 120_000, "zulrah": 9_000}
PROGRESS = {"attack": 5_000, "slayer": 1_200, "zulrah": 1}

WHY = {
    FetchStatus.SUCCESS: "something progressed, so a new snapshot was stored",
    FetchStatus.UNCHANGED: "nothing progressed, so nothing was stored",
    FetchStatus.REJECTED: "values went down: the reading was rejected and the player flagged",
}


def _values(reading: HiscoresResult) -> dict[str, tuple[int | None, int | None]]:
    """metric -> (value, rank): XP for skills, score for activities and bosses."""
    values = {key: (row.experience, row.rank) for key, row in reading.skills.items()}
    for group in (reading.activities, reading.bosses):
        values.update({key: (row.score, row.rank) for key, row in group.items()})
    return values


def _changes(before: HiscoresResult, after: HiscoresResult) -> tuple[list[str], list[str]]:
    old, new = _values(before), _values(after)
    values, ranks = [], []
    for key in sorted(new):
        (value_a, rank_a), (value_b, rank_b) = old.get(key, (None, None)), new[key]
        if value_a != value_b:
            values.append(f"{key} {value_a:,} -> {value_b:,}")
        if rank_a != rank_b:
            ranks.append(f"{key} rank {rank_a:,} -> {rank_b:,}")
    return values, ranks


class Command(BaseCommand):
    help = (
        "Walk through snapshot deduplication against a fake hiscores server started on a free "
        "loopback port: track a player, fetch it three times (unchanged, progressed, only ranks "
        "drifted) and print what was stored and why. Uses the configured database; the demo "
        "player is paused at once (beat never fetches it) and deleted at the end unless --keep."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--username", default="Dedup Demo", help="Name of the demo player.")
        parser.add_argument(
            "--keep", action="store_true", help="Keep the (paused) demo player and snapshots."
        )

    def handle(self, *args: Any, username: str, keep: bool, **options: Any) -> None:
        with tempfile.TemporaryDirectory(prefix="fake_hiscores_") as data_dir:
            server = FakeHiscoresServer(data_dir).start()
            try:
                # The local fake server needs no politeness delay; retries stay short.
                with override_settings(
                    OSRS_HISCORES_BASE_URL=server.url,
                    OSRS_HISCORES_RATE=0,
                    OSRS_HISCORES_RETRY_DELAYS=[0.1],
                ):
                    self._demo(server, username=username, keep=keep)
            finally:
                server.stop()

    def _show(self, server: FakeHiscoresServer, name: str, values: dict, ranks: dict) -> None:
        server.add_player(name, body=make_hiscores_body(values, ranks=ranks))

    def _demo(self, server: FakeHiscoresServer, *, username: str, keep: bool) -> None:
        out = self.stdout.write
        out(f"Fake hiscores server on {server.url}")
        self._show(server, username, BASE, RANKS)
        try:
            player = tracking.player_track(username=username).player
        except Conflict as exc:
            raise CommandError(f"{username!r} is already tracked: pass --username.") from exc
        player = player_services.player_pause(player=player)
        first = Snapshot.objects.filter(player=player).order_by("fetched_at").first()
        out(
            f"\nTracked {player.username} ({player.game_mode}); the reading taken to detect the "
            f"game mode is the first snapshot (#{first.pk if first else '-'}). Paused so beat "
            "leaves it alone."
        )
        if settings.SNAPSHOT_DEDUP_INCLUDE_RANKS:
            out("Note: SNAPSHOT_DEDUP_INCLUDE_RANKS is on, so rank changes alone are stored too.")

        progressed = {key: BASE[key] + PROGRESS.get(key, 0) for key in BASE}
        drifted_ranks = {key: rank + 137 for key, rank in RANKS.items()}
        steps = [
            ("1. Fetch again, nothing happened in game", BASE, RANKS),
            ("2. Fetch after some play (XP and a kill)", progressed, RANKS),
            (
                "3. Fetch again: same XP, other players passed them (ranks drift)",
                progressed,
                drifted_ranks,
            ),
        ]
        previous = fetch(player.username, board_for(player))
        for title, values, ranks in steps:
            self._show(server, username, values, ranks)
            reading = fetch(player.username, board_for(player))
            outcome = snapshot_record(player_id=player.pk, reading=reading)
            changed, rank_moves = _changes(previous, reading)
            out(f"\n{title}")
            out(f"   values changed: {', '.join(changed) or 'none'}")
            out(f"   ranks changed:  {', '.join(rank_moves) or 'none'}")
            if outcome.status == FetchStatus.SUCCESS:
                out(
                    f"   -> {outcome.status}: stored snapshot #{outcome.snapshot_id}; "
                    f"{WHY[outcome.status]}."
                )
            else:
                detail = WHY.get(outcome.status, outcome.reason or "")
                kept = (
                    f" (snapshot #{outcome.snapshot_id} still holds)" if outcome.snapshot_id else ""
                )
                out(f"   -> {outcome.status}: {detail}{kept}.")
                if outcome.status == FetchStatus.UNCHANGED and rank_moves and not changed:
                    out(
                        "      Ranks move whenever other players gain XP; storing them would "
                        "fill the database with copies (set SNAPSHOT_DEDUP_INCLUDE_RANKS=true "
                        "to store them anyway)."
                    )
            previous = reading

        total = Snapshot.objects.filter(player=player).count()
        readings = len(steps) + 1
        out(
            f"\nSummary: {readings} readings, {total} snapshots stored "
            f"({readings - total} duplicates skipped)."
        )
        if keep:
            out(f"Kept {player.username} (paused) and its snapshots.")
        else:
            player_services.player_delete(player=Player.objects.get(pk=player.pk))
            out(f"Removed {player.username} and its snapshots (use --keep to keep them).")

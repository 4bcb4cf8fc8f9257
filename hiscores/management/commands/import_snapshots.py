"""Backfill snapshot history from a JSONL file of hiscores readings."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.parsing import parse_hiscores
from hiscores.services import FetchStatus, players_track_bulk, snapshot_record
from osrs_diff.exceptions import ValidationFailed
from players.game_modes import GameMode, board_for_game_mode
from players.models import Player
from players.names import normalise_username, validate_username
from players.services import GameModeDetection


@dataclass(frozen=True)
class ImportLine:
    number: int
    username: str
    key: str
    fetched_at: datetime
    game_mode: GameMode
    body: dict[str, Any]


class Command(BaseCommand):
    help = (
        'Backfills history from FILE, one JSON reading per line: {"username", "fetched_at" '
        '(ISO datetime with offset), "hiscores" (an index_lite.json body), optional '
        '"game_mode" (default regular)}. Untracked players are created with that mode without '
        "contacting the hiscores. Readings are applied in time order per player with the same "
        "deduplication and data-quality guard as live fetches, so re-running a file stores "
        "nothing new. Prints a summary: read, stored, unchanged, rejected and bad lines."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="JSONL file ('-' for standard input)")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen; store nothing."
        )

    def handle(self, *args, **options) -> None:
        lines, bad = self._read(options["file"])
        counts: Counter[str] = Counter()
        with transaction.atomic():
            players = self._players_for(lines)
            by_player: dict[str, list[ImportLine]] = defaultdict(list)
            for line in lines:
                by_player[line.key].append(line)
            progress = tqdm(total=len(lines), unit="reading", disable=not lines, file=self.stderr)
            for key, readings in by_player.items():
                player = players[key]
                for line in sorted(readings, key=lambda item: (item.fetched_at, item.number)):
                    status = self._apply(player, line, bad)
                    if status:
                        counts[status] += 1
                    progress.update(1)
            progress.close()
            if options["dry_run"]:
                transaction.set_rollback(True)

        prefix = "[dry run] would have " if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}read {len(lines) + len(bad)} lines: "
            f"stored {counts[FetchStatus.SUCCESS]}, unchanged {counts[FetchStatus.UNCHANGED]}, "
            f"rejected {counts[FetchStatus.REJECTED]}, bad {len(bad)}"
        )
        for number, reason in sorted(bad):
            self.stdout.write(f"  line {number}: {reason}")

    def _read(self, path: str) -> tuple[list[ImportLine], list[tuple[int, str]]]:
        import sys

        try:
            handle = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        lines: list[ImportLine] = []
        bad: list[tuple[int, str]] = []
        with handle:
            for number, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    lines.append(_parse_line(number, raw))
                except ValueError as exc:
                    bad.append((number, str(exc)))
        return lines, bad

    def _players_for(self, lines: list[ImportLine]) -> dict[str, Player]:
        keys = {line.key for line in lines}
        players = {p.username_key: p for p in Player.objects.filter(username_key__in=keys)}
        missing: dict[str, ImportLine] = {}
        for line in sorted(lines, key=lambda item: item.number):
            if line.key not in players:
                missing.setdefault(line.key, line)
        if missing:
            detections = [
                (line.username, GameModeDetection(mode=line.game_mode, readings={}))
                for line in missing.values()
            ]
            players_track_bulk(detections=detections)
            self.stdout.write(f"created {len(missing)} players")
            players.update(
                {p.username_key: p for p in Player.objects.filter(username_key__in=missing)}
            )
        return players

    def _apply(self, player: Player, line: ImportLine, bad: list[tuple[int, str]]) -> str | None:
        board = board_for_game_mode(line.game_mode)
        try:
            reading = parse_hiscores(line.body, board=board, fetched_at=line.fetched_at)
        except HiscoresUnavailable as exc:
            bad.append((line.number, f"unusable hiscores body: {exc}"))
            return None
        return snapshot_record(player_id=player.pk, reading=reading).status


def _parse_line(number: int, raw: str) -> ImportLine:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    unknown = set(data) - {"username", "fetched_at", "hiscores", "game_mode"}
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    try:
        username = validate_username(data.get("username"))
    except ValidationFailed as exc:
        raise ValueError(exc.message) from exc
    fetched_at = parse_datetime(str(data.get("fetched_at") or ""))
    if fetched_at is None or fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be an ISO datetime with a UTC offset")
    mode = data.get("game_mode", GameMode.REGULAR)
    if mode not in GameMode.values:
        raise ValueError(f"game_mode must be one of {', '.join(GameMode.values)}")
    if not isinstance(data.get("hiscores"), dict):
        raise ValueError("hiscores must be an index_lite.json object")
    return ImportLine(
        number=number,
        username=username,
        key=normalise_username(username),
        fetched_at=fetched_at,
        game_mode=GameMode(mode),
        body=data["hiscores"],
    )

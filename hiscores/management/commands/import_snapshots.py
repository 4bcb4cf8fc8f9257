"""Backfill snapshot history from a JSONL file of hiscores readings."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, transaction
from django.utils.dateparse import parse_datetime
from tqdm import tqdm

from hiscores import layout
from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.parsing import parse_hiscores
from hiscores.models import Snapshot
from hiscores.services import FetchStatus, snapshot_record
from hiscores.tracking import players_track_bulk
from osrs_diff.datetimes import MomentOutOfRange, check_moment
from osrs_diff.exceptions import ValidationFailed
from players.game_modes import GameMode, board_for_game_mode
from players.models import Player
from players.names import normalise_username, validate_username
from players.services import GameModeDetection

CONFLICT = "conflict"
BAD = "bad"


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
        '(ISO datetime with offset, 2001-01-01 to now + 1 day), "hiscores" (an index_lite.json '
        'body), optional "game_mode" (default regular)}. Untracked players are created with that '
        "mode without contacting the hiscores. Readings are applied in time order per player "
        "with the same deduplication and data-quality guard as live fetches, so re-running a "
        "file stores nothing new. Every line is judged on its own: good lines are stored whatever "
        "the others do, and every line not stored is reported with its number and reason (bad "
        "line, conflict with a different reading at the same fetched_at, or rejected by the "
        "guard). Prints a summary; exits 1 when any line was not accepted, 0 otherwise."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="JSONL file ('-' for standard input)")
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen; store nothing."
        )

    def handle(self, *args, **options) -> None:
        read, lines, bad = self._read(options["file"])
        counts: Counter[str] = Counter()
        problems: list[tuple[int, str]] = list(bad)
        with transaction.atomic():
            players = self._players_for(lines)
            by_player: dict[str, list[ImportLine]] = defaultdict(list)
            for line in lines:
                by_player[line.key].append(line)
            progress = tqdm(total=len(lines), unit="reading", disable=not lines, file=self.stderr)
            for key, readings in by_player.items():
                player = players[key]
                seen: dict[datetime, tuple[int, layout.FlatValues, str | None]] = {}
                for line in sorted(readings, key=lambda item: (item.fetched_at, item.number)):
                    status, reason = self._apply(player, line, seen)
                    counts[status] += 1
                    if reason:
                        problems.append((line.number, reason))
                    progress.update(1)
            progress.close()
            if options["dry_run"]:
                transaction.set_rollback(True)

        prefix = "[dry run] would have " if options["dry_run"] else ""
        self.stdout.write(
            f"{prefix}read {read} lines: "
            f"stored {counts[FetchStatus.SUCCESS]}, unchanged {counts[FetchStatus.UNCHANGED]}, "
            f"rejected {counts[FetchStatus.REJECTED]}, conflicts {counts[CONFLICT]}, "
            f"bad {len(bad) + counts[BAD]}"
        )
        for number, reason in sorted(problems):
            self.stdout.write(f"  line {number}: {reason}")
        if problems:
            raise CommandError(
                f"{len(problems)} of {read} lines were not accepted "
                f"(stored {counts[FetchStatus.SUCCESS]}; see the lines above).",
                returncode=1,
            )

    def _read(self, path: str) -> tuple[int, list[ImportLine], list[tuple[int, str]]]:
        import sys

        try:
            # Bytes, decoded line by line: one non-UTF-8 line is a bad line, not a traceback.
            handle = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        read = 0
        lines: list[ImportLine] = []
        bad: list[tuple[int, str]] = []
        with handle:
            for number, raw_bytes in enumerate(handle, start=1):
                try:
                    raw = raw_bytes.decode("utf-8")
                except UnicodeDecodeError as exc:
                    read += 1
                    bad.append((number, f"not UTF-8 text (byte {exc.start + 1})"))
                    continue
                if not raw.strip():
                    continue
                read += 1
                try:
                    lines.append(_parse_line(number, raw))
                except ValueError as exc:
                    bad.append((number, str(exc)))
        return read, lines, bad

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

    def _apply(
        self,
        player: Player,
        line: ImportLine,
        seen: dict[datetime, tuple[int, layout.FlatValues, str | None]],
    ) -> tuple[str, str | None]:
        """(status, reason when the line is not accepted) for one line, in its own savepoint."""
        board = board_for_game_mode(line.game_mode)
        try:
            reading = parse_hiscores(line.body, board=board, fetched_at=line.fetched_at)
        except (HiscoresUnavailable, ValueError, TypeError, KeyError, AttributeError) as exc:
            return BAD, f"unusable hiscores body: {exc}"
        values = layout.flatten_reading(reading)
        include_ranks = settings.SNAPSHOT_DEDUP_INCLUDE_RANKS
        earlier = seen.get(line.fetched_at)
        if earlier is not None:
            number, earlier_values, earlier_conflict = earlier
            if layout.progressed(earlier_values, values, include_ranks=include_ranks):
                return CONFLICT, (
                    f"conflict: line {number} has a different reading for the same "
                    f"fetched_at {line.fetched_at.isoformat()}"
                )
            if earlier_conflict:  # the same reading as a conflicting line conflicts too
                return CONFLICT, f"conflict: same reading as line {number} ({earlier_conflict})"
            return FetchStatus.UNCHANGED, None
        seen[line.fetched_at] = (line.number, values, None)
        stored = Snapshot.objects.filter(player_id=player.pk, fetched_at=line.fetched_at).first()
        if stored is not None:
            before = layout.flatten_row(stored.__dict__, stored.extra)
            if layout.progressed(before, values, include_ranks=include_ranks):
                reason = (
                    "a different reading is already stored for fetched_at "
                    f"{line.fetched_at.isoformat()}"
                )
                seen[line.fetched_at] = (line.number, values, reason)
                return CONFLICT, f"conflict: {reason}"
            return FetchStatus.UNCHANGED, None
        try:
            with transaction.atomic():  # a savepoint: a failing line leaves the others alone
                outcome = snapshot_record(player_id=player.pk, reading=reading)
        except DatabaseError as exc:
            return BAD, f"could not be stored: {exc.__class__.__name__}: {exc}".strip()
        if outcome.status == FetchStatus.REJECTED:
            return outcome.status, f"rejected by the data-quality guard: {outcome.reason}"
        return outcome.status, None


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
    raw_at = data.get("fetched_at")
    try:
        fetched_at = parse_datetime(raw_at) if isinstance(raw_at, str) else None
    except ValueError:  # well-formed but impossible, e.g. month 13
        fetched_at = None
    if fetched_at is None or fetched_at.tzinfo is None:
        raise ValueError("fetched_at must be an ISO datetime with a UTC offset")
    try:
        fetched_at = check_moment(fetched_at)
    except MomentOutOfRange as exc:
        raise ValueError(f"fetched_at {raw_at!r}: {exc}") from None
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

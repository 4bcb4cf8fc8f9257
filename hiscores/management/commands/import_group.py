"""Add a member list to a group (created when missing), tracking new names on request."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from tqdm import tqdm

from hiscores import groups, tracking
from hiscores.integration.errors import HiscoresUnavailable
from osrs_diff.exceptions import ServiceError
from players import services
from players.groups import selectors as group_selectors
from players.groups import services as group_services
from players.models import Group, Player
from players.names import name_key, normalise_username, shorten

MAX_RATE_LIMIT_WAITS = 10
# Outcomes listed name by name in the summary (the others are only counted).
LISTED = (
    groups.MemberOutcome.NOT_TRACKED,
    groups.MemberOutcome.NOT_FOUND,
    groups.MemberOutcome.INVALID,
    groups.MemberOutcome.UNAVAILABLE,
    groups.MemberOutcome.BUSY,
)


def _track_waiting(name: str) -> Player:
    """Track a name, waiting out the rate limit as told instead of giving up on the name."""
    for attempt in range(MAX_RATE_LIMIT_WAITS + 1):
        try:
            detection = services.game_mode_detect(username=name)
            break
        except HiscoresUnavailable as exc:
            if exc.reason != HiscoresUnavailable.RATE_LIMITED or attempt == MAX_RATE_LIMIT_WAITS:
                raise
            time.sleep(exc.retry_after or 1.0)
    return tracking.player_track(username=name, detection=detection).player


class _Plain:
    """The progress bar's stream: `stderr` without its error style (red on a terminal)."""

    def __init__(self, wrapper: OutputWrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, style_func=_unstyled, ending="")

    def flush(self) -> None:
        self._wrapper.flush()

    def isatty(self) -> bool:
        return self._wrapper.isatty()

    def __getattr__(self, name: str):  # fileno, encoding: tqdm's terminal width
        return getattr(self._wrapper, name)


def _unstyled(text: str) -> str:
    return text


class Command(BaseCommand):
    help = (
        "Add the players named in FILE (one name a line; blank lines and '#' comments ignored; "
        "'-' reads standard input) to group NAME, creating the group if needed. Tracked names "
        "are added (any spelling, or a name a player gave up); with --track-missing, names not "
        "tracked yet are tracked first through the normal add path (its checks, the global "
        "hiscores rate limit, waiting when rate limited). Members are stored batch by batch; "
        "re-running is safe (members already in are reported as such). Ends with a summary of "
        "every name's outcome."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help="The group's name (created when no group has it).")
        parser.add_argument("file", metavar="FILE", help="One name a line, or '-' for stdin.")
        parser.add_argument(
            "--track-missing", action="store_true", help="Track names not tracked yet."
        )
        parser.add_argument("--role", default="", help="The role of the members added.")
        parser.add_argument("--description", default="", help="Description of a new group.")
        parser.add_argument("--batch-size", type=int, default=100, help="Names per transaction.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report which names are tracked."
        )
        parser.add_argument("--no-progress", action="store_true", help="Hide the progress bar.")

    def handle(self, *args, name, file, track_missing, role, description, batch_size, dry_run,
               no_progress, **options):  # fmt: skip
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        names, repeated = self._unique(self._read(file))
        # The group whose name reads the same (case, width, spacing), as a create would see it.
        group = Group.objects.filter(name_key=name_key(name)).first()
        out = self.stdout
        if dry_run:
            found = group_selectors.players_by_names(names=names)
            tracked = [n for n in names if normalise_username(n) in found]
            out.write(
                f"Read {len(names)} names ({repeated} repeated): {len(tracked)} tracked, "
                f"{len(names) - len(tracked)} not tracked or invalid. Group "
                f"{'exists' if group else 'would be created'}. Dry run: nothing was stored."
            )
            return
        if group is None:
            try:
                group = group_services.group_create(name=name, description=description)
            except ServiceError as exc:
                raise CommandError(exc.message) from exc
            out.write(f"Created group {group.name!r} (id {group.pk}).")
        counts: dict[str, int] = {}
        listed: dict[str, list[str]] = {}
        with tqdm(
            total=len(names),
            unit="name",
            disable=True if no_progress else None,  # None: shown on a TTY only
            file=_Plain(self.stderr),  # stderr, without the red of error messages
        ) as bar:
            for start in range(0, len(names), batch_size):
                batch = names[start : start + batch_size]
                done = bar.n
                try:
                    result = groups.group_members_add_names(
                        group=group,
                        usernames=batch,
                        track_missing=track_missing,
                        role=role,
                        track=_track_waiting,
                        progress=lambda _name: bar.update(1),
                    )
                except ServiceError as exc:
                    raise CommandError(exc.message) from exc
                bar.update(len(batch) - (bar.n - done))  # the invalid names, not reported
                for row in result.results:
                    counts[row.outcome] = counts.get(row.outcome, 0) + 1
                    if row.outcome in LISTED:
                        # A 100,000-character line is echoed as its start and its length.
                        shown = shorten(row.name)
                        listed.setdefault(row.outcome, []).append(
                            f"{shown}: {row.message}" if row.message else shown
                        )
        self._summary(group, len(names), repeated, counts, listed)

    def _summary(self, group, total, repeated, counts, listed) -> None:
        out = self.stdout
        members = group_selectors.group_get(group_id=group.pk).member_count
        out.write(
            f"Read {total} names ({repeated} repeated lines skipped); {group.name!r} now has "
            f"{members} members."
        )
        for outcome in groups.MemberOutcome:
            if counts.get(outcome):
                line = f"{outcome}: {counts[outcome]}"
                out.write(self.style.WARNING(line) if outcome in LISTED else line)
                for row in listed.get(outcome, []):
                    out.write(f"  {row}")

    @staticmethod
    def _read(source: str) -> list[str]:
        if source == "-":
            text = sys.stdin.read().removeprefix("\ufeff")
        else:
            path = Path(source)
            if not path.is_file():
                raise CommandError(f"No such file: {source}")
            try:  # utf-8-sig: a byte order mark (Windows editors write one) is not in the name
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError as exc:
                raise CommandError(f"{source} is not UTF-8 text.") from exc
        lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
        return [line for line in lines if line]

    @staticmethod
    def _unique(lines: list[str]) -> tuple[list[str], int]:
        seen: set[str] = set()
        names: list[str] = []
        for line in lines:
            key = normalise_username(line) or line
            if key not in seen:
                seen.add(key)
                names.append(line)
        return names, len(lines) - len(names)

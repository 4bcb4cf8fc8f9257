"""manage.py rename_player OLD NEW [--merge] [--force]: the rename of the API, for scripts."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from hiscores.renames import NameChangeRejected, player_rename
from osrs_diff.exceptions import ServiceError
from players.selectors import player_get


class Command(BaseCommand):
    help = (
        "Rename a tracked player after the same checks as POST /players/{username}/rename: the "
        "new name is valid and on the player's board, no value went down, the XP gained is "
        "plausible, the old name left the hiscores (--force skips that one). --merge folds a "
        "player already tracked under the new name into this one. Exit status 1 when rejected, "
        "with every failed check listed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("old", help="The player's current (or a former) name.")
        parser.add_argument("new", help="The new name.")
        parser.add_argument(
            "--merge", action="store_true", help="Fold a player tracked as NEW into this one."
        )
        parser.add_argument(
            "--force", action="store_true", help="Rename even if OLD is still on the hiscores."
        )

    def handle(self, *args: Any, old: str, new: str, merge: bool, force: bool, **options) -> None:
        try:
            rename = player_rename(
                player=player_get(username=old), new_username=new, force=force, merge=merge
            )
        except NameChangeRejected as exc:
            for check in exc.failed:
                self.stderr.write(f"FAILED {check.name}: {check.detail}")
            raise CommandError(
                f"Rename of {old!r} to {new!r} rejected ({len(exc.failed)} failed check(s)).",
                returncode=1,
            ) from None
        except ServiceError as exc:
            raise CommandError(exc.message, returncode=1) from None
        for check in rename.name_change.checks:
            state = {True: "ok", False: "FAILED", None: "skipped"}[check["passed"]]
            self.stdout.write(f"{state:>7} {check['name']}: {check['detail']}")
        merged = f" (merged player {rename.merged_player_id})" if rename.merged_player_id else ""
        self.stdout.write(
            self.style.SUCCESS(f"Renamed {old!r} to {rename.player.username!r}{merged}.")
        )

"""Name changes: verify that a new name is the same account, then rename the player in place.

`player_rename` fetches first (no transaction is held across an HTTP call), then checks and writes
in one short transaction with the player row locked:

1. `name_valid`     the new name follows the name rules and is not the current one;
2. `on_board`       the new name is on the player's board (`board_for_game_mode(game_mode)`);
3. `no_decrease`    no metric of that reading is below the player's last snapshot (the
                    data-quality rule of `layout.decreases`, metrics allowed to fall excepted);
4. `xp_plausible`   the Overall XP gained since the last snapshot is at most
                    `NAME_CHANGE_MAX_XP_PER_HOUR` per hour elapsed;
5. `old_name_gone`  the old name is on no board any more (not checked with `force`; recorded).

Any failed check rejects the rename (409 `name_change_rejected`, every check in `details`) and
nothing changes. Accepted: same player row, history and schedule; a `NameChange` row; the new
name's reading stored as a snapshot; event `player.renamed`. A new name already tracked as another
player is a 409 unless `merge`, which folds that player's snapshots into this history and removes
it and its schedule, in the same transaction. See docs/names.md.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q

from hiscores import layout, rows
from hiscores.integration.catalogue import DECREASABLE_KEYS, OVERALL
from hiscores.integration.errors import PlayerNotFound
from hiscores.integration.results import HiscoresResult
from hiscores.integration.shared import fetch as hiscores_fetch
from hiscores.models import Snapshot
from hiscores.services import snapshot_record
from osrs_diff.events import PLAYER_RENAMED, event_record
from osrs_diff.exceptions import Conflict, ServiceError
from players import schedules
from players.game_modes import board_for_game_mode
from players.models import GameModeChange, NameChange, Player
from players.names import normalise_username, validate_username

logger = logging.getLogger(__name__)

NAME_VALID = "name_valid"
ON_BOARD = "on_board"
NO_DECREASE = "no_decrease"
XP_PLAUSIBLE = "xp_plausible"
OLD_NAME_GONE = "old_name_gone"
CHECK_NAMES = (NAME_VALID, ON_BOARD, NO_DECREASE, XP_PLAUSIBLE, OLD_NAME_GONE)


@dataclass(frozen=True)
class Check:
    """One verification step: `passed` is None when it was not run."""

    name: str
    passed: bool | None
    detail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class NameChangeRejected(Conflict):
    error_code = "name_change_rejected"
    default_message = "The name change was rejected."

    def __init__(self, checks: list[Check]) -> None:
        failed = [c for c in checks if c.passed is False]
        super().__init__(
            "Name change rejected: " + "; ".join(f"{c.name}: {c.detail}" for c in failed),
            details={
                "failed_checks": [c.as_dict() for c in failed],
                "checks": [c.as_dict() for c in checks],
            },
        )
        self.checks = checks
        self.failed = failed


@dataclass(frozen=True)
class Rename:
    player: Player
    name_change: NameChange
    merged_player_id: int | None


def _fetch_or_none(name: str, board) -> HiscoresResult | None:
    """The board's reading of `name`, None when not on it; transient failures propagate (502)."""
    try:
        return hiscores_fetch(name, board)
    except PlayerNotFound:
        return None


def player_rename(
    *,
    player: Player,
    new_username: Any,
    force: bool = False,
    merge: bool = False,
    user: Any = None,
) -> Rename:
    """Verify the new name and rename the player in place (see the module doc)."""
    old_username, old_key = player.username, player.username_key
    try:
        new_name = validate_username(new_username)
    except ServiceError as exc:
        raise NameChangeRejected([Check(NAME_VALID, False, exc.message)]) from None
    new_key = normalise_username(new_name)
    if new_key == old_key:
        raise NameChangeRejected(
            [Check(NAME_VALID, False, f"{new_name!r} is already the player's name.")]
        )
    if not merge:
        _refuse_tracked(new_key, player_id=player.pk)

    board = board_for_game_mode(player.game_mode)
    new_reading = _fetch_or_none(new_name, board)
    old_reading = None if force else _fetch_or_none(old_username, board)

    with transaction.atomic():
        locked = {
            p.pk: p
            for p in Player.objects.select_for_update()
            .filter(Q(pk=player.pk) | Q(username_key=new_key))
            .order_by("pk")  # one lock order: two merges of a pair never deadlock
        }
        current = locked.get(player.pk)
        if current is None:
            raise Conflict(f"Player {old_username!r} is not tracked any more.")
        if current.username_key != old_key:
            raise Conflict(
                f"Player {old_username!r} was renamed to {current.username!r} meanwhile.",
                error_code="renamed_meanwhile",
                details={"username": current.username},
            )
        duplicate = next((p for pk, p in locked.items() if pk != player.pk), None)
        if duplicate is not None and not merge:
            raise _tracked_conflict(duplicate)

        checks = [Check(NAME_VALID, True, f"{new_name!r} is a valid name.")]
        checks += _reading_checks(current, new_name, new_reading, board)
        checks.append(_old_name_check(old_username, old_reading, board, force=force))
        if any(c.passed is False for c in checks):
            raise NameChangeRejected(checks)

        merged_id = None
        if duplicate is not None:
            merged_id = duplicate.pk
            _merge_into(current, duplicate)
        was_missing = current.missing_since is not None
        current.username, current.username_key = new_name, new_key
        current.missing_fetches, current.missing_since = 0, None
        fields = ["username", "username_key", "missing_fetches", "missing_since"]
        if was_missing:
            # The missing backoff ends with the old name: back to the configured interval.
            current.effective_interval_minutes, current.unchanged_fetches = None, 0
            fields += ["effective_interval_minutes", "unchanged_fetches"]
        try:
            with transaction.atomic():
                current.save(update_fields=fields)
        except IntegrityError:  # backstop: the name was taken by a new player meanwhile
            raise Conflict(f"{new_name!r} is already tracked.", error_code="name_taken") from None
        if was_missing:
            schedules.player_schedule_sync(player=current)
        schedules.player_schedule_describe(player=current)
        change = NameChange.objects.create(
            player=current,
            old_username=old_username,
            old_username_key=old_key,
            new_username=new_name,
            changed_by=user if getattr(user, "is_authenticated", False) else None,
            checks=[c.as_dict() for c in checks],
            forced=force,
            merged_player_id=merged_id,
        )
        # The reading that proved the rename is the latest state of the player.
        snapshot_record(player_id=current.pk, reading=new_reading)
        event_record(
            name=PLAYER_RENAMED,
            data={
                "username": new_name,
                "old": old_username,
                "new": new_name,
                "merged": merged_id is not None,
            },
            occurred_at=change.changed_at,
        )
    logger.info(
        "player %s renamed %r -> %r%s%s",
        current.pk,
        old_username,
        new_name,
        " (forced)" if force else "",
        f" (merged player {merged_id})" if merged_id else "",
    )
    current.refresh_from_db()
    return Rename(player=current, name_change=change, merged_player_id=merged_id)


def _refuse_tracked(key: str, *, player_id: int) -> None:
    duplicate = Player.objects.filter(username_key=key).exclude(pk=player_id).first()
    if duplicate is not None:
        raise _tracked_conflict(duplicate)


def _tracked_conflict(duplicate: Player) -> Conflict:
    return Conflict(
        f"{duplicate.username!r} is already tracked as another player; "
        'send "merge": true to fold its history into this one.',
        error_code="name_taken",
        details={"id": duplicate.pk, "username": duplicate.username},
    )


def _reading_checks(
    player: Player, new_name: str, reading: HiscoresResult | None, board
) -> list[Check]:
    if reading is None:
        not_run = "Not checked: the new name has no reading."
        return [
            Check(ON_BOARD, False, f"{new_name!r} is not on the {board} board."),
            Check(NO_DECREASE, None, not_run),
            Check(XP_PLAUSIBLE, None, not_run),
        ]
    checks = [Check(ON_BOARD, True, f"{new_name!r} is on the {board} board.")]
    last = rows.row_at_or_before(player_id=player.pk, at=reading.fetched_at)
    if last is None:
        nothing = "No snapshot to compare with."
        return [*checks, Check(NO_DECREASE, True, nothing), Check(XP_PLAUSIBLE, True, nothing)]
    falls = layout.decreases(
        layout.flatten_row(last, last["extra"]),
        layout.flatten_reading(reading),
        allowed=DECREASABLE_KEYS,
    )
    if falls:
        shown = ", ".join(
            f"{f['metric']} {f['field']} {f['before']} -> {f['after']}" for f in falls[:5]
        )
        more = f" (+{len(falls) - 5} more)" if len(falls) > 5 else ""
        checks.append(Check(NO_DECREASE, False, f"Values below the last snapshot: {shown}{more}"))
    else:
        checks.append(Check(NO_DECREASE, True, "No value is below the last snapshot."))
    last_at = Snapshot.objects.filter(pk=last["id"]).values_list("fetched_at", flat=True).get()
    checks.append(_xp_check(last.get(f"{OVERALL}_experience"), last_at, reading))
    return checks


def _xp_check(before: int | None, last_at: datetime, reading: HiscoresResult) -> Check:
    after = reading.skills.get(OVERALL)
    after_xp = after.experience if after else None
    if before is None or after_xp is None:
        return Check(XP_PLAUSIBLE, True, "Overall XP is unranked on one side: nothing to compare.")
    gained = max(0, after_xp - before)
    hours = max(0.0, (reading.fetched_at - last_at).total_seconds() / 3600)
    limit = settings.NAME_CHANGE_MAX_XP_PER_HOUR
    allowed = int(limit * hours)
    detail = (
        f"{gained:,} Overall XP gained in {hours:.1f} h since the last snapshot "
        f"(at most {allowed:,} at {limit:,} XP/h)."
    )
    return Check(XP_PLAUSIBLE, gained <= allowed, detail)


def _old_name_check(old: str, reading: HiscoresResult | None, board, *, force: bool) -> Check:
    if force:
        return Check(OLD_NAME_GONE, None, "Not checked: forced by the operator.")
    if reading is not None:
        return Check(
            OLD_NAME_GONE,
            False,
            f"{old!r} is still on the {board} board "
            '(the hiscores may lag behind a rename; send "force": true to override).',
        )
    return Check(OLD_NAME_GONE, True, f"{old!r} is no longer on the {board} board.")


# --- Merge ----


def _merge_into(player: Player, duplicate: Player) -> None:
    """Fold the duplicate's history into `player`, then delete it and its schedule.

    Each reading is kept once: a duplicate snapshot at a time `player` already has a snapshot for
    is dropped (one reading), the rest move over, and consecutive snapshots of the merged history
    that hold no progress between them are dropped as the fetch would never have stored them.
    """
    own_times = Snapshot.objects.filter(player=player).values("fetched_at")
    moving = Snapshot.objects.filter(player=duplicate).exclude(fetched_at__in=own_times)
    moved = set(moving.values_list("pk", flat=True))
    Snapshot.objects.filter(pk__in=moved).update(player=player)
    _drop_repeated_readings(player, moved=moved)
    GameModeChange.objects.filter(player=duplicate).update(player=player)
    # The duplicate's own former names now lead to the player that absorbed it.
    NameChange.objects.filter(player=duplicate).update(player=player)
    latest = Snapshot.objects.filter(player=player).aggregate(at=Max("fetched_at"))["at"]
    Player.objects.filter(pk=player.pk).update(
        last_changed=latest,
        last_fetched=max(
            (t for t in (player.last_fetched, duplicate.last_fetched) if t), default=None
        ),
    )
    task_id = duplicate.fetch_task_id
    duplicate.delete()  # its remaining (same-time) snapshots go with it
    schedules.schedules_delete(task_ids=[task_id])


def _drop_repeated_readings(player: Player, *, moved: set[int]) -> int:
    """Drop snapshots with no progress over the one before, where the two histories meet.

    Only pairs with a moved row on either side are candidates: the player's own history is left
    exactly as it was stored, and baselines (accepted readings) are always kept.
    """
    if not moved:
        return 0
    include_ranks = settings.SNAPSHOT_DEDUP_INCLUDE_RANKS
    previous: layout.FlatValues | None = None
    previous_id: int | None = None
    repeated: list[int] = []
    for row in (
        Snapshot.objects.filter(player=player)
        .order_by("fetched_at")
        .values("id", "extra", "is_baseline", *layout.COLUMN_NAMES)
        .iterator(chunk_size=500)
    ):
        current = layout.flatten_row(row, row["extra"])
        if (
            previous is not None
            and not row["is_baseline"]
            and (row["id"] in moved or previous_id in moved)
            and not layout.progressed(previous, current, include_ranks=include_ranks)
        ):
            repeated.append(row["id"])
            continue
        previous, previous_id = current, row["id"]
    if repeated:
        Snapshot.objects.filter(pk__in=repeated).delete()
    return len(repeated)

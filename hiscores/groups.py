"""Group services that need the hiscores: adding names (tracking the untracked ones through the
normal add path) and fetching every member now.

The group itself, its plain membership writes and reads live in `players.groups`; this module
resolves names, calls `hiscores.tracking.player_track` for names not tracked yet, and queues
interactive fetches of `hiscores.fetch_player` within the budget (docs/groups.md).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone

from hiscores import selectors, tracking
from hiscores.integration.errors import HiscoresUnavailable
from hiscores.integration.shared import estimated_wait_seconds, get_limiter
from hiscores.tasks import fetch_player
from osrs_diff.api_tasks import api_task_start
from osrs_diff.exceptions import (
    BadGateway,
    Conflict,
    NotFound,
    ServiceError,
    UpstreamUnavailable,
    ValidationFailed,
)
from osrs_diff.queues import interactive_send_options
from players.groups import selectors as group_selectors
from players.groups import services as group_services
from players.models import Group, Player
from players.names import normalise_username, validate_username

logger = logging.getLogger(__name__)


# --- Adding members by name ----


class MemberOutcome(StrEnum):
    ADDED = "added"  # tracked already, now a member
    ALREADY_MEMBER = "already_member"
    TRACKED_AND_ADDED = "tracked_and_added"  # track_missing: tracked now, then added
    NOT_TRACKED = "not_tracked"  # not tracked and track_missing was off: nothing done
    NOT_FOUND = "not_found"  # track_missing: no hiscores board knows the name
    INVALID = "invalid"  # not a possible OSRS name
    UNAVAILABLE = "unavailable"  # track_missing: the hiscores failed or the budget ran out
    BUSY = "busy"  # track_missing: another request is adding this name right now
    REPEATED = "repeated"  # the same player appeared earlier in the list


@dataclass(frozen=True)
class MemberResult:
    name: str  # as given
    outcome: MemberOutcome
    username: str | None = None  # the tracked player's name
    message: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": str(self.outcome),
            "username": self.username,
            "message": self.message,
        }


@dataclass(frozen=True)
class MembersAdded:
    group: Group
    results: list[MemberResult]

    @property
    def counts(self) -> dict[str, int]:
        counts = Counter(str(result.outcome) for result in self.results)
        return {str(outcome): counts.get(str(outcome), 0) for outcome in MemberOutcome}


# Tracks one name and answers the new player (the API: `player_track` under the web deadline;
# the import command: the same after waiting out the rate limit).
Tracker = Callable[[str], Player]


def track_now(name: str) -> Player:
    """Track a name through the normal add path (`hiscores.tracking.player_track`)."""
    return tracking.player_track(username=name).player


def group_members_add_names(
    *,
    group: Group,
    usernames: Sequence[Any],
    track_missing: bool = False,
    role: str = "",
    track: Tracker | None = None,
    progress: Callable[[str], None] | None = None,
) -> MembersAdded:
    """Add players to a group by name, reporting each name's outcome (in the order given).

    Names resolve like `players.selectors.player_get` (any spelling, or a name given up). With
    `track_missing`, a name nobody tracks is tracked first through `track` (default `track_now`:
    the normal add path and its checks); after the hiscores fail once (unavailable, rate
    limited, the web deadline spent), the remaining untracked names are reported `unavailable`
    without spending more requests. Without it they are reported `not_tracked`. Every member
    is added in one short transaction at the end (`players.groups.services.group_members_add`).
    """
    track = track or track_now
    results: dict[int, MemberResult] = {}
    first_index: dict[str, int] = {}  # normalised name -> position of its first appearance
    names: dict[int, str] = {}
    for index, raw in enumerate(usernames):
        try:
            name = validate_username(raw)
        except ValidationFailed as exc:
            results[index] = MemberResult(str(raw), MemberOutcome.INVALID, message=exc.message)
            continue
        key = normalise_username(name)
        if key in first_index:
            results[index] = MemberResult(name, MemberOutcome.REPEATED, message="Listed before.")
            continue
        first_index[key] = index
        names[index] = name

    found = group_selectors.players_by_names(names=names.values())
    tracked_now: set[int] = set()
    to_add: dict[int, Player] = {}  # position -> player
    hiscores_failed: str | None = None
    for index, name in names.items():
        key = normalise_username(name)
        player = found.get(key)
        if player is None and not track_missing:
            results[index] = MemberResult(
                name, MemberOutcome.NOT_TRACKED, message="Not tracked (track_missing is off)."
            )
        elif player is None and hiscores_failed:
            results[index] = MemberResult(
                name, MemberOutcome.UNAVAILABLE, message=f"Not tried: {hiscores_failed}"
            )
        elif player is None:
            outcome = _track_one(name, track)
            if isinstance(outcome, tuple):
                to_add[index], tracked = outcome
                if tracked:
                    tracked_now.add(to_add[index].pk)
            else:
                results[index] = outcome
                if outcome.outcome is MemberOutcome.UNAVAILABLE:
                    hiscores_failed = outcome.message
        else:
            to_add[index] = player
        if progress is not None:
            progress(name)

    added = group_services.group_members_add(group=group, players=list(to_add.values()), role=role)
    seen: set[int] = set()
    for index, player in to_add.items():
        if player.pk in seen:  # a former name and the current one, say
            results[index] = MemberResult(
                names[index], MemberOutcome.REPEATED, player.username, "Listed before."
            )
            continue
        seen.add(player.pk)
        if player.pk in tracked_now:
            outcome = MemberOutcome.TRACKED_AND_ADDED
        elif player.pk in added:
            outcome = MemberOutcome.ADDED
        else:
            outcome = MemberOutcome.ALREADY_MEMBER
        former = getattr(player, "former_name", None)
        message = f"{former!r} is now {player.username!r}." if former else ""
        results[index] = MemberResult(names[index], outcome, player.username, message)
    return MembersAdded(group=group, results=[results[i] for i in sorted(results)])


def _track_one(name: str, track: Tracker) -> tuple[Player, bool] | MemberResult:
    """(the player, tracked by this call) or the outcome that stopped it."""
    try:
        return track(name), True
    except Conflict:
        # Tracked meanwhile (under any spelling), or being added by another request right now.
        player = group_selectors.players_by_names(names=[name]).get(normalise_username(name))
        if player is not None:
            return player, False
        return MemberResult(
            name, MemberOutcome.BUSY, message="Being added by another request; try again."
        )
    except NotFound as exc:  # player_not_found: no board knows the name
        return MemberResult(name, MemberOutcome.NOT_FOUND, message=exc.message)
    except ValidationFailed as exc:
        return MemberResult(name, MemberOutcome.INVALID, message=exc.message)
    except (HiscoresUnavailable, UpstreamUnavailable, BadGateway) as exc:
        return MemberResult(name, MemberOutcome.UNAVAILABLE, message=exc.message)
    except ServiceError as exc:  # anything else the add path refuses: report it, go on
        return MemberResult(name, MemberOutcome.UNAVAILABLE, message=exc.message)


# --- Fetching every member now ----

# At most this many fetches per call (the interactive line is shared with every person's manual
# fetch; at the default 0.5 requests/s, 100 fetches are done in about 3.5 minutes). Members past
# it are skipped as `over_cap`, least recently fetched first, so calling again walks on.
GROUP_FETCH_MAX = 100
# A member fetched this recently (by any path) is not fetched again.
GROUP_FETCH_RECENT = timedelta(minutes=5)
# A queued member is not queued again by another group fetch until its fetch should be done.
PENDING_PREFIX = "groups:fetch-pending:"
PENDING_MARGIN_SECONDS = 120


class SkipReason(StrEnum):
    PAUSED = "paused"
    FETCHED_RECENTLY = "fetched_recently"
    PENDING = "pending"  # queued by an earlier group fetch that should not be done yet
    OVER_CAP = "over_cap"


@dataclass(frozen=True)
class GroupFetch:
    group: Group
    queued: list[tuple[str, str]] = field(default_factory=list)  # (username, task_id)
    skipped: list[tuple[str, SkipReason]] = field(default_factory=list)
    estimated_completion_seconds: float = 0.0
    at: datetime = field(default_factory=timezone.now)

    @property
    def skipped_by_reason(self) -> dict[str, int]:
        counts = Counter(str(reason) for _, reason in self.skipped)
        return {str(reason): counts.get(str(reason), 0) for reason in SkipReason}


def _pending_key(player_id: int) -> str:
    return f"{PENDING_PREFIX}{player_id}"


def _claim(player_id: int, *, seconds: float) -> bool:
    """Mark a member as queued (an atomic `cache.add`); False when another call has it."""
    try:
        return bool(cache.add(_pending_key(player_id), 1, timeout=max(1, int(seconds))))
    except Exception as exc:  # Redis down: the broker (same Redis) is down too
        raise UpstreamUnavailable(
            "The fetch queue is unavailable; try again shortly.", error_code="broker_unavailable"
        ) from exc


def _release(player_ids: Sequence[int]) -> None:
    try:
        cache.delete_many([_pending_key(pk) for pk in player_ids])
    except Exception as exc:  # the marks expire by themselves
        logger.warning("could not release group fetch marks (%s)", exc.__class__)


def group_fetch(
    *, group: Group, user: Any = None, now: datetime | None = None, cap: int | None = None
) -> GroupFetch:
    """Queue an interactive fetch of every active member not fetched or queued lately (at most
    `cap`, least recently fetched first) and estimate when the last one is done.

    Each member is marked pending in the cache (an atomic add) before its fetch is sent, so two
    calls at once queue each member once between them. 503 when the broker refuses the messages
    (nothing further is sent; the unsent members are released).
    """
    now = now or timezone.now()
    cap = GROUP_FETCH_MAX if cap is None else cap
    members = (
        Player.objects.filter(group_memberships__group=group)
        .only("id", "username", "username_key", "is_active", "last_fetched")
        .order_by(F("last_fetched").asc(nulls_first=True), "username_key")
    )
    rate = get_limiter().rate
    slot = 1.0 / rate if rate > 0 else selectors.FETCH_SECONDS_ESTIMATE
    hold = estimated_wait_seconds() + cap * slot + PENDING_MARGIN_SECONDS
    claimed: list[Player] = []
    skipped: list[tuple[str, SkipReason]] = []
    for player in members:
        if not player.is_active:
            skipped.append((player.username, SkipReason.PAUSED))
        elif player.last_fetched is not None and now - player.last_fetched < GROUP_FETCH_RECENT:
            skipped.append((player.username, SkipReason.FETCHED_RECENTLY))
        elif len(claimed) >= cap:
            skipped.append((player.username, SkipReason.OVER_CAP))
        elif not _claim(player.pk, seconds=hold):
            skipped.append((player.username, SkipReason.PENDING))
        else:
            claimed.append(player)
    if not claimed:
        return GroupFetch(group=group, skipped=skipped, at=now)
    # Read before ours join the line: consecutive places for all of them.
    estimate = selectors.manual_fetch_estimate_seconds(count=len(claimed))
    queued: list[tuple[str, str]] = []
    for index, player in enumerate(claimed):
        try:
            task_id = api_task_start(
                task=fetch_player,
                kwargs={"player_id": player.pk},
                user=user,
                ignore_result=False,
                **interactive_send_options(),
            )
        except UpstreamUnavailable:
            _release([p.pk for p in claimed[index:]])
            raise
        queued.append((player.username, task_id))
    return GroupFetch(
        group=group,
        queued=queued,
        skipped=skipped,
        estimated_completion_seconds=estimate,
        at=now,
    )

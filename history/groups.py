"""A group's gains and stats: reads over its members' snapshots.

Gains are the leaderboard restricted to the group (`history.leaderboards.leaderboard_page` with
`group_id`): the same rules for baselines and newly ranked metrics, the same ranking and pages.
Stats come from each member's latest snapshot, in one query.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Subquery

from hiscores.integration.catalogue import Metric
from hiscores.selectors import snapshots_in_force_at
from history.leaderboards import LeaderboardPage, leaderboard_page
from players.game_modes import GameMode
from players.models import Group, Player


def group_gains(
    *,
    group: Group,
    metric: Metric,
    start: datetime,
    end: datetime,
    game_mode: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> LeaderboardPage:
    """The group's members ranked by their gain in `metric` over [start, end] (the leaderboard
    rules); `total_gained` sums every ranked member's gain."""
    return leaderboard_page(
        metric=metric,
        start=start,
        end=end,
        game_mode=game_mode,
        group_id=group.pk,
        limit=limit,
        offset=offset,
    )


@dataclass(frozen=True)
class GroupStats:
    group_id: int
    name: str
    member_count: int
    active: int
    paused: int
    by_game_mode: dict[str, int]
    # Over members whose latest snapshot has a ranked Overall (the rest: `unranked`).
    ranked: int
    total_experience: int
    average_experience: float | None
    total_level: int
    average_level: float | None
    flagged: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    without_snapshots: list[str] = field(default_factory=list)
    unranked: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def group_stats(*, group: Group) -> GroupStats:
    """Members by game mode and state, total and average Overall XP and total level (from each
    member's latest snapshot), and who is flagged, missing, unranked or never fetched."""
    latest = snapshots_in_force_at(player_id=OuterRef("pk"))
    rows = (
        Player.objects.filter(group_memberships__group=group)
        .annotate(
            snapshot_id=Subquery(latest.values("pk")[:1]),
            xp=Subquery(latest.values("overall_experience")[:1]),
            level=Subquery(latest.values("overall_level")[:1]),
        )
        .order_by("username_key")
        .values_list(
            "username",
            "game_mode",
            "is_active",
            "flag_reason",
            "missing_since",
            "snapshot_id",
            "xp",
            "level",
        )
    )
    by_mode = dict.fromkeys(GameMode.values, 0)
    flagged, missing, without, unranked = [], [], [], []
    active = ranked = total_xp = total_level = 0
    members = 0
    for username, mode, is_active, flag_reason, missing_since, snapshot_id, xp, level in rows:
        members += 1
        by_mode[mode] = by_mode.get(mode, 0) + 1
        active += bool(is_active)
        if flag_reason:
            flagged.append(username)
        if missing_since is not None:
            missing.append(username)
        if snapshot_id is None:
            without.append(username)
        elif xp is None or xp < 0:
            unranked.append(username)
        else:
            ranked += 1
            total_xp += xp
            total_level += level or 0
    return GroupStats(
        group_id=group.pk,
        name=group.name,
        member_count=members,
        active=active,
        paused=members - active,
        by_game_mode=by_mode,
        ranked=ranked,
        total_experience=total_xp,
        average_experience=round(total_xp / ranked, 1) if ranked else None,
        total_level=total_level,
        average_level=round(total_level / ranked, 1) if ranked else None,
        flagged=flagged,
        missing=missing,
        without_snapshots=without,
        unranked=unranked,
    )

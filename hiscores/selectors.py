"""Snapshot reads: the snapshot in force at a time, and stats shaped for the API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from hiscores.integration.catalogue import (
    ACTIVITY_KEYS,
    BOSS_KEYS,
    SKILL_KEYS,
    MetricKind,
    combat_level,
)
from hiscores.models import Snapshot
from players.models import Player


def snapshot_latest(*, player: Player, at: datetime | None = None) -> Snapshot | None:
    """The snapshot in force at `at` (latest at or before it), or the latest; one index probe."""
    snapshots = Snapshot.objects.filter(player=player)
    if at is not None:
        snapshots = snapshots.filter(fetched_at__lte=at)
    return snapshots.order_by("-fetched_at").first()


def snapshot_list(
    *, player: Player, start: datetime | None = None, end: datetime | None = None
) -> QuerySet[Snapshot]:
    """A player's snapshots, newest first, optionally within [start, end]."""
    snapshots = Snapshot.objects.filter(player=player)
    if start is not None:
        snapshots = snapshots.filter(fetched_at__gte=start)
    if end is not None:
        snapshots = snapshots.filter(fetched_at__lte=end)
    return snapshots.order_by("-fetched_at")


def snapshot_metrics(snapshot: Snapshot) -> dict[str, dict[str, dict[str, int | None]]]:
    """Every metric of a snapshot grouped like the API shows them; None means unranked."""
    row = snapshot.__dict__
    skills = {
        key: {
            "rank": row[f"{key}_rank"],
            "level": row[f"{key}_level"],
            "experience": row[f"{key}_experience"],
        }
        for key in SKILL_KEYS
    }
    activities = {
        key: {"rank": row[f"{key}_rank"], "score": row[f"{key}_score"]} for key in ACTIVITY_KEYS
    }
    bosses = {key: {"rank": row[f"{key}_rank"], "kills": row[f"{key}_score"]} for key in BOSS_KEYS}
    # Metrics the catalogue learned after this row's columns existed.
    for key, values in (snapshot.extra or {}).items():
        kind = values.get("kind")
        if kind == MetricKind.SKILL:
            skills[key] = {p: values.get(p) for p in ("rank", "level", "experience")}
        elif kind == MetricKind.BOSS:
            bosses[key] = {"rank": values.get("rank"), "kills": values.get("score")}
        else:
            activities[key] = {"rank": values.get("rank"), "score": values.get("score")}
    return {"skills": skills, "activities": activities, "bosses": bosses}


def player_stats(
    *, player: Player, snapshot: Snapshot, now: datetime | None = None
) -> dict[str, Any]:
    """The API's stats document for one player and one snapshot."""
    metrics = snapshot_metrics(snapshot)
    skills = metrics["skills"]
    overall = skills.pop("overall")
    now = now or timezone.now()
    return {
        "username": player.username,
        "game_mode": player.game_mode,
        "fetched_at": snapshot.fetched_at,
        "last_fetched": player.last_fetched,
        "overall": overall,
        "skills": skills,
        "activities": metrics["activities"],
        "bosses": metrics["bosses"],
        "combat_level": combat_level({key: value["level"] for key, value in skills.items()}),
        "data_age_seconds": max(0, int((now - snapshot.fetched_at).total_seconds())),
    }


def players_latest_snapshots(*, players: Iterable[Player]) -> dict[int, Snapshot]:
    """The latest snapshot of each player in one query (an index probe per player)."""
    ids = [player.pk for player in players]
    if not ids:
        return {}
    latest_ids = (
        Player.objects.filter(pk__in=ids)
        .annotate(
            latest_id=Subquery(
                Snapshot.objects.filter(player_id=OuterRef("pk"))
                .order_by("-fetched_at")
                .values("pk")[:1]
            )
        )
        .values("latest_id")
    )
    snapshots = Snapshot.objects.filter(pk__in=Subquery(latest_ids))
    return {snapshot.player_id: snapshot for snapshot in snapshots}

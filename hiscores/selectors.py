"""Snapshot reads: the snapshot in force at a time, and stats shaped for the API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from hiscores.metrics import ACTIVITY_KEYS, BOSS_KEYS, SKILL_KEYS, MetricKind, combat_level
from hiscores.models import FetchOutcomeCount, Snapshot
from osrs_diff.db import table_count
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


def snapshot_count() -> tuple[int, bool]:
    """(rows, estimated): snapshots stored (the planner's estimate for a big table)."""
    return table_count(Snapshot)


def fetch_outcome_counts(*, since: datetime | None = None) -> dict[str, int]:
    """Fetch outcomes counted since the start of the hour of `since` (all of them without)."""
    from hiscores.services import COUNTED_OUTCOMES, ROLLUP_HOUR

    rows = FetchOutcomeCount.objects.all()
    if since is not None:
        hour = since.replace(minute=0, second=0, microsecond=0)
        rows = rows.filter(hour__gte=max(hour, ROLLUP_HOUR + timedelta(hours=1)))
    counts = dict.fromkeys(COUNTED_OUTCOMES, 0)
    for outcome, total in (
        rows.values("outcome").annotate(total=Sum("count")).values_list("outcome", "total")
    ):
        counts[outcome] = counts.get(outcome, 0) + int(total or 0)
    return counts


def hiscores_limits_state() -> dict[str, Any]:
    """The shared hiscores rate limiter and circuit breaker, as the operations stats show them."""
    from hiscores.breaker import breaker_state
    from hiscores.ratelimit import limiter_state

    return {"rate_limiter": limiter_state(), "circuit_breaker": breaker_state()}

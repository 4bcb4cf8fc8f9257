"""Snapshot reads: the snapshot in force at a time, and stats shaped for the API."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from hiscores import layout
from hiscores.integration.catalogue import MetricKind, combat_level
from hiscores.models import FetchOutcomeCount, Snapshot
from hiscores.outcomes import COUNTED_OUTCOMES, ROLLUP_HOUR
from osrs_diff.broker import queue_depth
from osrs_diff.db import table_count
from osrs_diff.queues import INTERACTIVE
from players.models import Player


def snapshots_in_force_at(
    *, player_id: int | OuterRef, at: datetime | None = None
) -> QuerySet[Snapshot]:
    """A player's snapshots at or before `at` (all when None), newest first.

    The one "snapshot in force at T" probe: `.first()` is the snapshot in force at `at`, one
    backwards probe of the unique (player_id, fetched_at) index. With `player_id=OuterRef(...)`
    it is the per-player subquery of set-based reads.
    """
    snapshots = Snapshot.objects.filter(player_id=player_id)
    if at is not None:
        snapshots = snapshots.filter(fetched_at__lte=at)
    return snapshots.order_by("-fetched_at")


def snapshot_in_force_at(*, player_id: int, at: datetime | None = None) -> Snapshot | None:
    """The snapshot in force at `at` (latest at or before it), or the latest; one index probe."""
    return snapshots_in_force_at(player_id=player_id, at=at).first()


def snapshots_in_force_at_many(
    *, player_ids: Iterable[int], at: datetime | None = None
) -> dict[int, Snapshot]:
    """The snapshot in force at `at` (or the latest) of each player, in one query."""
    ids = list(player_ids)
    if not ids:
        return {}
    in_force_ids = (
        Player.objects.filter(pk__in=ids)
        .annotate(
            in_force_id=Subquery(
                snapshots_in_force_at(player_id=OuterRef("pk"), at=at).values("pk")[:1]
            )
        )
        .values("in_force_id")
    )
    snapshots = Snapshot.objects.filter(pk__in=Subquery(in_force_ids))
    return {snapshot.player_id: snapshot for snapshot in snapshots}


def snapshot_in_force_sql(
    *, select: str, player: str = "%s", at: str = "%s", alias: str = ""
) -> str:
    """The same probe as SQL text for hand-written statements (a scalar subquery in parentheses).

    `select` is the select list, `player` and `at` SQL expressions or placeholders, `alias` the
    table alias when the statement needs one (`x.player_id = p.id`).
    """
    table = connection.ops.quote_name(Snapshot._meta.db_table)
    source, column = (f"{table} {alias}", f"{alias}.") if alias else (table, "")
    return (
        f"SELECT {select} FROM {source} WHERE {column}player_id = {player} "
        f"AND {column}fetched_at <= {at} ORDER BY {column}fetched_at DESC LIMIT 1"
    )


def snapshot_latest(*, player: Player, at: datetime | None = None) -> Snapshot | None:
    """The snapshot in force at `at` (latest at or before it), or the latest; one index probe."""
    return snapshot_in_force_at(player_id=player.pk, at=at)


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
    skills: dict[str, dict[str, int | None]] = {}
    activities: dict[str, dict[str, int | None]] = {}
    bosses: dict[str, dict[str, int | None]] = {}
    for key, metric in layout.row_metrics(snapshot.__dict__, snapshot.extra).items():
        if metric.kind is MetricKind.SKILL:
            skills[key] = {"rank": metric.rank, "level": metric.level, "experience": metric.value}
        elif metric.kind is MetricKind.BOSS:
            bosses[key] = {"rank": metric.rank, "kills": metric.value}
        else:
            activities[key] = {"rank": metric.rank, "score": metric.value}
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
    return snapshots_in_force_at_many(player_ids=[player.pk for player in players])


def snapshot_count() -> tuple[int, bool]:
    """(rows, estimated): snapshots stored (the planner's estimate for a big table)."""
    return table_count(Snapshot)


def fetch_outcome_counts(*, since: datetime | None = None) -> dict[str, int]:
    """Fetch outcomes counted since the start of the hour of `since` (all of them without)."""
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


# Typical time of one fetch once the rate limiter lets it through (one request, parse, store).
FETCH_SECONDS_ESTIMATE = 1.0


def manual_fetch_estimate_seconds(*, count: int = 1) -> float:
    """Seconds until a fetch queued on `interactive` now is done (rounded to 0.1 s).

    `count` fetches queued together (a group fetch) take consecutive places in the line: the
    answer is when the last of them is done.

    Each manual fetch takes a place in one shared line of interactive fetches (hiscores.
    integration.ratelimit.interactive_line_reserve): it gets its rate-limit slot once the
    limiter's current wait is over and every fetch ahead of it had one (a slot is
    `1 / OSRS_HISCORES_RATE` s, or `FETCH_SECONDS_ESTIMATE` with the limiter off), then takes
    `FETCH_SECONDS_ESTIMATE` for the request itself. Fetches waiting on the `interactive` queue
    count as ahead of it whether or not they took a place in the line.
    """
    from hiscores.integration.ratelimit import interactive_line_reserve
    from hiscores.integration.shared import estimated_wait_seconds, get_limiter, get_store

    rate = get_limiter().rate
    slot = 1.0 / rate if rate > 0 else FETCH_SECONDS_ESTIMATE
    ahead = queue_depth(INTERACTIVE) or 0
    count = max(1, count)
    start = interactive_line_reserve(
        get_store(), wait=estimated_wait_seconds() + ahead * slot, per_fetch=slot, count=count
    )
    return round(start + (count - 1) * slot + FETCH_SECONDS_ESTIMATE, 1)


def hiscores_limits_state() -> dict[str, Any]:
    """The shared hiscores rate limiter and circuit breaker, as the operations stats show them."""
    from hiscores.integration.shared import breaker_state, limiter_state

    return {"rate_limiter": limiter_state(), "circuit_breaker": breaker_state()}

"""The leaderboard: top gainers among tracked players over a range, one metric.

Gains follow the history rules (history.gains): the value in force at the start (or the first
reading in the range), counting restarting at a baseline, and a metric unranked at the start
(newly ranked later) is not a gain. PostgreSQL answers with LATERAL probes per player; the
portable ORM form serves SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    F,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce

from hiscores import layout
from hiscores.integration.catalogue import Metric
from hiscores.models import Snapshot
from hiscores.selectors import snapshot_in_force_sql, snapshots_in_force_at
from osrs_diff import db
from players.models import GroupMembership, Player


@dataclass(frozen=True, slots=True)
class LeaderboardRow:
    rank: int
    username: str
    game_mode: str
    start: int
    end: int
    gained: int


@dataclass(frozen=True)
class LeaderboardPage:
    rows: list[LeaderboardRow]
    total: int
    total_gained: int = 0  # the sum of every ranked player's gain (all pages)


def leaderboard_page(
    *,
    metric: Metric,
    start: datetime,
    end: datetime,
    game_mode: str | None = None,
    group_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
    portable: bool | None = None,
) -> LeaderboardPage:
    """Tracked players ranked by their gain in `metric` over [start, end], best first.

    `group_id` restricts the board to that group's members (`players.GroupMembership`), paused
    members included: a group asks for its members by name, and a paused member's readings up to
    its pause are its gains. Without it, the board ranks every active player.

    Computed in the database: per player, the value in force at `start` (or at the first snapshot
    after it, when tracking began later; the latest baseline in the range, where counting
    restarts) and at `end`, each an index probe; only players who
    gained are ranked (a metric unranked at the start is newly ranked, not a gain). One query
    returns the page and the total. PostgreSQL uses LATERAL joins that evaluate each probe once;
    other databases (SQLite under `make run`) use the portable ORM form of the same query.
    """
    if portable is None:
        portable = not db.backend().NATIVE_SQL
    fetch = _leaderboard_orm if portable else _leaderboard_postgresql
    column = layout.column_for(metric.key, layout.value_part(metric.kind))
    where = {"column": column, "start": start, "end": end, "game_mode": game_mode}
    rows, total, total_gained = fetch(**where, group_id=group_id, limit=limit, offset=offset)
    if not rows and offset > 0:
        # Past the last page: the totals still answer how many there are and what they gained.
        _, total, total_gained = fetch(**where, group_id=group_id, limit=1, offset=0)
    return LeaderboardPage(
        rows=[
            LeaderboardRow(offset + index + 1, username, game_mode, start_value, end_value, gained)
            for index, (username, game_mode, start_value, end_value, gained) in enumerate(rows)
        ],
        total=total,
        total_gained=total_gained,
    )


_LeaderboardRows = tuple[list[tuple[str, str, int, int, int]], int, int]


def _leaderboard_postgresql(
    *,
    column: str,
    start: datetime,
    end: datetime,
    game_mode: str | None,
    group_id: int | None,
    limit: int,
    offset: int,
) -> _LeaderboardRows:
    quote = connection.ops.quote_name
    snapshots = quote(Snapshot._meta.db_table)
    players = quote(Player._meta.db_table)
    memberships = quote(GroupMembership._meta.db_table)
    value = quote(column)  # a catalogue column name, never user text
    end_in_force = snapshot_in_force_sql(
        select=f"x.{value} AS v", player="p.id", at="%(end)s", alias="x"
    )
    start_in_force = snapshot_in_force_sql(
        select=f"COALESCE(x.{value}, -1)", player="p.id", at="%(start)s", alias="x"
    )
    members_only = (
        f"JOIN {memberships} gm ON gm.player_id = p.id AND gm.group_id = %(group_id)s"
        if group_id is not None
        else ""
    )
    # The start value: the snapshot in force at start, else the first one in the range;
    # COALESCE evaluates its second probe only when the first finds no snapshot. -1 marks a
    # snapshot where the metric is unranked (newly ranked later: not a gain).
    sql = f"""
        SELECT p.username, p.game_mode, s.v, e.v, e.v - s.v AS gained, COUNT(*) OVER () AS total,
               SUM(e.v - s.v) OVER () AS total_gained
        FROM {players} p
        {members_only}
        JOIN LATERAL (
            {end_in_force}
        ) e ON TRUE
        JOIN LATERAL (
            -- OFFSET 0 keeps this a subquery evaluated once per player; pulled up, its COALESCE
            -- would be copied into the filter, the sort key and the output (4 evaluations).
            SELECT COALESCE(
                -- The latest baseline in the range: counting restarts there (history.gains).
                (SELECT COALESCE(x.{value}, -1) FROM {snapshots} x
                 WHERE x.player_id = p.id AND x.is_baseline
                   AND x.fetched_at > %(start)s AND x.fetched_at <= %(end)s
                 ORDER BY x.fetched_at DESC LIMIT 1),
                ({start_in_force}),
                (SELECT COALESCE(x.{value}, -1) FROM {snapshots} x
                 WHERE x.player_id = p.id AND x.fetched_at > %(start)s
                   AND x.fetched_at <= %(end)s
                 ORDER BY x.fetched_at ASC LIMIT 1)
            ) AS v
            OFFSET 0
        ) s ON TRUE
        WHERE {"TRUE" if group_id is not None else "p.is_active"}
          {"AND p.game_mode = %(game_mode)s" if game_mode else ""}
          AND s.v >= 0 AND e.v > s.v
        ORDER BY gained DESC, p.username_key ASC
        LIMIT %(limit)s OFFSET %(offset)s
    """
    params = {
        "start": start,
        "end": end,
        "game_mode": game_mode,
        "group_id": group_id,
        "limit": limit,
        "offset": offset,
    }
    with transaction.atomic(), connection.cursor() as cursor:
        # Thousands of players push the plan's estimated cost past jit_above_cost, and compiling
        # it took 0.8 s where running it takes well under 0.1 s: no JIT for this statement.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        fetched = cursor.fetchall()
    total = fetched[0][5] if fetched else 0
    total_gained = int(fetched[0][6]) if fetched else 0
    return [row[:5] for row in fetched], total, total_gained


def _leaderboard_orm(
    *,
    column: str,
    start: datetime,
    end: datetime,
    game_mode: str | None,
    group_id: int | None,
    limit: int,
    offset: int,
) -> _LeaderboardRows:
    def probe(snapshots: QuerySet[Snapshot]) -> Subquery:
        ranked_or_minus_one = Coalesce(F(column), Value(-1), output_field=BigIntegerField())
        return Subquery(snapshots.values(v=ranked_or_minus_one)[:1])

    at_start = snapshots_in_force_at(player_id=OuterRef("pk"), at=start)
    first_in_range = Snapshot.objects.filter(
        player_id=OuterRef("pk"), fetched_at__gt=start, fetched_at__lte=end
    )
    at_end = snapshots_in_force_at(player_id=OuterRef("pk"), at=end)
    baseline_in_range = first_in_range.filter(is_baseline=True)
    if group_id is not None:
        players = Player.objects.filter(
            pk__in=GroupMembership.objects.filter(group_id=group_id).values("player_id")
        )
    else:
        players = Player.objects.filter(is_active=True)
    if game_mode:
        players = players.filter(game_mode=game_mode)
    ranked = (
        players.annotate(
            start_value=Coalesce(
                probe(baseline_in_range.order_by("-fetched_at")),
                probe(at_start),
                probe(first_in_range.order_by("fetched_at")),
                output_field=BigIntegerField(),
            ),
            end_value=Subquery(at_end.values(column)[:1]),
        )
        .filter(start_value__gte=0, end_value__gt=F("start_value"))
        .annotate(
            gained=F("end_value") - F("start_value"),
            total=Window(Count("pk")),
            total_gained=Window(Sum(F("end_value") - F("start_value"))),
        )
        .order_by("-gained", "username_key")
        .values_list(
            "username", "game_mode", "start_value", "end_value", "gained", "total", "total_gained"
        )
    )
    fetched = list(ranked[offset : offset + limit])
    total = fetched[0][5] if fetched else 0
    total_gained = int(fetched[0][6]) if fetched else 0
    return [row[:5] for row in fetched], total, total_gained

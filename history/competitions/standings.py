"""Competition reads: lists by status, one competition, its standings and its chart series.

Standings follow the history gain rules (history.gains), per participant:

- `start_value`: the metric in the reading in force at `starts_at`; when there is none, the first
  reading after it (`late_baseline: true`); a baseline reading inside the window restarts counting
  there (history.gains.counting_start);
- `current_value`: the reading in force at `ends_at`, or now while the competition runs;
- `gained`: current - start when the metric is ranked at both ends. Unranked at the start and
  ranked now is `newly_ranked: true`, reported with `gained: null` and not ranked (a boss appears
  on the hiscores at 5 kills: those 5 are not a gain);
- `rank`: standard competition ranking (1, 1, 3) by `gained`, best first; participants without a
  gain (no reading yet, unranked, newly ranked) have `rank: null` and come last, by name.

Team standings sum their members' gains (a member without one counts 0) and rank the same way.
One statement reads every participant: per participant a few backwards probes of the unique
(player_id, fetched_at) index, in portable SQL (scalar subqueries; PostgreSQL and SQLite).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from hiscores import layout
from hiscores.integration.catalogue import Metric, get_metric
from hiscores.models import Snapshot
from history.competitions.models import Competition, CompetitionParticipant, CompetitionTeam
from history.selectors import player_metric_history
from osrs_diff import db
from osrs_diff.exceptions import NotFound
from players.models import Player

CHART_TOP = 5


def competition_list(*, status: str | None = None, now: datetime | None = None) -> QuerySet:
    """Competitions, latest start first; `status` keeps the upcoming, ongoing or finished ones."""
    now = now or timezone.now()
    queryset = Competition.objects.all()
    if status == Competition.Status.UPCOMING:
        queryset = queryset.filter(starts_at__gt=now)
    elif status == Competition.Status.ONGOING:
        queryset = queryset.filter(starts_at__lte=now, ends_at__gt=now)
    elif status == Competition.Status.FINISHED:
        queryset = queryset.filter(ends_at__lte=now)
    return queryset.order_by("-starts_at", "-pk")


def competition_get(*, competition_id: int | str) -> Competition:
    """The competition with this id (path digits), or 404."""
    pk = int(competition_id)
    competition = Competition.objects.filter(pk=pk).first() if 0 < pk < 2**63 else None
    if competition is None:
        raise NotFound(f"Competition {competition_id} does not exist.")
    return competition


@dataclass(frozen=True, slots=True)
class StandingRow:
    player_id: int
    username: str
    username_key: str
    team: str | None
    start_value: int | None
    current_value: int | None
    gained: int | None
    newly_ranked: bool
    late_baseline: bool
    start_reading_at: datetime | None
    updated_at: datetime | None
    rank: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "username": self.username,
            "team": self.team,
            "start_value": self.start_value,
            "current_value": self.current_value,
            "gained": self.gained,
            "late_baseline": self.late_baseline,
            "newly_ranked": self.newly_ranked,
            "start_reading_at": self.start_reading_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class TeamStanding:
    name: str
    gained: int
    rank: int
    members: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "name": self.name,
            "gained": self.gained,
            "members": self.members,
        }


@dataclass(frozen=True)
class Standings:
    at: datetime
    rows: list[StandingRow]
    teams: list[TeamStanding] | None


def standard_ranks(values: list[int]) -> list[int]:
    """Standard competition ranks of values sorted best first: 10, 10, 7 -> 1, 1, 3."""
    ranks: list[int] = []
    for index, value in enumerate(values):
        ranks.append(ranks[-1] if index and value == values[index - 1] else index + 1)
    return ranks


def _readings(competition: Competition, column: str, start: datetime, end: datetime) -> list:
    quote = connection.ops.quote_name
    snapshots = quote(Snapshot._meta.db_table)
    participants = quote(CompetitionParticipant._meta.db_table)
    players = quote(Player._meta.db_table)
    teams = quote(CompetitionTeam._meta.db_table)
    value = quote(column)  # a catalogue column name, never user text

    def probe(condition: str, order: str) -> str:
        return (
            f"(SELECT x.fetched_at FROM {snapshots} x WHERE x.player_id = cp.player_id "
            f"AND {condition} ORDER BY x.fetched_at {order} LIMIT 1)"
        )

    def value_at(moment: str) -> str:
        return (
            f"(SELECT y.{value} FROM {snapshots} y WHERE y.player_id = r.player_id "
            f"AND y.fetched_at = {moment})"
        )

    # Per participant: when the readings that matter were taken (each a probe of the unique
    # index), then the metric's value in the start and end readings (an exact index lookup).
    sql = f"""
        SELECT r.player_id, r.username, r.username_key, r.team, r.last_fetched,
               r.baseline_at, r.in_force_at, r.first_after_at, r.end_at,
               {value_at("COALESCE(r.baseline_at, r.in_force_at, r.first_after_at)")},
               {value_at("r.end_at")}
        FROM (
            SELECT cp.player_id, p.username, p.username_key, t.name AS team, p.last_fetched,
                   {probe("x.is_baseline AND x.fetched_at > %s AND x.fetched_at <= %s", "DESC")}
                       AS baseline_at,
                   {probe("x.fetched_at <= %s", "DESC")} AS in_force_at,
                   {probe("x.fetched_at > %s AND x.fetched_at <= %s", "ASC")} AS first_after_at,
                   {probe("x.fetched_at <= %s", "DESC")} AS end_at
            FROM {participants} cp
            JOIN {players} p ON p.id = cp.player_id
            LEFT JOIN {teams} t ON t.id = cp.team_id
            WHERE cp.competition_id = %s
        ) r
    """
    params = [start, end, start, start, end, end, competition.pk]
    with transaction.atomic(), connection.cursor() as cursor:
        if db.backend().NATIVE_SQL:
            # As for the leaderboard: hundreds of participants push the estimated cost past
            # jit_above_cost, and compiling the plan costs more than running it.
            cursor.execute("SET LOCAL jit = off")
        cursor.execute(sql, params)
        return cursor.fetchall()


def competition_standings(*, competition: Competition, now: datetime | None = None) -> Standings:
    """Every participant's start, current value, gain and rank; team sums for team events."""
    now = now or timezone.now()
    end = min(competition.ends_at, now)
    metric = get_metric(competition.metric)
    rows: list[StandingRow] = []
    if metric is not None:
        column = layout.column_for(metric.key, layout.value_part(metric.kind))
        aware = db.backend().aware
        fetched = (
            _readings(competition, column, competition.starts_at, end)
            if end >= competition.starts_at
            else _participants_only(competition)
        )
        for (
            player_id,
            username,
            key,
            team,
            last_fetched,
            baseline_at,
            in_force_at,
            first_after_at,
            end_at,
            start_value,
            end_value,
        ) in fetched:
            start_at = baseline_at or in_force_at or first_after_at
            start_at = aware(start_at) if start_at else None
            end_at = aware(end_at) if end_at else None
            last_fetched = aware(last_fetched) if last_fetched else None
            ranked_start = start_at is not None and start_value is not None
            ranked_end = end_at is not None and end_value is not None
            rows.append(
                StandingRow(
                    player_id=player_id,
                    username=username,
                    username_key=key,
                    team=team,
                    start_value=start_value if start_at else None,
                    current_value=end_value if end_at else None,
                    gained=end_value - start_value if ranked_start and ranked_end else None,
                    newly_ranked=ranked_end and not ranked_start,
                    late_baseline=in_force_at is None and baseline_at is None and bool(start_at),
                    start_reading_at=start_at,
                    updated_at=(
                        last_fetched
                        if last_fetched and end_at and end_at <= last_fetched <= end
                        else end_at
                    ),
                )
            )
    ranked = sorted(
        (row for row in rows if row.gained is not None),
        key=lambda row: (-row.gained, row.username_key),
    )
    unranked = sorted((row for row in rows if row.gained is None), key=lambda row: row.username_key)
    ordered = [
        _with_rank(row, rank)
        for row, rank in zip(ranked, standard_ranks([r.gained for r in ranked]), strict=True)
    ] + unranked
    teams = _team_standings(competition, ordered) if competition.kind == "team" else None
    return Standings(at=end, rows=ordered, teams=teams)


def _participants_only(competition: Competition) -> list[tuple]:
    """Before the start: the participants, no readings."""
    return [
        (pk, username, key, team, None, None, None, None, None, None, None)
        for pk, username, key, team in competition.participations.values_list(
            "player_id", "player__username", "player__username_key", "team__name"
        )
    ]


def _with_rank(row: StandingRow, rank: int) -> StandingRow:
    return StandingRow(**{**{f: getattr(row, f) for f in StandingRow.__slots__}, "rank": rank})


def _team_standings(competition: Competition, rows: list[StandingRow]) -> list[TeamStanding]:
    totals: dict[str, int] = {name: 0 for name in competition.teams.values_list("name", flat=True)}
    members: dict[str, list[str]] = {name: [] for name in totals}
    for row in rows:
        if row.team is None:
            continue
        totals[row.team] += row.gained or 0
        members[row.team].append(row.username)
    order = sorted(totals, key=lambda name: (-totals[name], name.lower()))
    ranks = standard_ranks([totals[name] for name in order])
    return [
        TeamStanding(name=name, gained=totals[name], rank=rank, members=members[name])
        for name, rank in zip(order, ranks, strict=True)
    ]


def competition_top(standings: Standings, rank: int = 3) -> list[dict[str, Any]]:
    """Every participant ranked 1 to `rank`, ties included (so possibly more than `rank` rows),
    best first then by name: rank, username, gained."""
    return [
        {"rank": row.rank, "username": row.username, "gained": row.gained}
        for row in standings.rows
        if row.rank is not None and row.rank <= rank
    ]


@dataclass(frozen=True)
class ChartSeries:
    username: str
    points: list[tuple[datetime, int]]


def competition_chart_series(
    *, competition: Competition, standings: Standings, now: datetime | None = None
) -> tuple[Metric | None, list[ChartSeries]]:
    """Gains over time of the top CHART_TOP participants: one metric-history read each."""
    now = now or timezone.now()
    metric = get_metric(competition.metric)
    if metric is None or now < competition.starts_at:
        return metric, []
    end = min(competition.ends_at, now)
    top = [row for row in standings.rows if row.rank is not None][:CHART_TOP]
    players = Player.objects.in_bulk([row.player_id for row in top])
    series = []
    for row in top:
        history = player_metric_history(
            player=players[row.player_id],
            metric=metric,
            start=competition.starts_at,
            end=end,
            now=now,
        )
        base = row.start_value or 0
        points = [
            (max(point.at, competition.starts_at), point.value - base)
            for point in history.timeline
            if point.value is not None
        ]
        series.append(ChartSeries(username=row.username, points=points))
    return metric, series

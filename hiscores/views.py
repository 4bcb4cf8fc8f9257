"""Snapshot endpoints: manual fetch, stats now or at a date, several players, snapshot list."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hiscores import selectors, serializers
from hiscores.ratelimit import estimated_wait_seconds
from hiscores.tasks import fetch_player
from osrs_diff.api_tasks import api_task_start
from osrs_diff.exceptions import NotFound
from players.models import Player
from players.selectors import player_get

# Typical time of one fetch once the rate limiter lets it through (one request, parse, store).
FETCH_SECONDS_ESTIMATE = 1.0


class PlayerFetchView(APIView):
    """Queue a fetch of this player's hiscores now; follow it at `status_url`."""

    name = "Fetch player now"

    @extend_schema(
        request=None,
        responses={202: serializers.FetchQueuedSerializer},
        tags=["snapshots"],
    )
    def post(self, request: Request, username: str) -> Response:
        player = player_get(username=username)
        task_id = api_task_start(
            task=fetch_player,
            kwargs={"player_id": player.pk},
            user=request.user,
            ignore_result=False,
        )
        body = {
            "task_id": task_id,
            "status_url": request.build_absolute_uri(reverse("task-status", args=[task_id])),
            "estimated_completion_seconds": round(
                estimated_wait_seconds() + FETCH_SECONDS_ESTIMATE, 1
            ),
        }
        return Response(body, status=status.HTTP_202_ACCEPTED)


class PlayerStatsView(APIView):
    """The player's latest stats, or the stats in force at `?at=`."""

    name = "Player stats"

    @extend_schema(
        parameters=[serializers.StatsQuerySerializer],
        responses=serializers.PlayerStatsSerializer,
        tags=["snapshots"],
    )
    def get(self, request: Request, username: str) -> Response:
        query = serializers.StatsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        at = query.validated_data.get("at")
        player = player_get(username=username)
        snapshot = selectors.snapshot_latest(player=player, at=at)
        if snapshot is None:
            when = f" at or before {at.isoformat()}" if at else " yet"
            raise NotFound(
                f"Player {player.username!r} has no snapshot{when}.", error_code="no_snapshot"
            )
        stats = selectors.player_stats(player=player, snapshot=snapshot)
        return Response(serializers.PlayerStatsSerializer(stats).data)


class MultiPlayerStatsView(APIView):
    """Latest stats of several players; unknown names are listed, not an error."""

    name = "Stats of several players"

    @extend_schema(
        parameters=[
            OpenApiParameter("usernames", str, required=True, description="Comma-separated names")
        ],
        responses=serializers.MultiPlayerStatsSerializer,
        tags=["snapshots"],
        operation_id="players_stats_many",
    )
    def get(self, request: Request) -> Response:
        query = serializers.UsernamesQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        names = query.validated_data["usernames"]
        players, not_tracked = _players_by_name(names)
        latest = selectors.players_latest_snapshots(players=players)
        body = {
            "players": [
                selectors.player_stats(player=player, snapshot=latest[player.pk])
                for player in players
                if player.pk in latest
            ],
            "not_tracked": not_tracked,
            "without_snapshots": [p.username for p in players if p.pk not in latest],
        }
        return Response(serializers.MultiPlayerStatsSerializer(body).data)


def _players_by_name(names: list[str]) -> tuple[list[Player], list[str]]:
    from players.names import normalise_username

    keys = {name: normalise_username(name) for name in names}
    found = {p.username_key: p for p in Player.objects.filter(username_key__in=keys.values())}
    players, not_tracked, seen = [], [], set()
    for name, key in keys.items():
        player = found.get(key)
        if player is None:
            not_tracked.append(name)
        elif player.pk not in seen:
            seen.add(player.pk)
            players.append(player)
    return players, not_tracked


class PlayerSnapshotListView(ListAPIView):
    """The player's stored snapshots, newest first, optionally between `start` and `end`."""

    name = "Player snapshots"

    serializer_class = serializers.SnapshotSerializer
    filter_backends: list = []

    @extend_schema(parameters=[serializers.SnapshotRangeSerializer], tags=["snapshots"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = serializers.SnapshotRangeSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        player = player_get(username=self.kwargs["username"])
        return selectors.snapshot_list(
            player=player,
            start=query.validated_data.get("start"),
            end=query.validated_data.get("end"),
        )

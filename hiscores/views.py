"""Snapshot endpoints: manual fetch, stats now or at a date, several players, snapshot list."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hiscores import baselines, selectors, serializers, tracking
from hiscores.integration.shared import web_deadline
from hiscores.tasks import fetch_player
from osrs_diff.api_tasks import api_task_start
from osrs_diff.exceptions import NotFound
from osrs_diff.queues import interactive_send_options
from players.models import Player
from players.selectors import fetch_budget_warnings, player_get
from players.serializers import PlayerCreateSerializer, PlayerWriteSerializer
from players.views import PlayerListView


class PlayerListCreateView(PlayerListView):
    """List tracked players, or track a new one (its first snapshot is stored with it)."""

    write_permissions = {"POST": "players.add_player"}

    @extend_schema(
        request=PlayerCreateSerializer,
        responses={
            201: PlayerWriteSerializer,
            400: OpenApiResponse(description="Invalid name or interval."),
            404: OpenApiResponse(description="player_not_found: no hiscores board knows it."),
            409: OpenApiResponse(
                description="conflict: already tracked (in any spelling), or being added by "
                "another request right now."
            ),
            502: OpenApiResponse(description="hiscores_unavailable: nothing was stored."),
            503: OpenApiResponse(description="rate_limited (Retry-After), or our side is down."),
        },
        tags=["players"],
    )
    def post(self, request: Request) -> Response:
        data = PlayerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with web_deadline():  # one attempt per board; 502/503 at once, never a retry sleep
            creation = tracking.player_track(**data.validated_data)
        warnings = fetch_budget_warnings()  # the player is tracked either way
        return Response(
            PlayerWriteSerializer(creation.player, context={"warnings": warnings}).data,
            status=status.HTTP_201_CREATED,
            headers={"Location": f"/players/{creation.player.username}"},
        )


class PlayerFetchView(APIView):
    """Queue a fetch of this player's hiscores now; follow it at `status_url`."""

    write_permissions = {"POST": "players.change_player"}
    name = "Fetch player now"

    @extend_schema(
        request=None,
        responses={202: serializers.FetchQueuedSerializer},
        tags=["snapshots"],
    )
    def post(self, request: Request, username: str) -> Response:
        player = player_get(username=username)
        estimate = selectors.manual_fetch_estimate_seconds()  # read before ours joins the queue
        task_id = api_task_start(
            task=fetch_player,
            kwargs={"player_id": player.pk},
            user=request.user,
            ignore_result=False,
            **interactive_send_options(),
        )
        body = {
            "task_id": task_id,
            "status_url": request.build_absolute_uri(reverse("task-status", args=[task_id])),
            "estimated_completion_seconds": estimate,
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


class PlayerAcceptReadingView(APIView):
    """Accept a flagged player's rejected reading as a new baseline and clear the flag.

    The reading kept when it was rejected is stored as a baseline snapshot (fetched again from
    the hiscores only when none was kept); gains, leaderboards and charts restart from it.
    404 for an unknown player; 409 `not_flagged` when nothing is flagged (so accepting twice
    stores one baseline).
    """

    name = "Accept latest reading"
    write_permissions = {"POST": "players.change_player"}

    @extend_schema(
        request=None,
        responses={200: serializers.AcceptedReadingSerializer},
        tags=["snapshots"],
    )
    def post(self, request: Request, username: str) -> Response:
        with web_deadline():  # only a flag raised before readings were kept asks the hiscores
            acceptance = baselines.snapshot_baseline_accept(player=player_get(username=username))
        return Response(serializers.AcceptedReadingSerializer(acceptance).data)

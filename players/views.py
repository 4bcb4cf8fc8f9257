"""Thin views of the players API: validate, call one service or selector, shape the output."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hiscores.integration.shared import web_deadline
from osrs_diff.api_tasks import TaskStartedSerializer, api_task_start
from osrs_diff.filters import StrictBooleanFilter
from players import selectors, services, tasks
from players.game_modes import GameMode
from players.serializers import (
    GameModeCheckSerializer,
    PlayerSerializer,
    PlayerUpdateSerializer,
    PlayerWriteSerializer,
    ScheduleSerializer,
)

TAGS = ["players"]


class PlayerFilter(django_filters.FilterSet):
    game_mode = django_filters.ChoiceFilter(choices=GameMode.choices)
    is_active = StrictBooleanFilter()
    search = django_filters.CharFilter(method="filter_search", help_text="Part of the name.")

    def filter_search(self, queryset, name, value):
        return selectors.players_matching(queryset, search=value)


class PlayerListView(generics.ListAPIView):
    """List tracked players (`hiscores.views.PlayerListCreateView` adds tracking a new one)."""

    name = "Players"
    browsable_example = {"POST": {"username": "Zezima", "fetch_interval_minutes": 60}}

    serializer_class = PlayerSerializer
    filterset_class = PlayerFilter

    def get_queryset(self):
        return selectors.player_list()

    @extend_schema(tags=TAGS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class PlayerDetailView(APIView):
    """One player, by any spelling of its name."""

    write_permissions = {"PATCH": "players.change_player", "DELETE": "players.delete_player"}
    name = "Player"
    browsable_example = {"PATCH": {"fetch_interval_minutes": 30, "is_active": True}}

    @extend_schema(responses=PlayerSerializer, tags=TAGS)
    def get(self, request: Request, username: str) -> Response:
        return Response(PlayerSerializer(selectors.player_get(username=username)).data)

    @extend_schema(request=PlayerUpdateSerializer, responses=PlayerWriteSerializer, tags=TAGS)
    def patch(self, request: Request, username: str) -> Response:
        player = selectors.player_get(username=username)
        data = PlayerUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        player = services.player_update(player=player, **data.validated_data)
        warnings = selectors.fetch_budget_warnings()  # the write stands either way
        return Response(PlayerWriteSerializer(player, context={"warnings": warnings}).data)

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request: Request, username: str) -> Response:
        services.player_delete(player=selectors.player_get(username=username))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PlayerPauseView(APIView):
    """Stop fetching a player (its schedule is disabled)."""

    write_permissions = {"POST": "players.change_player"}
    name = "Pause player"

    @extend_schema(request=None, responses=PlayerSerializer, tags=TAGS)
    def post(self, request: Request, username: str) -> Response:
        player = services.player_pause(player=selectors.player_get(username=username))
        return Response(PlayerSerializer(player).data)


class PlayerResumeView(APIView):
    """Fetch a paused player again."""

    write_permissions = {"POST": "players.change_player"}
    name = "Resume player"

    @extend_schema(request=None, responses=PlayerSerializer, tags=TAGS)
    def post(self, request: Request, username: str) -> Response:
        player = services.player_resume(player=selectors.player_get(username=username))
        return Response(PlayerSerializer(player).data)


class PlayerGameModeUpdateView(APIView):
    """Re-detect the player's game mode now (only downward moves are applied)."""

    write_permissions = {"POST": "players.change_player"}
    name = "Update game mode"

    @extend_schema(
        request=None,
        responses={
            200: GameModeCheckSerializer,
            502: OpenApiResponse(description="hiscores_unavailable: the mode stays."),
            503: OpenApiResponse(description="rate_limited (Retry-After), or our side is down."),
        },
        tags=TAGS,
    )
    def post(self, request: Request, username: str) -> Response:
        player = selectors.player_get(username=username)
        with web_deadline():  # one attempt per board; 502/503 at once, never a retry sleep
            check = services.player_game_mode_update(player=player)
        return Response(
            GameModeCheckSerializer(
                {
                    "username": check.username,
                    "previous_mode": check.previous_mode,
                    "game_mode": check.game_mode,
                    "changed": check.changed,
                    "detected_mode": check.detected_mode,
                    "outcome": check.outcome.value,
                }
            ).data
        )


class PlayerScheduleView(APIView):
    """The player's fetch schedule (its django-celery-beat PeriodicTask)."""

    name = "Player schedule"

    @extend_schema(responses=ScheduleSerializer, tags=TAGS)
    def get(self, request: Request, username: str) -> Response:
        player = selectors.player_get(username=username)
        return Response(ScheduleSerializer(selectors.player_schedule(player=player)).data)


class ScheduleListView(generics.ListAPIView):
    """Every player's fetch schedule."""

    name = "Schedules"

    serializer_class = ScheduleSerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.schedule_list()

    def get_serializer(self, instance=None, *args, **kwargs):
        if instance is not None:
            many = kwargs.get("many", False)
            rows = instance if many else [instance]
            infos = [selectors.player_schedule(player=player) for player in rows]
            instance = infos if many else infos[0]
        return super().get_serializer(instance, *args, **kwargs)

    @extend_schema(tags=["schedules"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class GameModeCheckTriggerView(APIView):
    """Start the game-mode check of every active non-regular player now (staff only)."""

    name = "Game-mode check"

    permission_classes = [IsAdminUser]

    @extend_schema(request=None, responses={202: TaskStartedSerializer}, tags=["system"])
    def post(self, request: Request) -> Response:
        task_id = api_task_start(task=tasks.check_game_modes, user=request.user)
        return Response({"task_id": task_id}, status=status.HTTP_202_ACCEPTED)

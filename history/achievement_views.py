"""Achievements and records endpoints (history.derived reads, history.services writes)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from history import derived
from history.records import PERIODS
from players.selectors import player_get

RECENT_DEFAULT = 20
RECENT_MAX = 100


class AchievementSerializer(serializers.Serializer):
    name = serializers.CharField()
    metric = serializers.CharField()
    measure = serializers.CharField()
    threshold = serializers.IntegerField()
    achieved_at = serializers.DateTimeField(allow_null=True)
    previous_snapshot_at = serializers.DateTimeField(allow_null=True)


class RecentAchievementSerializer(AchievementSerializer):
    username = serializers.CharField(source="player.username")


class AchievementListSerializer(serializers.Serializer):
    results = AchievementSerializer(many=True)


class RecentAchievementListSerializer(serializers.Serializer):
    results = RecentAchievementSerializer(many=True)


class RecentQuerySerializer(serializers.Serializer):
    limit = serializers.IntegerField(
        required=False, default=RECENT_DEFAULT, min_value=1, max_value=RECENT_MAX
    )


class RecordSerializer(serializers.Serializer):
    metric = serializers.CharField()
    gained = serializers.IntegerField()
    period_start = serializers.DateTimeField()
    period_end = serializers.DateTimeField()


class RecordListSerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=PERIODS)
    results = RecordSerializer(many=True)


class RecordQuerySerializer(serializers.Serializer):
    period = serializers.ChoiceField(choices=PERIODS, required=False, default="week")


class PlayerAchievementsView(APIView):
    """Every achievement of a player: dated ones (newest first), then undated ones."""

    name = "Player achievements"

    @extend_schema(responses=AchievementListSerializer, tags=["history"])
    def get(self, request: Request, username: str) -> Response:
        player = player_get(username=username)
        found = derived.player_achievements(player=player)
        return Response({"results": AchievementSerializer(found, many=True).data})


class RecentAchievementsView(APIView):
    """Dated achievements across players, newest first."""

    name = "Recent achievements"

    @extend_schema(
        parameters=[RecentQuerySerializer],
        responses=RecentAchievementListSerializer,
        tags=["history"],
    )
    def get(self, request: Request) -> Response:
        query = RecentQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = derived.achievements_recent(limit=query.validated_data["limit"])
        return Response({"results": RecentAchievementSerializer(found, many=True).data})


class PlayerRecordsView(APIView):
    """A player's best gain per metric in a UTC day, ISO week or calendar month."""

    name = "Player records"

    @extend_schema(
        parameters=[RecordQuerySerializer], responses=RecordListSerializer, tags=["history"]
    )
    def get(self, request: Request, username: str) -> Response:
        query = RecordQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        period = query.validated_data["period"]
        player = player_get(username=username)
        found = derived.player_records(player=player, period=period)
        return Response({"period": period, "results": RecordSerializer(found, many=True).data})

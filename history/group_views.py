"""A group's gains (the leaderboard restricted to its members) and stats."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from history import groups, selectors
from history.serializers import LeaderboardQuerySerializer
from osrs_diff.exceptions import NotFound
from osrs_diff.pagination import MAX_OFFSET
from players.groups.selectors import group_get

TAGS = ["groups"]


class GroupGainsRowSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    username = serializers.CharField()
    game_mode = serializers.CharField()
    gained = serializers.IntegerField()
    start_value = serializers.IntegerField()
    end_value = serializers.IntegerField()


class GroupGainsSerializer(serializers.Serializer):
    group_id = serializers.IntegerField()
    metric = serializers.CharField()
    kind = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    game_mode = serializers.CharField(allow_null=True)
    total_gained = serializers.IntegerField(help_text="Every ranked member's gain, summed.")
    count = serializers.IntegerField(help_text="Members who gained (ranked).")
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = GroupGainsRowSerializer(many=True)


class GroupGainsView(APIView):
    """The group's members ranked by their gain in one metric over a range, best first.

    The leaderboard's rules: the value in force at the start (or the first reading after it),
    counting restarts at a baseline, a metric newly ranked in the range is not a gain; only
    members who gained are ranked. Paginated like /history/leaderboard (`page`, `page_size`).
    """

    name = "Group gains"

    @extend_schema(
        parameters=[LeaderboardQuerySerializer], responses=GroupGainsSerializer, tags=TAGS
    )
    def get(self, request: Request, group_id: str) -> Response:
        group = group_get(group_id=group_id)
        query = LeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        window = data["range"]
        metric = selectors.metric_get(key=data["metric"])
        page, page_size = data["page"], data["page_size"]
        arguments = {
            "group": group,
            "metric": metric,
            "start": window.start,
            "end": window.end,
            "game_mode": data.get("game_mode"),
        }
        if (page - 1) * page_size > MAX_OFFSET:
            total = groups.group_gains(**arguments, limit=1).total
            raise NotFound("Invalid page.", details={"page": page, "count": total})
        result = groups.group_gains(**arguments, limit=page_size, offset=(page - 1) * page_size)
        if not result.rows and page > 1:
            raise NotFound("Invalid page.", details={"page": page, "count": result.total})
        url = request.build_absolute_uri()
        previous = None
        if page > 1:
            previous = (
                replace_query_param(url, "page", page - 1)
                if page > 2
                else remove_query_param(url, "page")
            )
        body = {
            "group_id": group.pk,
            "metric": metric.key,
            "kind": str(metric.kind),
            "start": window.start,
            "end": window.end,
            "game_mode": data.get("game_mode"),
            "total_gained": result.total_gained,
            "count": result.total,
            "next": replace_query_param(url, "page", page + 1)
            if page * page_size < result.total
            else None,
            "previous": previous,
            "results": [
                {
                    "rank": row.rank,
                    "username": row.username,
                    "game_mode": row.game_mode,
                    "gained": row.gained,
                    "start_value": row.start,
                    "end_value": row.end,
                }
                for row in result.rows
            ],
        }
        return Response(GroupGainsSerializer(body).data)


class GroupStatsSerializer(serializers.Serializer):
    group_id = serializers.IntegerField()
    name = serializers.CharField()
    member_count = serializers.IntegerField()
    active = serializers.IntegerField()
    paused = serializers.IntegerField()
    by_game_mode = serializers.DictField(child=serializers.IntegerField())
    ranked = serializers.IntegerField(help_text="Members whose latest Overall is ranked.")
    total_experience = serializers.IntegerField()
    average_experience = serializers.FloatField(allow_null=True)
    total_level = serializers.IntegerField(help_text="The members' total levels, summed.")
    average_level = serializers.FloatField(allow_null=True, help_text="Average total level.")
    flagged = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(child=serializers.CharField())
    without_snapshots = serializers.ListField(child=serializers.CharField())
    unranked = serializers.ListField(child=serializers.CharField())


class GroupStatsView(APIView):
    """Members by game mode and state, total and average Overall XP and total level from each
    member's latest snapshot, and the flagged, missing, unranked and never-fetched members."""

    name = "Group stats"

    @extend_schema(responses=GroupStatsSerializer, tags=TAGS)
    def get(self, request: Request, group_id: str) -> Response:
        stats = groups.group_stats(group=group_get(group_id=group_id))
        return Response(GroupStatsSerializer(stats.as_dict()).data)

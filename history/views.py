"""History endpoints: progress between dates, one metric's history, leaderboards, SVG charts."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param
from rest_framework.views import APIView

from hiscores.integration.catalogue import MetricKind
from history import charts, leaderboards, overview, selectors, serializers
from osrs_diff.exceptions import NotFound
from osrs_diff.pagination import MAX_OFFSET
from players.selectors import player_get

Y_LABELS = {MetricKind.SKILL: "Experience", MetricKind.BOSS: "Kills", MetricKind.ACTIVITY: "Score"}


class PlayerHistoryView(APIView):
    """What the player gained between two dates: XP, levels, kills, scores, ranks and rates."""

    name = "Player history"

    @extend_schema(
        parameters=[serializers.RangeQuerySerializer],
        responses=serializers.ProgressSerializer,
        tags=["history"],
    )
    def get(self, request: Request, username: str) -> Response:
        query = serializers.RangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        window = query.validated_data["range"]
        player = player_get(username=username)
        progress = selectors.player_progress_between(
            player=player, start=window.start, end=window.end
        )
        return Response(serializers.ProgressSerializer(progress.as_dict()).data)


class PlayerOverviewView(APIView):
    """The player page: skills, bosses and activities with their gains over a range, the chart
    range, game-mode history, the last fetches and what went down while flagged."""

    name = "Player overview"

    @extend_schema(
        parameters=[serializers.RangeQuerySerializer],
        responses=serializers.OverviewSerializer,
        tags=["history"],
    )
    def get(self, request: Request, username: str) -> Response:
        query = serializers.RangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        window = query.validated_data["range"]
        player = player_get(username=username)
        page = overview.player_overview(player=player, start=window.start, end=window.end)
        return Response(serializers.OverviewSerializer(page.as_dict()).data)


class _MetricHistoryView(APIView):
    kind: MetricKind
    response_serializer: type[serializers.MetricHistorySerializer]

    def get(self, request: Request, username: str, metric: str) -> Response:
        query = serializers.MetricRangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        window = query.validated_data["range"]
        found = selectors.metric_get(key=metric, kind=self.kind)
        player = player_get(username=username)
        history = selectors.player_metric_history(
            player=player, metric=found, start=window.start, end=window.end
        )
        return Response(self.response_serializer(history.as_dict()).data)


def _metric_history_schema(response: type, kind: str):
    return extend_schema(
        summary=f"One {kind} over a range: gain, daily rate and the readings it changed in",
        parameters=[serializers.MetricRangeQuerySerializer],
        responses=response,
        tags=["history"],
    )


@extend_schema_view(get=_metric_history_schema(serializers.SkillHistorySerializer, "skill"))
class PlayerSkillHistoryView(_MetricHistoryView):
    """One skill over a range: XP and levels gained, daily rate, the readings it changed in."""

    name = "Skill history"

    kind = MetricKind.SKILL
    response_serializer = serializers.SkillHistorySerializer


@extend_schema_view(get=_metric_history_schema(serializers.MetricHistorySerializer, "boss"))
class PlayerBossHistoryView(_MetricHistoryView):
    """One boss over a range: kills gained, daily rate, the readings it changed in."""

    name = "Boss history"

    kind = MetricKind.BOSS
    response_serializer = serializers.MetricHistorySerializer


@extend_schema_view(get=_metric_history_schema(serializers.MetricHistorySerializer, "activity"))
class PlayerActivityHistoryView(_MetricHistoryView):
    """One activity (clues, minigames) over a range: score gained, daily rate, readings."""

    name = "Activity history"

    kind = MetricKind.ACTIVITY
    response_serializer = serializers.MetricHistorySerializer


class LeaderboardView(APIView):
    """Top gainers among tracked players for one metric and range, best first, paginated."""

    name = "Leaderboard"

    @extend_schema(
        parameters=[serializers.LeaderboardQuerySerializer],
        responses=serializers.LeaderboardSerializer,
        tags=["history"],
    )
    def get(self, request: Request) -> Response:
        query = serializers.LeaderboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        window = data["range"]
        metric = selectors.metric_get(key=data["metric"])
        page, page_size = data["page"], data["page_size"]
        if (page - 1) * page_size > MAX_OFFSET:
            total = leaderboards.leaderboard_page(
                metric=metric,
                start=window.start,
                end=window.end,
                game_mode=data.get("game_mode"),
                limit=1,
            ).total
            raise NotFound("Invalid page.", details={"page": page, "count": total})
        result = leaderboards.leaderboard_page(
            metric=metric,
            start=window.start,
            end=window.end,
            game_mode=data.get("game_mode"),
            limit=page_size,
            offset=(page - 1) * page_size,
        )
        if not result.rows and page > 1:
            raise NotFound("Invalid page.", details={"page": page, "count": result.total})
        url = request.build_absolute_uri()
        has_next = page * page_size < result.total
        previous = None
        if page > 1:
            previous = (
                replace_query_param(url, "page", page - 1)
                if page > 2
                else remove_query_param(url, "page")
            )
        body = {
            "metric": metric.key,
            "kind": str(metric.kind),
            "period_start": window.start,
            "period_end": window.end,
            "game_mode": data.get("game_mode"),
            "count": result.total,
            "next": replace_query_param(url, "page", page + 1) if has_next else None,
            "previous": previous,
            "results": [asdict(row) for row in result.rows],
        }
        return Response(serializers.LeaderboardSerializer(body).data)


class _FirstRendererNegotiation(BaseContentNegotiation):
    """An `<img>` asks for image/*: never answer 406, render errors as JSON, SVG otherwise."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class PlayerMetricChartView(APIView):
    """An SVG line chart of one metric over a range (`<img src=...>`, a browser or the admin)."""

    name = "Metric chart"

    renderer_classes = [JSONRenderer]  # for errors; the chart itself is an SVG HttpResponse
    content_negotiation_class = _FirstRendererNegotiation

    @extend_schema(
        parameters=[serializers.MetricRangeQuerySerializer],
        responses={
            (200, "image/svg+xml"): OpenApiResponse(
                OpenApiTypes.STR, description="An SVG document."
            )
        },
        tags=["history"],
    )
    def get(self, request: Request, username: str, metric: str) -> HttpResponse:
        query = serializers.MetricRangeQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        window = query.validated_data["range"]
        found = selectors.metric_get(key=metric)
        player = player_get(username=username)
        now = timezone.now()
        try:
            history = selectors.player_metric_history(
                player=player, metric=found, start=window.start, end=window.end, now=now
            )
            points = [
                charts.ChartPoint(point.at, point.value)
                for point in history.timeline
                if point.value is not None
            ]
        except NotFound as exc:
            if exc.error_code != "no_snapshot":
                raise
            points = []  # an empty chart still belongs in the page that embeds it
        y_label = Y_LABELS[found.kind]
        svg = charts.render_line_chart(
            title=f"{player.username}: {found.name} {y_label.lower()}",
            y_label=y_label,
            points=points,
            start=window.start,
            end=window.end,
            line_until=now,
        )
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Cache-Control"] = "private, max-age=60"
        return response

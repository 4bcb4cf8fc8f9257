"""Competition endpoints: list/create, read/change/delete one (with standings), its chart."""

from __future__ import annotations

from django.db.models import Count
from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from hiscores.integration.catalogue import MetricKind
from history.competitions import serializers, services, standings
from history.competitions.chart import render_competition_chart
from history.competitions.models import Competition
from osrs_diff.pagination import PageNumberPagination

TAGS = ["competitions"]
Y_LABELS = {
    MetricKind.SKILL: "Experience gained",
    MetricKind.BOSS: "Kills gained",
    MetricKind.ACTIVITY: "Score gained",
}


def _detail(competition: Competition) -> dict:
    now = timezone.now()
    result = standings.competition_standings(competition=competition, now=now)
    body = serializers.summary(competition, now=now, count=len(result.rows))
    body["standings_at"] = result.at
    body["standings"] = [row.as_dict() for row in result.rows]
    if result.teams is not None:
        body["teams"] = [team.as_dict() for team in result.teams]
    return serializers.CompetitionDetailSerializer(body).data


class CompetitionListView(APIView):
    """Competitions (`?status=upcoming|ongoing|finished`), or create one."""

    name = "Competitions"
    write_permissions = {"POST": "history.add_competition"}

    @extend_schema(
        parameters=[serializers.CompetitionListQuerySerializer],
        responses=serializers.CompetitionPageSerializer,
        operation_id="competitions_list",
        tags=TAGS,
    )
    def get(self, request: Request) -> Response:
        query = serializers.CompetitionListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        now = timezone.now()
        queryset = standings.competition_list(
            status=query.validated_data.get("status"), now=now
        ).annotate(participant_count=Count("participations"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(queryset, request, view=self)
        rows = [serializers.summary(c, now=now, count=c.participant_count) for c in page]
        return paginator.get_paginated_response(
            serializers.CompetitionSummarySerializer(rows, many=True).data
        )

    @extend_schema(
        request=serializers.CompetitionCreateSerializer,
        responses={201: serializers.CompetitionDetailSerializer},
        tags=TAGS,
    )
    def post(self, request: Request) -> Response:
        data = serializers.CompetitionCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        competition = services.competition_create(**data.validated_data)
        return Response(_detail(competition), status=status.HTTP_201_CREATED)


class CompetitionDetailView(APIView):
    """One competition with its status and standings (team sums for team events)."""

    name = "Competition"
    write_permissions = {
        "PATCH": "history.change_competition",
        "DELETE": "history.delete_competition",
    }

    @extend_schema(responses=serializers.CompetitionDetailSerializer, tags=TAGS)
    def get(self, request: Request, competition_id: int) -> Response:
        return Response(_detail(standings.competition_get(competition_id=competition_id)))

    @extend_schema(
        request=serializers.CompetitionUpdateSerializer,
        responses=serializers.CompetitionDetailSerializer,
        tags=TAGS,
    )
    def patch(self, request: Request, competition_id: int) -> Response:
        competition = standings.competition_get(competition_id=competition_id)
        data = serializers.CompetitionUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        competition = services.competition_update(competition=competition, **data.validated_data)
        return Response(_detail(competition))

    @extend_schema(responses={204: None}, tags=TAGS)
    def delete(self, request: Request, competition_id: int) -> Response:
        competition = standings.competition_get(competition_id=competition_id)
        services.competition_delete(competition=competition)
        return Response(status=status.HTTP_204_NO_CONTENT)


class _FirstRendererNegotiation(BaseContentNegotiation):
    """An `<img>` asks for image/*: never answer 406, render errors as JSON, SVG otherwise."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CompetitionChartView(APIView):
    """An SVG chart of the top 5 participants' gains over the competition."""

    name = "Competition chart"
    renderer_classes = [JSONRenderer]  # for errors; the chart itself is an SVG HttpResponse
    content_negotiation_class = _FirstRendererNegotiation

    @extend_schema(
        responses={
            (200, "image/svg+xml"): OpenApiResponse(
                OpenApiTypes.STR, description="An SVG document."
            )
        },
        tags=TAGS,
    )
    def get(self, request: Request, competition_id: int) -> HttpResponse:
        competition = standings.competition_get(competition_id=competition_id)
        now = timezone.now()
        result = standings.competition_standings(competition=competition, now=now)
        metric, series = standings.competition_chart_series(
            competition=competition, standings=result, now=now
        )
        name = metric.name if metric else competition.metric
        svg = render_competition_chart(
            title=f"{competition.title}: {name}",
            y_label=Y_LABELS[metric.kind] if metric else "Gained",
            series=series,
            start=competition.starts_at,
            end=competition.ends_at,
            line_until=now,
        )
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Cache-Control"] = "private, max-age=60"
        return response
